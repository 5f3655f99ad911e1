-- 行动计划目标进展报告（各成员单位）: action-plan indicator progress reports. Kind: events, one quarter per period.
with source as (
    select * from raw_progress_reports
    where load_id in (select load_id from load_log where source = 'progress_reports' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        plan_id,
        measure_no,
        indicator,
        department,
        coalesce(m.current_code, s.region_code) as region_code,
        report_date,
        value,
        unit,
        note,
        coalesce(m.street_code, street_of(s.region_code)) as street_code,
        coalesce(m.county_code, county_of(s.region_code)) as county_code,
        load_id
    from source s
    -- an older period's codes count under today's (区划调整: marts/region_current.sql)
    left join region_current m on m.region_code = s.region_code
)

select * from renamed
