-- Current polygons whose code is not in the region table: a boundary file on other codes (an older division,
-- a typo) draws shapes no figure lands on.
select b.level, b.region_code, b.region_name
from boundaries b
where b.is_current and in_scope(b.region_code, $scope)
  and not exists (select 1 from regions r where r.region_code = b.region_code)
order by b.region_code
