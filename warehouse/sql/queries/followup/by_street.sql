-- Follow-up items per street and status. The loop folds the item states on the server and passes them here
-- as parallel lists, one element per item ($regions: the item's street, or county where the street is
-- unknown; $statuses; $overdue '1' or '0'): no key and no name is passed, and the scope and the small-number
-- rule apply here as to any figure.
with items as (
    select unnest($regions) as region_code, unnest($statuses) as status, unnest($overdue) as overdue
)
select left(i.region_code, 6) || '000000' as county_code, i.region_code as street_code,
       coalesce(r.region_name, i.region_code) as street_name,
       count(*) filter (where i.status = '待处理')::bigint as pending,
       count(*) filter (where i.status = '处理中')::bigint as working,
       count(*) filter (where i.status = '复发')::bigint as recurred,
       count(*) filter (where i.status = '已办结')::bigint as done,
       count(*) filter (where i.status = '无需处理')::bigint as not_needed,
       count(*) filter (where i.overdue = '1')::bigint as overdue
from items i
left join regions r on r.region_code = i.region_code
where in_scope(i.region_code, $scope)
group by all
order by street_code
