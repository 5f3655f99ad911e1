-- Entrusted-care agreement rate of left-behind key children (model care_agreement_rate), per county and
-- ledger period: 留守儿童 on the key-children ledger, and how many have a signed agreement (blank = not signed).
with counted as (
    select period_end as value_date, county_code, person_key as unit, has_care_agreement as met
    from stg_key_children
    where key_type = '留守儿童' and county_code is not null
)

select * from indicator_rates('care_agreement_rate', counted)
