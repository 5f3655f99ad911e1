"""Cross-department matching queries (marts match_*): match rates per check, street and department
pair, and each check's worklist for its responsible department.

Aggregate functions read match_rates only. `worklist` is the one child-level read: it reads the
list_unmatched mart, with names and ID numbers MASKED in the build (张*明, 3204**********123X), and
the door serves it to case roles only (`privacy.child_list`).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from warehouse.queries import Scope, _df, _scope_predicate, cube, privacy
from warehouse.queries.ledger import LIST_LIMIT

# The unmatched count is children − matched (and the rate matched/children): hide them together.
_MATCH_DERIVED = {"matched": ["unmatched"], "unmatched": ["matched"], "match_rate": ["matched", "unmatched"]}
_MEASURES = ("children", "matched", "unmatched")
_AREA = "coalesce(left(street_code, 9), left(county_code, 6) || '---')"  # a street, or its county's unknown one


def _match_cells(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every cell the matching page can show, for the whole published area: per check (and per department
    pair, 'pair:<pair>' = the sum of its checks) × measure (children = matched + unmatched) × area
    (street → county → city → province → everything)."""
    parts = " union all ".join(
        f"select check_code, department_pair, '{m}' as measure, {_AREA} as street, {m} as n from match_rates"
        for m in _MEASURES)
    return _df(con, f"""
        with streets as (
            select check_code as "check", department_pair as pair, measure, street, sum(n) as n
            from ({parts}) group by all
            union all
            select 'pair:' || department_pair, department_pair, measure, street, sum(n)
            from ({parts}) group by all
        )
        select "check", pair, measure, street as area, left(street, 6) as parent, 4 as depth, n from streets
        union all
        select "check", pair, measure, left(street, 6), left(street, 4), 3, sum(n) from streets group by all
        union all
        select "check", pair, measure, left(street, 4), left(street, 2), 2, sum(n) from streets group by all
        union all
        select "check", pair, measure, left(street, 2), '', 1, sum(n) from streets group by all
        union all
        select "check", pair, measure, '', null, 0, sum(n) from streets group by all
        """)


MATCH_CUBE = cube.Cube("match_rates", _match_cells, keys=("check", "measure", "area"), within=("check", "measure"),
                       relations=(("check", "area"), ("pair", "measure", "area")))


def _in_cube(check_column: str) -> cube.In:
    return cube.In(MATCH_CUBE, {m: {"check": check_column, "measure": cube.Const(m), "area": "area"}
                                for m in _MEASURES})


@privacy.counts(*_MEASURES, derived=_MATCH_DERIVED, cube=_in_cube("check_code"))
def checks(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Match rate per check: check_code, check_label, department, department_pair, period, children,
    matched, unmatched, match_rate, area (the scope's, the cube key)."""
    where, params = _scope_predicate(scope, "street_code")
    return _df(con, f"""
        select check_code, check_label, department, department_pair, period,
               sum(children)::bigint as children, sum(matched)::bigint as matched,
               sum(unmatched)::bigint as unmatched, sum(matched) / sum(children)::double as match_rate,
               ? as area
        from match_rates where {where}
        group by all order by min(check_order)""", [cube.scope_area(scope), *params])


@privacy.counts(*_MEASURES, derived=_MATCH_DERIVED, cube=_in_cube("check_code"))
def by_street(con: duckdb.DuckDBPyConnection, scope: Scope, check_code: str | None = None) -> pd.DataFrame:
    """Match rates per street (optionally for one check): check_code, check_label, county_code,
    street_code, street_name, children, matched, unmatched, match_rate."""
    where, params = _scope_predicate(scope, "m.street_code")
    return _df(con, f"""
        select m.check_code, m.check_label, m.county_code, m.street_code, r.region_name as street_name,
               sum(children)::bigint as children, sum(matched)::bigint as matched,
               sum(unmatched)::bigint as unmatched, sum(matched) / sum(children)::double as match_rate,
               {_AREA.replace("street_code", "m.street_code").replace("county_code", "m.county_code")} as area
        from match_rates m left join regions r on r.region_code = m.street_code
        where (?::varchar is null or m.check_code = ?) and {where}
        group by all order by min(m.check_order), m.street_code""", [check_code, check_code, *params])


@privacy.counts(*_MEASURES, derived=_MATCH_DERIVED, cube=_in_cube("pair_key"))
def by_department_pair(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Match rates per department pair: department_pair, children, matched, unmatched, match_rate, and the
    cube key (pair_key, area)."""
    where, params = _scope_predicate(scope, "street_code")
    return _df(con, f"""
        select department_pair, sum(children)::bigint as children, sum(matched)::bigint as matched,
               sum(unmatched)::bigint as unmatched, sum(matched) / sum(children)::double as match_rate,
               'pair:' || department_pair as pair_key, ? as area
        from match_rates where {where}
        group by all order by unmatched desc""", [cube.scope_area(scope), *params])


@privacy.child_list
def worklist(con: duckdb.DuckDBPyConnection, scope: Scope, check_code: str, limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Children on one check's worklist, MASKED: masked_name, masked_id, department, street_name,
    community_code, age_years, detail; at most `limit` rows, by street and community.

    Reads the list_unmatched mart (masked in the build); raw names and ID numbers are never read here."""
    where, params = _scope_predicate(scope, "m.street_code")
    return _df(con, f"""
        select m.masked_name, m.masked_id, m.check_label, m.department, m.period, r.region_name as street_name,
               m.street_code, m.community_code, m.age_years, m.detail
        from (
            select * from list_unmatched m
            where m.check_code = ? and {where}
            order by m.street_code, m.community_code, m.age_years, m.person_key
            limit ?
        ) m
        left join regions r on r.region_code = m.street_code
        order by m.street_code, m.community_code, m.age_years, m.person_key""", [check_code, *params, limit])
