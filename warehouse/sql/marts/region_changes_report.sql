-- Retired division codes (区划变更): each old code, its successor(s), the date, and how many rows in force of the
-- landed extracts still carry it (an older period's rows, or a file landed before the change table), by source.
-- For the setup and data-quality pages. The code columns read here are the contracts' division columns
-- (tests/test_regions_official.py checks that none is missing).
with usage as (
    select 'activities' as source, region_code as code from raw_activities
    union all
    select 'childcare' as source, street_code as code from raw_childcare
    union all
    select 'children_homes' as source, region_code as code from raw_children_homes
    union all
    select 'civil_register' as source, community_code as code from raw_civil_register
    union all
    select 'directors' as source, region_code as code from raw_directors
    union all
    select 'disabled_children' as source, street_code as code from raw_disabled_children
    union all
    select 'health_records' as source, street_code as code from raw_health_records
    union all
    select 'key_children' as source, community_code as code from raw_key_children
    union all
    select 'population' as source, street_code as code from raw_population
    union all
    select 'progress_reports' as source, region_code as code from raw_progress_reports
    union all
    select 'residence_permits' as source, community_code as code from raw_residence_permits
    union all
    select 'school_places' as source, street_code as code from raw_school_places
    union all
    select 'students' as source, street_code as code from raw_students
    union all
    select 'vaccinations' as source, street_code as code from raw_vaccinations
    union all
    select 'visits' as source, community_code as code from raw_visits
    union all
    select 'volunteer_teams' as source, street_code as code from raw_volunteer_teams
),

retired as (
    select * from region_code_map
),

-- A retired county is still in use by every row whose street or community code lies under it (a register
-- holds community codes): match by the digits that name the old region, not by the whole code. Derived
-- entries (the streets under a renumbered county) are counted under their county, not twice.
prefixes as (
    select
        old_code,
        case when substr(old_code, 3) = '0000000000' then left(old_code, 2)
             when substr(old_code, 5) = '00000000' then left(old_code, 4)
             when substr(old_code, 7) = '000000' then left(old_code, 6)
             when substr(old_code, 10) = '000' then left(old_code, 9)
             else old_code end as prefix
    from retired
    where not is_derived
),

counts as (
    select
        p.old_code as code,
        count(*) as rows_in_use,
        string_agg(distinct coalesce(s.title, u.source), '、' order by coalesce(s.title, u.source)) as sources_in_use
    from usage u
    join prefixes p on starts_with(u.code, p.prefix)
    left join sources s on s.source = u.source
    group by p.old_code
),

final as (
    select
        r.old_code,
        r.old_name,
        r.current_code,
        r.current_name,
        r.successor_codes,
        r.is_split,
        r.is_derived,
        r.effective_date,
        r.change_type,
        coalesce(c.rows_in_use, 0) as rows_in_use,
        c.sources_in_use,
        exists (select 1 from regions g where g.region_code = r.old_code) as in_region_table
    from retired r
    left join counts c on c.code = r.old_code
)

select * from final
order by rows_in_use desc, old_code
