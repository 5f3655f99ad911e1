-- 志愿服务队伍（妇联）: volunteer teams (women's federation). Kind: snapshot, one year per period.
with source as (
    select * from raw_volunteer_teams
    where load_id in (select load_id from load_log where source = 'volunteer_teams' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        team_id,
        team_name,
        team_type,
        street_code,
        street_name,
        founded_date,
        county_of(street_code) as county_code,
        load_id
    from source
)

select * from renamed
