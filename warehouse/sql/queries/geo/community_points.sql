-- Communities in scope with their centre point and count for one period, age band and category; the
-- community code is its area in the map's cube.
select community_code, community_name, street_code, street_name, county_code, lon, lat, children,
       period, age_band, category, community_code as area
from geo_community_points
where period = $period and age_band = $age_band and category = $category and in_scope(community_code, $scope)
order by community_code
