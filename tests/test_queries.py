"""warehouse.queries: scope is default-deny and exact; figures equal independent counts; no PII columns."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from warehouse import queries as q
from warehouse.queries import geo, meeting

EVERYTHING = q.Scope.everything()
PII = re.compile(r"name$|^name|id_number|person_key|身份证|姓名", re.IGNORECASE)
ALLOWED_NAME_COLUMNS = {"county_name", "street_name"}  # region names, not people
REGISTER = "select count(*) from stg_civil_register where period = ?"


@pytest.fixture(scope="module")
def period(con) -> str:
    return str(q.periods(con)["period"].iloc[0])


@pytest.fixture(scope="module")
def county(con) -> str:
    return str(q.counties(con, EVERYTHING)["county_code"].iloc[0])


def scalar(con, sql: str, params: list | None = None):
    return con.cursor().execute(sql, params or []).fetchall()[0][0]


def migrant_streets(con, scope: q.Scope, period: str, age_band: str = "all") -> pd.DataFrame:
    """The map page's rows at its defaults (流动儿童), the overview's migrant card and small map read them."""
    return geo.street_metrics(con, scope, period, age_band, "流动儿童")


def all_results(con, scope: q.Scope, period: str) -> dict[str, pd.DataFrame]:
    """What the overview reads (its cards, its map's streets, key children by risk) and its region selector."""
    return {
        "counties": q.counties(con, scope),
        "areas": q.areas(con, scope),
        "headline": meeting.headline(con, scope, period),
        "migrant_streets": migrant_streets(con, scope, period),
        "key_children_by_risk": q.key_children_by_risk(con, scope, period),
    }


# --- Scope ---------------------------------------------------------------------------------


def test_scope_codes_normalise_to_prefixes():
    assert q.Scope.of("990101000000").prefixes == ("990101",)
    assert q.Scope.of("990101").prefixes == ("990101",)
    assert q.Scope.of("990101001").prefixes == ("990101001",)
    assert q.Scope.of("990101001000").prefixes == ("990101001",)
    assert q.Scope.of("990101001002").prefixes == ("990101001002",)
    assert q.Scope.of("990100000000").prefixes == ("9901",)
    assert q.Scope.of("990101", "990101001").prefixes == ("990101",)


@pytest.mark.parametrize("bad", ["", "abc", "12345", "1234567", "99010100000"])
def test_scope_rejects_bad_codes(bad):
    with pytest.raises(ValueError):
        q.Scope.of(bad)


def test_scope_intersection():
    assert (EVERYTHING & q.Scope.of("990101")).prefixes == ("990101",)
    assert (q.Scope.of("990101001") & q.Scope.of("990101")).prefixes == ("990101001",)
    assert (q.Scope.of("990101") & q.Scope.of("990102")).is_empty
    assert q.Scope().narrow("990101").is_empty
    assert EVERYTHING.narrow(None) == EVERYTHING
    assert q.Scope.of().is_empty


def test_empty_scope_sees_nothing(con, period):
    for name, df in all_results(con, q.Scope(), period).items():
        assert df.empty, name


def test_scope_outside_the_city_sees_nothing(con, period):
    for name, df in all_results(con, q.Scope.of("110101"), period).items():
        if name == "headline":  # a real scope without data: every card, no figure on any
            assert len(df) and df["value"].isna().all(), df
        else:
            assert df.empty, name


def test_county_scope_returns_only_that_county(con, period, county):
    scope = q.Scope.of(county)
    assert q.counties(con, scope)["county_code"].tolist() == [county]
    streets = migrant_streets(con, scope, period)
    assert set(streets["county_code"]) == {county}
    assert len(streets) and streets["street_code"].str.startswith(county[:6]).all()
    expected = scalar(con, REGISTER + " and county_code = ? and category = '流动儿童'", [period, county])
    assert meeting.headline(con, scope, period).set_index("metric").at["migrant", "value"] == expected
    keyed = scalar(con, "select count(*) from stg_key_children where period = ? and county_code = ?", [period, county])
    assert q.key_children_by_risk(con, scope, period)["children"].sum() == keyed


def test_street_scope_counts_only_that_street(con, period, county):
    street = migrant_streets(con, q.Scope.of(county), period)["street_code"].iloc[0]
    scope = q.Scope.of(street)
    expected = scalar(con, REGISTER + " and street_code = ? and category = '流动儿童'", [period, street])
    assert meeting.headline(con, scope, period).set_index("metric").at["migrant", "value"] == expected
    assert migrant_streets(con, scope, period)["street_code"].tolist() == [street]
    # A street-level user still sees the county it belongs to in the region list.
    assert q.counties(con, scope)["county_code"].tolist() == [county]


# --- Figures against independent SQL on the snapshot -----------------------------------------


def test_periods_newest_first(con):
    p = q.periods(con)
    expected = [r[0] for r in con.cursor().execute(
        "select distinct period, period_end from stg_civil_register order by period_end desc"
    ).fetchall()]
    assert p["period"].tolist() == expected
    if len(p) > 1:
        assert p["previous_period"].iloc[0] == p["period"].iloc[1]


def test_headline_counts_equal_independent_counts(con):
    for period in q.periods(con)["period"]:
        h = meeting.headline(con, EVERYTHING, period).set_index("metric")
        assert h.at["migrant", "value"] == scalar(con, REGISTER + " and category = '流动儿童'", [period])
        keyed = "select count(*) from stg_key_children where period = ?"
        if scalar(con, "select count(*) > 0 from stg_key_children where period = ?", [period]):
            assert h.at["key_children", "value"] == scalar(con, keyed, [period])
            high = q.key_children_by_risk(con, EVERYTHING, period).query("is_high_risk")["children"].sum()
            assert high == scalar(con, keyed + " and risk_level in ('红色', '橙色', '一级', '二级')", [period])


def test_headline_change_is_value_minus_previous(con):
    p = q.periods(con)
    if len(p) < 2:
        pytest.skip("fixture has a single register period")
    latest, previous = p["period"].iloc[0], p["period"].iloc[1]
    now = meeting.headline(con, EVERYTHING, latest).set_index("metric")
    before = meeting.headline(con, EVERYTHING, previous).set_index("metric")
    for metric in ("migrant", "key_children"):
        assert now.at[metric, "previous_value"] == before.at[metric, "value"]
        assert now.at[metric, "change"] == now.at[metric, "value"] - before.at[metric, "value"]


def test_each_county_s_streets_add_up_to_the_headline(con, period):
    h = meeting.headline(con, EVERYTHING, period).set_index("metric")
    per_county = [migrant_streets(con, q.Scope.of(c), period) for c in q.counties(con, EVERYTHING)["county_code"]]
    assert sum(int(s["children"].sum()) for s in per_county) == h.at["migrant", "value"]
    assert all(s["county_name"].notna().all() for s in per_county)


def test_children_by_age_matches_register(con, period):
    which = {"流动儿童": "category = '流动儿童'", "留守儿童": "category = '留守儿童'", "困境儿童": "in_difficulty"}
    for category, where in which.items():
        expected = dict(con.cursor().execute(
            f"select age_band, count(*) from stg_civil_register where period = ? and {where} group by age_band",
            [period]).fetchall())
        got = {band: int(geo.street_metrics(con, EVERYTHING, period, band, category)["children"].sum())
               for band in geo.MAP_AGE_BANDS if band != "all"}
        assert {b: n for b, n in got.items() if n} == expected, category
        everyone = geo.street_metrics(con, EVERYTHING, period, "all", category)["children"].sum()
        assert everyone == sum(expected.values()), category


def test_key_children_by_risk_matches_ledger(con, period):
    df = q.key_children_by_risk(con, EVERYTHING, period)
    expected = dict(con.cursor().execute(
        "select risk_level, count(*) from stg_key_children where period = ? group by risk_level", [period]
    ).fetchall())
    assert {r: int(n) for r, n in zip(df["risk_level"], df["children"]) if n} == expected
    assert df["risk_rank"].is_monotonic_increasing or df["risk_scheme"].nunique() > 1


# --- Privacy -----------------------------------------------------------------------------------


def test_no_query_returns_person_level_columns(con, period):
    for name, df in all_results(con, EVERYTHING, period).items():
        leaked = [c for c in df.columns if PII.search(c) and c not in ALLOWED_NAME_COLUMNS]
        assert not leaked, (name, leaked)


def test_marts_hold_no_person_level_columns(con):
    rows = con.cursor().execute(
        """
        select table_name, column_name from information_schema.columns
        where table_name in ('children_by_area', 'key_children_by_risk', 'report_periods')
        """
    ).fetchall()
    assert {t for t, _ in rows} == {"children_by_area", "key_children_by_risk", "report_periods"}
    assert not [(t, c) for t, c in rows if PII.search(c)]


# --- Snapshot discovery --------------------------------------------------------------------------


def test_snapshot_info(con):
    info = q.snapshot_info(con)
    assert info.snapshot_id and isinstance(info.is_demo, bool)


def test_missing_snapshot_raises_clear_error(tmp_path):
    with pytest.raises(q.SnapshotNotFound, match="make run"):
        q.current_snapshot_path(tmp_path)
    (tmp_path / "snapshots").mkdir()
    (tmp_path / "snapshots" / "CURRENT").write_text("gone.duckdb")
    with pytest.raises(q.SnapshotNotFound, match="gone.duckdb"):
        q.current_snapshot_path(tmp_path)


def test_connection_is_read_only(con):
    import duckdb

    with pytest.raises(duckdb.Error, match="read-only"):
        con.cursor().execute("create table should_fail (x int)")


def test_child_lists_stop_at_their_limit_keeping_the_most_urgent(con):
    """due_list, worklist and unpaired mask only the rows they return, the first `limit` of the full order."""
    from warehouse.queries import ledger, matching, volunteers

    everything = q.Scope.everything()
    full = ledger.due_list(con, everything)
    assert len(full) > 3
    cut = ledger.due_list(con, everything, limit=3)
    assert cut["person_key"].tolist() == full["person_key"].head(3).tolist()
    assert cut["masked_name"].tolist() == full["masked_name"].head(3).tolist()
    check = matching.checks(con, everything).sort_values("unmatched").iloc[-1]["check_code"]
    work = matching.worklist(con, everything, check)
    assert len(work) > 2 and matching.worklist(con, everything, check, limit=2).equals(work.head(2))
    unpaired = volunteers.unpaired(con, everything)
    assert len(unpaired) > 2 and volunteers.unpaired(con, everything, limit=2).equals(unpaired.head(2))


def test_the_door_s_own_queries_are_catalogue_entries():
    """queries/__init__.py runs no SQL of its own: its reads are entries (warehouse/sql/queries/); only `_df`,
    kept while other modules still build SQL in Python, executes SQL text."""
    import ast
    from pathlib import Path

    from tests.test_catalogue import sql_outside_catalogue

    tree = ast.parse(Path(q.__file__).read_text(encoding="utf-8"))
    helper = [range(f.lineno, f.end_lineno + 1) for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "_df"]
    lines = [int(o.split(":")[1].split()[0]) for o in sql_outside_catalogue("__init__.py")]
    assert [n for n in lines if not any(n in r for r in helper)] == []
    for name in ("periods", "counties", "region_levels", "key_children_by_risk"):
        assert isinstance(getattr(q, name), q.catalogue.Query), name
