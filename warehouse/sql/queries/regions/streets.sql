-- The listed streets a scope touches, in the county selector's columns (county_code holds the street's code): a
-- county deployment's region selector offers streets, one level below it. The regions above the scope are
-- listed too, as for counties.
select r.region_code as county_code, r.region_name as county_name, r.area_type, r.is_urban_core,
       c.region_name as city
from regions r
left join regions c on c.level = 'city' and left(c.region_code, 4) = left(r.region_code, 4)
where r.level = 'street' and r.is_listed and in_scope_or_above(r.region_code, $scope)
order by r.region_code
