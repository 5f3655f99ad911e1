-- Listed streets of the region table in scope with no current boundary: the map names them, since it
-- cannot draw them.
select r.region_code, r.region_name, r.county_name
from regions r
where r.level = 'street' and r.is_listed and in_scope(r.region_code, $scope)
  and not exists (select 1 from boundaries b
                  where b.is_current and b.level = 'street' and b.region_code = r.region_code)
order by r.region_code
