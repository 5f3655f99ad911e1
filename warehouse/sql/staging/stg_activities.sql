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
        coalesce(m.current_code, s.region_code) as region_code,
        street_name,
        status,
        participants,
        person_times,
        volunteer_hours,
        coalesce(m.street_code, street_of(s.region_code)) as street_code,
        coalesce(m.county_code, county_of(s.region_code)) as county_code,
        load_id
    from source s
    -- an older period's codes count under today's (区划调整: marts/region_current.sql)
    left join region_current m on m.region_code = s.region_code
)

select * from renamed
