-- 走访记录（民政局）: visit records (contact and home visits). Kind: events, one month per period.
select * exclude (today, load_id) replace (today.code as community_code),
    age_at(birth_date, period_end) as age_years, age_band(age_years) as age_band,
    today.street as street_code, today.county as county_code, load_id
from in_force_today('raw_visits', community_code)
