-- 0—6岁儿童健康档案（卫健委）: child health records (0–6). Kind: snapshot, one quarter per period.
with source as (
    select * from raw_health_records
    where load_id in (select load_id from load_log where source = 'health_records' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        person_key,
        record_date,
        provider,
        street_code,
        last_checkup_date,
        birth_date,
        sex,
        age_at(birth_date, period_end) as age_years,
        age_band(age_at(birth_date, period_end)) as age_band,
        county_of(street_code) as county_code,
        load_id
    from source
)

select * from renamed
