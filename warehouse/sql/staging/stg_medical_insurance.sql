-- 城乡居民医保参保（未成年人）（医保局）: residents' medical insurance enrolment of children. Kind: snapshot, one year per period.
with source as (
    select * from raw_medical_insurance
    where load_id in (select load_id from load_log where source = 'medical_insurance' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        person_key,
        insurance_type,
        insured_place,
        enrolled_date,
        status,
        birth_date,
        sex,
        age_at(birth_date, period_end) as age_years,
        age_band(age_at(birth_date, period_end)) as age_band,
        load_id
    from source
)

select * from renamed
