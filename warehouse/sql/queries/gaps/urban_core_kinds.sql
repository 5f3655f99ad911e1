-- The kinds of county (主城区 or not) the scope holds, one row each: both kinds present means the
-- 主城区/县域 distinction applies; a region table without it (codes and names only) has none.
select distinct is_urban_core
from regions
where level = 'county' and is_urban_core is not null and in_scope(region_code, $scope)
order by is_urban_core
