-- Every measure (措施/任务) of every plan with its lead departments: the reference catalogues
-- (尧都 measures, 常州 tasks, the city list's measures) plus measures that only a landed plan file names.
with source as (
    select plan_id, section as area, measure_no, measure, lead_departments, cadence_or_target as rule_text
    from ref_yaodu_2025_measures
    union all
    select plan_id, action as area, task_no as measure_no, task as measure, lead_departments,
           numeric_targets as rule_text
    from ref_changzhou_2024_tasks
    union all
    select plan_id, area, measure_no, measure, lead_departments, null as rule_text
    from ref_city_list_2025_measures
),

from_plans as (
    select plan_id, any_value(area) as area, measure_no,
           coalesce(any_value(measure), measure_no) as measure,
           string_agg(distinct lead_department, ';' order by lead_department) as lead_departments,
           null as rule_text
    from plan_indicators
    where origin = '导入计划表'
      and not exists (select 1 from source s where s.plan_id = plan_indicators.plan_id
                      and s.measure_no = plan_indicators.measure_no)
    group by plan_id, measure_no
),

renamed as (
    select plan_id, area, measure_no, measure, lead_departments, nullif(rule_text, '') as rule_text,
           '参考目录' as origin from source
    union all
    select *, '导入计划表' as origin from from_plans
),

final as (
    select
        r.*,
        case when regexp_full_match(r.measure_no, '[0-9]+') then '1' else '0' end
            || regexp_replace(r.measure_no, '[0-9]+', '')
            || lpad(coalesce(nullif(regexp_extract(r.measure_no, '[0-9]+'), ''), '0'), 4, '0') as measure_order,
        p.plan_name
    from renamed r
    left join ref_plans p using (plan_id)
)

select
    *,
    min(measure_order) over (partition by plan_id, area) as area_order
from final
