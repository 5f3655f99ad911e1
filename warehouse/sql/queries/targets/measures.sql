-- One plan's measures in the plan's own order (area, then measure): the tree of the targets page.
-- lead_departments is the plan's text; rule_text how the measure is judged; origin the file it came from.
select area, measure_no, measure, lead_departments, rule_text, origin
from plan_measures
where plan_id = $plan_id
order by area_order, measure_order
