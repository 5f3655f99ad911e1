-- The measures a canonical department leads or co-leads (plan_departments splits the plans' lead text into
-- canonical departments), in plan order.
select m.plan_id, m.plan_name, m.area, m.measure_no, m.measure, m.lead_departments
from plan_measures m
where exists (select 1 from plan_departments d
              where d.plan_id = m.plan_id and d.measure_no = m.measure_no and d.department = $department)
order by m.plan_id, m.area_order, m.measure_order
