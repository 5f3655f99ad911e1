-- Names of the given 12-digit codes that the region table holds, in scope or above it (the user list names
-- the areas users are given; a region above the scope is named, it carries no figures here).
select region_code, region_name
from regions
where region_code in (select unnest($codes))
  and in_scope_or_above(
      case level when 'province' then left(region_code, 2) when 'city' then left(region_code, 4)
                 when 'county' then left(region_code, 6) when 'street' then left(region_code, 9)
                 else region_code end, $scope)
