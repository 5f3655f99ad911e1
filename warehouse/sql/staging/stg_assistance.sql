-- 社会救助（低保、特困、临时救助）（民政局）: social assistance to families with children. Kind: snapshot, one month per period.
with source as (
    select * from raw_assistance
    where load_id in (select load_id from load_log where source = 'assistance' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        person_key,
        assistance_type,
        monthly_amount,
        start_date,
        birth_date,
        sex,
        age_at(birth_date, period_end) as age_years,
        age_band(age_at(birth_date, period_end)) as age_band,
        load_id
    from source
)

select * from renamed
