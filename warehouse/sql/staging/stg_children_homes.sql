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
        region_code,
        street_name,
        community_name,
        area_m2,
        opened_date,
        is_active,
        street_of(region_code) as street_code,
        county_of(region_code) as county_code,
        load_id
    from source
)

select * from renamed
