"""上线检查 (the setup page): what a deployment has landed, and the next step in order, from an empty folder
through regions, boundaries and users to the first extracts; and 数据上传 opening on the extract it was sent for."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from auth import users
from etl.__main__ import land_demo_boundaries
from etl.contracts import sources
from etl.land import land, landings, withdraw
from tests.files import signed_in, write_register_csv
from ui import setup as us
from warehouse import queries as q
from warehouse.build import build, published
from warehouse.queries import connect
from warehouse.queries import setup as qs

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = "views/setup.py"


def _open(role: str = "admin", scope: tuple[str, ...] = ("99",), username: str | None = None) -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=120), role, scope, username).run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "上线检查"
    return at


def _steps(at: AppTest) -> dict[str, str]:
    """Each checklist step's line: ticked ones are markdown, open ones expanders (the next one says 下一步)."""
    lines = [line for m in at.markdown if m.value.startswith(":green[✓]") for line in m.value.split("  \n")]
    lines += [e.label for e in at.expander]
    out = {}
    for line in lines:
        for no in range(1, 8):
            if f" {no}. " in line or f"：{no}. " in line:
                out[str(no)] = line
    return out


def _next(at: AppTest) -> str | None:
    return next((e.label for e in at.expander if "下一步：" in e.label), None)


def _links(at: AppTest) -> list[str]:
    return [e.proto.query_string for e in at.get("page_link")]


def _extracts(at: AppTest):
    return next(d.value for d in at.dataframe if "数据名称" in d.value.columns)


@pytest.mark.parametrize(("role", "username"), [("admin", "admin"), ("data_officer", "data")])
def test_the_page_shows_the_region_table_and_every_contract(role, username, data_dir, con, monkeypatch):
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(data_dir))
    user = users.load(data_dir)[username]
    at = _open(role, tuple(user.scope), username)
    counts = dict(con.sql("select level, count(*) from regions group by level").fetchall())
    shown = {m.label: m.value for m in at.metric}
    for level in qs.LEVELS:
        assert shown[qs.LEVEL_ZH[level]] == f"{counts.get(level, 0):,}", level
    assert "示范市" in " ".join(m.value for m in at.markdown)  # the root, from the table's top
    table = _extracts(at)
    assert sorted(table["数据名称"]) == sorted(s.title for s in sources().values())
    assert not table.astype(str).isin(["None", "nan", "NaT", "<NA>"]).any().any()
    register = table.set_index("数据名称").loc["流动儿童监测摸排台账"]
    n = counts["county"]
    assert register["最新一期有数据区县"] == f"{n}/{n}" and register["状态"] == "按期"
    assert any("已配置" in s.value for s in at.success)  # the key: present, never shown
    texts = [e.value for kind in ("markdown", "caption", "success", "warning", "info", "error") for e in getattr(at, kind)]
    assert not [t for t in texts if os.environ["TONGXIN_SECRET"] in t]
    roles = next(d.value for d in at.dataframe if "角色" in d.value.columns)
    assert {"区县工作人员", "数据专员"} <= set(roles["角色"])


def test_on_the_fixture_every_step_is_ticked(data_dir, monkeypatch):
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(data_dir))
    at = _open("admin", ("99",), "admin")
    steps = _steps(at)
    assert sorted(steps) == [str(i) for i in range(1, 8)]
    assert all(line.startswith(":green[✓]") for line in steps.values()), steps
    assert _next(at) is None and any("均已就绪" in s.value for s in at.success)


def test_a_source_never_landed_is_shown_as_never_sent_with_its_next_step(copy, con):
    for e in landings(copy, source="pairings"):
        if e["status"] == "landed" and not e.get("withdrawn"):
            withdraw(e["load_id"], "pairings", e["period"], reason="测试：未报送", root=copy)
    build(copy)
    at = _open("admin", ("99",), "admin")
    row = _extracts(at).set_index("数据名称").loc["结对帮扶（1+X）"]
    assert row["状态"] == "从未报送" and row["最新期别"] == "从未报送" and row["已报期数"] == 0
    nxt = _next(at)
    assert nxt is not None and "6. 其他部门数据" in nxt and "1 项尚未导入" in nxt
    assert "source=pairings" in _links(at)
    assert any("python -m etl land pairings" in m.value for m in at.markdown)


