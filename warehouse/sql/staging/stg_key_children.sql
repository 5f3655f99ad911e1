-- 重点对象台账（民政局）: key-children ledger (一人一档, with risk level). Kind: snapshot, one half_year per period.
with source as (
    select * from raw_key_children
    where load_id in (select load_id from load_log where source = 'key_children' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        person_key,
        coalesce(m.current_code, s.community_code) as community_code,
        street_name,
        community_name,
        key_type,
        risk_level,
        director_id,
        survey_date,
        has_care_agreement,
        guardian_relation,  -- the guardian's name and phone are pii: person table only
        school_name,
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
