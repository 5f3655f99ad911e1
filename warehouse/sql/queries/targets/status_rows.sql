-- One row per plan indicator (of plan $plan_id, or of every plan) in plan order, with what its status is judged
-- from (targets.indicator_status adds the status): the latest overall value in the scope on or before $today
-- (current_value, its date, reporting period and reporting departments), and the reports owed by $today and
-- not sent (missing_reports). The overall values are indicator_series.sql's (change both together); the owed
-- reports are owed_reports.sql's, both filtering the mart plan_report_dues. A one-county view ($county,
-- targets.county_of_view) is judged against the county's own target where the plan file gives one
-- (own_target): its target, baseline, baseline date and deadline replace the city's.
with a as (select * from plan_actuals where in_scope(county_code, $scope)),
comp as (
    select plan_id, measure_no, indicator, value_date,
           strftime(value_date, '%Y-%m-%d') as value_period,
           round(100.0 * sum(numerator) / nullif(sum(denominator), 0), 2) as value,
           sum(numerator)::bigint as numerator, sum(denominator)::bigint as denominator,
           null::varchar as departments, count(*) as counties
    from a where kind = 'computed' group by all
),
rep as (
    select a.plan_id, a.measure_no, a.indicator, max(a.value_date) as value_date,
           coalesce(a.period, '?') as value_period,
           case when any_value(i.unit) = '%' then round(avg(a.value), 2) else sum(a.value) end as value,
           null::bigint as numerator, null::bigint as denominator,
           string_agg(distinct a.department, '、' order by a.department) as departments, count(*) as counties
    from a join plan_indicators i using (plan_id, measure_no, indicator)
    where a.kind = 'reported' group by a.plan_id, a.measure_no, a.indicator, a.period
),
o as (select * from comp union all select * from rep),
cur as (
    select plan_id, measure_no, indicator, arg_max(value, value_date) as current_value,
           max(value_date)::date as value_date, arg_max(value_period, value_date) as value_period,
           arg_max(departments, value_date) as reported_by
    from o where value_date <= $today group by all
),
miss as (
    select plan_id, measure_no, indicator, count(*)::integer as missing_reports
    from plan_report_dues
    where period_end + to_days($grace::integer) < $today
      and coalesce(first_report > period_end + to_days($grace::integer), true)
      and in_scope(county_code, $scope)
    group by all
)
select i.plan_id, coalesce(m.area, i.area) as area, i.measure_no, coalesce(m.measure, i.measure) as measure,
       i.indicator, i.unit, i.direction, i.kind, i.model, i.lead_department, i.department,
       case when t.target is null then i.baseline else t.baseline end as baseline,
       case when t.target is null then i.baseline_date else t.baseline_date end::date as baseline_date,
       coalesce(t.target, i.target) as target,
       case when t.target is null then i.deadline else t.deadline end::date as deadline,
       c.current_value, c.value_date, c.reported_by, coalesce(x.missing_reports, 0) as missing_reports,
       i.origin, m.area_order, m.measure_order, c.value_period, array_to_string($scope, '|') as cube_area,
       t.target is not null as own_target
from plan_indicators i
left join plan_measures m using (plan_id, measure_no)
left join cur c using (plan_id, measure_no, indicator)
left join miss x using (plan_id, measure_no, indicator)
left join plan_county_targets t
       on t.county_code = $county and t.plan_id = i.plan_id and t.measure_no = i.measure_no
      and t.indicator = i.indicator
where (coalesce($plan_id, '') = '' or i.plan_id = $plan_id)
  and len($scope) > 0  -- every indicator has a row, with or without figures; the empty scope sees none
order by i.plan_id, m.area_order, m.measure_order, i.indicator