def _land_regions(root: Path, demo_extracts: Path) -> None:
    manifest = json.loads((demo_extracts / "manifest.json").read_text(encoding="utf-8"))
    for f in manifest["files"]:
        if f["source"] == "regions":
            land("regions", demo_extracts / f["file"], f["period"], root=root, synthetic=True, user="fixture",
                 isolate=False)


def test_the_first_open_step_follows_the_order_as_a_city_goes_live(demo_extracts, tmp_path, monkeypatch):
    root = tmp_path / "data"
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(root))
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    _land_regions(root, demo_extracts)
    build(root)
    at = _open("admin", ("99",), "admin")
    assert "3. 边界" in _next(at) and "区县 2 个" in _next(at)
    steps = _steps(at)
    assert steps["1"].startswith(":green[✓]") and steps["2"].startswith(":green[✓]")
    assert not any(line.startswith(":green[✓]") for no, line in steps.items() if int(no) >= 3)
    assert any("python -m etl boundaries" in m.value for m in at.markdown)
    table = _extracts(at).set_index("数据名称")
    assert (table.drop(index="行政区划代码表")["状态"].str.startswith(("从未报送", "未导入"))).all()

    land_demo_boundaries(demo_extracts, root)
    build(root)
    at = _open("admin", ("99",), "admin")
    assert "4. 用户" in _next(at) and "区县工作人员" in _next(at)

    users.add("county-a", "a-long-password-1", "county_officer", ["990102"], by="test", root=root)
    users.add("data-a", "a-long-password-2", "data_officer", ["990100"], by="test", root=root)
    at = _open("admin", ("99",), "admin")
    assert "5. 流动儿童监测摸排台账" in _next(at)
    assert "source=civil_register" in _links(at)
    assert "source=plan_indicators" in _links(at)  # step 7 keeps its link too, collapsed
    # Step 6 lists the other extracts by the pages they feed: the key-children ledger (seven pages) before the
    # residence permits (数据比对 only).
    others = [m.value for m in at.markdown if "用于" in m.value]
    first = {t: next(i for i, v in enumerate(others) if t in v) for t in ("重点对象台账", "流动人口居住登记")}
    assert first["重点对象台账"] < first["流动人口居住登记"]


class _Door:
    """ui.data.Warehouse without Streamlit's cache: each query through the door (queries.run)."""

    def __init__(self, con):
        self.con = con

    def query(self, fn, scope, *args):
        return q.run(fn, self.con, scope, *args)


def test_an_empty_folder_asks_for_the_region_table_first(tmp_path, monkeypatch):
    root = tmp_path / "data"
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(root))
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    build(root)
    con = connect(published(root))
    try:
        state = us.gather(_Door(con), q.Scope.of("99"))
        steps = us.steps(state)
        assert [s.no for s in steps] == list(range(1, 8)) and steps[0].done
        assert us.next_step(state).no == 2 and steps[1].uploads == ("regions",)
        assert not any(s.done for s in steps[1:])
        assert len(state.extracts) == len(sources()) and state.extracts["never_sent"].all()
        assert state.root.empty and state.regions == 0
        monkeypatch.delenv("TONGXIN_SECRET", raising=False)  # no key anywhere: step 1 comes first
        state = us.gather(_Door(con), q.Scope.of("99"))
        assert us.next_step(state).no == 1 and "python -m etl init" in us.next_step(state).todo[0]
    finally:
        con.close()


def test_the_page_opens_on_an_empty_snapshot(tmp_path, monkeypatch):
    root = tmp_path / "data"
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(root))
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")  # real data: app.py stops without a key
    build(root)
    at = _open("admin", ("99",), "admin")
    assert "2. 区划代码表" in _next(at) and "source=regions" in _links(at)
    assert any("尚未导入区划代码表" in e.value for e in at.error)


PARTIAL_REGIONS = """区划代码,名称,层级,上级代码
990000000000,示范省,省,
990100000000,示范市,市,990000000000
990101000000,东湖区,区县,990100000000
990101001000,滨江街道,街道,990101000000
990101001001,桃园社区,社区,990101001000
990101002000,工业园街道,街道,990101000000
990102000000,西山区,区县,990100000000
"""


