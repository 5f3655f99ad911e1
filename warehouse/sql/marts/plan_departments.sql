-- Measure × department (lead departments as written, ;-separated) with the canonical department of
-- config/departments.csv (longest matching name or alias at the end: 区教体局 → 教育局).
with source as (
    select plan_id, measure_no, trim(unnest(string_split(lead_departments, ';'))) as department_name
    from plan_measures
),

aliases as (
    select department, trim(alias) as alias
    from cfg_departments, unnest(list_prepend(department, string_split(coalesce(aliases, ''), ';'))) as t(alias)
    where trim(alias) <> ''
),

matched as (
    select s.plan_id, s.measure_no, s.department_name, arg_max(a.department, length(a.alias)) as known
    from source s
    left join aliases a on ends_with(s.department_name, a.alias)
    where s.department_name <> ''
    group by s.plan_id, s.measure_no, s.department_name
),

final as (
    select plan_id, measure_no, department_name, coalesce(known, department_name) as department,
           known is not null as is_known
    from matched
)

select * from final
