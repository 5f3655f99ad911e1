"""The overview (领导驾驶舱) and its query module warehouse.queries.meeting.

Every headline figure must equal the figure its source page shows for the same period and scope: the
map page is run in AppTest and its 合计 read; the other pages' figures are taken from the query each
page calls, through the door (`queries.run`), with the page's own arguments. Meeting mode hides every
widget but the exit control; suppressed counts render as their label ("<5"), never a crash.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from report.cards import value_text
from settings import DATA_DIR_ENV
from tests.files import signed_in
from ui import overview as ov
from warehouse import queries as q
from warehouse.queries import gaps, geo, ledger, meeting, privacy, targets, volunteers

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
CITY = ("990100000000",)


def _scopes(con) -> list[tuple[str, q.Scope]]:
    county = str(q.counties(con, q.Scope.everything())["county_code"].iloc[-1])
    return [("city", q.Scope.of(*CITY)), ("county", q.Scope.of(county))]


@pytest.fixture(scope="module")
def latest(con) -> str:
    return str(q.periods(con)["period"].iloc[0])


def _app(data_dir, monkeypatch, role: str = "leader", scope=CITY) -> AppTest:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    return signed_in(AppTest.from_file(APP, default_timeout=60), role=role, scope=scope)


def _cards(at: AppTest) -> dict[str, str]:
    """metric key → the figure shown on its KPI card (data-value attribute of the card's HTML)."""
    body = " ".join(h.proto.body for h in at.get("html"))
    found = re.findall(r'class="ov-kpi" data-metric="([^"]+)" data-value="([^"]*)"', body)
    return {k: html.unescape(v) for k, v in found}


def _h(con, scope, period) -> pd.DataFrame:
    return q.run(meeting.headline, con, scope, period).set_index("metric")


# --------------------------------------------------------------------------------------------
# The contract with the meeting pack


def test_headline_contract(con, latest):
    h = q.run(meeting.headline, con, q.Scope.of(*CITY), latest)
    assert 6 <= len(h) <= 8
    for col in ["metric", "label", "value", "previous_value", "change", "unit", "kind", "source_page",
                "source_label", "as_of", "detail"]:
        assert col in h.columns
    assert set(h["source_page"]) <= {"map", "gaps", "targets", "volunteers", "key_children"}
    assert set(h["unit"]) <= {"人", "%", "人次", "项"}
    assert set(h.loc[h["unit"] == "人", "kind"]) == {"count"}
    assert str(h["value"].dtype) == "Float64" and str(h["change"].dtype) == "Float64"
    known = h["previous_value"].notna() & h["value"].notna()
    assert (h.loc[known, "change"] == h.loc[known, "value"] - h.loc[known, "previous_value"]).all()
    assert q.run(meeting.headline, con, q.Scope(), latest).empty  # default deny


def test_pack_tables_contract(con, latest):
    tables = q.run(meeting.pack_tables, con, q.Scope.of(*CITY), latest)
    assert tables and all(len(name) <= 31 for name in tables)
    for name, df in tables.items():
        assert all(re.search(r"[\u4e00-\u9fff]", str(c)) or c.endswith(("_label", "_suppressed"))
                   for c in df.columns), (name, list(df.columns))
    h = _h(con, q.Scope.of(*CITY), latest)
    assert tables["主要指标"]["指标"].tolist() == h["label"].tolist()


# --------------------------------------------------------------------------------------------
# Each figure equals its source page (same period, same scope; suppression as the page applies it)


@pytest.mark.parametrize("which", ["city", "county"])
def test_figures_equal_source_queries(con, latest, which):
    scope = dict(_scopes(con))[which]
    exact = q.Scope(scope.prefixes, exact=True)  # values; the labels are checked separately below
    h = _h(con, exact, latest)
    previous = q.previous_period(con, latest)
    data_date = pd.Timestamp(q.snapshot_info(con).data_date).date()

    # 流动儿童分布: the page's defaults (all ages, 流动儿童); its 合计 is the sum over streets
    streets = q.run(geo.street_metrics, con, exact, latest, "all", "流动儿童")
    assert h.at["migrant", "value"] == streets["children"].sum()
    if previous:
        assert h.at["migrant", "previous_value"] == q.run(geo.street_metrics, con, exact, previous, "all",
                                                          "流动儿童")["children"].sum()

    # 重点儿童: the key-children page shows the latest ledger (ledger.by_risk) — same total, same levels
    by_risk = q.run(ledger.by_risk, con, exact)
    levels = q.run(meeting.risk_levels, con, scope, latest)
    assert levels["risk_level"].tolist() == by_risk["risk_level"].tolist()
    assert h.at["key_children", "value"] == by_risk["children"].sum()
    page_labels = q.run(ledger.by_risk, con, scope).get("children_label")
    if page_labels is not None:
        assert levels["children_label"].tolist() == page_labels.tolist()
    detail = _h(con, scope, latest).at["key_children", "detail"]
    for level, label in zip(levels["risk_level"], levels["children_label"]):  # the door's labels ("<5")
        assert f"{level.removesuffix('色')}{label}" in detail

    # 目标进展: the page's status with 评估日期 = the data date (its default) for the latest period
    status = q.run(targets.indicator_status, con, exact, None, data_date)
    for metric, (model, _) in meeting.RATE_MODELS.items():
        rows = status[status["model"] == model]
        if rows.empty:
            assert pd.isna(h.at[metric, "value"])
        else:
            assert h.at[metric, "value"] == pytest.approx(float(rows["current_value"].iloc[0]))
    judged = status[status["status"] != targets.NO_COUNTY_TARGET]  # a county is not judged by city targets
    if len(judged):
        assert h.at["targets_off_track", "value"] == judged["status"].isin(targets.OFF_TRACK).sum()
    else:
        assert pd.isna(h.at["targets_off_track", "value"])
    off = q.run(meeting.off_track_targets, con, exact, latest)
    assert sorted(off["indicator_name"]) == sorted(status.loc[status["status"].isin(targets.OFF_TRACK), "name"])
    assert set(off["department"]) <= set(status["lead_department"])

    # 志愿服务: the page's 月度明细 rows for the months of the register period
    months = q.run(volunteers.monthly, con, exact)
    start = q.periods(con).set_index("period").at[latest, "period_start"]
    end = q.periods(con).set_index("period").at[latest, "period_end"]
    keep = months["period"].between(pd.Timestamp(start).strftime("%Y-%m"), pd.Timestamp(end).strftime("%Y-%m"))
    assert h.at["volunteer_person_times", "value"] == months.loc[keep, "person_times"].sum()

    # 服务缺口: the page's default ranking (综合缺口指数), counties city-wide, streets of one county
    level = "county" if which == "city" else "street"
    index = q.run(gaps.index_table, con, exact, latest, level).sort_values(["rank", "area_code"])
    top = q.run(meeting.top_county_gaps, con, exact, latest)
    assert top["area_code"].tolist() == index["area_code"].head(3).tolist()
    assert top["gap_index"].tolist() == pytest.approx(index["gap_index"].head(3).tolist())
    gap_detail = q.run(gaps.gaps_of_area, con, exact, latest, level)
    for r in top.itertuples():
        mine = gap_detail[(gap_detail["area_code"] == r.area_code) & gap_detail["gap_share"].notna()]
        assert r.shortfall == mine.sort_values(["gap_share", "shortfall"], ascending=False)["shortfall"].iloc[0]
        mine = gap_detail[(gap_detail["area_code"] == r.area_code) & gap_detail["gap_share"].notna()]
        assert r.gap_share == pytest.approx(mine["gap_share"].max())


@pytest.mark.parametrize("which", ["city", "county"])
def test_street_density_equals_map_page_rows(con, latest, which):
    from ui import map as mp

    scope = dict(_scopes(con))[which]
    raw = q.run(geo.street_metrics, con, scope, latest, "all", "流动儿童")
    page = mp.suppressed_streets(raw, "children", False, privacy.threshold())  # as views/map.py does
    mine = q.run(meeting.street_density, con, scope, latest)
    assert mine["street_code"].tolist() == page["street_code"].tolist()
    assert mine["children_label"].tolist() == page["children_label"].tolist()
    assert mine["geometry"].notna().all()


def test_overview_cards_equal_map_page_in_app(data_dir, monkeypatch, con, latest):
    """The map page run in AppTest: its 合计 equals the overview's 流动儿童 card, city-wide and per county."""
    at = _app(data_dir, monkeypatch).run()
    assert not at.exception
    cards = _cards(at)
    assert len(cards) == len(_h(con, q.Scope.of(*CITY), latest))
    assert cards["migrant"] == value_text(_h(con, q.Scope.of(*CITY), latest).reset_index()
                                             .set_index("metric", drop=False).loc["migrant"].to_dict())
    county = str(q.counties(con, q.Scope.everything())["county_code"].iloc[-1])
    at.selectbox(key="region").select(county).run()
    assert not at.exception
    county_cards = _cards(at)

    page = _app(data_dir, monkeypatch)
    page.switch_page("views/map.py").run()
    assert not page.exception
    total = next(c.value for c in page.caption if c.value.startswith("合计"))
    assert total.startswith(f"合计：{cards['migrant']} 人")
    page.selectbox(key="map_county").select(county).run()
    total = next(c.value for c in page.caption if c.value.startswith("合计"))
    assert total.startswith(f"合计：{county_cards['migrant']} 人")


def test_targets_and_volunteers_pages_in_app_show_the_same_figures(data_dir, monkeypatch, con, latest):
    """The targets page (each plan, 评估日期 = its default, the data date) and the volunteers page (月度明细),
    run in AppTest for the leader's scope, show the overview's off-track count, rates and person-times."""
    h = _h(con, q.Scope.of(*CITY), latest)
    page = _app(data_dir, monkeypatch)
    page.switch_page("views/targets.py").run()
    assert not page.exception
    off, current = 0, {}
    for plan_id, n in q.run(targets.plans, con, q.Scope.of(*CITY))[["plan_id", "indicators"]].itertuples(index=False):
        page.selectbox(key="plan").select(plan_id).run()
        metrics = {m.label: int(m.value) for m in page.metric if m.label in targets.OFF_TRACK}
        off += sum(metrics.values())
        table = next(d.value for d in page.dataframe  # the 状态表 tab: every indicator of the plan
                     if {"计划编号", "当前值"} <= set(d.value.columns) and set(d.value["计划编号"]) == {plan_id}
                     and len(d.value) == n)
        current.update({(r["计划编号"], r["指标名称"]): r["当前值"] for r in table.to_dict("records")})
    assert h.at["targets_off_track", "value"] == off
    status = q.run(targets.indicator_status, con, q.Scope.of(*CITY), None, None)
    for metric, (model, _) in meeting.RATE_MODELS.items():
        row = status[status["model"] == model].iloc[0]
        assert h.at[metric, "value"] == pytest.approx(float(current[(row["plan_id"], row["name"])]))

    page.switch_page("views/volunteers.py").run()
    assert not page.exception
    monthly = next(d.value for d in page.dataframe if list(d.value.columns[:1]) == ["月份"])
    p = q.periods(con).set_index("period").loc[latest]
    months = pd.period_range(p["period_start"], p["period_end"], freq="M").strftime("%Y-%m")
    shown = monthly.loc[monthly["月份"].isin(months), "服务人次"]
    assert len(shown) and h.at["volunteer_person_times", "value"] == shown.sum()


# --------------------------------------------------------------------------------------------
# The page


def test_overview_renders_every_part(data_dir, monkeypatch, con, latest):
    at = _app(data_dir, monkeypatch).run()
    assert not at.exception
    body = " ".join(h.proto.body for h in at.get("html"))
    h = _h(con, q.Scope.of(*CITY), latest)
    for label in h["label"]:
        assert f">{label}<" in body
    for source in h["source_label"]:
        assert f"来源：{source}页" in body
    assert 'id="ov-gaps"' in body and 'id="ov-targets"' in body
    import json

    drawn = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][-1]  # the map's street names and labels
    streets = q.run(meeting.street_density, con, q.Scope.of(*CITY), latest)
    assert drawn["hovertext"] == streets["street_name"].tolist()
    assert drawn["customdata"] == streets["children_label"].tolist()
    off = q.run(meeting.off_track_targets, con, q.Scope.of(*CITY), latest)
    for name in off["indicator_name"].head(ov.MAX_TARGETS[False]):
        assert name in body
    assert "摸排台账" in body and "评估日" in body  # the period mapping, shown (meeting.period_note)


