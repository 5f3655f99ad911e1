-- The names of the cities that hold the scope, or lie inside it, by code: a county user's pack names its city
-- (a region's name is not a figure, so the regions above the scope count too).
select region_name
from regions
where level = 'city' and in_scope_or_above(left(region_code, 4), $scope)
order by region_code
