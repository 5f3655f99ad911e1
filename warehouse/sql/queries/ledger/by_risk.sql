-- Key children per risk level over the scope, with the scheme's rank, colour and label, in the scheme's order
-- (红 → 橙 → 黄 → 绿), so the page's bars read from the highest risk down.
with counts as (
    select risk_level, sum(children)::bigint as children, sum(overdue)::bigint as overdue,
           sum(due_30d)::bigint as due_30d
    from ledger_compliance
    where in_scope(street_code, $scope)
    group by risk_level
)
select c.risk_level, s.rank::integer as risk_rank, s.colour, s.label, c.children, c.overdue, c.due_30d
from counts c
left join cfg_risk_schemes s using (risk_level)
order by s.scheme, s.rank
