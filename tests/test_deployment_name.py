"""The deployment's own name (示范市, 某某县, 某省) instead of 全市, and the wording of a county or a province
deployment: a county's selector lists its streets, a province's names each county with its city."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from settings import DATA_DIR_ENV
from tests.files import signed_in
from ui import overview as ov
from ui import widgets
from warehouse import queries as q
from warehouse.queries import gaps as gq
from warehouse.queries import pack as qpack

APP = str(Path(__file__).resolve().parents[1] / "app.py")
EVERYTHING = q.Scope.everything()

COUNTY = [  # a county deployment: the root is a county, no city row
    ("990102000000", "某某县", "county", None, None),
    ("990102001000", "城关镇", "street", "990102000000", None),
    ("990102002000", "河西乡", "street", "990102000000", None),
    ("990102001001", "东街社区", "community", "990102001000", None),
]
PROVINCE = [  # a province deployment: two cities, a county each with the same name
    ("980000000000", "示范省", "province", None, None),
    ("980100000000", "甲市", "city", "980000000000", None),
    ("980200000000", "乙市", "city", "980000000000", None),
    ("980102000000", "东湖区", "county", "980100000000", True),
    ("980202000000", "东湖区", "county", "980200000000", False),
    ("980102001000", "滨江街道", "street", "980102000000", None),
]


def _regions(tmp_path: Path, rows) -> duckdb.DuckDBPyConnection:
    """A snapshot holding only a regions table (the columns the region queries read)."""
    path = tmp_path / "regions.duckdb"
    con = duckdb.connect(str(path))
    df = pd.DataFrame(rows, columns=["region_code", "region_name", "level", "parent_code", "is_urban_core"])
    df["area_type"] = df["is_urban_core"].map({True: "主城区", False: "县域"})
    df["is_listed"] = True  # no division change here: every code is today's
    con.execute("create table regions as select * from df")
    con.close()
    return q.connect(path)


def test_a_county_deployment_is_named_after_its_county_and_offers_its_streets(tmp_path):
    con = _regions(tmp_path, COUNTY)
    d = q.deployment(con, EVERYTHING)
    assert (d.name, d.level, d.whole, d.parts) == ("某某县", "county", "全县", "街道（乡镇）")
    assert q.deployment_name(con, EVERYTHING) == "某某县"
    assert qpack.city_name(con, EVERYTHING) == "某某县"  # the pack's cover names the deployment
    areas = q.areas(con, EVERYTHING)
    assert list(areas["county_name"]) == ["城关镇", "河西乡"]
    assert widgets.whole_label(d, EVERYTHING) == "某某县（全县）"
    assert widgets.whole_label(d, q.Scope.of("990102001")) == "本辖区全部"  # a street's officer
    assert ov.region_label(areas, None, ov.whole_name(d, EVERYTHING)) == "某某县"
    assert not gq.has_urban_core(con, EVERYTHING)  # no 主城区/县域 grouping for one county
    assert q.deployment(con, q.Scope()).name is None  # default deny


def test_a_province_deployment_says_the_province_and_qualifies_counties_by_city(tmp_path):
    con = _regions(tmp_path, PROVINCE)
    d = q.deployment(con, EVERYTHING)
    assert (d.name, d.whole, d.parts) == ("示范省", "全省", "区县")
    assert widgets.whole_label(d, q.Scope.of("98")) == "示范省（全省）"
    counties = q.areas(con, EVERYTHING)
    assert list(widgets.area_names(counties).values()) == ["甲市 · 东湖区", "乙市 · 东湖区"]
    one_city = q.counties(con, q.Scope.of("9801"))
    assert list(widgets.area_names(one_city).values()) == ["东湖区"]  # one city: no qualifier needed
    assert gq.has_urban_core(con, EVERYTHING)
    assert qpack.city_name(con, q.Scope.of("98")) == "示范省"  # the pack's cover, not 甲市、乙市
    assert qpack.city_name(con, q.Scope.of("980202")) == "乙市"  # a county user's pack names its city


def test_a_configured_root_names_the_deployment(tmp_path):
    con = _regions(tmp_path, [r for r in PROVINCE if not r[0].startswith("9802")])  # the root kept its part
    assert q.deployment(con, EVERYTHING, root="980100000000").name == "甲市"
    assert q.deployment(con, EVERYTHING, root="110100000000").name == "示范省"  # not in the table: the top
    (tmp_path / "wide").mkdir()
    con = _regions(tmp_path / "wide", PROVINCE)  # the table still holds 乙市: its figures are not 甲市's
    assert q.deployment(con, EVERYTHING, root="980100000000").name == "示范省"


def test_district_and_county_level_city_words():
    assert q.Deployment("990102000000", "东湖区", "county").whole == "全区"
    assert q.Deployment("990181000000", "临川市", "county").whole == "全市"
    assert q.Deployment(None, None, None).label == "全部"


@pytest.fixture
def at(data_dir, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    return signed_in(AppTest.from_file(APP, default_timeout=60))


def test_the_selector_and_the_overview_name_the_city(at, con):
    name = q.deployment_name(con, EVERYTHING)
    assert name == "示范市"
    at.run()
    assert not at.exception
    region = at.selectbox(key="region")
    assert region.format_func(None) == "示范市（全市）"
    body = " ".join(h.proto.body for h in at.get("html"))
    assert 'class="ov-region">示范市</b>' in body and "流动儿童分布（示范市）" in body
    assert "全市" not in body.replace("全市目标", "")


def test_a_county_user_sees_their_county(data_dir, con, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    county = q.counties(con, EVERYTHING).iloc[0]
    at = signed_in(AppTest.from_file(APP, default_timeout=60), "county_officer", (county["county_code"],),
                   "county-h5").run()
    assert not at.exception
    assert at.selectbox(key="region").format_func(None) == "本辖区全部"
    body = " ".join(h.proto.body for h in at.get("html"))
    assert f'class="ov-region">{county["county_name"]}</b>' in body and "示范市" not in body


COUNTY_CSV = """区划代码,名称,层级,上级代码,区域类型
990102000000,某某县,区县,,
990102001000,城关镇,街道,990102000000,镇区
990102001001,东街社区,社区,990102001000,
990102002000,河西乡,街道,990102000000,乡村
990102002001,河西村,社区,990102002000,
"""
PROVINCE_CSV = """区划代码,名称,层级,上级代码,区域类型
980000000000,示范省,省,,
980100000000,甲市,市,980000000000,
980102000000,东湖区,区县,980100000000,主城区
980102001000,滨江街道,街道,980102000000,
980200000000,乙市,市,980000000000,
980202000000,东湖区,区县,980200000000,县域
980202001000,河口镇,街道,980202000000,
"""


def _deployment_app(tmp_path, monkeypatch, csv: str, scope: str) -> AppTest:
    """A data folder whose region table is `csv` (nothing else landed), built, and the app signed in on it."""
    from etl.land import land
    from warehouse.build import build

    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    root = tmp_path / "data"
    (tmp_path / "区划.csv").write_text(csv, encoding="utf-8")
    land("regions", tmp_path / "区划.csv", "2025", root=root)
    build(root)
    monkeypatch.setenv(DATA_DIR_ENV, str(root))
    return signed_in(AppTest.from_file(APP, default_timeout=60), "admin", (scope,))


@pytest.mark.parametrize("csv, root, options, name", [
    (COUNTY_CSV, "990102", ["某某县（全县）", "城关镇", "河西乡"], "某某县"),  # a county speaks of streets
    (PROVINCE_CSV, "98", ["示范省（全省）", "甲市 · 东湖区", "乙市 · 东湖区"], "示范省"),  # a province of its cities
], ids=["county", "province"])
def test_a_deployments_pages_say_its_name_and_its_parts(tmp_path, monkeypatch, csv, root, options, name):
    at = _deployment_app(tmp_path, monkeypatch, csv, root).run()
    assert not at.exception
    assert at.selectbox(key="region").options == options
    body = " ".join(h.proto.body for h in at.get("html"))
    assert f'class="ov-region">{name}</b>' in body and "全市" not in body
