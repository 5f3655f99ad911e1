-- 流动儿童监测摸排台账（民政局）: migrant-child monitoring register. Kind: snapshot, one half_year per period.
with source as (
    select * from raw_civil_register
    where load_id in (select load_id from load_log where source = 'civil_register' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        person_key,
        sex,
        birth_date,
        coalesce(m.current_code, s.community_code) as community_code,
        street_name,
        community_name,
        category,
        hukou_region,
        moved_from,
        in_difficulty,
        parents_sector,
        single_parent,
        registered_date,
        age_at(birth_date, period_end) as age_years,
        age_band(age_at(birth_date, period_end)) as age_band,
        coalesce(m.street_code, street_of(s.community_code)) as street_code,
        coalesce(m.county_code, county_of(s.community_code)) as county_code,
        load_id
    from source s
    -- an older period's codes count under today's (区划调整: marts/region_current.sql)
    left join region_current m on m.region_code = s.community_code
)

select * from renamed
