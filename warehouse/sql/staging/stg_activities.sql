-- 志愿服务活动记录（妇联）: volunteer activities (monthly sheet). Kind: events, one month per period.
with source as (
    select * from raw_activities
    where load_id in (select load_id from load_log where source = 'activities' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        activity_id,
        team_id,
        activity_type,
        activity_date,
        region_code,
        street_name,
        status,
        participants,
        person_times,
        volunteer_hours,
        street_of(region_code) as street_code,
        county_of(region_code) as county_code,
        load_id
    from source
)

select * from renamed
