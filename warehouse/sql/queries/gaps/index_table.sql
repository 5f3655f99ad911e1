-- The composite gap index per county or street in scope, largest first within its county: 100 × the
-- weighted mean of the gaps' shares (0 = every standard met). A level other than county or street is an error.
with asked as (
    select case when $level in ('county', 'street') then $level
                else error('层级应为 county 或 street / level must be ''county'' or ''street''') end as level
)
select g.area_code, g.area_name, g.county_code, g.county_name, g.area_group, g.area_type, g.gap_index,
       g.gaps_counted, g.rank
from gap_index g
join asked a on g.level = a.level
where g.period = $period and in_scope(g.area_code, $scope)
order by g.county_code, g.rank, g.area_code
