-- 城乡居民医保参保（未成年人）（医保局）: residents' medical insurance enrolment of children. Kind: snapshot, one year per period.
select * exclude (load_id),
    age_at(birth_date, period_end) as age_years, age_band(age_years) as age_band,
    load_id
from in_force('raw_medical_insurance')
