-- 儿童之家及未成年人保护工作站（民政局）: children's homes and protection stations. Kind: snapshot, one year per period.
with source as (
    select * from raw_children_homes
    where load_id in (select load_id from load_log where source = 'children_homes' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        facility_id,
        facility_name,
        facility_type,
        coalesce(m.current_code, s.region_code) as region_code,
        street_name,
        community_name,
        area_m2,
        opened_date,
        is_active,
        coalesce(m.street_code, street_of(s.region_code)) as street_code,
        coalesce(m.county_code, county_of(s.region_code)) as county_code,
        load_id
    from source s
    -- an older period's codes count under today's (区划调整: marts/region_current.sql)
    left join region_current m on m.region_code = s.region_code
)

select * from renamed
