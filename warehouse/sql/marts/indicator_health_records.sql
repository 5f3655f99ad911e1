-- Health-record rate of 0–6 migrant children (model health_record_rate), per county and record period:
-- migrant children aged 0–6 (age at the register's period end) on the latest register on or before the
-- end of the health-record period, and how many of them have a health record in that period.
with recorded as (
    select distinct period_end as value_date, person_key from stg_health_records
),

counted as (
    select c.value_date, c.county_code, c.person_key as unit, r.person_key is not null as met
    from latest_as_of(stg_health_records, stg_civil_register) c
    left join recorded r on r.value_date = c.value_date and r.person_key = c.person_key
    where c.category = '流动儿童' and c.age_years between 0 and 6 and c.county_code is not null
)

select * from indicator_rates('health_record_rate', counted)
