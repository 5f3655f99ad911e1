-- The map's finer picture: children on the register per period, community (a point at its centre),
-- age band ('all' = 0-16) and category (流动儿童, 留守儿童, 困境儿童 = in difficulty). Only communities
-- with a centre point; zeros are kept so a community with nobody registered still shows.
-- Communities under today's codes (区划调整): one retired for one the table holds is counted there, and one
-- whose street was merged into another stands under that street.
with communities as (
    select r.region_code as community_code, r.region_name as community_name, m.street_code, s.region_name as street_name,
           m.county_code, c.region_name as county_name, r.lon, r.lat
    from regions r
    join region_current m on m.region_code = r.region_code
    left join regions s on s.region_code = m.street_code
    left join regions c on c.region_code = m.county_code
    where r.level = 'community' and r.lon is not null and r.lat is not null and m.current_code = r.region_code
),

with_all as (
    select * from register_counts(stg_civil_register, community_code)
),

grid as (
    select p.period, c.*, b.age_band, k.category
    from (select period from report_periods where has_register) p
    cross join communities c
    cross join (select unnest(['0-3', '3-6', '6-12', '12-16', 'all']) as age_band) b
    cross join (select unnest(['流动儿童', '留守儿童', '困境儿童']) as category) k
),

final as (
    select
        g.period,
        g.county_code,
        g.county_name,
        g.street_code,
        g.street_name,
        g.community_code,
        g.community_name,
        g.lon,
        g.lat,
        g.age_band,
        g.category,
        coalesce(w.children, 0)::bigint as children
    from grid g
    left join with_all w
        on w.period = g.period and w.area_code = g.community_code and w.age_band = g.age_band
        and w.category = g.category
)

select * from final
