-- The province, city and county rows of the region table in scope or above it, by code, with each one's
-- parent: setup.root follows them down from the top to name the deployment's root region.
select region_code, region_name, level, parent_code
from regions
where level in ('province', 'city', 'county')
  and in_scope_or_above(
      case level when 'province' then left(region_code, 2) when 'city' then left(region_code, 4)
                 when 'county' then left(region_code, 6) when 'street' then left(region_code, 9)
                 else region_code end, $scope)
order by region_code