def test_period_selector_changes_cards(data_dir, monkeypatch, con):
    p = q.periods(con)["period"].tolist()
    if len(p) < 2:
        pytest.skip("fixture has a single register period")
    at = _app(data_dir, monkeypatch).run()
    at.selectbox(key="period").select(p[1]).run()
    assert not at.exception
    h = _h(con, q.Scope.of(*CITY), p[1]).reset_index()
    assert _cards(at) == {r["metric"]: value_text(r) for r in h.to_dict("records")}


def test_meeting_mode_hides_widgets(data_dir, monkeypatch, con, latest):
    at = _app(data_dir, monkeypatch)
    at.query_params["meeting"] = "1"
    at.run()
    assert not at.exception
    assert not at.selectbox and not at.toggle
    assert [b.key for b in at.button if b.key != "sign_out"] == ["ov_exit_meeting"]
    body = " ".join(h.proto.body for h in at.get("html"))
    assert "统计期" in body and "数据截至" in body
    assert 'data-testid="stSidebar"' in body and "display: none" in body  # the page's CSS hides the sidebar
    if q.snapshot_info(con).is_demo:
        assert any("示例数据" in w.value for w in at.warning)
    assert len(_cards(at)) == len(_h(con, q.Scope.of(*CITY), latest))
    at.button(key="ov_exit_meeting").click().run()
    assert not at.exception
    assert at.selectbox(key="period") is not None and at.toggle(key="ov_meeting") is not None


