-- Every cell the map can show, for the whole published area (the cube of geo.GEO_CUBE): streets and
-- communities from the marts; each street's remainder (<street>~, children in no community with a point:
-- never shown, but street − its communities would reveal it); and counties, cities, provinces and
-- everything as sums of streets.
with streets as (
    select period, age_band, category, left(street_code, 9) as street, children
    from geo_street_density
),
communities as (
    select period, age_band, category, community_code, left(street_code, 9) as street, children
    from geo_community_points
),
in_communities as (
    select period, age_band, category, street, sum(children) as children from communities group by all
)
select period, age_band, category, street as area, left(street, 6) as parent, 4 as depth,
       children as n from streets
union all
select period, age_band, category, community_code, street, 5, children from communities
union all
select s.period, s.age_band, s.category, s.street || '~', s.street, 5, s.children - coalesce(c.children, 0)
from streets s left join in_communities c using (period, age_band, category, street)
union all
select period, age_band, category, left(street, 6), left(street, 4), 3, sum(children) from streets group by all
union all
select period, age_band, category, left(street, 4), left(street, 2), 2, sum(children) from streets group by all
union all
select period, age_band, category, left(street, 2), '', 1, sum(children) from streets group by all
union all
select period, age_band, category, '', null, 0, sum(children) from streets group by all
