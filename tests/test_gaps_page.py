"""The 服务缺口 page: AppTest at county and street level, Excel downloads with Chinese headers, and
a real browser (Debian chromium) with a screenshot and no outside request."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook
from streamlit.testing.v1 import AppTest

from settings import DATA_DIR_ENV
from tests.browser import ARTIFACTS, needs_chromium, open_page
from tests.files import signed_in
from ui import gaps as ui
from warehouse import queries as q
from warehouse.queries import gaps as gq

APP = str(Path(__file__).resolve().parents[1] / "app.py")
EVERYTHING = q.Scope.everything()


@pytest.fixture(scope="module")
def latest(con) -> str:
    return str(q.periods(con)["period"].iloc[0])


@pytest.fixture
def at(data_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    at = signed_in(AppTest.from_file(APP, default_timeout=60)).run()
    at.switch_page("views/gaps.py").run()
    assert not at.exception
    return at


def values(v) -> list:
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)


def charts(at: AppTest) -> dict[str, dict]:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {s["layout"]["yaxis"]["title"]["text"]: s for s in specs if "title" in s["layout"]["yaxis"]}


# AppTest does not expose a dataframe's key: tell the page's tables apart by their columns.
TABLES = {
    "index_table": {"gap_index", "gaps_counted"},
    "gap_table": {"shortfall", "position", "area_type"},
    "league_table": {"position", "county_name", "standard"},
    "comparison_table": {"area_group", "counties"},
}


def frame(at: AppTest, key: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if TABLES[key] <= set(d.value.columns))


def test_index_ranks_counties(at, con, latest):
    assert [t.value for t in at.title] == ["服务缺口"]
    want = q.Scope.everything()
    index = gq.index_table(con, want, latest, "county").sort_values(["rank", "area_code"])
    shown = frame(at, "index_table")
    assert shown["area_name"].tolist() == index["area_name"].tolist()
    assert shown["gap_index"].tolist() == pytest.approx(index["gap_index"].tolist())
    bar = charts(at)[ui.INDEX_LABEL]
    assert values(bar["data"][0]["y"]) == pytest.approx(index["gap_index"].tolist())
    comparison = frame(at, "comparison_table")
    assert set(comparison["area_group"]) <= {"主城区", "县域"}
    assert "综合缺口指数怎么算" in [e.label for e in at.expander]


def test_gap_at_county_level(at, con, latest):
    at.selectbox(key="gap").select("childcare_places").run()
    assert not at.exception
    want = ui.ordered(q.run(gq.gap_table, con, EVERYTHING, latest, "childcare_places", "county"), "gap_share")
    shown = frame(at, "gap_table")
    assert shown["area_name"].tolist() == want["area_name"].tolist()
    assert shown["shortfall"].tolist() == [f"{int(v):,}" for v in want["shortfall"]]
    assert all(v.endswith("%") for v in shown["gap_share"])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["缺口合计（个托位）"] == ui.fmt.count(int(want["shortfall"].sum()), card=True)
    figures = charts(at)
    bar = figures["缺口率（%）"]
    assert values(bar["data"][0]["y"]) == pytest.approx([v * 100 for v in want["gap_share"]])
    scatter = figures["供给：托位"]
    line = next(t for t in scatter["data"] if t["mode"] == "lines")
    x, y = values(line["x"]), values(line["y"])
    assert y[1] / x[1] == pytest.approx(4.5 / 1000)  # the standard, as a line
    assert any("标准：每千常住人口托位数" in m.value for m in at.markdown)


def test_gap_at_street_level(at, con, latest):
    county = str(q.counties(con, EVERYTHING)["county_code"].iloc[-1])
    at.selectbox(key="gap").select("directors").run()
    at.selectbox(key="gap_county").select(county).run()
    assert not at.exception
    want = ui.ordered(q.run(gq.gap_table, con, q.Scope.of(county), latest, "directors", "street"), "gap_share")
    assert len(want) > 1
    shown = frame(at, "gap_table")
    assert shown["area_name"].tolist() == want["area_name"].tolist()
    assert shown["shortfall"].tolist() == [f"{int(v):,}" for v in want["shortfall"]]
    assert "各街道（乡镇）儿童主任缺口" in [s.value for s in at.subheader]
    assert "主城区与县域对比" not in [s.value for s in at.subheader]


def test_gap_without_standard_shows_ratio_only(at):
    at.selectbox(key="gap").select("inclusive_childcare_places").run()
    assert not at.exception
    assert any("暂无标准" in m.value for m in at.markdown)
    assert "每千常住人口普惠托位数" in charts(at)
    assert set(frame(at, "gap_table")["shortfall"]) == {"—"}


def test_excel_download_has_chinese_headers(con, latest, tmp_path):
    table = gq.gap_table(con, EVERYTHING, latest, "childcare_places", "county")
    cols = ["rank", "area_name", "supply", "demand", "ratio", "standard_value", "shortfall", "gap_share"]
    path = tmp_path / "缺口.xlsx"
    path.write_bytes(ui.excel(table, cols, "托位缺口"))
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("托位缺口").to_python()
    assert rows[0] == ["排名", "地区", "供给数", "需求数", "现状比值", "标准值", "缺口（单位数）", "缺口率（%）"]
    assert [r[1] for r in rows[1:]] == table["area_name"].tolist()
    assert [int(r[6]) for r in rows[1:]] == table["shortfall"].tolist()
    assert [r[7] for r in rows[1:]] == pytest.approx([round(v * 100, 1) for v in table["gap_share"]])


def test_excel_shows_hidden_figures_as_marks(con, tmp_path):
    """A figure the small-number rule hid reads "<5" in the download, never an empty cell or None."""
    for period in q.periods(con)["period"]:
        streets = q.run(gq.gap_table, con, EVERYTHING, period, "vaccination", "street")
        if streets["demand"].isna().any():
            break
    else:
        pytest.fail("the fixture has no street whose vaccination figures are hidden")
    cols = ["area_name", "demand", "supply", "shortfall", "gap_share"]
    path = tmp_path / "接种.xlsx"
    path.write_bytes(ui.excel(streets, cols, "接种"))
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("接种").to_python()[1:]
    hidden = streets["demand"].isna().tolist()
    assert any(hidden)
    for r, h in zip(rows, hidden):
        assert (r[1] in ("<5", "*")) == h and (r[3] in ("<5", "*")) == h
        assert "None" not in map(str, r) and all(v != "" for v in r)


def test_gaps_in_chromium(app_server, data_dir, tmp_path):
    # Through the app's own navigation, as a user clicks it.
    with open_page(app_server, "/", height=1800) as (page, outside, errors):
        page.locator('[data-testid="stSidebarNav"]').get_by_text("服务缺口").click(timeout=60_000)
        page.get_by_text("各区县综合缺口指数排名").wait_for(timeout=60_000)
        assert urlsplit(page.url).path.endswith("/gaps")  # the link keeps the filters after it
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)
        with page.expect_download(timeout=30_000) as info:
            page.get_by_role("button", name="下载“主城区与县域对比").click()
        saved = tmp_path / "comparison.xlsx"
        info.value.save_as(saved)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "gaps.png"), full_page=True)
        body = page.locator("body").inner_text()
        exceptions = page.locator('[data-testid="stException"]').count()
        # One gap: shortfall bars and the demand/supply scatter with the standard line.
        # the page is long (a street league below the index): back to the top before opening the select box
        gap_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="缺口指标")
        gap_box.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        gap_box.click()
        page.get_by_role("option", name="托育 · 托位", exact=True).click()
        page.get_by_text("各区县托位缺口").wait_for(timeout=60_000)
        page.locator(".js-plotly-plot .main-svg").nth(2).wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "gaps_childcare.png"), full_page=True)
        exceptions += page.locator('[data-testid="stException"]').count()
        body += page.locator("body").inner_text()
        # Drill into the last county: the same views for its streets.
        page.locator('[data-testid="stSelectbox"]').filter(has_text="区域").click()
        page.get_by_role("option").last.click()
        page.get_by_text("各街道（乡镇）托位缺口").wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "gaps_street.png"), full_page=True)
        exceptions += page.locator('[data-testid="stException"]').count()
    assert exceptions == 0 and "Traceback" not in body
    assert "主城区与县域对比" in body and "标准：每千常住人口托位数" in body
    assert not errors, errors
    assert not outside, outside
    sheet = CalamineWorkbook.from_path(str(saved)).sheet_names[0]
    header = CalamineWorkbook.from_path(str(saved)).get_sheet_by_name(sheet).to_python()[0]
    assert header[:3] == ["主城区/县域", "缺口", "区县数"]


for _mark in needs_chromium:
    test_gaps_in_chromium = _mark(test_gaps_in_chromium)


def test_index_at_street_level(at, con, latest):
    county = str(q.counties(con, EVERYTHING)["county_code"].iloc[0])
    at.selectbox(key="gap_county").select(county).run()
    assert not at.exception
    want = gq.index_table(con, q.Scope.of(county), latest, "street").sort_values(["rank", "area_code"])
    shown = frame(at, "index_table")
    assert shown["area_code"].tolist() == want["area_code"].tolist()
    assert all(code.startswith(county[:6]) and code != county for code in shown["area_code"])
    assert "各街道（乡镇）综合缺口指数排名" in [s.value for s in at.subheader]


def test_queries_deny_an_empty_scope(con, latest):
    nobody = q.Scope()
    assert gq.standards(con, nobody).empty and gq.source_periods(con, nobody, latest).empty
    assert gq.gap_table(con, nobody, latest, "childcare_places", "county").empty
    assert gq.index_table(con, nobody, latest, "street").empty
    assert gq.gaps_of_area(con, nobody, latest, "county").empty
    assert gq.measures(con, nobody, latest, "street").empty
    assert gq.urban_core_comparison(con, nobody, latest).empty
    county = str(q.counties(con, EVERYTHING)["county_code"].iloc[0])
    street_scope = gq.gap_table(con, q.Scope.of(county[:6] + "001"), latest, "childcare_places", "county")
    assert street_scope.empty  # a street-level user does not see the county's figures


def _map_fills(at: AppTest) -> dict[str, list[int]]:
    """Area name → [r, g, b, a] of the page's area map (plotly: one filled trace per area, named after it)."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    fig = next(s for s in specs if any(t.get("name") == "labels" and t.get("mode") == "text" for t in s["data"]))
    out = {}
    for t in fig["data"]:
        if t.get("fill") == "toself":
            r, g, b, a = t["fillcolor"].removeprefix("rgba(").removesuffix(")").split(",")
            out[t["name"]] = [int(r), int(g), int(b), round(float(a) * 255)]
    return out


def test_gap_map_colours_every_area_by_its_gap_and_drills_to_streets(at, con, latest):
    """The map shows every county (then, for a chosen county, every street), each coloured by the class
    of the same gap share the table shows; areas meeting the standard are green."""
    def expected_fill(share):
        colour = next(c for upper, c, _ in ui.GAP_CLASSES if share <= upper).lstrip("#")
        return [int(colour[i:i + 2], 16) for i in (0, 2, 4)] + [210]

    at.selectbox(key="gap").select("childcare_places").run()
    table = gq.gap_table(con, EVERYTHING, latest, "childcare_places", "county")
    fills = _map_fills(at)
    assert set(fills) == set(table["area_name"])
    for name, share in zip(table["area_name"], table["gap_share"]):
        assert fills[name] == expected_fill(share)

    county = table["area_code"].iloc[0]
    at.selectbox(key="gap_county").select(county).run()
    streets = gq.gap_table(con, q.Scope.of(county), latest, "childcare_places", "street")
    fills = _map_fills(at)
    assert set(fills) == set(streets["area_name"]) and len(fills) > 1
    assert all(fills[n] == expected_fill(s) for n, s in zip(streets["area_name"], streets["gap_share"]))
