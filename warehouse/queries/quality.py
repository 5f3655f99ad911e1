"""Data-quality queries (marts dq_*): per department extract, timeliness against its cadence,
completeness of periods, rejection rates and their trend. Not scoped by region: the extracts are
city-wide; an empty scope still sees nothing (default deny). The rows still on retired division codes are
the exception: they lie in regions, and are counted within the scope. Department and title come from the
snapshot's `sources` table, which the build writes from the source contracts.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from etl.deployment import prefix
from etl.land import REASON_ZH
from warehouse.queries import Scope, _df, _scope_predicate

CADENCE_LABELS = {"month": "每月", "quarter": "每季度", "half_year": "每半年", "year": "每年", "other": "其他"}


def _guard(scope: Scope) -> str:
    return "false" if scope.is_empty else "true"


def _named(con: duckdb.DuckDBPyConnection, df: pd.DataFrame) -> pd.DataFrame:
    """Add department and title from the snapshot's `sources` table (written from the contracts at build)."""
    names = _df(con, "select source, department, title from sources")
    known = names.set_index("source")
    df.insert(0, "title", [known.at[s, "title"] if s in known.index else s for s in df["source"]])
    df.insert(0, "department", [known.at[s, "department"] if s in known.index else "其他" for s in df["source"]])
    return df


