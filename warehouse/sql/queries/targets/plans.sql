-- The action plans with how many measures and indicators each has, the city's list first, then 耀都, then the
-- rest by id (the order the plan office reads them in). No figures: the same for every scope.
select m.plan_id, coalesce(any_value(m.plan_name), m.plan_id) as plan_name,
       count(distinct m.measure_no) as measures,
       (select count(*) from plan_indicators i where i.plan_id = m.plan_id) as indicators
from plan_measures m
group by m.plan_id
order by case m.plan_id when 'city_list_2025' then 0 when 'yaodu_2025' then 1 else 2 end, m.plan_id
