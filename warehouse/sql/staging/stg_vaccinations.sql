-- 预防接种记录（卫健委）: vaccinations (national immunisation programme). Kind: events, one month per period.
with source as (
    select * from raw_vaccinations
    where load_id in (select load_id from load_log where source = 'vaccinations' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        person_key,
        vaccine,
        dose,
        vaccination_date,
        clinic,
        street_code,
        birth_date,
        sex,
        age_at(birth_date, period_end) as age_years,
        age_band(age_at(birth_date, period_end)) as age_band,
        county_of(street_code) as county_code,
        load_id
    from source
)

select * from renamed
