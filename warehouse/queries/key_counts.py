"""The published cube of key children (重点儿童) counts, shared by the overview and 志愿服务.

Per period × risk level ('*' = all levels: the overview's 重点对象, and 志愿服务's key children) × area
(community → street → county → city → province → everything), and 'paired' (key children with an
active 1+X pairing, 志愿服务) for the ledger period the pairings are counted on. Risk levels add up to
'*' in every area; areas nest. Communities come from vol_pairing_coverage (the latest ledger), with each
street's remainder (children in no community), which is never shown but would be revealed by a street
minus its communities.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from warehouse.queries import _df, cube


def _cells(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(con, """
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
                   left(c.street_code, 9) as street, sum(case m.risk_level when '*' then c.key_children else c.paired end) as n
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
        select *, case when risk_level = 'paired' then 'paired' else 'levels' end as kind from cells
        """)


KEY_CHILDREN_CUBE = cube.Cube("key_children", _cells, keys=("period", "risk_level", "area"),
                              within=("period", "risk_level"), relations=(("period", "area", "kind"),))
RISK_CELL = {"period": "period", "risk_level": "risk_level", "area": "area"}
