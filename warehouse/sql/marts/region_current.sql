-- Every division code ever landed → the codes its rows count under today (区划调整: 撤县设区, streets merged or
-- renumbered), for the staging models: each joins this once on its division code, so every mart groups an
-- older period's rows under today's codes without a join of its own.
-- current_code: regions.current_code (a code split into several has no single successor and keeps its own).
-- street_code, county_code: the parents of that code, each taken to today's code in turn, since a change list
-- may name a street and not its communities (南门街道 merged into 澄江街道: its communities keep their codes
-- and count under 澄江街道).
with source as (
    select region_code, coalesce(current_code, region_code) as code
    from regions
),

streets as (
    select s.region_code, s.code, coalesce(t.current_code, street_of(s.code)) as street_code
    from source s
    left join regions t on t.region_code = street_of(s.code)
),

final as (
    select
        s.region_code,
        s.code as current_code,
        s.street_code,
        coalesce(c.current_code, county_of(coalesce(s.street_code, s.code))) as county_code
    from streets s
    left join regions c on c.region_code = county_of(coalesce(s.street_code, s.code))
)

select * from final