def test_toggle_enters_meeting_mode_keeping_the_selection(data_dir, monkeypatch, con):
    county = str(q.counties(con, q.Scope.everything())["county_code"].iloc[-1])
    at = _app(data_dir, monkeypatch).run()
    at.selectbox(key="region").select(county).run()
    before = _cards(at)
    at.toggle(key="ov_meeting").set_value(True).run()
    assert not at.exception
    assert not at.selectbox
    assert at.query_params["meeting"] in ("1", ["1"])
    assert _cards(at) == before
    at.button(key="ov_exit_meeting").click().run()  # back to the same selection, selectors shown again
    assert not at.exception
    assert at.selectbox(key="region").value == county and _cards(at) == before


def test_suppressed_counts_show_their_label(data_dir, monkeypatch, tmp_path, con, latest):
    """A threshold above every count: the count cards say "<T", never the number, and nothing crashes."""
    settings = yaml.safe_load((ROOT / "config" / "settings.yaml").read_text(encoding="utf-8")) or {}
    total = int(_h(con, q.Scope.of(*CITY), latest).at["migrant", "value"])
    t = total + 1
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump({**settings, "small_number_threshold": t}),
                                            encoding="utf-8")
    monkeypatch.setenv("TONGXIN_CONFIG_DIR", str(tmp_path))
    import streamlit as st

    st.cache_data.clear()
    at = _app(data_dir, monkeypatch).run()
    assert not at.exception
    cards = _cards(at)
    assert cards["migrant"] == f"<{t}" and cards["key_children"] == f"<{t}"
    body = " ".join(h.proto.body for h in at.get("html"))
    assert f"{total:,}" not in body
    assert cards["visit_compliance"] != f"<{t}"  # rates are never suppressed as counts
    st.cache_data.clear()


