-- 托育机构及托位（卫健委）: childcare institutions and places. Kind: snapshot, one quarter per period.
select * exclude (today, load_id) replace (today.code as street_code),
    today.county as county_code, load_id
from in_force_today('raw_childcare', street_code)
