-- A county's own target for a plan indicator: landed plan-file rows that name a county (区县代码, 6 or 12
-- digits), the latest landing winning. A county's view judges the county against it; without one, the
-- city's target is shown for reference only (warehouse/queries/targets.py). Baseline and deadline fall
-- back to the city row's.
-- A plan file from before a division change names the county's old code: it counts under today's (区划调整).
with named as (
    select p.*, l.landed_at, rpad(substr(trim(p.county_code), 1, 6), 12, '0') as given_code
    from raw_plan_indicators p
    join load_log l on l.load_id = p.load_id and l.source = 'plan_indicators' and l.is_current
    where nullif(trim(p.county_code), '') is not null
),

landed as (
    select
        lower(p.plan_id) as plan_id, p.measure_no, p.indicator,
        coalesce(m.current_code, p.given_code) as county_code,
        p.target, p.baseline, p.baseline_date, p.deadline,
        row_number() over (partition by lower(p.plan_id), p.measure_no, p.indicator,
                                        coalesce(m.current_code, p.given_code)
                           order by p.landed_at desc, p.period desc) as rn
    from named p
    left join region_current m on m.region_code = p.given_code
)

select
    l.plan_id, l.measure_no, l.indicator, l.county_code,
    l.target::double as target,
    coalesce(l.baseline, i.baseline)::double as baseline,
    coalesce(l.baseline_date, i.baseline_date)::date as baseline_date,
    coalesce(l.deadline, i.deadline)::date as deadline
from landed l
join plan_indicators i using (plan_id, measure_no, indicator)
where l.rn = 1
