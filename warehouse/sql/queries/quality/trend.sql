-- Rejection rate per extract and period, current landings only (a superseded landing no longer counts), for
-- one extract or (source null) all; named as in quality/sources. City-wide: any signed-in scope, not the empty.
select coalesce(s.department, '其他') as department, coalesce(s.title, l.source) as title, l.source, l.period,
       l.period_start, l.rows_read, l.rows_rejected, l.rejection_rate
from dq_loads l
left join sources s on s.source = l.source
where l.is_current and l.status = 'landed' and ($source is null or l.source = $source)
  and in_scope_or_above('', $scope)
order by l.source, l.period_start
