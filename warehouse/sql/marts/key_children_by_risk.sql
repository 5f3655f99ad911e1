-- Key children (一人一档) counted per period, street, risk level and key type.
-- Scheme, rank (1 = most urgent) and the high-risk flag come from config/risk_schemes.csv (cfg_risk_schemes):
-- Jiangsu's four colours (DB32/T 4361-2022) or a five-grade scheme, as a deployment configures them.
with source as (
    select * from stg_key_children
),

renamed as (
    select
        k.period,
        k.period_end,
        k.county_code,
        k.street_code,
        k.risk_level,
        r.scheme as risk_scheme,
        r.rank as risk_rank,
        r.is_high_risk,
        k.key_type
    from source k
    left join cfg_risk_schemes r on r.risk_level = k.risk_level
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
        is_high_risk,
        key_type,
        count(*) as children
    from renamed
    group by period, period_end, county_code, street_code, risk_level, risk_scheme, risk_rank, is_high_risk, key_type
)

select * from final