def sources(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """One row per extract: department, title, source, cadence, latest_period, expected_period_start,
    periods_behind, is_late, periods_landed, periods_expected, completeness, rows_read, rows_rejected,
    rejection_rate, latest_rejection_rate, resubmissions, as_of_date; late first."""
    df = _df(con, f"""
        select source, cadence, latest_period, latest_period_end, expected_period_start,
               expected_period_end, periods_behind, is_late, periods_landed, periods_expected, completeness,
               rows_read, rows_accepted, rows_rejected, rejection_rate, latest_rejection_rate, resubmissions,
               last_landed_at, as_of_date
        from dq_sources where {_guard(scope)}""")
    df = _named(con, df)
    df["latest_period"] = df["latest_period"].fillna("从未报送")  # a contract with no landing at all
    return df.sort_values(["is_late", "periods_behind", "department", "source"],
                          ascending=[False, False, True, True], ignore_index=True)


def departments(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per department: extracts, late, periods_behind, rows_read, rows_rejected, rejection_rate, completeness."""
    src = sources(con, scope)
    out = src.groupby("department", as_index=False).agg(
        extracts=("source", "count"), late=("is_late", "sum"), periods_behind=("periods_behind", "sum"),
        rows_read=("rows_read", "sum"), rows_rejected=("rows_rejected", "sum"), completeness=("completeness", "mean"))
    out["rejection_rate"] = out["rows_rejected"] / out["rows_read"].where(out["rows_read"] > 0)
    return out.sort_values(["late", "rejection_rate"], ascending=False, ignore_index=True)


def trend(con: duckdb.DuckDBPyConnection, scope: Scope, source: str | None = None) -> pd.DataFrame:
    """Rejection rate per extract and period (current landings): department, title, source, period,
    period_start, rows_read, rows_rejected, rejection_rate."""
    return _named(con, _df(con, f"""
        select source, period, period_start, rows_read, rows_rejected, rejection_rate
        from dq_loads
        where is_current and status = 'landed' and (?::varchar is null or source = ?) and {_guard(scope)}
        order by source, period_start""", [source, source]))


def reasons(con: duckdb.DuckDBPyConnection, scope: Scope, top: int = 3) -> pd.DataFrame:
    """The most common rejection reasons per extract: department, title, source, reason_code, reason,
    rows_rejected, share (of that extract's rejected rows)."""
    df = _named(con, _df(con, f"""
        select source, reason_code, rows_rejected, share
        from dq_reasons where reason_rank <= ? and {_guard(scope)}
        order by rows_rejected desc, source, reason_code""", [top]))
    df.insert(df.columns.get_loc("reason_code") + 1, "reason", df["reason_code"].map(REASON_ZH).fillna(df["reason_code"]))
    return df


def _period_code(start, cadence: str) -> str | None:
    """The period code a landing of `cadence` starting on `start` would carry: 2025-12, 2025Q4, 2025H2, 2025."""
    if start is None or pd.isna(start):
        return None
    d = pd.Timestamp(start)
    return {"month": f"{d.year}-{d.month:02d}", "quarter": f"{d.year}Q{(d.month - 1) // 3 + 1}",
            "half_year": f"{d.year}H{1 if d.month <= 6 else 2}", "year": f"{d.year}"}.get(cadence)


MISSING_COLUMNS = ["source", "title", "department", "cadence", "expected_period"]


def missing(con: duckdb.DuckDBPyConnection, scope: Scope, names: tuple[str, ...]) -> pd.DataFrame:
    """Which of the extracts `names` have never landed (none in force in the snapshot), in the order given:
    source, title, department, cadence, expected_period (the period its cadence expects by now, as a period
    code such as 2025H2). Empty when all have landed, or for an empty scope (default deny). A list sent only
    when there is something to send (on_demand: the division-change list) is never owed, so never missing."""
    if scope.is_empty or not names:
        return pd.DataFrame(columns=MISSING_COLUMNS)
    df = _df(con, """
        select d.source, d.cadence, d.expected_period_start
        from dq_sources d
        where d.latest_period is null and not d.on_demand and list_contains(?, d.source)""", [list(names)])
    df = _named(con, df)
    df["expected_period"] = [_period_code(s, c) for s, c in zip(df["expected_period_start"], df["cadence"])]
    order = {n: i for i, n in enumerate(names)}
    df = df.assign(_o=df["source"].map(order)).sort_values("_o", kind="stable")
    return df[MISSING_COLUMNS].reset_index(drop=True)


# The extract each service-gap measure comes from: the measure catalogue of marts/gap_measures.sql (its
# `catalogue` values; tests/test_empty_states.py keeps the two equal). A gap needs the extracts of its
# numerator and its denominator.
MEASURE_SOURCES = {
    "residents": "population", "residents_0_3": "population", "residents_3_6": "population",
    "residents_6_16": "population", "register_children": "civil_register", "migrant_children": "civil_register",
    "left_behind_children": "civil_register", "children_0_3": "civil_register", "children_3_6": "civil_register",
    "children_0_6": "civil_register", "children_6_16": "civil_register", "children_12_16": "civil_register",
    "key_children": "key_children", "communities": "regions", "streets": "regions",
    "childcare_places": "childcare", "inclusive_childcare_places": "childcare",
    "kindergarten_places": "school_places", "inclusive_kindergarten_places": "school_places",
    "compulsory_places": "school_places", "public_compulsory_places": "school_places",
    "migrant_pupils": "students", "migrant_pupils_public": "students", "directors": "directors",
    "communities_with_director": "directors", "supervisors": "directors", "fulltime_supervisors": "directors",
    "streets_with_fulltime_supervisor": "directors", "children_homes": "children_homes",
    "communities_with_home": "children_homes", "protection_stations": "children_homes",
    "streets_with_station": "children_homes", "rescue_institutions": "children_homes",
    "volunteer_teams": "volunteer_teams", "social_organisations": "volunteer_teams", "volunteers": "volunteers",
    "volunteer_hours": "activities", "children_0_6_with_record": "health_records",
    "children_dose_due": "vaccinations", "children_doses_on_time": "vaccinations",
    "children_insured": "medical_insurance", "key_children_visited": "visits",
}
# Measures counted among the register's children need the register too (health records of register children).
_ALSO_REGISTER = {"children_0_6_with_record", "children_dose_due", "children_doses_on_time", "children_insured"}


def gap_sources(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The extracts each configured service gap reads: gap_id, gap_name, source (one row per pair, numerator's
    first), for saying which of a gap's inputs have not landed."""
    cfg = _df(con, "select gap_id, gap_name, numerator, denominator from cfg_standards")
    rows = []
    for r in cfg.itertuples():
        for measure in (r.numerator, r.denominator):
            wanted = [MEASURE_SOURCES.get(measure)] + (["civil_register"] if measure in _ALSO_REGISTER else [])
            rows += [(r.gap_id, r.gap_name, s) for s in wanted if s]
    out = pd.DataFrame(rows, columns=["gap_id", "gap_name", "source"]).drop_duplicates(ignore_index=True)
    return out.iloc[0:0] if scope.is_empty else out


# --------------------------------------------------------------------------------------------
# Rows still on retired division codes (a landed change table retires them: 撤县设区, streets merged or split)


def _division_columns() -> list[tuple[str, str]]:
    """(source, column) for each division-code column of the contracts: where extracts place their rows."""
    from etl.contracts import sources as contracts

    return [(n, c.name) for n, s in contracts().items() for c in s.columns if c.type == "division"]


def _usage_sql() -> str:
    # Identifiers come from the contracts (plain lower-case words), never from a file.
    return " union all ".join(f"select '{s}' as source, {c} as code from raw_{s}" for s, c in _division_columns())


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the snapshot has a table (one built before division changes were modelled has not)."""
    return bool(_df(con, "select count(*) as n from information_schema.tables where table_name = ?", [table])
                ["n"].iloc[0])


def rows_under(con: duckdb.DuckDBPyConnection, prefixes: list[str]) -> pd.DataFrame:
    """Rows in force of the landed extracts whose division code lies in each region named by its prefix
    (980421 → every code of that county): prefix, source, rows. One equality join per prefix length."""
    parts, args = [], []
    for n in sorted({len(p) for p in prefixes}):
        parts.append(f"select left(code, {int(n)}) as prefix, source, count(*) as rows from usage "
                     f"where list_contains(?, left(code, {int(n)})) group by all")
        args.append([p for p in prefixes if len(p) == n])
    if not parts:
        return pd.DataFrame(columns=["prefix", "source", "rows"])
    return _df(con, f"with usage as ({_usage_sql()}) " + " union all ".join(parts), args)


def retired_rows(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """How many rows in force of the landed extracts still carry a division code that a landed change table
    retires (the old code itself or a code under it: a community of a retired county), in scope: one row,
    `rows`. Rows of files, as the load log counts them, not people by area: not suppressed."""
    if scope.is_empty or not _has_table(con, "region_changes_report"):
        return pd.DataFrame({"rows": [0]})
    where, params = _scope_predicate(scope, "region_code")
    retired = _df(con, f"select region_code from regions where is_retired and {where}", params)
    prefixes = {prefix(c) for c in retired["region_code"]}
    if not prefixes:
        return pd.DataFrame({"rows": [0]})
    by = {n: sorted(p for p in prefixes if len(p) == n) for n in sorted({len(p) for p in prefixes})}
    match = " or ".join(f"list_contains(?, left(code, {int(n)}))" for n in by)
    return _df(con, f"with usage as ({_usage_sql()}) select count(*) as rows from usage where {match}",
               list(by.values()))
