-- 重点对象台账（民政局）: key-children ledger (一人一档, with risk level). Kind: snapshot, one half_year per period.
-- The guardian's name and phone are pii, kept in the person table: the rows carry guardian_relation only.
select * exclude (today, load_id) replace (today.code as community_code),
    age_at(birth_date, period_end) as age_years, age_band(age_years) as age_band,
    today.street as street_code, today.county as county_code, load_id
from in_force_today('raw_key_children', community_code)
