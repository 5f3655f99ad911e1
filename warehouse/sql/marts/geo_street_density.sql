-- The map's street figures: children on the register per period, street, age band ('all' = 0-16) and
-- category (流动儿童, 留守儿童, and 困境儿童 = in difficulty, of either category), with the denominators
-- the page divides by, so every metric is read, not computed from raw facts per request.
-- Every street of the region table appears (zero where nobody is registered) so every street is drawn, but a
-- street retired for one the table holds (区划调整: merged, renumbered) does not: its rows count under today's.
-- residents: resident population (stg_population) of the latest population year starting on or before
-- the period's end (else the earliest); child_residents: residents of that age band (all = under 16).
-- area_km2: the current boundary's area, else the region table's.
with periods as (
    select period, period_end, previous_period from report_periods where has_register
),

streets as (
    select r.region_code as street_code, r.region_name as street_name, r.county_code, r.county_name,
           coalesce(b.area_km2, r.area_km2) as area_km2
    from regions r
    left join boundaries b on b.region_code = r.region_code and b.is_current
    where r.level = 'street' and r.is_listed
),

bands as (
    select unnest(['0-3', '3-6', '6-12', '12-16', 'all']) as age_band
),

categories as (
    select unnest(['流动儿童', '留守儿童', '困境儿童']) as category
),

with_all as (
    select * from register_counts(stg_civil_register, street_code)
),

population as (
    select
        p.period,
        pop.street_code,
        pop.residents,
        pop.residents_0_3,
        pop.residents_3_6,
        pop.residents_6_12,
        pop.residents_12_16
    from periods p
    join stg_population pop on true
    qualify dense_rank() over (
        partition by p.period
        order by (pop.period_start <= p.period_end) desc,
                 case when pop.period_start <= p.period_end then pop.period_start end desc,
                 pop.period_start
    ) = 1
),

grid as (
    select p.period, p.period_end, p.previous_period, s.*, b.age_band, c.category
    from periods p
    cross join streets s
    cross join bands b
    cross join categories c
),

final as (
    select
        g.period,
        g.period_end,
        g.previous_period,
        g.county_code,
        g.county_name,
        g.street_code,
        g.street_name,
        g.age_band,
        g.category,
        coalesce(w.children, 0)::bigint as children,
        case when g.previous_period is not null then coalesce(prev.children, 0)::bigint end as previous_children,
        g.area_km2,
        pop.residents,
        case g.age_band
            when '0-3' then pop.residents_0_3
            when '3-6' then pop.residents_3_6
            when '6-12' then pop.residents_6_12
            when '12-16' then pop.residents_12_16
            else pop.residents_0_3 + pop.residents_3_6 + pop.residents_6_12 + pop.residents_12_16
        end as child_residents
    from grid g
    left join with_all w
        on w.period = g.period and w.area_code = g.street_code and w.age_band = g.age_band
        and w.category = g.category
    left join with_all prev
        on prev.period = g.previous_period and prev.area_code = g.street_code and prev.age_band = g.age_band
        and prev.category = g.category
    left join population pop on pop.period = g.period and pop.street_code = g.street_code
)

select
    *,
    children / nullif(area_km2, 0) as per_km2,
    1000.0 * children / nullif(residents, 0) as per_1000_residents,
    children / nullif(child_residents, 0) as share_of_under16
from final
