-- The scope's total (the map's 合计), one row: children and how many streets; its cube key is the scope's
-- own area (its prefixes joined by |), so the door marks it from the cube and it never reveals a hidden
-- street. The empty scope has no total (no row), any other scope one row even without streets.
select $period as period, $age_band as age_band, $category as category, array_to_string($scope, '|') as area,
       sum(children)::bigint as children, count(*) as streets
from geo_street_density
where period = $period and age_band = $age_band and category = $category and in_scope(street_code, $scope)
having len($scope) > 0
