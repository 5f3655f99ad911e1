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
        street_code,
        has_rehab_aid,
        rehab_aid_amount,
        birth_date,
        sex,
        age_at(birth_date, period_end) as age_years,
        age_band(age_at(birth_date, period_end)) as age_band,
        county_of(street_code) as county_code,
        load_id
    from source
)

select * from renamed
