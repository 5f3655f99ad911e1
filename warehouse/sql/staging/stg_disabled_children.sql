-- 残疾儿童及康复救助（残联）: disabled children and rehabilitation aid. Kind: snapshot, one half_year per period.
with source as (
    select * from raw_disabled_children
    where load_id in (select load_id from load_log where source = 'disabled_children' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        person_key,
        disability_type,
        disability_grade,
        coalesce(m.current_code, s.street_code) as street_code,
        has_rehab_aid,
        rehab_aid_amount,
        birth_date,
        sex,
        age_at(birth_date, period_end) as age_years,
        age_band(age_at(birth_date, period_end)) as age_band,
        coalesce(m.county_code, county_of(s.street_code)) as county_code,
        load_id
    from source s
    -- an older period's codes count under today's (区划调整: marts/region_current.sql)
    left join region_current m on m.region_code = s.street_code
)

select * from renamed
