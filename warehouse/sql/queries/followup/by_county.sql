-- For 总览 and the meeting pack: per county, the follow-up items open (待处理, 处理中, 复发), open past their
-- due date, and closed (已办结 or 无需处理) this month. Parallel lists of the states the loop folded, one
-- element per item ($open, $overdue, $closed_month: '1' or '0'), as followup/by_street takes them.
with items as (
    select unnest($regions) as region_code, unnest($open) as open, unnest($overdue) as overdue,
           unnest($closed_month) as closed_month
)
select left(i.region_code, 6) || '000000' as county_code, coalesce(c.region_name, left(i.region_code, 6)) as county_name,
       count(*) filter (where i.open = '1')::bigint as open,
       count(*) filter (where i.overdue = '1')::bigint as overdue,
       count(*) filter (where i.closed_month = '1')::bigint as closed_month
from items i
left join regions c on c.region_code = left(i.region_code, 6) || '000000'
where in_scope(i.region_code, $scope)
group by all
order by county_code
