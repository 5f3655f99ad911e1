-- Health-record rate of 0–6 migrant children (model health_record_rate), per county and record period:
-- migrant children aged 0–6 (age at the register's period end) on the latest register on or before the
-- end of the health-record period, and how many of them have a health record in that period.
with source as (
    select distinct period_end as value_date from stg_health_records
),

register_for as (
    select d.value_date, max(r.period_end) as register_end
    from source d
    join (select distinct period_end from stg_civil_register) r on r.period_end <= d.value_date
    group by d.value_date
),

children as (
    select f.value_date, c.county_code, c.person_key
    from register_for f
    join stg_civil_register c on c.period_end = f.register_end
    where c.category = '流动儿童' and c.age_years between 0 and 6 and c.county_code is not null
),

recorded as (
    select distinct period_end as value_date, person_key from stg_health_records
),

final as (
    select
        'health_record_rate' as model,
        c.county_code,
        c.value_date,
        count(distinct r.person_key)::bigint as numerator,
        count(distinct c.person_key)::bigint as denominator
    from children c
    left join recorded r on r.value_date = c.value_date and r.person_key = c.person_key
    group by all
)

select *, round(100.0 * numerator / nullif(denominator, 0), 2) as value from final
