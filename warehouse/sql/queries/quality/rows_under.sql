-- Rows in force of the landed extracts whose division code lies in each region named by its prefix (980421:
-- every code of that county): prefix, source, rows; a row under two of the prefixes counts under both. With
-- $latest_only, each extract's latest landed period only (whether a county has rows this period).
-- Read from raw_<source> at page time, not from the load log: a whole-period landing records no areas. The
-- extracts that place rows by a division code are listed here, each with its contract's division column
-- (tests/test_catalogue_quality.py keeps the list equal to the contracts): a table name is never built in
-- Python. Rows of files, not people by area, and no scope: the callers pass prefixes already in scope.
with usage as (
    select 'activities' as source, period, region_code as code from raw_activities
    union all
    select 'childcare' as source, period, street_code as code from raw_childcare
    union all
    select 'children_homes' as source, period, region_code as code from raw_children_homes
    union all
    select 'civil_register' as source, period, community_code as code from raw_civil_register
    union all
    select 'directors' as source, period, region_code as code from raw_directors
    union all
    select 'disabled_children' as source, period, street_code as code from raw_disabled_children
    union all
    select 'health_records' as source, period, street_code as code from raw_health_records
    union all
    select 'key_children' as source, period, community_code as code from raw_key_children
    union all
    select 'population' as source, period, street_code as code from raw_population
    union all
    select 'progress_reports' as source, period, region_code as code from raw_progress_reports
    union all
    select 'residence_permits' as source, period, community_code as code from raw_residence_permits
    union all
    select 'school_places' as source, period, street_code as code from raw_school_places
    union all
    select 'students' as source, period, street_code as code from raw_students
    union all
    select 'vaccinations' as source, period, street_code as code from raw_vaccinations
    union all
    select 'visits' as source, period, community_code as code from raw_visits
    union all
    select 'volunteer_teams' as source, period, street_code as code from raw_volunteer_teams
),
wanted as (select distinct unnest($prefixes) as prefix),
widths as (select distinct length(prefix) as n from wanted),
kept as (  -- rows per code first: the prefix join then meets thousands of codes, not millions of rows
    select source, code, count(*) as n from usage
    where not $latest_only or (source, period) in (select source, latest_period from dq_sources)
    group by all
)
select w.prefix, u.source, sum(u.n)::bigint as rows
from kept u
cross join widths k
join wanted w on w.prefix = left(u.code, k.n)  -- one equality join per prefix length
group by all
order by w.prefix, u.source
