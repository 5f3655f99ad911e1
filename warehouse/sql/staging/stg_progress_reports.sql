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
        region_code,
        report_date,
        value,
        unit,
        note,
        street_of(region_code) as street_code,
        county_of(region_code) as county_code,
        load_id
    from source
)

select * from renamed
