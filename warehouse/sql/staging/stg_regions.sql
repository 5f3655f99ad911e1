-- 行政区划代码表（统计局/民政局）: administrative divisions (region dimension). Kind: snapshot, one year per period.
with source as (
    select * from raw_regions
    where load_id in (select load_id from load_log where source = 'regions' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        region_code,
        region_name,
        level,
        parent_code,
        area_type,
        area_km2,
        lon,
        lat,
        load_id
    from source
)

select * from renamed
