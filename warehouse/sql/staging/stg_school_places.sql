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
        street_code,
        street_name,
        places,
        enrolled,
        migrant_enrolled,
        county_of(street_code) as county_code,
        load_id
    from source
)

select * from renamed
