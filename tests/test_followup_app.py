"""The 督办 page in AppTest: a case worker assigns a worklist child to 卫健委, 卫健委 refers it to 残联, 残联 accepts
and closes it, and after the next period's register is landed and built the case worker sees it as 复发. A county
officer sees counts and bulk-assigns without any list; an ID number typed in a note is refused in both languages.
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from etl.land import land
from loop import followup as fu
from loop import store
from report import labels
from tests.files import signed_in
from tests.test_followup import EAST, REGISTER, youngest
from ui import followup as uf
from warehouse import queries as q
from warehouse.build import build

APP = str(Path(__file__).resolve().parents[1] / "app.py")
LIST_COLUMNS = {labels.label("masked_name"), labels.label("masked_id")}
USERS = {"caseworker": ("case_worker", "990102000000"), "health": ("dept_officer", "990100000000"),
         "cdpf": ("dept_officer", "990102000000"), "county": ("county_officer", "990102000000"),
         "data": ("data_officer", "990100000000")}


def page(name: str) -> AppTest:
    role, scope = USERS[name]
    at = signed_in(AppTest.from_file(APP, default_timeout=120), role, (scope,), name).run()
    at.switch_page("views/followup.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "督办"
    return at


def pick(at: AppTest, root: Path, name: str, item: dict) -> None:
    """Select the item in the page's queue (its place in the queue the page builds for this user)."""
    from auth import users

    u = users.load(root)[name]
    con = q.connect(q.current_snapshot_path(root))
    try:
        scope = q.Scope.of(*u.scope, exact=True)
        at.selectbox(key="fu_check").set_value(item["check_code"]).run()
        view = at.selectbox(key="fu_view").value
        mine = uf.shown_queue(uf.state(con, scope, dt.date.today(), root), u.role, u.department,
                              item["check_code"], view)
    finally:
        con.close()
    hit = mine.index[(mine["person_key"] == item["person_key"]) & (mine["check_code"] == item["check_code"])]
    assert len(hit) == 1, f"{name} does not see the item"
    at.selectbox(key="fu_item").set_value(int(hit[0])).run()
    assert not at.exception


def do(at: AppTest, action: str, **fields) -> AppTest:
    at.selectbox(key="fu_action").set_value(action).run()
    for key, value in fields.items():
        widget = at.selectbox(key=key) if key in ("fu_to", "fu_refer_to") else \
            at.radio(key=key) if key in ("fu_outcome", "fu_kind") else at.text_input(key=key)
        widget.set_value(value).run()
    at.button(key="fu_submit").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def tables(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def test_the_page_walks_an_item_through_assign_refer_accept_close_and_recurrence(copy, demo_extracts):
    item = youngest(copy)
    at = page("caseworker")
    assert [t for t in tables(at) if LIST_COLUMNS <= set(t.columns)], "the case worker sees the masked queue"
    pick(at, copy, "caseworker", item)
    do(at, "assign", fu_to="卫健委")
    assert any("已指派" in s.value for s in at.success)
    at = page("health")
    pick(at, copy, "health", item)
    do(at, "refer", fu_refer_to="残联", fu_refer_reason="疑似残疾")
    at = page("cdpf")
    pick(at, copy, "cdpf", item)
    do(at, "accept")
    # A note holding an ID number is refused, in Chinese and English, and nothing is written.
    pick(at, copy, "cdpf", item)
    n = len(store.events("followup", copy))
    do(at, "note", fu_note="身份证号 990102201503040013")
    assert at.error and "身份证号" in at.error[0].value and "ID number" in at.error[0].value
    assert len(store.events("followup", copy)) == n
    pick(at, copy, "cdpf", item)
    do(at, "close", fu_outcome=fu.DONE, fu_reason="已建立健康档案")
    steps = [e["action"] for e in store.events("followup", copy) if e["subject"]["person_key"] == item["person_key"]]
    assert steps == ["assign", "refer", "accept", "close"]
    sheet = copy.parent / "台账2026H2.csv"
    shutil.copy(demo_extracts / REGISTER, sheet)
    land("civil_register", sheet, "2026H2", root=copy, synthetic=True, isolate=False)
    build(copy)
    at = page("caseworker")
    pick(at, copy, "caseworker", item)
    queue = next(t for t in tables(at) if "状态" in t.columns)
    assert fu.RELAPSE in set(queue["状态"])
    history = [t for t in tables(at) if "操作" in t.columns]
    assert history and list(history[0]["操作"]) == ["指派", "转办", "接收转办", "办结"]


def test_a_county_officer_sees_counts_and_no_child_and_bulk_assigns(copy):
    at = page("county")
    assert not [t for t in tables(at) if LIST_COLUMNS & set(t.columns)]
    streets = [t for t in tables(at) if "街道" in t.columns]
    assert streets and "待处理" in streets[0].columns
    values = {str(v) for t in streets for c in t.columns if c != "街道" for v in t[c]}
    assert not [v for v in values if v.isdigit() and 0 < int(v) < 5]
    at.selectbox(key="fu_bulk_check").set_value("health").run()
    listed = uf.read_listed(copy, [EAST])
    street = max(listed.loc[listed["check_code"] == "health", "street_code"].str[:9])
    at.selectbox(key="fu_bulk_area").set_value(street).run()
    at.selectbox(key="fu_bulk_to").set_value("卫健委").run()
    at.button(key="fu_bulk_go").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("指派给卫健委" in s.value for s in at.success)
    assigned = {e["fields"]["to"] for e in store.events("followup", copy)}
    assert assigned == {"卫健委"} and all(e["fields"]["street_code"].startswith(street)
                                         for e in store.events("followup", copy))


def test_a_data_officer_sees_city_counts_and_may_assign_a_whole_county(data_dir, monkeypatch):
    from settings import DATA_DIR_ENV

    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    at = page("data")
    assert not [t for t in tables(at) if LIST_COLUMNS & set(t.columns)]
    streets = next(t for t in tables(at) if "街道" in t.columns)
    assert len(streets) == 6  # both counties' streets
    areas = at.selectbox(key="fu_bulk_area").options
    assert [a for a in areas if a.endswith("（全区县）")] and len(areas) == 6 + 2
    assert not at.get("download_button")


def test_before_any_worklist_the_page_says_there_is_nothing_to_follow_up(tmp_path_factory, demo_extracts, data_dir,
                                                                        monkeypatch):
    from settings import DATA_DIR_ENV
    from tests.test_empty_states import _partial

    root = _partial(tmp_path_factory, demo_extracts, "followup_regions_only", {"regions"})
    monkeypatch.setenv(DATA_DIR_ENV, str(root))
    for role in ("case_worker", "data_officer", "dept_officer"):
        at = signed_in(AppTest.from_file(APP, default_timeout=120), role, ("99",)).run()
        at.switch_page("views/followup.py").run()
        assert not at.exception, (role, [e.message for e in at.exception])
        assert "暂无督办事项" in " ".join(i.value for i in at.info), role
