-- Entrusted-care agreement rate of left-behind key children (model care_agreement_rate), per county and
-- ledger period: 留守儿童 on the key-children ledger, and how many have a signed agreement (blank = not signed).
with source as (
    select period_end as value_date, county_code, person_key, has_care_agreement
    from stg_key_children
    where key_type = '留守儿童' and county_code is not null
),

final as (
    select
        'care_agreement_rate' as model,
        county_code,
        value_date,
        count(distinct case when has_care_agreement then person_key end)::bigint as numerator,
        count(distinct person_key)::bigint as denominator
    from source
    group by all
)

select *, round(100.0 * numerator / nullif(denominator, 0), 2) as value from final
