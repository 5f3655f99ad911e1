-- Key children per area (street or county, as $level says) and risk level over the scope, areas in code order and
-- within an area the highest risk first: the page pivots it into one row per area.
with areas as (
    select case $level when 'street' then l.street_code when 'county' then l.county_code
                else error('by_area_risk: level must be street or county / 层级应为街道或区县') end as area_code,
           l.risk_level, l.risk_rank, l.children
    from ledger_compliance l
    where in_scope(l.street_code, $scope)
)
select a.area_code, r.region_name as area_name, a.risk_level, sum(a.children)::bigint as children
from areas a
left join regions r on r.region_code = a.area_code
group by all
order by area_code, min(a.risk_rank)
