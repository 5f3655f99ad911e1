-- Which of the extracts $names have never landed (none in force in the snapshot), in the order given, with
-- the period their cadence expects by now as a period code (2025-12, 2025Q4, 2025H2, 2025). A list sent only
-- when there is something to send (on_demand: the division-change list) is never owed, so never missing.
-- City-wide: any signed-in scope, not the empty one.
select d.source, coalesce(s.title, d.source) as title, coalesce(s.department, '其他') as department, d.cadence,
       case d.cadence when 'month' then strftime(d.expected_period_start, '%Y-%m')
           when 'quarter' then year(d.expected_period_start) || 'Q' || quarter(d.expected_period_start)
           when 'half_year' then year(d.expected_period_start) || 'H' || (month(d.expected_period_start) + 5) // 6
           when 'year' then year(d.expected_period_start)::varchar end as expected_period
from dq_sources d
left join sources s on s.source = d.source
where d.latest_period is null and not d.on_demand and list_contains($names, d.source)
  and in_scope_or_above('', $scope)
order by list_position($names, d.source)
