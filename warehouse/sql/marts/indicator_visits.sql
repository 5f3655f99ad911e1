-- Share of key children visited in the last 30 days (model visited_30d_rate), per county at each month
-- end of the visit records: key children on the latest ledger on or before that day, and how many had a
-- visit (any type) in the 30 days ending that day.
with children as (
    select value_date, county_code, person_key
    from latest_as_of(stg_visits, stg_key_children)
    where county_code is not null
),

visited as (
    select distinct c.value_date, c.person_key
    from children c
    join stg_visits v on v.person_key = c.person_key
        and v.visit_date > c.value_date - interval 30 day and v.visit_date <= c.value_date
),

counted as (
    select c.value_date, c.county_code, c.person_key as unit, v.person_key is not null as met
    from children c
    left join visited v on v.value_date = c.value_date and v.person_key = c.person_key
)

select * from indicator_rates('visited_30d_rate', counted)
