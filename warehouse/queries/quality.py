"""Data-quality queries (marts dq_*): per department extract, timeliness against its cadence,
completeness of periods, rejection rates and their trend. Not scoped by region: the extracts are
city-wide; an empty scope still sees nothing (default deny). Department and title come from the
snapshot's `sources` table, which the build writes from the source contracts.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from etl.land import REASON_ZH
from warehouse.queries import Scope, _df

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
