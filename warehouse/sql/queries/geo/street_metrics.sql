-- One row per street in scope for one period, age band and category: the count, its denominators, the
-- four map metrics and their previous-period values (prev_*); period, previous_period, age_band,
-- category and area are the street's keys in the map's cube.
select period, previous_period, age_band, category, left(street_code, 9) as area,
       county_code, county_name, street_code, street_name, children, previous_children,
       area_km2, residents, child_residents, per_km2, per_1000_residents, share_of_under16,
       previous_children / nullif(area_km2, 0) as prev_per_km2,
       1000.0 * previous_children / nullif(residents, 0) as prev_per_1000_residents,
       previous_children / nullif(child_residents, 0) as prev_share_of_under16,
       previous_children as prev_children
from geo_street_density
where period = $period and age_band = $age_band and category = $category and in_scope(street_code, $scope)
order by street_code
