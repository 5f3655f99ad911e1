"""Data-quality queries (marts dq_*): per department extract, timeliness against its cadence,
completeness of periods, rejection rates and their trend. Not scoped by region: the extracts are
city-wide; an empty scope still sees nothing (default deny). The rows still on retired division codes are
the exception: they lie in regions, and are counted within the scope. Department and title come from the
snapshot's `sources` table, which the build writes from the source contracts. The SQL and each query's
declaration are in warehouse/sql/queries/quality/ (see catalogue.py).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from etl.deployment import prefix
from etl.land import REASON_ZH
from warehouse.queries import Scope, catalogue

CADENCE_LABELS = {"month": "每月", "quarter": "每季度", "half_year": "每半年", "year": "每年", "other": "其他"}

sources = catalogue.query("quality/sources")
departments = catalogue.query("quality/departments")
trend = catalogue.query("quality/trend")
missing = catalogue.query("quality/missing")
# Rows in force under region prefixes, by extract: rows_under(con, prefixes, latest_only=False).
rows_under = catalogue.query("quality/rows_under")
_reasons = catalogue.query("quality/reasons")
_gap_standards = catalogue.query("quality/gap_standards")
_has_table_entry = catalogue.query("quality/has_table")
_retired_regions = catalogue.query("quality/retired_regions")


def reasons(con: duckdb.DuckDBPyConnection, scope: Scope, top: int = 3) -> pd.DataFrame:
    """The most common rejection reasons per extract: department, title, source, reason_code, reason,
    rows_rejected, share (of that extract's rejected rows). The reason's wording is etl.land's, kept there."""
    df = _reasons(con, scope, top)
    df.insert(df.columns.get_loc("reason_code") + 1, "reason", df["reason_code"].map(REASON_ZH).fillna(df["reason_code"]))
    return df


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
    rows = []
    for r in _gap_standards(con, scope).itertuples():
        for measure in (r.numerator, r.denominator):
            wanted = [MEASURE_SOURCES.get(measure)] + (["civil_register"] if measure in _ALSO_REGISTER else [])
            rows += [(r.gap_id, r.gap_name, s) for s in wanted if s]
    return pd.DataFrame(rows, columns=["gap_id", "gap_name", "source"]).drop_duplicates(ignore_index=True)


# --------------------------------------------------------------------------------------------
# Rows still on retired division codes (a landed change table retires them: 撤县设区, streets merged or split)


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the snapshot has a table (one built before division changes were modelled has not)."""
    return bool(_has_table_entry(con, table)["n"].iloc[0])


def retired_rows(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """How many rows in force of the landed extracts still carry a division code that a landed change table
    retires (the old code itself or a code under it: a community of a retired county), in scope: one row,
    `rows`. Rows of files, as the load log counts them, not people by area: not suppressed."""
    if scope.is_empty or not has_table(con, "region_changes_report"):
        return pd.DataFrame({"rows": [0]})
    prefixes = {prefix(c) for c in _retired_regions(con, scope)["region_code"]}
    # Only the outermost retired regions: a row under a retired county and its retired street counts once.
    outer = sorted(p for p in prefixes if not any(p != o and p.startswith(o) for o in prefixes))
    rows = rows_under(con, outer)["rows"].sum() if outer else 0
    return pd.DataFrame({"rows": [int(rows)]})
