-- 0—6岁儿童健康档案（卫健委）: child health records (0–6). Kind: snapshot, one quarter per period.
select * exclude (today, load_id) replace (today.code as street_code),
    age_at(birth_date, period_end) as age_years, age_band(age_years) as age_band,
    today.county as county_code, load_id
from in_force_today('raw_health_records', street_code)
