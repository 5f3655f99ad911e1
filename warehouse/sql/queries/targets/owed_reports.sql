-- The progress reports owed by $today and not sent, per county of the scope, with the county's name and the
-- indicator's departments (the by-department view). A reported indicator owes one report per listed county per
-- reporting period (its cadence: 月, 季度, 半年, else 年) from the year of its reporting start to its deadline,
-- due $grace days after the period ends; a report dated in the period or within the grace days after it
-- counts. The periods and first reports are the mart plan_report_dues; status_rows.sql counts the same.
with missing as (
    select plan_id, measure_no, indicator, county_code, period_start, period_end
    from plan_report_dues
    where period_end + to_days($grace::integer) < $today
      and coalesce(first_report > period_end + to_days($grace::integer), true)
      and in_scope(county_code, $scope)
)
select m.*, n.region_name as county_name, i.department, i.lead_department
from missing m
left join (select region_code, region_name from regions where level = 'county') n on n.region_code = m.county_code
join plan_indicators i using (plan_id, measure_no, indicator)
order by m.plan_id, m.measure_no, m.indicator, m.county_code, m.period_start, m.period_end
