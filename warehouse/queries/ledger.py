"""Key-children ledger queries: risk levels, visit compliance, due lists (marts ledger_*).

"Today" is the snapshot's data date (meta.data_date, carried as ledger_children.as_of_date), so
the demo is deterministic. Aggregate functions never read person_key or the person table; the
due list (`due_list`) is the one child-level read and returns masked names and ID numbers only, to
case roles only (`privacy.child_list`).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from warehouse.queries import Scope, _df, _scope_predicate, privacy

LEVELS = {"director": "director_id", "community": "community_code", "street": "street_code", "county": "county_code"}


# Child-level lists stop at this many rows (the most urgent first): a page is for working through a
# list, and masking a province's million rows per request would take seconds.
LIST_LIMIT = 5000


def mask_name(name: object) -> str:
    """张小明 → 张*明, 李䶮 → 李*; empty → ''. The rule the build applies (macro mask_name in
    warehouse/sql/macros.sql, for the list_* marts); tests check the two agree."""
    if name is None or (isinstance(name, float) and pd.isna(name)) or not str(name):
        return ""
    s = str(name)
    return s[0] + "*" if len(s) <= 2 else s[0] + "*" * (len(s) - 2) + s[-1]


def mask_id(id_number: object) -> str:
    """320402201503041234 → 3204**********1234 (first 4 and last 4 characters kept); macro mask_id."""
    if id_number is None or (isinstance(id_number, float) and pd.isna(id_number)) or not str(id_number):
        return ""
    s = str(id_number)
    return s[:4] + "*" * max(len(s) - 8, 0) + s[-4:] if len(s) > 8 else "*" * len(s)


def mask_phone(phone: object) -> str:
    """13900001234 → 139****1234 (first 3 and last 4 kept); 7 characters or fewer all masked; macro mask_phone."""
    if phone is None or (isinstance(phone, float) and pd.isna(phone)) or not str(phone):
        return ""
    s = str(phone)
    return s[:3] + "*" * (len(s) - 7) + s[-4:] if len(s) > 7 else "*" * len(s)


def as_of(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The ledger's "today", plan and survey period: as_of_date, visit_plan, period (one row or none)."""
    if scope.is_empty:
        return pd.DataFrame(columns=["as_of_date", "visit_plan", "period"])
    return _df(con, """
        select (select data_date from meta) as as_of_date,
               (select string_agg(distinct plan, '、') from cfg_visit_rules where in_use) as visit_plan,
               (select any_value(period) from ledger_children) as period""")


