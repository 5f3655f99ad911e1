-- One row per extract against its cadence (dq_sources), late first, named from the snapshot's `sources`
-- table (the build writes it from the contracts; a source it does not know is 其他). A contract that never
-- landed says 从未报送 as its latest period. The extracts are city-wide, so any signed-in scope sees all of
-- them: the whole area ('') lies above every scope, and the empty scope sees nothing (default deny).
select coalesce(s.department, '其他') as department, coalesce(s.title, d.source) as title, d.source, d.cadence,
       coalesce(d.latest_period, '从未报送') as latest_period, d.latest_period_end, d.expected_period_start,
       d.expected_period_end, d.periods_behind, d.is_late, d.periods_landed, d.periods_expected, d.completeness,
       d.rows_read, d.rows_accepted, d.rows_rejected, d.rejection_rate, d.latest_rejection_rate, d.resubmissions,
       d.last_landed_at, d.as_of_date
from dq_sources d
left join sources s on s.source = d.source
where in_scope_or_above('', $scope)
order by d.is_late desc, d.periods_behind desc, department, d.source
