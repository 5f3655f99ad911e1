-- 志愿服务活动记录（妇联）: volunteer activities (monthly sheet). Kind: events, one month per period.
select * exclude (today, load_id) replace (today.code as region_code),
    today.street as street_code, today.county as county_code, load_id
from in_force_today('raw_activities', region_code)
