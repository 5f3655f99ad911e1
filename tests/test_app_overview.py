"""The overview page through Streamlit's AppTest: renders, shows the queries' figures, reacts to filters."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.files import signed_in
from ui import format as fmt
from ui import theme
from ui.widgets import DEMO_MARK
from warehouse import queries as q

APP = str(Path(__file__).resolve().parents[1] / "app.py")
EVERYTHING = q.Scope.everything()


@pytest.fixture
def at(data_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv(q.DATA_DIR_ENV, str(data_dir))
    return signed_in(AppTest.from_file(APP, default_timeout=60)).run()


def shown(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def expected(con, scope: q.Scope, period: str) -> dict[str, tuple[str, str]]:
    h = q.headline(con, scope, period)
    return {r.label: (fmt.number(r.value), fmt.delta(r.change) or "") for r in h.itertuples()}


def values(v) -> list:
    """Plotly JSON arrays may be typed ({"dtype": "i8", "bdata": base64}); decode either form."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)


def test_renders_without_exception(at):
    assert not at.exception
    assert [t.value for t in at.title] == ["总览"]


def test_metrics_match_queries_for_latest_period(at, con):
    latest = str(q.periods(con)["period"].iloc[0])
    assert at.selectbox(key="period").value == latest
    assert shown(at) == expected(con, EVERYTHING, latest)
    assert "流动儿童" in shown(at)


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
    assert shown(at) == expected(con, q.Scope.of(county), latest)
    table = at.dataframe[0].value
    assert table["county_code"].tolist() == [county]


def test_charts_carry_the_figures(at, con):
    latest = str(q.periods(con)["period"].iloc[0])
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    charts = {s["layout"]["yaxis"]["title"]["text"]: s for s in specs}
    age = charts["儿童数（人）"]
    total = sum(sum(values(trace["y"])) for trace in age["data"])
    assert total == q.headline(con, EVERYTHING, latest).set_index("metric").at["children", "value"]
    assert "Noto Sans CJK SC" in age["layout"]["template"]["layout"]["font"]["family"]
    levels = q.key_children_by_risk(con, EVERYTHING, latest)
    if levels.empty:
        assert "重点对象（人）" not in charts
        return
    risk = charts["重点对象（人）"]
    assert values(risk["data"][0]["x"]) == levels["risk_level"].tolist()
    assert values(risk["data"][0]["y"]) == levels["children"].tolist()
    assert risk["data"][0]["marker"]["color"][0] == theme.RISK_COLORS[levels["risk_level"].iloc[0]]


def test_no_snapshot_shows_friendly_message(tmp_path, monkeypatch):
    monkeypatch.setenv(q.DATA_DIR_ENV, str(tmp_path))
    at = signed_in(AppTest.from_file(APP, default_timeout=60)).run()
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert "尚未发布数据快照" in text and "python -m etl init-demo" in text and "No data snapshot" in text
    assert not at.metric


def test_category_filter_narrows_age_chart(at, con):
    latest = str(q.periods(con)["period"].iloc[0])
    at.segmented_control(key="category").set_value("留守儿童").run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    age = next(s for s in specs if s["layout"]["yaxis"]["title"]["text"] == "儿童数（人）")
    total = sum(sum(values(trace["y"])) for trace in age["data"])
    assert total == q.headline(con, EVERYTHING, latest).set_index("metric").at["left_behind", "value"]


def test_newly_published_snapshot_is_picked_up_on_next_rerun(data_dir, tmp_path, monkeypatch):
    snaps = tmp_path / "snapshots"
    snaps.mkdir()
    source = q.current_snapshot_path(data_dir)
    shutil.copy(source, snaps / "first.duckdb")
    (snaps / "CURRENT").write_text("first.duckdb")
    monkeypatch.setenv(q.DATA_DIR_ENV, str(tmp_path))
    at = signed_in(AppTest.from_file(APP, default_timeout=60)).run()
    before = shown(at)["监测儿童总数"]

    # Publish a second snapshot with one street's children removed, as a rebuild would.
    shutil.copy(source, snaps / "second.duckdb")
    with duckdb.connect(str(snaps / "second.duckdb")) as con:
        latest = con.execute("select period from report_periods where is_latest").fetchall()[0][0]
        street = con.execute("select min(street_code) from children_by_area where period = ?",
                             [latest]).fetchall()[0][0]
        for mart in ("children_by_area", "key_children_by_risk", "overview_by_street"):
            con.execute(f"delete from {mart} where period = ? and street_code = ?", [latest, street])
        con.execute("update meta set snapshot_id = 'second'")
    (snaps / "CURRENT").write_text("second.duckdb")

    at.run()
    assert not at.exception
    with q.connect(snaps / "second.duckdb") as con:
        assert shown(at) == expected(con, EVERYTHING, latest)
    assert shown(at)["监测儿童总数"] != before
