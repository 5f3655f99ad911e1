-- Children on the monitoring register, counted per period, street, age band, category and difficulty.
-- Feeds the overview headline, the county/age chart and the county table. No person-level columns.
-- An older period's rows already carry today's codes (区划调整): the staging models map them (region_current).
select
    period, period_end, county_code, street_code, age_band, category,
    coalesce(in_difficulty, false) as in_difficulty,
    count(*) as children
from stg_civil_register
group by all
