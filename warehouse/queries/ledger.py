"""Key-children ledger queries: risk levels, visit compliance, due lists (marts ledger_*). The SQL and each
query's declaration are in warehouse/sql/queries/ledger/ (see catalogue.py).

"Today" is the snapshot's data date (meta.data_date, carried as ledger_children.as_of_date), so
the demo is deterministic. Aggregate queries never read person_key or the person table; the
due list (`due_list`) is the one child-level list and returns masked names and ID numbers only, to
case roles only (child_list). `child_file` is the one read of the person table (schema pii): one child's
file, for case access only.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from warehouse.queries import Scope, catalogue, privacy

by_risk = catalogue.query("ledger/by_risk")
by_area_risk = catalogue.query("ledger/by_area_risk")
compliance = catalogue.query("ledger/compliance")
totals = catalogue.query("ledger/totals")
risk_changes = catalogue.query("ledger/risk_changes")
due_list = catalogue.query("ledger/due_list")

# Child-level lists stop at this many rows (the most urgent first): a page is for working through a list, and
# masking a province's million rows per request would take seconds. The value is the due list's declared
# default; every list entry declares the same (tests/test_ledger_catalogue.py).
LIST_LIMIT: int = next(p.default for p in due_list.params if p.name == "limit")

# One child's file, in three parts; each reads nothing unless the child's latest ledger row lies in the scope.
file_person = catalogue.query("ledger/file_person")
file_ledger = catalogue.query("ledger/file_ledger")
file_visits = catalogue.query("ledger/file_visits")

_AS_OF = catalogue.query("ledger/as_of")
_VISIT_RULES = catalogue.query("ledger/visit_rules")


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
    """The ledger's "today", plan and survey period: as_of_date, visit_plan, period (one row; none for the
    empty scope). Configuration and dates, not figures: the same for every scope that sees anything."""
    return _AS_OF(con) if not scope.is_empty else pd.DataFrame(columns=list(_AS_OF.columns))


def visit_rules(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Visit rules in force: plan, risk_level, contact_every_days, home_visit_every_days, source (none for the
    empty scope)."""
    return _VISIT_RULES(con) if not scope.is_empty else pd.DataFrame(columns=list(_VISIT_RULES.columns))


class CaseAccessDenied(privacy.CaseAccessRequired):
    """A child's file asked for without case access, or outside the user's area."""


def child_file(con: duckdb.DuckDBPyConnection, scope: Scope, person_key: str) -> dict[str, pd.DataFrame]:
    """One child's full file (个案档案): identity, ledger history and visits.

    Only for scopes with case access (`scope.exact`), and only for a child whose latest ledger row
    lies in the scope; else CaseAccessDenied. The caller (ui) reads it past the cache (`Warehouse.uncached`:
    full names and ID numbers never sit in a shared cache) and writes the audit event before showing it.
    Returns {"person": 1 row (name, id_number, sex, birth_date, street…, guardian_name, guardian_phone,
    guardian_relation, school_name), "ledger": one row per survey period, "visits": the visit records,
    newest first}. The guardian's name and phone come from the person table (pii); a snapshot built before
    they were carried there gives them as null.
    """
    if not scope.exact:
        raise CaseAccessDenied("无个案权限，不能查看儿童档案 / no case access: a child's file is not available")
    person = file_person(con, scope, person_key)
    if person.empty:
        raise CaseAccessDenied("该儿童不在您的辖区内 / this child is not in your area")
    return {"person": person, "ledger": file_ledger(con, scope, person_key),
            "visits": file_visits(con, scope, person_key)}
