-- 托育机构及托位（卫健委）: childcare institutions and places. Kind: snapshot, one quarter per period.
with source as (
    select * from raw_childcare
    where load_id in (select load_id from load_log where source = 'childcare' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        institution_id,
        institution_name,
        coalesce(m.current_code, s.street_code) as street_code,
        street_name,
        places,
        inclusive_places,
        enrolled,
        is_inclusive,
        registered_date,
        coalesce(m.county_code, county_of(s.street_code)) as county_code,
        load_id
    from source s
    -- an older period's codes count under today's (区划调整: marts/region_current.sql)
    left join region_current m on m.region_code = s.street_code
)

select * from renamed
