"""The map page (流动儿童分布) in AppTest: every street drawn and coloured with a legend; metric, age band
and county switch map and table consistently; small numbers never exact on the page or in the download.

Expectations are computed here from the landed extracts (register, population, demo boundary file),
never from the marts under test.
"""
from __future__ import annotations

import html
import io
import json
import urllib.parse
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from etl.contracts import parse_period
from etl.landed import current_loads, landed_dir, read_load_log
from tests.files import signed_in
from warehouse.queries import geo, privacy

APP = str(Path(__file__).resolve().parents[1] / "app.py")
T = privacy.threshold()


# ---- independent expectations ----------------------------------------------------------------
def _landed(data_dir: Path, source: str) -> dict[str, pd.DataFrame]:
    cur = current_loads(read_load_log(data_dir))
    return {p: pq.read_table(landed_dir(data_dir) / e["accepted_path"]).to_pandas()
            for (s, p), e in cur.items() if s == source}


def _age(birth, at: date) -> int:
    b = pd.Timestamp(birth).date()
    return at.year - b.year - ((at.month, at.day) < (b.month, b.day))


def _band(age: int) -> str | None:
    for lo, hi in ((0, 3), (3, 6), (6, 12), (12, 16)):
        if lo <= age < hi:
            return f"{lo}-{hi}"
    return None


def expected_counts(data_dir: Path, period: str, band: str, category: str) -> dict[str, int]:
    reg = _landed(data_dir, "civil_register")[period]
    end = parse_period(period, "half_year")[1]
    bands = reg["birth_date"].map(lambda b: _band(_age(b, end)))
    keep = bands.notna() if band == "all" else bands == band
    if category == "困境儿童":
        keep &= reg["in_difficulty"].fillna(False).astype(bool)
    else:
        keep &= reg["category"] == category
    streets = reg.loc[keep, "community_code"].str[:9] + "000"
    return streets.value_counts().to_dict()


def street_regions(data_dir: Path) -> pd.DataFrame:
    regions = next(iter(_landed(data_dir, "regions").values()))
    return regions[regions["level"] == "street"]


