-- Public-school share of migrant pupils in compulsory education (model public_school_share), per county
-- (of the school) and student-register period: migrant pupils in 小学/初中, and how many attend a 公办 school.
with source as (
    select period_end as value_date, county_code, person_key, school_type
    from stg_students
    where is_migrant and stage in ('小学', '初中') and county_code is not null
),

final as (
    select
        'public_school_share' as model,
        county_code,
        value_date,
        count(distinct case when school_type = '公办' then person_key end)::bigint as numerator,
        count(distinct person_key)::bigint as denominator
    from source
    group by all
)

select *, round(100.0 * numerator / nullif(denominator, 0), 2) as value from final
