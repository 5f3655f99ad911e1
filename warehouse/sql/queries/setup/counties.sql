-- The counties of the region table in scope, by code: the rows of the setup page's by-county coverage.
select region_code as county_code, region_name as county_name
from regions
where level = 'county' and in_scope(region_code, $scope)
order by region_code
