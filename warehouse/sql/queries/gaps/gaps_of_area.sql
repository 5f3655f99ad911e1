-- Every gap for every county or street in scope (the full table behind the page, for download), by area,
-- gaps in configuration order. A level other than county or street is an error.
with asked as (
    select case when $level in ('county', 'street') then $level
                else error('层级应为 county 或 street / level must be ''county'' or ''street''') end as level
)
select g.area_code, g.area_name, g.county_name, g.area_group, g.gap_id, g.gap_name, g.family,
       g.supply_name, g.supply, g.demand_name, g.demand, g.ratio, g.basis, g.standard_value,
       g.required, g.shortfall, g.gap_share, g.rank, g.unit, g.source, g.supply_unit, g.demand_unit
from gap_by_area g
join asked a on g.level = a.level
join (select gap_id, row_number() over () as position from cfg_standards) s using (gap_id)
where g.period = $period and in_scope(g.area_code, $scope)
order by g.area_code, s.position
