-- Key children per risk level in scope, most urgent first (scheme, then rank), beside the previous period. A level
-- present in one period only shows 0 in the other; the previous count is null (not 0) when the previous period
-- has no key-children ledger, so no change is claimed against a ledger that never came.
with previous as (
    select (select previous_period from report_periods where period = $period limit 1) as period
),
counted as (
    select period, risk_level, risk_scheme, risk_rank, is_high_risk, sum(children)::bigint as children
    from key_children_by_risk
    where (period = $period or period = (select period from previous)) and in_scope(street_code, $scope)
    group by all
),
cur as (select * from counted where period = $period),
prev as (select * from counted where period = (select period from previous)),
prev_loaded as (
    select coalesce(bool_or(has_key_children), false) as loaded
    from report_periods where period = (select period from previous)
),
joined as (
    select
        coalesce(cur.risk_level, prev.risk_level) as risk_level,
        coalesce(cur.risk_scheme, prev.risk_scheme) as risk_scheme,
        coalesce(cur.risk_rank, prev.risk_rank) as risk_rank,
        coalesce(cur.is_high_risk, prev.is_high_risk) as is_high_risk,
        coalesce(cur.children, 0) as children,
        case when pl.loaded then coalesce(prev.children, 0) end as previous_children
    from cur
    full join prev on prev.risk_level = cur.risk_level
    cross join prev_loaded pl
)
select *, children - previous_children as change
from joined
order by risk_scheme, risk_rank
