-- 结对帮扶（1+X）（妇联）: volunteer–child pairings. Kind: snapshot, one month per period.
with source as (
    select * from raw_pairings
    where load_id in (select load_id from load_log where source = 'pairings' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        person_key,
        volunteer_id,
        start_date,
        end_date,
        status,
        birth_date,
        sex,
        age_at(birth_date, period_end) as age_years,
        age_band(age_at(birth_date, period_end)) as age_band,
        load_id
    from source
)

select * from renamed
