-- The $top most common rejection reasons per extract (dq_reasons ranks them), most rejected rows first; share
-- is of that extract's rejected rows. Named as in quality/sources. City-wide: any signed-in scope, not the empty.
select coalesce(s.department, '其他') as department, coalesce(s.title, r.source) as title, r.source, r.reason_code,
       r.rows_rejected, r.share
from dq_reasons r
left join sources s on s.source = r.source
where r.reason_rank <= $top and in_scope_or_above('', $scope)
order by r.rows_rejected desc, r.source, r.reason_code