def visit_rules(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Visit rules in force: plan, risk_level, contact_every_days, home_visit_every_days, source."""
    if scope.is_empty:
        return pd.DataFrame(columns=["plan", "risk_level", "contact_every_days", "home_visit_every_days", "source"])
    return _df(con, """
        select v.plan, v.risk_level, v.contact_every_days, v.home_visit_every_days, v.source
        from cfg_visit_rules v left join cfg_risk_schemes s using (risk_level)
        where v.in_use and v.risk_level in (select distinct risk_level from ledger_children)
        order by s.scheme, s.rank""")


@privacy.counts("children", "overdue", "due_30d")
def by_risk(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Key children per risk level: risk_level, risk_rank, colour, label, children, overdue, due_30d."""
    where, params = _scope_predicate(scope, "street_code")
    return _df(con, f"""
        with c as (
            select risk_level, sum(children)::bigint as children, sum(overdue)::bigint as overdue,
                   sum(due_30d)::bigint as due_30d
            from ledger_compliance where {where} group by risk_level
        )
        select c.risk_level, s.rank::integer as risk_rank, s.colour, s.label, c.children, c.overdue, c.due_30d
        from c left join cfg_risk_schemes s using (risk_level)
        order by s.scheme, s.rank""", params)


@privacy.counts("children", groups=[["area_code"], ["risk_level"]])
def by_area_risk(con: duckdb.DuckDBPyConnection, scope: Scope, level: str = "street") -> pd.DataFrame:
    """Key children per area and risk level: area_code, area_name, risk_level, children."""
    col = {"street": "street_code", "county": "county_code"}[level]
    where, params = _scope_predicate(scope, "l.street_code")
    return _df(con, f"""
        select l.{col} as area_code, r.region_name as area_name, l.risk_level, sum(l.children)::bigint as children
        from ledger_compliance l left join regions r on r.region_code = l.{col}
        where {where}
        group by all order by area_code, min(l.risk_rank)""", params)


@privacy.counts("children", "contact_overdue", "home_visit_overdue", "overdue", "due_30d",
                derived={"compliance_rate": ["children", "overdue"]})
def compliance(con: duckdb.DuckDBPyConnection, scope: Scope, level: str = "street") -> pd.DataFrame:
    """Visit compliance per director, community, street or county.

    Columns: area_code, area_name, children, contact_overdue, home_visit_overdue, overdue, due_30d,
    compliance_rate (share not overdue), overdue_days_max; most overdue first.
    """
    col = LEVELS[level]
    name = "null::varchar" if level == "director" else "r.region_name"
    join = "" if level == "director" else f"left join regions r on r.region_code = l.{col}"
    where, params = _scope_predicate(scope, "l.street_code")
    return _df(con, f"""
        select l.{col} as area_code, {name} as area_name,
               sum(children)::bigint as children, sum(contact_overdue)::bigint as contact_overdue,
               sum(home_visit_overdue)::bigint as home_visit_overdue, sum(overdue)::bigint as overdue,
               sum(due_30d)::bigint as due_30d,
               sum(compliant) / sum(children)::double as compliance_rate,
               max(overdue_days_max)::bigint as overdue_days_max
        from ledger_compliance l {join}
        where {where}
        group by all
        order by overdue desc, area_code""", params)


@privacy.counts("children", "high_risk", "overdue", "contact_overdue", "home_visit_overdue", "due_30d")
def totals(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """One row: children, high_risk, overdue, contact_overdue, home_visit_overdue, due_30d."""
    where, params = _scope_predicate(scope, "street_code")
    return _df(con, f"""
        select count(*)::bigint as children, count(*) filter (where is_high_risk)::bigint as high_risk,
               count(*) filter (where is_overdue)::bigint as overdue,
               count(*) filter (where contact_overdue_days > 0)::bigint as contact_overdue,
               count(*) filter (where home_visit_overdue_days > 0)::bigint as home_visit_overdue,
               count(*) filter (where is_due_30d)::bigint as due_30d
        from ledger_children where {where}""", params)


@privacy.counts("children", groups=[["period"]])
def risk_changes(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Risk changes between consecutive surveys: period, previous_period, change, from_level, to_level, children."""
    where, params = _scope_predicate(scope, "street_code")
    return _df(con, f"""
        select * from (
            select period, previous_period, change, from_level, to_level, sum(children)::bigint as children
            from ledger_risk_changes where {where}
            group by all
        ) order by period desc, list_position(['升高', '降低', '新增', '退出', '不变'], change), children desc
        """, params)


# The due list's order: risk colour first (the scheme's rank in config/risk_schemes.csv: 红 → 橙 → 黄 → 绿),
# then the most days overdue, then the earliest due date; person_key only to make ties stable.
DUE_ORDER = "l.risk_rank nulls last, l.overdue_days desc, l.next_due_date, l.person_key"


@privacy.child_list
def due_list(con: duckdb.DuckDBPyConnection, scope: Scope, days: int = 30, limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Child-level list of visits overdue or due within `days` of the data date, MASKED (张*明, 3204…123X),
    highest risk first and, within a risk level, most days overdue first (DUE_ORDER); at most `limit` rows
    (pages say so when the list is cut).

    Reads the list_due mart, which carries the masked name and ID computed in the build: raw names and ID
    numbers are never read here. `person_key` (a keyed hash, not an identity) is the handle for
    `child_file`; pages do not display it.
    """
    where, params = _scope_predicate(scope, "l.street_code")
    have = _columns(con, "main", "list_due")
    masked = ", ".join(f"coalesce(l.{c}, '') as {c}" if c in have else f"''::varchar as {c}" for c in MASKED)
    return _df(con, f"""
        select {masked}, l.person_key, l.county_code, r.region_name as street_name,
               l.community_code, l.director_id, l.risk_level, l.risk_rank, l.key_type, l.last_contact_date,
               l.last_home_visit_date, l.next_due_date, l.overdue_days, l.is_overdue
        from (
            select * from list_due l
            where (l.is_overdue or l.next_due_date <= l.as_of_date + ?::integer) and {where}
            order by {DUE_ORDER}
            limit ?
        ) l
        left join regions r on r.region_code = l.street_code
        order by {DUE_ORDER}""",
        [days, *params, limit])


# The key-children ledger's pii columns besides the child's own name: the person table carries them for the
# child's file, and person_masked their masked forms for lists. A snapshot built before they were carried has
# neither: the file shows "—" and the list blank columns.
GUARDIAN_PII = ("guardian_name", "guardian_phone")
MASKED = ("masked_name", "masked_id", "masked_guardian_name", "masked_guardian_phone")


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> set[str]:
    rows = con.execute("select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
                       [schema, table]).fetchall()
    return {r[0] for r in rows}


class CaseAccessDenied(privacy.CaseAccessRequired):
    """A child's file asked for without case access, or outside the user's area."""


def child_file(con: duckdb.DuckDBPyConnection, scope: Scope, person_key: str) -> dict[str, pd.DataFrame]:
    """One child's full file (个案档案): identity, ledger history and visits.

    Only for scopes with case access (`scope.exact`), and only for a child whose latest ledger row
    lies in the scope; else CaseAccessDenied. The caller (ui) writes the audit event before showing it.
    Returns {"person": 1 row (name, id_number, sex, birth_date, street…, guardian_name, guardian_phone,
    guardian_relation, school_name), "ledger": one row per survey period, "visits": the visit records,
    newest first}. The guardian's name and phone come from the person table (pii); a snapshot built before
    they were carried there gives them as null.
    """
    if not scope.exact:
        raise CaseAccessDenied("无个案权限，不能查看儿童档案 / no case access: a child's file is not available")
    where, params = _scope_predicate(scope, "l.street_code")
    have = _columns(con, "pii", "person")
    guardian = ", ".join(f"p.{c}" if c in have else f"null::varchar as {c}" for c in GUARDIAN_PII)
    person = _df(con, f"""
        with latest as (
            select * from ledger_children where person_key = ? order by period desc limit 1
        )
        select p.name, p.id_number, p.sex, p.birth_date, r.region_name as street_name, l.community_code,
               l.director_id, l.risk_level, l.key_type, l.last_contact_date, l.last_home_visit_date,
               l.next_due_date, l.overdue_days, {guardian}, l.guardian_relation, l.school_name
        from latest l
        join pii.person p on p.person_key = l.person_key
        left join regions r on r.region_code = l.street_code
        where {where}""", [person_key, *params])
    if person.empty:
        raise CaseAccessDenied("该儿童不在您的辖区内 / this child is not in your area")
    ledger = _df(con, """
        select period, survey_date, r.region_name as street_name, key_type, risk_level, previous_risk_level,
               director_id, has_care_agreement, guardian_relation, school_name, visits, home_visits
        from ledger_children l left join regions r on r.region_code = l.street_code
        where person_key = ? order by period desc""", [person_key])
    visits = _df(con, """
        select visit_date, visit_type, director_id, needs, r.region_name as street_name
        from ledger_visits v left join regions r on r.region_code = v.street_code
        where person_key = ? order by visit_date desc""", [person_key])
    return {"person": person, "ledger": ledger, "visits": visits}
