-- Visit records of the children on the key-children ledger (ledger_children), ordered by person_key:
-- one child's visits (个案档案, queries.ledger.child_file) are then a read of one or two row groups (DuckDB
-- skips the others by their min/max), not a scan of every visit in the province (~64M rows at province
-- scale). The same rows and columns stg_visits holds for these children; no name or ID number.
with source as (
    select * from stg_visits
),

ledger as (
    select distinct person_key from ledger_children
),

final as (
    select
        v.person_key,
        v.visit_date,
        v.visit_type,
        v.director_id,
        v.needs,
        v.street_code,
        v.county_code,
        v.period
    from source v
    where v.person_key in (select person_key from ledger)
)

select * from final
order by person_key, visit_date desc
