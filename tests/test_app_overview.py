"""The overview page through Streamlit's AppTest: renders, shows the door's figures, reacts to filters.

That each card equals its source page is tests/test_overview_meeting.py's job."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from report.cards import value_text
from settings import DATA_DIR_ENV
from tests.files import signed_in
from ui.widgets import DEMO_MARK
from warehouse import queries as q
from warehouse.queries import meeting

APP = str(Path(__file__).resolve().parents[1] / "app.py")
EVERYTHING = q.Scope.everything(exact=True)  # the tests sign in as admin (case access)


@pytest.fixture
def at(data_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    return signed_in(AppTest.from_file(APP, default_timeout=60)).run()


def shown(at: AppTest) -> dict[str, str]:
    """metric key → the figure on its KPI card (the card's data-value attribute)."""
    body = " ".join(h.proto.body for h in at.get("html"))
    found = re.findall(r'class="ov-kpi" data-metric="([^"]+)" data-value="([^"]*)"', body)
    return {k: html.unescape(v) for k, v in found}


def expected(con, scope: q.Scope, period: str) -> dict[str, str]:
    """The cards as the door returns the headline to a signed-in admin (exact figures)."""
    h = q.run(meeting.headline, con, scope, period)
    return {r["metric"]: value_text(r) for r in h.to_dict("records")}


def test_renders_without_exception(at):
    assert not at.exception
    assert [t.value for t in at.title] == ["总览"]


def test_metrics_match_queries_for_latest_period(at, con):
    latest = str(q.periods(con)["period"].iloc[0])
    assert at.selectbox(key="period").value == latest
    assert shown(at) == expected(con, EVERYTHING, latest)
    assert shown(at)["migrant"] not in ("", "—")


def test_demo_mark_is_shown(at, con):
    if q.snapshot_info(con).is_demo:
        assert DEMO_MARK in [w.value for w in at.warning]
    else:
        assert DEMO_MARK not in [w.value for w in at.warning]


def test_period_selector_changes_figures(at, con):
    p = q.periods(con)["period"].tolist()
    if len(p) < 2:
        pytest.skip("fixture has a single register period")
    before = shown(at)
    at.selectbox(key="period").select(p[1]).run()
    assert not at.exception
    assert shown(at) == expected(con, EVERYTHING, p[1])
    if expected(con, EVERYTHING, p[1]) != expected(con, EVERYTHING, p[0]):
        assert shown(at) != before


def test_region_selector_scopes_figures(at, con):
    latest = str(q.periods(con)["period"].iloc[0])
    county = str(q.counties(con, EVERYTHING)["county_code"].iloc[0])
    at.selectbox(key="region").select(county).run()
    assert not at.exception
    assert shown(at) == expected(con, q.Scope.of(county, exact=True), latest)
    assert shown(at) != expected(con, EVERYTHING, latest)


def test_no_snapshot_shows_friendly_message(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    at = signed_in(AppTest.from_file(APP, default_timeout=60)).run()
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert "尚未发布数据快照" in text and "python -m etl init-demo" in text and "No data snapshot" in text
    assert not shown(at)


def test_newly_published_snapshot_is_picked_up_on_next_rerun(data_dir, tmp_path, monkeypatch):
    snaps = tmp_path / "snapshots"
    snaps.mkdir()
    source = q.current_snapshot_path(data_dir)
    shutil.copy(source, snaps / "first.duckdb")
    (snaps / "CURRENT").write_text("first.duckdb")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    at = signed_in(AppTest.from_file(APP, default_timeout=60)).run()
    before = shown(at)["migrant"]

    # Publish a second snapshot with one street's children removed, as a rebuild would.
    shutil.copy(source, snaps / "second.duckdb")
    with duckdb.connect(str(snaps / "second.duckdb")) as con:
        latest = con.execute("select period from report_periods where is_latest").fetchall()[0][0]
        street = con.execute("select min(street_code) from children_by_area where period = ?",
                             [latest]).fetchall()[0][0]
        for mart in ("children_by_area", "key_children_by_risk", "overview_by_street", "geo_street_density"):
            con.execute(f"delete from {mart} where period = ? and street_code = ?", [latest, street])
        con.execute("update meta set snapshot_id = 'second'")
    (snaps / "CURRENT").write_text("second.duckdb")

    at.run()
    assert not at.exception
    with q.connect(snaps / "second.duckdb") as con:
        assert shown(at) == expected(con, EVERYTHING, latest)
    assert shown(at)["migrant"] != before
