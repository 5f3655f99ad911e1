-- 社会救助（低保、特困、临时救助）（民政局）: social assistance to families with children. Kind: snapshot, one month per period.
select * exclude (load_id),
    age_at(birth_date, period_end) as age_years, age_band(age_years) as age_band,
    load_id
from in_force('raw_assistance')
