-- The listed counties a scope touches, for region selectors: a street officer's list names their own county
-- (the region above the scope, not its figures). A county retired for one the table holds (撤县设区) is not
-- listed: its rows count under the new code. city names the county's city (from the code's first 4 digits),
-- as a province deployment names a county with its city.
select r.region_code as county_code, r.region_name as county_name, r.area_type, r.is_urban_core,
       c.region_name as city
from regions r
left join regions c on c.level = 'city' and left(c.region_code, 4) = left(r.region_code, 4)
where r.level = 'county' and r.is_listed and in_scope_or_above(left(r.region_code, 6), $scope)
order by r.region_code
