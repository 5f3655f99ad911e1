-- 行动计划目标进展报告（各成员单位）: action-plan indicator progress reports. Kind: events, one quarter per period.
select * exclude (today, load_id) replace (today.code as region_code),
    today.street as street_code, today.county as county_code, load_id
from in_force_today('raw_progress_reports', region_code)
