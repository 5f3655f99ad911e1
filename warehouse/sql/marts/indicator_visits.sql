-- Share of key children visited in the last 30 days (model visited_30d_rate), per county at each month
-- end of the visit records: key children on the latest ledger on or before that day, and how many had a
-- visit (any type) in the 30 days ending that day.
with source as (
    select distinct period_end as value_date from stg_visits
),

ledger_for as (
    select d.value_date, max(k.period_end) as ledger_end
    from source d
    join (select distinct period_end from stg_key_children) k on k.period_end <= d.value_date
    group by d.value_date
),

children as (
    select f.value_date, k.county_code, k.person_key
    from ledger_for f
    join stg_key_children k on k.period_end = f.ledger_end
    where k.county_code is not null
),

visited as (
    select distinct c.value_date, c.person_key
    from children c
    join stg_visits v on v.person_key = c.person_key
        and v.visit_date > c.value_date - interval 30 day and v.visit_date <= c.value_date
),

final as (
    select
        'visited_30d_rate' as model,
        c.county_code,
        c.value_date,
        count(distinct v.person_key)::bigint as numerator,
        count(distinct c.person_key)::bigint as denominator
    from children c
    left join visited v on v.value_date = c.value_date and v.person_key = c.person_key
    group by all
)

select *, round(100.0 * numerator / nullif(denominator, 0), 2) as value from final