def test_the_region_table_names_its_root_and_its_gaps(tmp_path, monkeypatch):
    """A city's table that keeps its province is rooted at the city; a county without streets is a problem,
    a street without communities a note."""
    root = tmp_path / "data"
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(root))
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    (tmp_path / "区划.csv").write_text(PARTIAL_REGIONS, encoding="utf-8")
    land("regions", tmp_path / "区划.csv", "2025", root=root)
    build(root)
    con = connect(published(root))
    try:
        everything = q.Scope.of("99")
        assert qs.root(con, everything).iloc[0]["region_name"] == "示范市"
        assert qs.root(con, everything, "990000000000").iloc[0]["region_name"] == "示范省"  # as configured
        problems = qs.region_problems(con, everything)
        assert dict(zip(problems["region_name"], problems["problem"])) == {
            "西山区": "county_without_streets", "工业园街道": "street_without_communities"}
        levels = qs.regions_by_level(con, q.Scope.of("990100")).set_index("level")["regions"]
        assert levels.to_dict() == {"province": 1, "city": 1, "county": 2, "street": 2, "community": 1}
        assert qs.boundary_coverage(con, everything)["with_polygon"].sum() == 0
    finally:
        con.close()


def test_a_county_missing_from_the_registers_latest_period_is_named(tmp_path, monkeypatch):
    root = tmp_path / "data"
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(root))
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    (tmp_path / "区划.csv").write_text(PARTIAL_REGIONS, encoding="utf-8")
    land("regions", tmp_path / "区划.csv", "2025", root=root)
    land("civil_register", write_register_csv(tmp_path / "台账.csv"), "2026H1", root=root)  # 东湖区 only
    build(root)
    con = connect(published(root))
    try:
        state = us.gather(_Door(con), q.Scope.of("9901"))
    finally:
        con.close()
    register = state.counties[state.counties["source"] == "civil_register"].set_index("county_name")["has_rows"]
    assert register.to_dict() == {"东湖区": True, "西山区": False}
    step = us.steps(state)[4]
    assert step.done and "2026年上半年" in step.summary and "缺 西山区" in step.summary
    row = us.extracts_table(state).set_index("数据名称").loc["流动儿童监测摸排台账"]
    assert row["最新一期有数据区县"] == "1/2" and row["缺数据区县"] == "西山区"


def test_other_extracts_come_by_the_pages_they_feed(snapshot_path):
    fed = qs.pages_fed()
    assert {"overview", "map"} <= set(fed["civil_register"])
    assert "volunteers" in fed["pairings"] and not {"map", "matching", "key_children"} & set(fed["pairings"])
    # read by the cross-register checks only, and by 督办, whose items are those checks' worklists
    assert fed["residence_permits"] == ("matching", "followup")
    assert "key_children" in fed["visits"]
    con = connect(snapshot_path)
    try:
        counties = qs.extract_counties(con, q.Scope.of("990102"))
    finally:
        con.close()
    assert set(counties["county_code"]) == {"990102000000"}  # a county's scope sees its own county only
    assert counties["has_rows"].all()


def _upload_page_linked_to(source: str, data_dir, monkeypatch, *user) -> AppTest:
    """数据上传 opened from a link naming an extract (?source=…), as the signed-in user."""
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(data_dir))
    at = signed_in(AppTest.from_file(APP, default_timeout=120), *user).run()
    at.query_params["source"] = source
    at.switch_page("views/upload.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_upload_page_opens_on_the_source_in_its_link(data_dir, monkeypatch):
    at = _upload_page_linked_to("visits", data_dir, monkeypatch, "data_officer", ("990100",), "data")
    box = at.selectbox(key="up_source")
    assert box.value == "visits" and box.format_func(box.value) == "走访记录"
    box.set_value("activities").run()  # the user may still choose another
    assert at.selectbox(key="up_source").value == "activities"


def test_a_link_to_an_extract_the_user_does_not_land_says_who_does(data_dir, monkeypatch):
    at = _upload_page_linked_to("visits", data_dir, monkeypatch, "wf_staff", ("990100",), "fulian")
    assert at.selectbox(key="up_source").value != "visits"  # 妇联 staff land their own three extracts
    assert any("走访记录" in c.value and "数据专员" in c.value for c in at.caption)
