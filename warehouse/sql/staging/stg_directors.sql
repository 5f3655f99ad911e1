-- 儿童主任及儿童督导员花名册（民政局）: children's directors and supervisors roster. Kind: snapshot, one year per period.
with source as (
    select * from raw_directors
    where load_id in (select load_id from load_log where source = 'directors' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        staff_id,
        role,
        is_full_time,
        coalesce(m.current_code, s.region_code) as region_code,
        street_name,
        community_name,
        trained_date,
        appointed_date,
        coalesce(m.street_code, street_of(s.region_code)) as street_code,
        coalesce(m.county_code, county_of(s.region_code)) as county_code,
        load_id
    from source s
    -- an older period's codes count under today's (区划调整: marts/region_current.sql)
    left join region_current m on m.region_code = s.region_code
)

select * from renamed
