-- Risk-level changes between consecutive surveys, per street (the street of the later survey; for
-- children who left the ledger, the street of the earlier one). Aggregate: no person_key.
with source as (
    select period, period_end, person_key, county_code, street_code, risk_level from stg_key_children
),

periods as (
    select period, period_end, lag(period) over (order by period_end) as previous_period
    from (select distinct period, period_end from source)
),

schemes as (
    select risk_level, rank::integer as risk_rank from cfg_risk_schemes
),

cur as (
    select p.period, p.previous_period, s.person_key, s.county_code, s.street_code, s.risk_level
    from periods p join source s on s.period = p.period
    where p.previous_period is not null
),

prev as (
    select p.period, p.previous_period, s.person_key, s.county_code, s.street_code, s.risk_level
    from periods p join source s on s.period = p.previous_period
),

-- period and previous_period name one pair of surveys in both: a child is matched within the pair.
joined as (
    select
        period, previous_period,
        coalesce(c.county_code, b.county_code) as county_code, coalesce(c.street_code, b.street_code) as street_code,
        b.risk_level as from_level, c.risk_level as to_level, sb.risk_rank as from_rank, sc.risk_rank as to_rank
    from cur c
    full join prev b using (period, previous_period, person_key)
    left join schemes sb on sb.risk_level = b.risk_level
    left join schemes sc on sc.risk_level = c.risk_level
),

final as (
    select
        period,
        previous_period,
        county_code,
        street_code,
        coalesce(from_level, '（新增）') as from_level,
        coalesce(to_level, '（退出）') as to_level,
        case
            when from_level is null then '新增'
            when to_level is null then '退出'
            when to_rank < from_rank then '升高'
            when to_rank > from_rank then '降低'
            else '不变'
        end as change,
        count(*) as children
    from joined
    group by all
)

select * from final
