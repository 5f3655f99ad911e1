-- Every cell of the key children cube (key_counts.KEY_CHILDREN_CUBE), for the whole published area: per
-- period × risk level ('*' = all levels: the overview's 重点对象 and 志愿服务's key children; 'paired' = key
-- children with an active 1+X pairing, counted on the latest ledger period) × area (community → street →
-- county → city → province → everything). Levels add up to '*' in every area ('levels' cells) and areas nest.
-- Communities come from vol_pairing_coverage (the latest ledger). Each street's remainder (<street>~, its
-- children in no community) is never shown, but is a cell: a street minus its communities would reveal it.
-- Cells come in the order of their keys: the door's complementary suppression breaks ties by row order, so
-- that the pattern is the same in every process.
with latest as (
    select max_by(period, period_end) as period from key_children_by_risk
),
streets as (
    select period, risk_level, left(street_code, 9) as street, sum(children) as n
    from key_children_by_risk group by all
    union all
    select period, '*', left(street_code, 9), sum(children) from key_children_by_risk group by all
    union all
    select l.period, 'paired', left(c.street_code, 9), sum(c.paired)
    from vol_pairing_coverage c cross join latest l group by all
),
communities as (
    select l.period, m.risk_level, coalesce(c.community_code, left(c.street_code, 9) || '-') as area,
           left(c.street_code, 9) as street,
           sum(case m.risk_level when '*' then c.key_children else c.paired end) as n
    from vol_pairing_coverage c cross join latest l
    cross join (select unnest(['*', 'paired']) as risk_level) m
    group by all
),
in_communities as (
    select period, risk_level, street, sum(n) as n from communities group by all
),
cells as (
    select period, risk_level, area, street as parent, 5 as depth, n from communities
    union all
    select s.period, s.risk_level, s.street || '~', s.street, 5, s.n - coalesce(c.n, 0)
    from streets s join in_communities c using (period, risk_level, street)
    union all
    select period, risk_level, street, left(street, 6), 4, n from streets
    union all
    select period, risk_level, left(street, 6), left(street, 4), 3, sum(n) from streets group by all
    union all
    select period, risk_level, left(street, 4), left(street, 2), 2, sum(n) from streets group by all
    union all
    select period, risk_level, left(street, 2), '', 1, sum(n) from streets group by all
    union all
    select period, risk_level, '', null, 0, sum(n) from streets group by all
)
select *, case when risk_level = 'paired' then 'paired' else 'levels' end as kind
from cells
order by period, risk_level, depth, area
