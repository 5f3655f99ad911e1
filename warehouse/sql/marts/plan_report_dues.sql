-- Every progress report a reported indicator owes: per listed county and reporting period (its cadence: 月, 季度,
-- 半年, else 年) from the year of its reporting start to its deadline, with the first report dated in the period
-- or after it (first_report). Built once here so that a page asking "what is owed by this day" (targets/
-- owed_reports.sql, targets/status_rows.sql) only filters: a report is owed when its period ended more than the
-- grace days before the day and no report came from the period's start to the end of the grace days.
with owed_ind as (
    select plan_id, measure_no, indicator, reporting_start, deadline,
           case cadence when '月' then 1 when '季度' then 3 when '半年' then 6 else 12 end as months
    from plan_indicators
    where kind = 'reported' and reporting_start is not null and deadline is not null
),
periods as (
    select o.plan_id, o.measure_no, o.indicator, s::date as period_start,
           (s + to_months(o.months) - interval 1 day)::date as period_end
    from owed_ind o,
         unnest(generate_series(date_trunc('year', o.reporting_start)::timestamp, o.deadline::timestamp,
                                to_months(o.months))) as t(s)
    where (s + to_months(o.months) - interval 1 day)::date >= o.reporting_start
),
counties as (select region_code as county_code from regions where level = 'county' and is_listed)
select p.plan_id, p.measure_no, p.indicator, c.county_code, p.period_start, p.period_end,
       min(a.value_date)::date as first_report
from periods p
cross join counties c
left join plan_actuals a
       on a.kind = 'reported' and a.plan_id = p.plan_id and a.measure_no = p.measure_no
      and a.indicator = p.indicator and a.county_code = c.county_code and a.value_date >= p.period_start
group by all
