-- The phases of a plan that has them (start, end, milestone), by start; none for plans without phases.
select phase, "start"::date as start, "end"::date as "end", milestone
from ref_changzhou_2024_phases
where plan_id = $plan_id
order by "start"
