-- 常住人口（分街道）（统计局）: resident population by street (denominators). Kind: snapshot, one year per period.
-- One row per period and street of today's codes: streets merged since a year's figures were landed count as
-- the street they form, their figures summed (区划调整: marts/region_current.sql).
with renamed as (
    select *, today.code as today_code, today.county as county_code
    from in_force_today('raw_population', street_code)
),

final as (
    select
        period,
        period_start,
        period_end,
        today_code as street_code,
        -- the file's own name of today's street where it lists it, else of one of the streets merged
        arg_max(street_name, street_code = today_code) as street_name,
        sum(residents)::bigint as residents,
        sum(residents_0_3)::bigint as residents_0_3,
        sum(residents_3_6)::bigint as residents_3_6,
        sum(residents_6_12)::bigint as residents_6_12,
        sum(residents_12_16)::bigint as residents_12_16,
        county_code,
        max(load_id) as load_id
    from renamed
    group by period, period_start, period_end, today_code, county_code
)

select * from final
