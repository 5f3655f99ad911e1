-- One indicator's latest figure per county on or before the day it is judged on ($today; by default the
-- snapshot's data date, as targets._today): value (a rate or a reported figure), its numerator and denominator
-- (computed indicators), the reporting department. value_period (a reported figure's reporting period, a
-- computed one's date) and cube_area (the county) place the figures in targets.TARGETS_CUBE. A figure with no
-- county counts only for the scope of everything.
select a.county_code, r.region_name as county_name, max(a.value_date)::date as value_date,
       arg_max(a.value, a.value_date) as value, any_value(i.unit) as unit,
       arg_max(a.numerator, a.value_date) as numerator, arg_max(a.denominator, a.value_date) as denominator,
       arg_max(a.department, a.value_date) as department,
       any_value(a.plan_id) as plan_id, any_value(a.measure_no) as measure_no,
       any_value(a.indicator) as indicator,
       arg_max(case a.kind when 'computed' then strftime(a.value_date, '%Y-%m-%d') else coalesce(a.period, '?') end,
               a.value_date) as value_period,
       left(a.county_code, 6) as cube_area
from plan_actuals a left join regions r on r.region_code = a.county_code
join plan_indicators i using (plan_id, measure_no, indicator)
where a.plan_id = $plan_id and a.measure_no = $measure_no and a.indicator = $indicator
  and a.value_date <= coalesce($today, (select data_date from meta limit 1), current_date)
  and in_scope(a.county_code, $scope)
group by a.county_code, r.region_name
order by a.county_code
