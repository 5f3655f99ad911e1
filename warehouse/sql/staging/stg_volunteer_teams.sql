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
        coalesce(m.current_code, s.street_code) as street_code,
        street_name,
        founded_date,
        coalesce(m.county_code, county_of(s.street_code)) as county_code,
        load_id
    from source s
    -- an older period's codes count under today's (区划调整: marts/region_current.sql)
    left join region_current m on m.region_code = s.street_code
)

select * from renamed
