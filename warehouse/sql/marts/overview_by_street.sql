-- The overview's counts per period and street: register children by category and difficulty, and key
-- children with the high-risk share, joined once here so no page request joins them again.
with register as (
    select
        period,
        county_code,
        street_code,
        sum(children) as children,
        sum(children) filter (where category = '流动儿童') as migrant,
        sum(children) filter (where category = '留守儿童') as left_behind,
        sum(children) filter (where in_difficulty) as in_difficulty
    from children_by_area
    group by period, county_code, street_code
),

keyed as (
    select
        period,
        county_code,
        street_code,
        sum(children) as key_children,
        sum(children) filter (where is_high_risk) as high_risk
    from key_children_by_risk
    group by period, county_code, street_code
),

final as (
    select
        coalesce(r.period, k.period) as period,
        coalesce(r.county_code, k.county_code) as county_code,
        coalesce(r.street_code, k.street_code) as street_code,
        coalesce(r.children, 0)::bigint as children,
        coalesce(r.migrant, 0)::bigint as migrant,
        coalesce(r.left_behind, 0)::bigint as left_behind,
        coalesce(r.in_difficulty, 0)::bigint as in_difficulty,
        coalesce(k.key_children, 0)::bigint as key_children,
        coalesce(k.high_risk, 0)::bigint as high_risk
    from register r
    full join keyed k
        on k.period = r.period and k.street_code = r.street_code
)

select * from final
