-- Each landed extract against its cadence (dq_sources), for the setup page's list of every contract: the
-- latest period, the period its cadence expects by now as a period code (2026-01-01, half_year → 2026H1),
-- how far behind. City-wide: any signed-in scope sees all, the empty scope nothing.
select source, cadence, latest_period,
       case cadence when 'month' then strftime(expected_period_start, '%Y-%m')
           when 'quarter' then year(expected_period_start) || 'Q' || quarter(expected_period_start)
           when 'half_year' then year(expected_period_start) || 'H' || (month(expected_period_start) + 5) // 6
           when 'year' then year(expected_period_start)::varchar end as expected_period,
       periods_behind, is_late, periods_landed
from dq_sources
where in_scope_or_above('', $scope)
