-- Public-school share of migrant pupils in compulsory education (model public_school_share), per county
-- (of the school) and student-register period: migrant pupils in 小学/初中, and how many attend a 公办 school.
with counted as (
    select period_end as value_date, county_code, person_key as unit, school_type = '公办' as met
    from stg_students
    where is_migrant and stage in ('小学', '初中') and county_code is not null
)

select * from indicator_rates('public_school_share', counted)
