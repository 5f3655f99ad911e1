-- Children on the monitoring register, counted per period, street, age band, category and difficulty.
-- Feeds the overview headline, the county/age chart and the county table. No person-level columns.
with source as (
    select * from stg_civil_register
),

-- An older period's rows already carry today's codes (区划调整): the staging models map them (region_current).
renamed as (
    select
        period,
        period_end,
        county_code,
        street_code,
        age_band,
        category,
        coalesce(in_difficulty, false) as in_difficulty
    from source
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
