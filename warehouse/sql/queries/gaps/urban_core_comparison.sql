-- 主城区 against 县域 for every gap, summed over the counties in scope, plus each group's composite index
-- (gap_id 'index', gap_share = the weighted index / 100): whether the urban core or the counties lag.
with grouped as (
    select area_group, gap_id, any_value(gap_name) as gap_name, any_value(per) as per,
           any_value(supply_unit) as supply_unit, any_value(demand_unit) as demand_unit,
           bool_or(has_standard) as has_standard, count(*) as counties,
           sum(supply) as supply, sum(demand) as demand, sum(required) as required,
           sum(shortfall)::bigint as shortfall
    from gap_by_area
    where period = $period and level = 'county' and in_scope(area_code, $scope)
    group by area_group, gap_id
),
scored as (
    select *,
           case when demand > 0 then supply / demand * per end as ratio,
           case when has_standard and required > 0 then least(1, greatest(0, required - supply) / required)
                when has_standard then 0 end as gap_share
    from grouped
),
indexed as (
    select s.area_group, 'index' as gap_id, '综合缺口指数' as gap_name, max(s.counties) as counties,
           null::double as supply, null::double as demand, null::double as ratio, null::double as required,
           null::bigint as shortfall,
           sum(w.weight * s.gap_share) / sum(w.weight) as gap_share, null::varchar as supply_unit,
           null::varchar as demand_unit
    from scored s
    join cfg_gap_weights w on w.gap_id = s.gap_id and w.weight > 0
    where s.gap_share is not null
    group by s.area_group
)
select area_group, gap_id, gap_name, counties, supply, demand, ratio, required, shortfall, gap_share,
       supply_unit, demand_unit
from scored
union all
select * from indexed
order by gap_id, area_group
