-- Per level below the city: regions in scope and how many have a current polygon (a region without one is
-- missing from the map). setup.boundary_coverage lists every level.
select r.level, count(*) as regions, count(b.region_code) as with_polygon
from regions r
left join (select distinct region_code from boundaries where is_current) b using (region_code)
where r.level in ('county', 'street', 'community') and in_scope(r.region_code, $scope)
group by r.level
