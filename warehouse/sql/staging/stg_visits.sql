-- 走访记录（民政局）: visit records (contact and home visits). Kind: events, one month per period.
with source as (
    select * from raw_visits
    where load_id in (select load_id from load_log where source = 'visits' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        person_key,
        visit_date,
        visit_type,
        director_id,
        coalesce(m.current_code, s.community_code) as community_code,
        needs,
        birth_date,
        sex,
        age_at(birth_date, period_end) as age_years,
        age_band(age_at(birth_date, period_end)) as age_band,
        coalesce(m.street_code, street_of(s.community_code)) as street_code,
        coalesce(m.county_code, county_of(s.community_code)) as county_code,
        load_id
    from source s
    -- an older period's codes count under today's (区划调整: marts/region_current.sql)
    left join region_current m on m.region_code = s.community_code
)

select * from renamed
