-- One indicator's overall value over time in the scope, one row per date (computed) or reporting period
-- (reported). Computed indicators sum numerators and denominators over the counties in scope, so the rate is
-- the scope's own; reported ones average percentages (unit %) and add counts over the counties' reports, and
-- say which departments reported (departments) and from how many counties (counties). A figure with no county
-- counts only for the scope of everything. value_period and cube_area (the scope's cube key) place the figures
-- in targets.TARGETS_CUBE. The overall values are the same as status_rows.sql's: change both together.
with a as (
    select * from plan_actuals
    where in_scope(county_code, $scope)
      and plan_id = $plan_id and measure_no = $measure_no and indicator = $indicator
),
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
o as (select * from comp union all select * from rep)
select o.value_date::date as value_date, o.value, i.unit, o.numerator, o.denominator, o.departments, o.counties,
       plan_id, measure_no, indicator, o.value_period, array_to_string($scope, '|') as cube_area
from o
join plan_indicators i using (plan_id, measure_no, indicator)
order by value_date
