-- The reporting periods that have a register extract, newest first: the period selector's choices. A period with
-- only other sources landed has no children to count, so it is not offered.
select period, period_start, period_end, previous_period, is_latest
from report_periods
where has_register
order by period_end desc, period desc
