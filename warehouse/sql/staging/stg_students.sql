-- 学籍信息（学生学籍）（教育局）: student-status register. Kind: snapshot, one half_year per period.
with source as (
    select * from raw_students
    where load_id in (select load_id from load_log where source = 'students' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        person_key,
        school_code,
        school_name,
        stage,
        grade,
        school_type,
        coalesce(m.current_code, s.street_code) as street_code,
        is_migrant,
        birth_date,
        sex,
        age_at(birth_date, period_end) as age_years,
        age_band(age_at(birth_date, period_end)) as age_band,
        coalesce(m.county_code, county_of(s.street_code)) as county_code,
        load_id
    from source s
    -- an older period's codes count under today's (区划调整: marts/region_current.sql)
    left join region_current m on m.region_code = s.street_code
)

select * from renamed
