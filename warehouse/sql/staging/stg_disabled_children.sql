-- 残疾儿童及康复救助（残联）: disabled children and rehabilitation aid. Kind: snapshot, one half_year per period.
select * exclude (today, load_id) replace (today.code as street_code),
    age_at(birth_date, period_end) as age_years, age_band(age_years) as age_band,
    today.county as county_code, load_id
from in_force_today('raw_disabled_children', street_code)
