-- How many measures each canonical department leads or co-leads, over all plans (a measure is plan_id/measure_no).
select department, count(distinct plan_id || '/' || measure_no) as measures
from plan_departments
group by department
