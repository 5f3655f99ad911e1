-- The region dimension: province → city → county → street → community, from the landed division table.
-- Codes may change over the years (区划调整): every code ever landed is kept, with its newest name; a code the
-- landed change tables retire says so (is_retired) and names the code its rows count under today (current_code:
-- its successor once the region table holds it, itself otherwise; none for a code split into several).
-- is_listed: what selectors and area lists offer (not a code retired for a successor the table holds; a split
-- code stays listed, its rows have no single successor).
with source as (
    select * from stg_regions
),

latest as (
    select *
    from source
    qualify row_number() over (partition by region_code order by period desc) = 1
),

renamed as (
    select
        region_code,
        region_name,
        level,
        parent_code,
        area_type,
        area_km2,
        lon,
        lat,
        list_position(['province', 'city', 'county', 'street', 'community'], level) as level_rank,
        case when level in ('county', 'street', 'community') then substr(region_code, 1, 6) || '000000' end
            as county_code,
        case when level in ('street', 'community') then substr(region_code, 1, 9) || '000' end as street_code
    from latest
),

final as (
    select
        r.region_code,
        r.region_name,
        r.level,
        -- The table's top regions have no parent in it (a city's own table has no province row): a parent
        -- derived from the code stays out; any other region's parent must be in the table (checked).
        case when r.level_rank > (select min(level_rank) from renamed)
              or exists (select 1 from renamed p where p.region_code = r.parent_code) then r.parent_code end
            as parent_code,
        r.county_code,
        c.region_name as county_name,
        r.street_code,
        s.region_name as street_name,
        r.area_type,
        c.area_type as county_type,
        coalesce(c.area_type = '主城区', false) as is_urban_core,
        r.area_km2,
        r.lon,
        r.lat,
        case
            when m.old_code is null then r.region_code
            when m.is_split then null
            when exists (select 1 from renamed x where x.region_code = m.current_code) then m.current_code
            else r.region_code
        end as current_code,
        m.old_code is not null as is_retired
    from renamed r
    left join renamed c on c.region_code = r.county_code
    left join renamed s on s.region_code = r.street_code
    left join region_code_map m on m.old_code = r.region_code
)

select *, coalesce(current_code, region_code) = region_code as is_listed from final
