-- 儿童主任及儿童督导员花名册（民政局）: children's directors and supervisors roster. Kind: snapshot, one year per period.
select * exclude (today, load_id) replace (today.code as region_code),
    today.street as street_code, today.county as county_code, load_id
from in_force_today('raw_directors', region_code)
