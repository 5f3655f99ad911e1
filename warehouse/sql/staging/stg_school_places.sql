-- 学校及幼儿园学位（教育局）: school and kindergarten places. Kind: snapshot, one year per period.
select * exclude (today, load_id) replace (today.code as street_code),
    today.county as county_code, load_id
from in_force_today('raw_school_places', street_code)
