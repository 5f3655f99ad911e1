-- One gap for every county or street in scope, largest gap first within its county. supply_period and
-- demand_period name the landing each side comes from; the units say which side counts people (人).
-- A level other than county or street is an error, not an empty table.
with asked as (
    select case when $level in ('county', 'street') then $level
                else error('层级应为 county 或 street / level must be ''county'' or ''street''') end as level
)
select g.area_code, g.area_name, g.county_code, g.county_name, g.area_group, g.area_type, g.supply, g.demand,
       g.ratio, g.standard_value, g.required, g.shortfall, g.gap_share, g.rank, g.supply_name, g.demand_name,
       g.unit, g.per, g.has_standard, g.supply_period, g.demand_period, g.supply_unit, g.demand_unit
from gap_by_area g
join asked a on g.level = a.level
where g.period = $period and g.gap_id = $gap_id and in_scope(g.area_code, $scope)
order by g.county_code, g.rank, g.area_code
