-- The configured service gaps and the measures of their two sides (cfg_standards), for naming the extracts a
-- gap reads (quality.MEASURE_SOURCES maps a measure to its extract). Configuration, the same for every scope;
-- the empty scope sees none.
select gap_id, gap_name, numerator, denominator
from cfg_standards
where in_scope_or_above('', $scope)
