-- The reporting period before $period, as the period table chains them: a change is always against it, even when
-- it has no register (the change is then shown as missing, not as the whole figure).
select previous_period from report_periods where period = $period