def boundary_areas(demo_extracts: Path) -> dict[str, float]:
    doc = json.loads((demo_extracts / "示范市_街道边界_示意.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f["properties"]["area_km2"] for f in doc["features"]}


def latest_period(data_dir: Path) -> str:
    return max(_landed(data_dir, "civil_register"))


# ---- helpers reading the page ------------------------------------------------------------------
@pytest.fixture
def at(data_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(data_dir))
    app = signed_in(AppTest.from_file(APP, default_timeout=60)).run()
    app.switch_page("views/map.py").run()
    assert not app.exception
    return app


@pytest.fixture
def leader_at(data_dir, monkeypatch) -> AppTest:
    """The map as the city leader sees it (no case access: the small-number rule applies)."""
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(data_dir))
    app = signed_in(AppTest.from_file(APP, default_timeout=60), "leader", ("990100",)).run()
    app.switch_page("views/map.py").run()
    assert not app.exception
    return app


def deck(at: AppTest) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def chart(at: AppTest) -> dict:
    """The map as drawn without a basemap (plotly): its figure."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def trace(at: AppTest, name: str) -> dict:
    return next(t for t in chart(at)["data"] if t.get("name") == name)


def features(at: AppTest) -> dict[str, dict]:
    """Each street as the map draws it (its trace's meta: code, name, county, class, suppressed, value, children)."""
    return {t["meta"]["code"]: t["meta"] for t in chart(at)["data"] if "code" in (t.get("meta") or {})}


def extent(at: AppTest) -> tuple[float, float]:
    """Width and height of what the streets cover on the map (its axes fit them)."""
    xs = [x for t in chart(at)["data"] if "code" in (t.get("meta") or {}) for x in t["x"] if x is not None]
    ys = [y for t in chart(at)["data"] if "code" in (t.get("meta") or {}) for y in t["y"] if y is not None]
    return max(xs) - min(xs), max(ys) - min(ys)


def table(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def shown_count(label: str) -> int | None:
    return None if label.startswith("<") or label == "*" else int(label.replace(",", ""))


def check_counts(props: dict[str, dict], want: dict[str, int]) -> None:
    for code, p in props.items():
        n = want.get(code, 0)
        if 0 < n < T:
            assert p["children"] == f"<{T}" and p["suppressed"], (code, p)
        elif p["children"] != "*":
            assert shown_count(p["children"]) == n, (code, p, n)


# ---- tests ------------------------------------------------------------------------------------
def test_every_street_drawn_coloured_with_legend(at, data_dir):
    # No basemap by default: no deck.gl (its WebGL context cost the browser a second a view), no tiles.
    assert not at.get("deck_gl_json_chart") and "http" not in at.get("plotly_chart")[0].proto.spec
    props = features(at)
    assert sorted(props) == sorted(street_regions(data_dir)["region_code"])
    for p in props.values():
        assert p["suppressed"] or p["class"] is not None, p  # coloured unless suppressed
    legend = " ".join(m.value for m in at.markdown)
    assert "图例：人数" in legend and "分位数" in legend
    assert set(trace(at, "labels")["text"]) == set(street_regions(data_dir)["region_name"])
    shapes = [t for t in chart(at)["data"] if "code" in (t.get("meta") or {})]
    assert all(t["fill"] == "toself" and t["hoveron"] == "fills" and t["meta"]["name"] in t["name"] for t in shapes)
    assert "示意边界" in " ".join(c.value for c in at.caption)
    check_counts(props, expected_counts(data_dir, latest_period(data_dir), "all", "流动儿童"))


def test_table_matches_map(at, data_dir):
    props = features(at)
    tbl = table(at)
    names = {p["name"]: p["children"] for p in props.values()}
    assert dict(zip(tbl["街道（乡镇）"], tbl["人数"])) == names


def test_metric_switch_per_km2(at, data_dir, demo_extracts):
    at.segmented_control(key="map_metric").set_value("per_km2").run()
    assert not at.exception
    want = expected_counts(data_dir, latest_period(data_dir), "all", "流动儿童")
    areas = boundary_areas(demo_extracts)
    props = features(at)
    tbl = table(at).set_index("街道（乡镇）")
    label = geo.METRICS["per_km2"][1]
    assert label in tbl.columns and f"图例：{label}" in " ".join(m.value for m in at.markdown)
    for code, p in props.items():
        n = want.get(code, 0)
        if p["suppressed"]:
            assert p["value"] == f"<{T}" and pd.isna(tbl.at[p["name"], geo.METRICS["per_km2"][1]])
            continue
        assert float(p["value"].replace(",", "")) == pytest.approx(n / areas[code], rel=0.01, abs=0.01)
        assert tbl.at[p["name"], geo.METRICS["per_km2"][1]] == pytest.approx(n / areas[code], rel=0.01)


def test_metric_share_of_under16_uses_population(at, data_dir):
    at.segmented_control(key="map_metric").set_value("share_of_under16").run()
    pop = next(iter(_landed(data_dir, "population").values())).set_index("street_code")
    want = expected_counts(data_dir, latest_period(data_dir), "all", "流动儿童")
    for code, p in features(at).items():
        if p["suppressed"] or code not in pop.index:
            continue
        kids = sum(int(pop.at[code, c]) for c in ("residents_0_3", "residents_3_6", "residents_6_12",
                                                     "residents_12_16"))
        assert float(p["value"].rstrip("%")) == pytest.approx(100 * want.get(code, 0) / kids, abs=0.06)


def test_age_band_switch(at, data_dir):
    before = features(at)
    at.selectbox(key="map_age").select("0-3").run()
    assert not at.exception
    after = features(at)
    check_counts(after, expected_counts(data_dir, latest_period(data_dir), "0-3", "流动儿童"))
    assert [p["children"] for p in after.values()] != [p["children"] for p in before.values()]
    assert dict(zip(table(at)["街道（乡镇）"], table(at)["人数"])) == {p["name"]: p["children"]
                                                                      for p in after.values()}


def test_county_switch_zooms_to_its_streets(at, data_dir):
    regions = street_regions(data_dir)
    county = max(regions["parent_code"].unique())
    before = extent(at)
    at.selectbox(key="map_county").select(county).run()
    assert not at.exception
    props = features(at)
    mine = regions[regions["parent_code"] == county]
    assert sorted(props) == sorted(mine["region_code"])
    assert sorted(table(at)["街道（乡镇）"]) == sorted(mine["region_name"])
    after = extent(at)  # the axes fit a part of the city: it fills the map, never smaller than the city
    assert after[0] <= before[0] and after[1] <= before[1] and after[0] * after[1] < before[0] * before[1]


def test_small_cells_never_exact_on_page(leader_at, data_dir):
    at = leader_at
    period = latest_period(data_dir)
    # Find a filter with at least one small street count (computed from the landed register).
    for band in ("0-3", "3-6", "12-16", "6-12", "all"):
        for cat in ("困境儿童", "留守儿童", "流动儿童"):
            want = expected_counts(data_dir, period, band, cat)
            codes = set(street_regions(data_dir)["region_code"])
            small = {c: n for c, n in want.items() if c in codes and 0 < n < T}
            if small:
                break
        if small:
            break
    else:
        pytest.skip("no small cell in the fixture")
    at.selectbox(key="map_age").select(band).run()
    at.selectbox(key="map_category").select(cat).run()
    at.toggle(key="map_points").set_value(True).run()
    assert not at.exception
    props = features(at)
    for code in small:
        assert props[code]["children"] == f"<{T}" and props[code]["value"] == f"<{T}"
        assert props[code]["class"] is None  # not coloured by its value
    tbl = table(at)
    numeric = [c for c in tbl.columns if c not in ("区县", "街道（乡镇）", "人数")]
    smalls = tbl[tbl["人数"] == f"<{T}"]
    assert len(smalls) == len(small)
    assert smalls[numeric[0]].isna().all()
    # The view total cannot reveal a single suppressed cell: either ≥ 2 cells hidden, or none.
    hidden = (tbl["人数"] == f"<{T}") | (tbl["人数"] == "*")
    assert hidden.sum() != 1
    # Community points: no exact small value either.
    points = [row for t in chart(at)["data"] if t.get("name") == "communities" for row in t["customdata"]]
    reg = _landed(data_dir, "civil_register")[period]
    end = parse_period(period, "half_year")[1]
    bands = reg["birth_date"].map(lambda b: _band(_age(b, end)))
    keep = (bands.notna() if band == "all" else bands == band) & (
        reg["in_difficulty"].fillna(False).astype(bool) if cat == "困境儿童" else reg["category"] == cat)
    per_comm = reg.loc[keep, "community_name"].value_counts().to_dict()
    assert points
    for name, _street, label in (map(html.unescape, row) for row in points):  # escaped for plotly
        n = shown_count(label)
        assert n is None or n == 0 or n >= T
        if n is not None and name in per_comm:
            assert n == per_comm[name]


def test_download_is_suppressed_the_same_way(data_dir):
    from ui import map as mp
    from warehouse import queries as q

    con = q.connect(q.current_snapshot_path(data_dir))
    try:
        period = latest_period(data_dir)
        raw = q.run(geo.street_metrics, con, q.Scope.everything(), period, "0-3", "困境儿童")
    finally:
        con.close()
    streets = mp.suppressed_streets(raw, "children", True, T)
    data = mp.excel(mp.table(streets, "children", True), "标题", ["说明"])
    sheet = pd.read_excel(io.BytesIO(data), header=2, engine="calamine")
    want = expected_counts(data_dir, period, "0-3", "困境儿童")
    names = dict(zip(street_regions(data_dir)["region_name"], street_regions(data_dir)["region_code"]))
    checked = 0
    for row in sheet.dropna(subset=["街道（乡镇）"]).to_dict("records"):
        if row["街道（乡镇）"] not in names:
            continue
        n = want.get(names[row["街道（乡镇）"]], 0)
        if 0 < n < T:
            checked += 1
            assert str(row["人数"]) == f"<{T}"
            for v in row.values():
                assert not (isinstance(v, (int, float)) and not pd.isna(v) and v == n)
    assert checked == sum(1 for c, n in want.items() if c in names.values() and 0 < n < T)


def test_threshold_is_read_at_run_time(tmp_path, monkeypatch):
    (tmp_path / "settings.yaml").write_text("small_number_threshold: 10\n", encoding="utf-8")
    monkeypatch.setenv("TONGXIN_CONFIG_DIR", str(tmp_path))
    assert privacy.threshold() == 10 and privacy.mark() == "<10"


def test_complementary_suppression():
    df = pd.DataFrame({"county": ["a", "a", "a", "b", "b"], "n": [3, 12, 40, 7, 9], "rate": [.1, .2, .3, .4, .5]})
    out = privacy.suppress(df, ["n"], derived={"rate": "n"}, groups=[["county"], None], t=5)
    assert out["n_label"].tolist() == ["<5", "*", "40", "7", "9"]
    assert out["rate"].isna().tolist() == [True, True, False, False, False]
    # No group's total minus its visible cells leaves exactly one hidden cell.
    for _, g in out.groupby("county"):
        assert g["n_suppressed"].sum() != 1
    # Applying it again (a page re-suppressing what the door suppressed) changes nothing.
    again = privacy.suppress(out, ["n"], derived={"rate": "n"}, groups=[["county"], None], t=5)
    assert again["n_label"].tolist() == out["n_label"].tolist()
    assert again["n"].isna().tolist() == out["n"].isna().tolist()
    # Nothing small: values and labels as they were, counts as integers.
    big = privacy.suppress(df.assign(n=[30, 12, 40, 7, 9]), ["n"], derived={"rate": "n"}, groups=[["county"]], t=5)
    assert big["n"].tolist() == [30, 12, 40, 7, 9] and str(big["n"].dtype) == "Int64"
    assert big["n_label"].tolist() == ["30", "12", "40", "7", "9"] and not big["rate"].isna().any()


def test_optional_basemap_from_settings(data_dir, monkeypatch, tmp_path):
    url = "http://tiles.intranet.example/{z}/{x}/{y}.png"
    (tmp_path / "settings.yaml").write_text(f'basemap_tile_url: "{url}"\n', encoding="utf-8")
    monkeypatch.setenv("TONGXIN_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(data_dir))
    app = signed_in(AppTest.from_file(APP, default_timeout=60)).run()
    app.switch_page("views/map.py").run()
    assert not app.exception
    d = deck(app)
    style = urllib.parse.unquote(d["mapStyle"].split(",", 1)[1])
    assert d["mapStyle"].startswith("data:application/json") and json.loads(style)["sources"]["basemap"]["tiles"] == [url]


def test_change_toggle_shows_change_against_previous_period(at, data_dir):
    periods = sorted(_landed(data_dir, "civil_register"))
    if len(periods) < 2:
        pytest.skip("a single register period")
    cur, prev = periods[-1], periods[-2]
    at.toggle(key="map_change").set_value(True).run()
    assert not at.exception
    now, before = expected_counts(data_dir, cur, "all", "流动儿童"), expected_counts(data_dir, prev, "all", "流动儿童")
    assert "图例：人数较上期变化" in " ".join(m.value for m in at.markdown)
    tbl = table(at).set_index("街道（乡镇）")
    for code, p in features(at).items():
        a, b = now.get(code, 0), before.get(code, 0)
        if 0 < a < T or 0 < b < T:
            assert p["value"] == f"<{T}" and p["class"] is None
            continue
        if p["suppressed"]:
            continue
        assert int(p["value"].replace(",", "").lstrip("+")) == a - b
        assert tbl.at[p["name"], "人数较上期变化"] == a - b
