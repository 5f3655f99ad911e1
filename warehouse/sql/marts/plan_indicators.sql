-- Action-plan indicators: the shipped reference/plan_indicators.csv, overridden by landed plan files
-- (source plan_indicators) row for row on (plan_id, measure_no, indicator); the latest landing wins.
with source as (
    select * from ref_plan_indicators
),

landed as (
    select
        lower(p.plan_id) as plan_id, p.plan_name, p.area, p.measure_no, p.measure, p.indicator, p.unit,
        coalesce(p.direction, '越高越好') as direction, p.baseline, p.baseline_date, p.target, p.deadline,
        p.lead_department, p.kind, nullif(trim(p.model), '') as model,
        case when p.kind = 'reported' then coalesce(p.cadence, '季度') end as cadence,
        case when p.kind = 'reported' then coalesce(p.reporting_start, p.baseline_date) end as reporting_start,
        p.note as source_note, '导入计划表' as origin, l.landed_at,
        row_number() over (partition by lower(p.plan_id), p.measure_no, p.indicator
                           order by l.landed_at desc, p.period desc) as rn
    from raw_plan_indicators p
    join load_log l on l.load_id = p.load_id and l.source = 'plan_indicators' and l.is_current
    where nullif(trim(p.county_code), '') is null  -- a county's own targets: plan_county_targets
),

renamed as (
    select
        s.plan_id, null::varchar as plan_name, s.area, s.measure_no, null::varchar as measure, s.indicator, s.unit,
        s.direction, s.baseline::double as baseline, s.baseline_date::date as baseline_date,
        s.target::double as target, s.deadline::date as deadline, s.lead_department, s.kind,
        nullif(trim(s.model), '') as model, nullif(trim(s.cadence), '') as cadence,
        s.reporting_start::date as reporting_start, s.source as source_note, '参考目录' as origin,
        null::timestamp as landed_at
    from source s
    where not exists (
        select 1 from landed l
        where l.rn = 1 and l.plan_id = s.plan_id and l.measure_no = s.measure_no and l.indicator = s.indicator
    )
),

final as (
    select * from renamed
    union all by name
    select * exclude (rn) from landed where rn = 1
)

select
    f.*,
    (select arg_max(department, length(alias)) from cfg_departments d, unnest(
        list_prepend(d.department, string_split(coalesce(d.aliases, ''), ';'))) as t(alias)
     where alias <> '' and ends_with(f.lead_department, alias)
     ) as department
from final f
