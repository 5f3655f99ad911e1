-- Current boundaries of one level in scope (simplified GeoJSON text, a point inside for labels); counties
-- also where their code is a prefix of the scope's (the regions above it). The name is the region table's (the
-- official one, as every table beside the map says it); a boundary file's own name (often older, or a
-- surveyor's spelling) only where the region table lacks the code.
select b.region_code, coalesce(r.region_name, b.region_name) as region_name, b.simplified as geometry,
       b.lon, b.lat, b.area_km2, b.is_schematic, b.valid_from
from boundaries b
left join regions r on r.region_code = b.region_code
where b.is_current and b.level = $level
  -- A county's code is its six digits and six zeros; a street scope (nine digits) lies under the six.
  and (in_scope(b.region_code, $scope) or ($level = 'county' and in_scope_or_above(left(b.region_code, 6), $scope)))
order by b.region_code
