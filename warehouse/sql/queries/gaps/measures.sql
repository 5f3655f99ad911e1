-- Demand and supply figures per county or street in scope, long form (one row per area and measure), in
-- the measures' configured order. A level other than county or street is an error.
with asked as (
    select case when $level in ('county', 'street') then $level
                else error('层级应为 county 或 street / level must be ''county'' or ''street''') end as level
)
select m.area_code, r.region_name as area_name, m.measure, m.measure_label, m.measure_unit, m.side,
       m.source_period, m.value
from gap_measures m
join asked a on m.level = a.level
left join regions r on r.region_code = m.area_code
where m.period = $period and in_scope(m.area_code, $scope)
order by m.area_code, m.measure_order
