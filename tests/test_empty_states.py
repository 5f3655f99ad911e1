"""Empty and partial states: a page whose input has not landed names the extract (Chinese title, department,
the period expected now) and links its template for a role that may upload; nobody sees only "no data".

Snapshots are built here from a subset of the fixture's extracts: regions and boundaries only, and regions
with the register only."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from etl.__main__ import land_demo_boundaries
from etl.contracts import get_source
from etl.land import land
from settings import DATA_DIR_ENV
from tests.files import signed_in
from warehouse import queries as q
from warehouse.build import build, published
from warehouse.queries import quality

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = {"overview": "views/overview.py", "targets": "views/targets.py", "gaps": "views/gaps.py",
         "key_children": "views/key_children.py", "matching": "views/matching.py",
         "volunteers": "views/volunteers.py", "data_quality": "views/data_quality.py"}
# page → an extract it cannot do without, which its box must name
NEEDS = {"overview": "civil_register", "targets": "progress_reports", "gaps": "childcare",
         "key_children": "key_children", "matching": "students", "volunteers": "activities",
         "data_quality": "visits"}


def _partial(tmp_path_factory, demo_extracts, name: str, keep: set[str]) -> Path:
    root = tmp_path_factory.mktemp(name)
    manifest = json.loads((demo_extracts / "manifest.json").read_text(encoding="utf-8"))
    for f in manifest["files"]:
        if f["source"] in keep:
            land(f["source"], demo_extracts / f["file"], f["period"], root=root, synthetic=True, user="fixture",
                 isolate=False)
    land_demo_boundaries(demo_extracts, root)
    build(root)
    return root


@pytest.fixture(scope="module")
def regions_only(tmp_path_factory, demo_extracts, data_dir) -> Path:
    """Regions and boundaries landed, nothing else (data_dir first: it sets the ID-hash secret)."""
    return _partial(tmp_path_factory, demo_extracts, "regions_only", {"regions"})


@pytest.fixture(scope="module")
def register_only(tmp_path_factory, demo_extracts, data_dir) -> Path:
    return _partial(tmp_path_factory, demo_extracts, "register_only", {"regions", "civil_register"})


def _app(root: Path, monkeypatch, role: str) -> AppTest:
    monkeypatch.setenv(DATA_DIR_ENV, str(root))
    return signed_in(AppTest.from_file(APP, default_timeout=120), role, ("99",))


def _infos(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info)


def test_missing_lists_never_landed_extracts_with_the_period_expected(regions_only):
    con = q.connect(published(regions_only))
    try:
        rows = quality.missing(con, q.Scope.everything(), ("regions", "civil_register", "region_changes", "visits"))
        # regions landed; the change list is sent only when divisions change, never owed; order as asked
        assert list(rows["source"]) == ["civil_register", "visits"]
        reg = rows.iloc[0]
        assert (reg["title"], reg["department"]) == (get_source("civil_register").title,
                                                     get_source("civil_register").department)
        assert re.fullmatch(r"\d{4}H[12]", reg["expected_period"])
        assert re.fullmatch(r"\d{4}-\d{2}", rows.iloc[1]["expected_period"])
        assert quality.missing(con, q.Scope(), ("civil_register",)).empty  # default deny
    finally:
        con.close()


@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_names_what_to_land_and_links_its_template(page, regions_only, monkeypatch):
    at = _app(regions_only, monkeypatch, "admin")
    at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.message for e in at.exception]
    text = _infos(at)
    src = get_source(NEEDS[page])
    assert src.title.replace("+", "\\+") in text and src.department in text
    assert f"/upload?source={NEEDS[page]}" in text
    assert "应报 " in text


@pytest.mark.parametrize(("role", "page"), [("leader", "overview"), ("leader", "gaps"), ("case_worker", "matching"),
                                            ("leader", "volunteers")])
def test_a_role_without_the_upload_page_is_told_whom_to_ask(role, page, regions_only, monkeypatch):
    at = _app(regions_only, monkeypatch, role)
    at.switch_page(PAGES[page]).run()
    assert not at.exception
    text = _infos(at)
    assert get_source(NEEDS[page]).title in text and "请联系数据专员导入" in text
    assert "/upload" not in text


def test_a_data_officer_gets_the_link_on_matching(regions_only, monkeypatch):
    at = _app(regions_only, monkeypatch, "data_officer")
    at.switch_page(PAGES["matching"]).run()
    text = _infos(at)
    assert "/upload?source=civil_register" in text and "暂不能进行的比对" in text
    assert "适龄儿童无学籍" in text


def test_gaps_say_which_gap_waits_for_which_extract(register_only, monkeypatch):
    at = _app(register_only, monkeypatch, "planner")
    at.switch_page(PAGES["gaps"]).run()
    assert not at.exception
    text = _infos(at)
    assert "暂不能计算的缺口" in text and "托位（缺托育机构及托位" in text
    assert get_source("civil_register").title not in text  # the register has landed


def test_overview_shows_its_cards_and_marks_those_not_landed(register_only, monkeypatch):
    at = _app(register_only, monkeypatch, "admin").run()
    assert not at.exception
    body = " ".join(h.proto.body for h in at.get("html"))
    cards = dict(re.findall(r'class="ov-kpi" data-metric="([^"]+)" data-value="([^"]*)"', body))
    assert len(cards) == 7
    assert cards["key_children"] == "未导入" and cards["volunteer_person_times"] == "未导入"
    assert cards["migrant"] not in ("未导入", "—")  # the register has landed
    assert get_source("key_children").title in _infos(at)


def test_overview_without_a_register_is_more_than_one_line(regions_only, monkeypatch):
    at = _app(regions_only, monkeypatch, "admin").run()
    assert not at.exception
    body = " ".join(h.proto.body for h in at.get("html"))
    assert body.count('class="ov-kpi"') == 7 and body.count('data-value="未导入"') == 6
    assert "示范市" in body  # the header names the place even before the register


def test_measure_sources_follow_the_gap_measure_catalogue():
    sql = (Path(__file__).resolve().parents[1] / "warehouse/sql/marts/gap_measures.sql").read_text(encoding="utf-8")
    rows = re.findall(r"\('([a-z0-9_]+)', '[^']*', '[^']*', '(?:demand|supply)', '([a-z_]+)'\)", sql)
    assert rows and dict(rows) == quality.MEASURE_SOURCES


def test_volunteers_without_any_of_its_extracts_is_the_box_alone(regions_only, monkeypatch):
    at = _app(regions_only, monkeypatch, "wf_staff")
    at.switch_page(PAGES["volunteers"]).run()
    assert not at.exception
    assert "/upload?source=volunteer_teams" in _infos(at)  # 妇联 uploads its own sheets
    assert not at.subheader  # no empty sections under it


@pytest.fixture(scope="module")
def nothing(tmp_path_factory, data_dir) -> Path:
    """A data folder with nothing landed, built (what a new server shows after init)."""
    root = tmp_path_factory.mktemp("nothing")
    build(root)
    return root


@pytest.mark.parametrize("page", ["overview", "gaps", "key_children", "volunteers"])
def test_before_anything_landed_the_region_table_comes_first(page, nothing, monkeypatch):
    at = _app(nothing, monkeypatch, "admin")
    at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.message for e in at.exception]
    items = re.findall(r"^- \*\*(.+?)\*\*", _infos(at), flags=re.MULTILINE)
    assert items and items[0] == get_source("regions").title
