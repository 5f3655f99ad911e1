-- Counties and streets in the region table without a current polygon: the map cannot draw them.
select r.level, r.region_code, r.region_name
from regions r
where r.level in ('county', 'street') and in_scope(r.region_code, $scope)
  and not exists (select 1 from boundaries b where b.is_current and b.region_code = r.region_code)
order by r.region_code
