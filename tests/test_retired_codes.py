"""Retired division codes reported where people look: 上线检查 lists each code a landed change table retires
(successors, date, the rows of landed extracts still using it, by extract), 数据质量 counts those rows, and
数据上传 says how many rows of an official province table it skips as outside the deployment.

A fictional city (tests/realcity.py): its province's NBS table landed for 2025 with the deployment's root
江清市, a small register still on the old codes, then the change list (撤县设区, two streets merged, one split).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from etl.deployment import set_root_code
from etl.land import land
from tests import realcity as rc
from tests.files import register_of, signed_in, write_register_csv
from warehouse.build import build

APP = str(Path(__file__).resolve().parents[1] / "app.py")
# (community code, how many children): 青溪县 (retired whole), 南门街道 (merged), 湖滨街道 (split), 临川市 (unchanged)
OLD = [("980421100001", 3), ("980421101201", 1), ("980402002001", 2), ("980411002001", 1), ("980481001001", 2)]
STILL_OLD = 7  # every row but 临川市's two


def _register(path: Path) -> Path:
    return write_register_csv(path, rows=register_of(OLD))


@pytest.fixture
def city(tmp_path, monkeypatch) -> Path:
    """The data folder with the 2025 province table (root 江清市) and a 2025H2 register on the old codes."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(data))
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    set_root_code(data, rc.ROOT)
    land("regions", rc.nbs_csv(tmp_path / "江清省2025.csv"), "2025", root=data, isolate=False)
    out = land("civil_register", _register(tmp_path / "台账.csv"), "2025H2", root=data, isolate=False)
    assert out.entry.rows_accepted == sum(n for _, n in OLD), out.message
    return data


@pytest.fixture
def changed(city, tmp_path) -> Path:
    out = land("region_changes", rc.changes_csv(tmp_path / "区划变更.csv"), "2026", root=city, isolate=False)
    assert out.entry.rows_accepted == len(rc.CHANGES), out.message
    build(city)
    return city


def _open(page: str, role: str = "admin") -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=120), role, (rc.ROOT,)).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at: AppTest) -> list[str]:
    return [e.value for kind in ("markdown", "caption", "info", "warning", "success") for e in getattr(at, kind)]


def _retired(at: AppTest):
    return next((d.value for d in at.dataframe if "原区划代码" in d.value.columns), None)


def test_setup_lists_each_retired_code_with_its_successor_and_the_rows_still_using_it(changed):
    at = _open("views/setup.py")
    assert "区划变更" in [h.value for h in at.subheader]
    table = _retired(at)
    assert table is not None
    got = table.set_index("原区划代码")
    county = got.loc["980421000000"]
    assert (county["原名称"], county["现区划代码"], county["现名称"]) == ("青溪县", "980412000000", "青溪区")
    assert county["变更日期"] == "2026-01-01" and county["变更类型"] == "撤县设区"
    # 青溪县's communities still carry the old county's digits: four register rows
    assert county["仍用原代码的行数"] == 4 and county["数据来源"] == "流动儿童监测摸排台账 4 行"
    assert got.loc["980402002000", "仍用原代码的行数"] == 2 and got.loc["980402003000", "仍用原代码的行数"] == 0
    split = got.loc["980411002000"]
    assert split["现区划代码"] == "980411001000、980411003000" and split["现名称"] == "白沙街道、新湖街道"
    assert split["说明"] == "拆分，需人工确认" and split["仍用原代码的行数"] == 1
    assert got.loc["980421000000", "说明"] != "拆分，需人工确认"
    assert got.index[0] == "980421000000"  # most rows first
    assert not table.astype(str).isin(["None", "nan", "NaT", "<NA>"]).any().any()
    # the change list is never a step of the checklist
    assert not any("区划变更" in e.label for e in at.expander)


def test_data_quality_counts_the_rows_still_on_retired_codes_and_links_the_list(changed):
    at = _open("views/data_quality.py")
    notes = [t for t in _texts(at) if "已停用的区划代码" in t]
    assert len(notes) == 1 and f"{STILL_OLD} 行" in notes[0], notes
    assert "setup" in [link.proto.page for link in at.get("page_link")]


def test_without_a_change_table_neither_page_shows_retired_codes(city):
    build(city)
    at = _open("views/setup.py")
    assert _retired(at) is None
    optional = [t for t in _texts(at) if "python -m etl land region_changes" in t]
    assert len(optional) == 1 and "可选" in optional[0]
    assert not any("需人工确认" in t or "仍用原代码的行：" in t for t in _texts(at))
    dq = _open("views/data_quality.py")
    assert not [t for t in _texts(dq) if "已停用的区划代码" in t]


NOTE = "跳过 7 行（不在本部署范围 江清市（980400000000）内）"


def test_the_upload_preview_and_the_landings_say_what_the_province_table_skipped(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(data))
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    set_root_code(data, rc.ROOT)
    build(data)
    at = _open("views/upload.py")
    at.selectbox(key="up_source").set_value("regions").run()
    at.text_input(key="up_period_regions").set_value("2025").run()
    at.file_uploader[0].upload("江清省.csv", rc.nbs_csv(tmp_path / "江清省.csv").read_bytes()).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(NOTE in i.value for i in at.info), [i.value for i in at.info]

    land("regions", rc.nbs_csv(tmp_path / "江清省2025.csv"), "2025", root=data, isolate=False, user="test-admin")
    at = _open("views/upload.py")
    landings = next(d.value for d in at.dataframe if "导入人" in d.value.columns)
    assert landings.iloc[0]["说明"] == NOTE
