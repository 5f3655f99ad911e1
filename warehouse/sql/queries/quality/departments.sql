-- Per department (as in quality/sources, 其他 for a source the snapshot does not name): its extracts, how
-- many are late and how many periods behind in all, rows read and rejected with the rate, and the mean
-- completeness; the departments with most late extracts first. City-wide: any signed-in scope, not the empty.
select coalesce(s.department, '其他') as department, count(d.source) as extracts,
       sum(d.is_late::integer)::bigint as late, sum(d.periods_behind)::bigint as periods_behind,
       sum(d.rows_read) as rows_read, sum(d.rows_rejected) as rows_rejected, avg(d.completeness) as completeness,
       sum(d.rows_rejected) / nullif(sum(d.rows_read), 0) as rejection_rate
from dq_sources d
left join sources s on s.source = d.source
where in_scope_or_above('', $scope)
group by all
order by late desc, rejection_rate desc nulls last, department
