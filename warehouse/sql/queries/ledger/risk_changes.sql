-- Risk-level changes between consecutive surveys over the scope: latest survey first, then 升高 (risk up),
-- 降低, 新增, 退出, 不变, and within a change the largest first, ties the higher risk first (so every run reads
-- the same); the page reads the latest pair of surveys.
with changes as (
    select period, previous_period, change, from_level, to_level, sum(children)::bigint as children
    from ledger_risk_changes
    where in_scope(street_code, $scope)
    group by all
)
select *
from changes c
order by period desc, list_position(['升高', '降低', '新增', '退出', '不变'], change), children desc,
         (select min(rank) from cfg_risk_schemes s where s.risk_level = c.from_level) nulls first,
         (select min(rank) from cfg_risk_schemes s where s.risk_level = c.to_level) nulls first, from_level, to_level
