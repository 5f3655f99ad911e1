-- 常住人口（分街道）（统计局）: resident population by street (denominators). Kind: snapshot, one year per period.
with source as (
    select * from raw_population
    where load_id in (select load_id from load_log where source = 'population' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        street_code,
        street_name,
        residents,
        residents_0_3,
        residents_3_6,
        residents_6_12,
        residents_12_16,
        county_of(street_code) as county_code,
        load_id
    from source
)

select * from renamed
