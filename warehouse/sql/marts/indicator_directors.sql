-- Communities (村/社区) with at least one children's director (model director_coverage), per county and
-- roster period: communities of the region table, and how many have a 儿童主任 on the roster.
with source as (
    select distinct period_end as value_date from stg_directors
),

communities as (
    select region_code, county_code from regions where level = 'community'
),

covered as (
    select distinct period_end as value_date, region_code from stg_directors where role = '儿童主任'
),

final as (
    select
        'director_coverage' as model,
        c.county_code,
        d.value_date,
        count(distinct v.region_code)::bigint as numerator,
        count(distinct c.region_code)::bigint as denominator
    from source d
    cross join communities c
    left join covered v on v.value_date = d.value_date and v.region_code = c.region_code
    group by all
)

select *, round(100.0 * numerator / nullif(denominator, 0), 2) as value from final
