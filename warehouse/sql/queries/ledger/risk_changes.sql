-- Risk-level changes between consecutive surveys over the scope: latest survey first, then 升高 (risk up),
-- 降低, 新增, 退出, 不变, and within a change the largest first (ties by level, so every run reads the same); the
-- page reads the latest pair of surveys.
select * from (
    select period, previous_period, change, from_level, to_level, sum(children)::bigint as children
    from ledger_risk_changes
    where in_scope(street_code, $scope)
    group by all
)
order by period desc, list_position(['升高', '降低', '新增', '退出', '不变'], change), children desc, from_level, to_level
