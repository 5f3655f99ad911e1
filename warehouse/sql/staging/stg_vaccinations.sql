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
        coalesce(m.current_code, s.street_code) as street_code,
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
