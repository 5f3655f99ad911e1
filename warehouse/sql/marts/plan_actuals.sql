-- Every actual value of every indicator, per county and date: computed indicators from the indicator_*
-- marts (numerator/denominator), reported ones from departments' progress reports (value, department, date).
with computed as (
    select * from indicator_health_records
    union all by name select * from indicator_visits
    union all by name select * from indicator_directors
    union all by name select * from indicator_students
    union all by name select * from indicator_care_agreements
),

reported as (
    select lower(plan_id) as plan_id, measure_no, indicator, county_code, report_date, period, period_end,
           value, department
    from stg_progress_reports
),

final as (
    select i.plan_id, i.measure_no, i.indicator, 'computed' as kind, c.county_code, c.value_date,
           null::varchar as period, c.numerator, c.denominator, c.value::double as value,
           null::varchar as department
    from plan_indicators i
    join computed c on c.model = i.model
    where i.kind = 'computed'
    union all
    select i.plan_id, i.measure_no, i.indicator, 'reported' as kind, r.county_code, r.report_date as value_date,
           r.period, null::bigint as numerator, null::bigint as denominator, r.value, r.department
    from plan_indicators i
    join reported r on r.plan_id = i.plan_id and r.measure_no = i.measure_no and r.indicator = i.indicator
    where i.kind = 'reported'
)

select * from final
