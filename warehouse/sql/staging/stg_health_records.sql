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
        coalesce(m.current_code, s.street_code) as street_code,
        last_checkup_date,
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
