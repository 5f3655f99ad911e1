-- Regions of the landed table per level, in scope or above it: a region above the scope (a city user's
-- province) counts, it is part of the table they work from. A region's own prefix is its code without the
-- zeros of the levels below (a 12-digit province code never begins a scope).
select level, count(*) as regions
from regions
where in_scope_or_above(
      case level when 'province' then left(region_code, 2) when 'city' then left(region_code, 4)
                 when 'county' then left(region_code, 6) when 'street' then left(region_code, 9)
                 else region_code end, $scope)
group by level
