-- Visit compliance per community, director and risk level (roll up to director, street, county in
-- warehouse/queries/ledger.py). Aggregate: no person_key.
with source as (
    select * from ledger_children
),

final as (
    select
        county_code,
        street_code,
        community_code,
        coalesce(director_id, '未指定') as director_id,
        risk_level,
        risk_rank,
        count(*) as children,
        count(*) filter (where contact_overdue_days > 0) as contact_overdue,
        count(*) filter (where home_visit_overdue_days > 0) as home_visit_overdue,
        count(*) filter (where is_overdue) as overdue,
        count(*) filter (where is_due_30d) as due_30d,
        count(*) filter (where not is_overdue) as compliant,
        coalesce(sum(overdue_days), 0) as overdue_days_total,
        coalesce(max(overdue_days), 0) as overdue_days_max
    from source
    group by all
)

select * from final
