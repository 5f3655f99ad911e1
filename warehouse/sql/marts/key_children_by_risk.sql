-- Key children (一人一档) counted per period, street, risk level and key type.
-- risk_rank orders levels from most to least urgent in either scheme: the four colours
-- (红色 > 橙色 > 黄色 > 绿色, DB32/T 4361-2022) or five grades (一级 = most urgent).
-- is_high_risk marks the two most urgent levels (红色/橙色, 一级/二级).
with source as (
    select * from stg_key_children
),

renamed as (
    select
        period,
        period_end,
        county_code,
        street_code,
        risk_level,
        case
            when risk_level in ('红色', '橙色', '黄色', '绿色') then '四色'
            else '五级'
        end as risk_scheme,
        case risk_level
            when '红色' then 1 when '橙色' then 2 when '黄色' then 3 when '绿色' then 4
            when '一级' then 1 when '二级' then 2 when '三级' then 3 when '四级' then 4 when '五级' then 5
        end as risk_rank,
        key_type
    from source
),

final as (
    select
        period,
        period_end,
        county_code,
        street_code,
        risk_level,
        risk_scheme,
        risk_rank,
        risk_rank <= 2 as is_high_risk,
        key_type,
        count(*) as children
    from renamed
    group by period, period_end, county_code, street_code, risk_level, risk_scheme, risk_rank, key_type
)

select * from final
