-- Composite service-gap index per reporting period, county and street:
--   index = 100 × Σ(weight × gap_share) / Σ(weight), over the gaps that have a standard and a weight
-- (config/gap_weights.csv → cfg_gap_weights). 0 = every standard met; 100 = nothing provided anywhere.
-- rank: 1 = largest index among the counties, or among the county's streets.
with gaps as (
    select * from gap_by_area where has_standard and gap_share is not null
),

weights as (
    select gap_id, weight::double as weight from cfg_gap_weights where weight > 0
),

combined as (
    select
        g.period, g.level, g.area_code, g.area_name, g.county_code, g.county_name, g.street_code,
        g.is_urban_core, g.area_group, g.area_type,
        100 * sum(w.weight * g.gap_share) / sum(w.weight) as gap_index,
        count(*) as gaps_counted,
        sum(w.weight) as weight_total
    from gaps g
    join weights w on w.gap_id = g.gap_id
    group by all
),

final as (
    select
        *,
        rank() over (
            partition by period, level, case when level = 'street' then county_code else 'all' end
            order by gap_index desc
        ) as rank
    from combined
)

select * from final
