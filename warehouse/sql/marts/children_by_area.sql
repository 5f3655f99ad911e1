-- Children on the monitoring register, counted per period, street, age band, category and difficulty.
-- Feeds the overview headline, the county/age chart and the county table. No person-level columns.
with source as (
    select * from stg_civil_register
),

-- An older period's rows count under today's codes (撤县设区, streets merged): regions.current_code.
renamed as (
    select
        s.period,
        s.period_end,
        coalesce(c.current_code, s.county_code) as county_code,
        coalesce(t.current_code, s.street_code) as street_code,
        s.age_band,
        s.category,
        coalesce(s.in_difficulty, false) as in_difficulty
    from source s
    left join regions c on c.region_code = s.county_code
    left join regions t on t.region_code = s.street_code
),

final as (
    select
        period,
        period_end,
        county_code,
        street_code,
        age_band,
        category,
        in_difficulty,
        count(*) as children
    from renamed
    group by period, period_end, county_code, street_code, age_band, category, in_difficulty
)

select * from final
