-- 预防接种记录（卫健委）: vaccinations (national immunisation programme). Kind: events, one month per period.
select * exclude (today, load_id) replace (today.code as street_code),
    age_at(birth_date, period_end) as age_years, age_band(age_years) as age_band,
    today.county as county_code, load_id
from in_force_today('raw_vaccinations', street_code)
