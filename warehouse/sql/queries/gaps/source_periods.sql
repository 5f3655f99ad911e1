-- Which landing of each source the gaps of a period use: a source landed less often than the register
-- (a yearly facility list) is read from its latest period at or before, and the page says which.
select source, source_label, source_period
from gap_source_periods
where period = $period
order by source
