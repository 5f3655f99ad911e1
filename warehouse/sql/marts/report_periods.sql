-- Half-year reporting periods seen in the register or the key-children ledger, with the period before
-- each one, so pages can compare "this period" with "the previous period" without date arithmetic.
with source as (
    select distinct period, period_start, period_end, 'register' as feed from stg_civil_register
    union all
    select distinct period, period_start, period_end, 'key_children' as feed from stg_key_children
),

renamed as (
    select
        period,
        min(period_start) as period_start,
        max(period_end) as period_end,
        bool_or(feed = 'register') as has_register,
        bool_or(feed = 'key_children') as has_key_children
    from source
    group by period
),

final as (
    select
        period,
        period_start,
        period_end,
        lag(period) over (order by period_end, period) as previous_period,
        has_register,
        has_key_children,
        period_end = max(period_end) over () as is_latest
    from renamed
)

select * from final
