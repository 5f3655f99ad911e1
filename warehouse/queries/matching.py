"""Cross-department matching queries (marts match_*): match rates per check, street and department
pair, and each check's worklist for its responsible department.

Aggregate functions read match_rates only. `worklist` is the one child-level read: it reads the
list_unmatched mart, with names and ID numbers MASKED in the build (张*明, 3204**********123X), and
the door serves it to case roles only (`privacy.child_list`).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from warehouse.queries import Scope, _df, _scope_predicate, privacy
from warehouse.queries.ledger import LIST_LIMIT

# The unmatched count is children − matched (and the rate matched/children): hide them together.
_MATCH_DERIVED = {"matched": ["unmatched"], "unmatched": ["matched"], "match_rate": ["matched", "unmatched"]}


@privacy.counts("children", "matched", "unmatched", derived=_MATCH_DERIVED)
def checks(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Match rate per check: check_code, check_label, department, department_pair, period, children,
    matched, unmatched, match_rate."""
    where, params = _scope_predicate(scope, "street_code")
    return _df(con, f"""
        select check_code, check_label, department, department_pair, period,
               sum(children)::bigint as children, sum(matched)::bigint as matched,
               sum(unmatched)::bigint as unmatched, sum(matched) / sum(children)::double as match_rate
        from match_rates where {where}
        group by all order by min(check_order)""", params)


@privacy.counts("children", "matched", "unmatched", derived=_MATCH_DERIVED, groups=[["check_code"]])
def by_street(con: duckdb.DuckDBPyConnection, scope: Scope, check_code: str | None = None) -> pd.DataFrame:
    """Match rates per street (optionally for one check): check_code, check_label, county_code,
    street_code, street_name, children, matched, unmatched, match_rate."""
    where, params = _scope_predicate(scope, "m.street_code")
    return _df(con, f"""
        select m.check_code, m.check_label, m.county_code, m.street_code, r.region_name as street_name,
               sum(children)::bigint as children, sum(matched)::bigint as matched,
               sum(unmatched)::bigint as unmatched, sum(matched) / sum(children)::double as match_rate
        from match_rates m left join regions r on r.region_code = m.street_code
        where (?::varchar is null or m.check_code = ?) and {where}
        group by all order by min(m.check_order), m.street_code""", [check_code, check_code, *params])


@privacy.counts("children", "matched", "unmatched", derived=_MATCH_DERIVED)
def by_department_pair(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Match rates per department pair: department_pair, children, matched, unmatched, match_rate."""
    where, params = _scope_predicate(scope, "street_code")
    return _df(con, f"""
        select department_pair, sum(children)::bigint as children, sum(matched)::bigint as matched,
               sum(unmatched)::bigint as unmatched, sum(matched) / sum(children)::double as match_rate
        from match_rates where {where}
        group by all order by unmatched desc""", params)


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
