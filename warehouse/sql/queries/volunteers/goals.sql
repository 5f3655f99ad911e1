-- The annual goals (config/volunteer_goals.csv) that concern the view, each with the region it was set for and
-- how it applies there: 'own' (set for exactly the region viewed: progress is measured against it), 'above'
-- (set for a larger region, e.g. the city's seen from a county: reference only, never the county's 100 %) or
-- 'below' (set for a part of the view, e.g. a county's seen city-wide). A blank region_code is the whole
-- deployment, and so is the region the deployment covers (the city's, in a one-city deployment), however the
-- view of everything is written ('' or the province's or the city's prefix). Goals of other regions are left out.
with deployment as (
    -- A prefix that all the deployment's counties start with stands for the whole deployment.
    select coalesce(list(distinct left(region_code, 6)), []) as counties from regions where level = 'county'
),
goals as (
    select g.measure, g.label, nullif(trim(g.region_code), '') as region_code,
           coalesce(r.region_name, '全部地区') as region_name, g.annual_goal::double as annual_goal, g.unit, g.source,
           g.region_code as sort_code
    from cfg_volunteer_goals g
    left join regions r on r.region_code = nullif(trim(g.region_code), '')
),
prefixed as (
    -- The goal's region as a scope prefix: trailing all-zero groups dropped (990100000000 → 9901), '' for none.
    select *, case
        when region_code is null then ''
        when length(region_code) not in (2, 4, 6, 9, 12) or not regexp_full_match(region_code, '[0-9]+')
            then error('volunteer_goals.csv: 无效的区划代码 invalid division code: ' || region_code)
        when ltrim(substr(region_code, 3), '0') = '' then left(region_code, 2)
        when ltrim(substr(region_code, 5), '0') = '' then left(region_code, 4)
        when ltrim(substr(region_code, 7), '0') = '' then left(region_code, 6)
        when ltrim(substr(region_code, 10), '0') = '' then left(region_code, 9)
        else region_code end as prefix
    from goals
),
wholes as (
    select p.*,
           p.prefix = '' or (len(d.counties) > 0
               and len(list_filter(d.counties, lambda c: starts_with(c, p.prefix))) = len(d.counties)) as for_all,
           $scope[1] = '' or (len(d.counties) > 0
               and len(list_filter(d.counties, lambda c: starts_with(c, $scope[1]))) = len(d.counties)) as view_all
    from prefixed p, deployment d
),
applied as (
    select *, case
        when len($scope) = 1 and (prefix = $scope[1] or (for_all and view_all)) then 'own'
        when len(list_filter($scope, lambda v: starts_with(v, prefix) or for_all)) = len($scope) then 'above'
        when in_scope(prefix, $scope) then 'below'
        end as applies
    from wholes
)
select measure, label, region_code, region_name, annual_goal, unit, source, applies
from applied
where applies is not null and len($scope) > 0
order by sort_code nulls first, measure