# --------------------------------------------------------------------------------------------
# One palette, three variants (screen, meeting, print)


def test_theme_variants():
    import plotly.graph_objects as go

    from ui import theme

    fig = go.Figure(go.Bar(x=["红色"], y=[1]))
    screen = theme.apply(go.Figure(fig)).layout.template.layout
    meeting_t = theme.apply(go.Figure(fig), variant="meeting").layout.template.layout
    printed = theme.for_print(theme.apply(go.Figure(fig))).layout
    for t in (screen, meeting_t, printed.template.layout):
        assert t.font.family.startswith("Noto Sans CJK SC") and list(t.colorway) == theme.PALETTE
    assert meeting_t.font.size > screen.font.size and meeting_t.font.color == "#000000"
    assert printed.paper_bgcolor == "#ffffff" and printed.plot_bgcolor == "#ffffff"


def test_overview_chart_uses_the_theme(data_dir, monkeypatch):
    import json

    from ui import theme

    at = _app(data_dir, monkeypatch).run()
    for chart in at.get("plotly_chart"):  # the map and the risk levels
        spec = json.loads(chart.proto.spec)
        assert spec["layout"]["template"]["layout"]["font"]["family"] == theme.FONT_FAMILY
    at.query_params["meeting"] = "1"
    at.run()
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        assert spec["layout"]["template"]["layout"]["font"]["size"] == pio_size(theme.MEETING_TEMPLATE_NAME)


def pio_size(name: str) -> int:
    import plotly.io as pio

    return pio.templates[name].layout.font.size
