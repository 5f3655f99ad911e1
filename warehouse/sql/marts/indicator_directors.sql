-- Communities (村/社区) with at least one children's director (model director_coverage), per county and
-- roster period: communities of the region table, and how many have a 儿童主任 on the roster.
with source as (
    select distinct period_end as value_date from stg_directors
),

-- Communities under today's codes: one retired for one the table holds (区划调整) is counted once, as today's.
communities as (
    select m.region_code, m.county_code
    from regions r
    join region_current m on m.region_code = r.region_code
    where r.level = 'community' and m.current_code = r.region_code
),

covered as (
    select distinct period_end as value_date, region_code from stg_directors where role = '儿童主任'
),

counted as (
    select d.value_date, c.county_code, c.region_code as unit, v.region_code is not null as met
    from source d
    cross join communities c
    left join covered v on v.value_date = d.value_date and v.region_code = c.region_code
)

select * from indicator_rates('director_coverage', counted)
