-- Key children (一人一档) counted per period, street, risk level and key type.
-- Scheme, rank (1 = most urgent) and the high-risk flag come from config/risk_schemes.csv (cfg_risk_schemes):
-- Jiangsu's four colours (DB32/T 4361-2022) or a five-grade scheme, as a deployment configures them.
select
    k.period, k.period_end, k.county_code, k.street_code, k.risk_level,
    r.scheme as risk_scheme, r.rank as risk_rank, r.is_high_risk, k.key_type,
    count(*) as children
from stg_key_children k
left join cfg_risk_schemes r on r.risk_level = k.risk_level
group by all
