"""Service gaps (服务缺口): standards, shortfalls, the composite index and the 主城区/县域 comparison.

Reads the gap_* marts (warehouse/sql/marts/gap_*.sql) and the standards/weights configuration tables
(cfg_standards, cfg_gap_weights). The SQL and each query's declaration (columns, the small-number rule) are in
warehouse/sql/queries/gaps/ (see catalogue.py). Every query takes a Scope and is default-deny; a level is
'county' or 'street', anything else is an error.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from warehouse.queries import Scope, catalogue

gap_table = catalogue.query("gaps/gap_table")
index_table = catalogue.query("gaps/index_table")
gaps_of_area = catalogue.query("gaps/gaps_of_area")
measures = catalogue.query("gaps/measures")
urban_core_comparison = catalogue.query("gaps/urban_core_comparison")


# Configuration, not figures: the same for every scope, but nothing for the empty scope (default deny).
def standards(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The configured standards with their index weights, in configuration order (columns: gaps/standards)."""
    df = catalogue.query("gaps/standards")(con)
    return df.iloc[0:0] if scope.is_empty else df


def source_periods(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> pd.DataFrame:
    """Which landing of each source the gaps of `period` use: source, source_label, source_period."""
    df = catalogue.query("gaps/source_periods")(con, period)
    return df.iloc[0:0] if scope.is_empty else df


def has_urban_core(con: duckdb.DuckDBPyConnection, scope: Scope) -> bool:
    """Whether the counties in scope carry the 主城区/县域 distinction (some urban core, some not): a region
    table without it (an official table with codes and names only, a county deployment) shows no grouping."""
    return len(catalogue.query("gaps/urban_core_kinds")(con, scope)) == 2
