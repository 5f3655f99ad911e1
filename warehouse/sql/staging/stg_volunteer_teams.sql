-- 志愿服务队伍（妇联）: volunteer teams (women's federation). Kind: snapshot, one year per period.
select * exclude (today, load_id) replace (today.code as street_code),
    today.county as county_code, load_id
from in_force_today('raw_volunteer_teams', street_code)
