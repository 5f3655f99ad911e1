-- Service gaps per reporting period, county and street: every standard of config/standards.csv
-- (cfg_standards) applied to its numerator (supply) and denominator (demand) from gap_measures.
--   ratio     = supply / demand × per                    (e.g. 托位 per 1,000 residents)
--   required  = standard_value × demand / per            (what the standard asks for)
--   shortfall = max(0, ceil(required − supply))           (in units: places, directors, homes, children)
--   gap_share = max(0, required − supply) / required     (0 = standard met, 1 = nothing there)
-- A standard without a value shows the ratio only (shortfall, gap_share null). County figures use the
-- county's totals, so a surplus in one street offsets a lack in another; street shortfalls need not add up.
-- rank: 1 = largest gap among the counties (county level) or among the county's streets (street level).
with standards as (
    select * from cfg_standards
),

measures as (
    select * from gap_measures
),

joined as (
    select
        n.period,
        n.level,
        n.area_code,
        n.county_code,
        n.street_code,
        s.gap_id,
        s.gap_name,
        s.family,
        s.unit,
        s.basis,
        s.per::double as per,
        s.standard_value::double as standard_value,
        s.source,
        n.measure_label as supply_name,
        d.measure_label as demand_name,
        n.measure_unit as supply_unit,
        d.measure_unit as demand_unit,
        n.value as supply,
        d.value as demand,
        n.source_period as supply_period,
        d.source_period as demand_period
    from standards s
    join measures n on n.measure = s.numerator
    join measures d on d.measure = s.denominator
        and d.period = n.period and d.level = n.level and d.area_code = n.area_code
),

computed as (
    select
        *,
        standard_value is not null as has_standard,
        case when demand > 0 then supply / demand * per end as ratio,
        standard_value * demand / per as required
    from joined
),

scored as (
    select
        *,
        case when has_standard then greatest(0, ceil(round(required - supply, 6)))::bigint end as shortfall,
        case when has_standard and required > 0 then least(1, greatest(0, required - supply) / required)
             when has_standard then 0 end as gap_share,
        case when level = 'street' then county_code else 'all' end as rank_group
    from computed
),

final as (
    select
        s.period, s.level, s.area_code, r.region_name as area_name, s.county_code, c.region_name as county_name,
        s.street_code, coalesce(c.is_urban_core, false) as is_urban_core,
        case when coalesce(c.is_urban_core, false) then '主城区' else '县域' end as area_group,
        coalesce(r.area_type, c.area_type) as area_type,
        s.gap_id, s.gap_name, s.family, s.unit, s.basis, s.per, s.standard_value, s.has_standard, s.source,
        s.supply_name, s.demand_name, s.supply_unit, s.demand_unit, s.supply, s.demand, s.supply_period, s.demand_period,
        s.ratio, s.required, s.shortfall, s.gap_share,
        rank() over (
            partition by s.period, s.level, s.rank_group, s.gap_id
            order by s.gap_share desc nulls last, s.shortfall desc nulls last, s.ratio asc nulls last
        ) as rank
    from scored s
    left join regions r on r.region_code = s.area_code
    left join regions c on c.region_code = s.county_code
)

select * from final
