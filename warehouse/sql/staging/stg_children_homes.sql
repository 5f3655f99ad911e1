-- 儿童之家及未成年人保护工作站（民政局）: children's homes and protection stations. Kind: snapshot, one year per period.
select * exclude (today, load_id) replace (today.code as region_code),
    today.street as street_code, today.county as county_code, load_id
from in_force_today('raw_children_homes', region_code)
