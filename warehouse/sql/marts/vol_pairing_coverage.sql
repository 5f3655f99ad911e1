-- Share of key children with an active pairing, per community. Aggregate: no person_key.
with source as (
    select * from vol_children
),

final as (
    select
        county_code,
        street_code,
        community_code,
        count(*) as key_children,
        count(*) filter (where is_paired) as paired
    from source
    group by all
)

select * from final
