-- 结对帮扶（1+X）（妇联）: volunteer–child pairings. Kind: snapshot, one month per period.
select * exclude (load_id),
    age_at(birth_date, period_end) as age_years, age_band(age_years) as age_band,
    load_id
from in_force('raw_pairings')
