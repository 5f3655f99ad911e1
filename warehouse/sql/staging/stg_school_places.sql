-- 学校及幼儿园学位（教育局）: school and kindergarten places. Kind: snapshot, one year per period.
with source as (
    select * from raw_school_places
    where load_id in (select load_id from load_log where source = 'school_places' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        school_code,
        school_name,
        stage,
        school_type,
        coalesce(m.current_code, s.street_code) as street_code,
        street_name,
        places,
        enrolled,
        migrant_enrolled,
        coalesce(m.county_code, county_of(s.street_code)) as county_code,
        load_id
    from source s
    -- an older period's codes count under today's (区划调整: marts/region_current.sql)
    left join region_current m on m.region_code = s.street_code
)

select * from renamed
