-- Key children (latest survey) and whether each has an active 1+X pairing on the data date.
-- Child-level (person_key): read only by warehouse.queries.volunteers.unpaired (masked) and rolled up
-- in vol_pairing_coverage.
with as_of as (
    select max(data_date) as as_of_date from meta
),

key_children as (
    select person_key, county_code, street_code, community_code, key_type, period
    from stg_key_children
    where period_end = (select max(period_end) from stg_key_children)
),

pairings as (
    select p.person_key, count(*) as pairings
    from stg_pairings p, as_of a
    where p.period = (select max(period) from stg_pairings)
      and p.status = '结对中'
      and p.start_date <= a.as_of_date
      and (p.end_date is null or p.end_date >= a.as_of_date)
    group by p.person_key
),

final as (
    select
        k.person_key,
        k.period,
        k.county_code,
        k.street_code,
        k.community_code,
        k.key_type,
        a.as_of_date,
        coalesce(p.pairings, 0) as pairings,
        p.person_key is not null as is_paired
    from key_children k
    cross join as_of a
    left join pairings p using (person_key)
)

select * from final
