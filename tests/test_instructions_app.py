"""领导批示 in AppTest: the leader issues an instruction on a target to 卫健委 from the page, the health officer
answers it there, the open table (总览, the pack) carries the answer, the leader closes it; a 卫健委 officer of
another county sees none of it; the widget other pages place beside a figure issues one for that figure."""
from __future__ import annotations

import html
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from auth import users
from loop import instructions as ins
from tests.files import signed_in

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CITY, EAST, WEST = "990100000000", "990102000000", "990121000000"
TARGET = "city_list_2025:A2:0—6岁流动儿童健康档案建档率"
PAGE = "views/instructions.py"


def page(name: str, role: str, scope: str) -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=60), role, (scope,), name).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("success", "error", "info", "markdown", "caption")
                     for e in at.get(kind))


def test_leader_issues_health_answers_the_open_table_has_it_leader_closes(copy):
    users.add("health_west", "tongxin-demo", "dept_officer", [WEST], department="卫健委", root=copy)
    at = page("leader", "leader", CITY)
    assert at.title[0].value == "领导批示"
    at.radio(key="ins_new_kind").set_value("target").run()
    at.selectbox(key="ins_new_target_key").select(TARGET).run()
    at.selectbox(key="ins_new_region").select(EAST).run()
    assert at.selectbox(key=f"ins_new_to_target_{TARGET}").value == "卫健委"  # the indicator's, by default
    at.text_area(key="ins_new_text").input("请说明建档率滞后原因并提出整改措施").run()
    at.button(key="ins_new_go").click().run()
    assert not at.exception, at.exception
    assert "已下达批示" in texts(at)
    [item] = ins.state(copy).values()
    assert (item["figure"], item["figure_key"], item["region_code"], item["department"]) == \
        ("target", TARGET, EAST, "卫健委")
    assert [m.value for m in at.metric if m.label == ins.ISSUED] == ["1"]

    other = page("health_west", "dept_officer", WEST)
    assert [m.value for m in other.metric if m.label == ins.ISSUED] == ["0"]
    assert not other.get("text_area")  # nothing to answer, no form to issue

    health = page("health", "dept_officer", CITY)
    assert not [b for b in health.button if b.key == "ins_new_go"]
    iid = item["instruction_id"]
    health.text_area(key=f"ins_answer_{iid}").input("已组织社区补建档案，月底前完成").run()
    health.button(key=f"ins_answer_go_{iid}").click().run()
    assert not health.exception, health.exception
    assert "已提交答复" in texts(health)
    open_ = ins.open_table(copy, [CITY])
    assert open_[["status", "latest_answer"]].values.tolist() == [[ins.ANSWERED, "已组织社区补建档案，月底前完成"]]

    at = page("leader", "leader", CITY)
    at.button(key=f"ins_close_{iid}").click().run()
    assert not at.exception, at.exception
    assert ins.open_table(copy, [CITY]).empty
    assert [m.value for m in at.metric if m.label == ins.CLOSED] == ["1"]
    history = next(d.value for d in at.dataframe if "操作" in d.value.columns)
    assert list(history["操作"]) == ["办结", "答复", "下达"]
    assert set(history["批示事项"]) == {item["label"]}  # which instruction each event belongs to


def test_a_refusal_shows_bilingually(copy):
    at = page("leader", "leader", CITY)
    at.radio(key="ins_new_kind").set_value("gap").run()
    at.selectbox(key="ins_new_gap_key").select("childcare_places").run()
    at.selectbox(key="ins_new_to_gap_childcare_places").select("卫健委").run()
    at.text_area(key="ins_new_text").input("请核实 11010520190307002X 的情况").run()
    at.button(key="ins_new_go").click().run()
    assert not at.exception
    assert [e.value for e in at.error if "身份证号" in e.value and "ID number" in e.value]
    assert not ins.state(copy)


def _beside_a_figure():
    from ui import instructions

    instructions.attach("gap", "childcare_places", "990102000000", "托位")
    instructions.attach("worklist", "rehab", None, "残疾儿童未享受康复救助", department="残联")


@pytest.mark.parametrize("role", ["leader", "planner"])
def test_the_widget_beside_a_figure_issues_for_that_figure(copy, role):
    at = AppTest.from_function(_beside_a_figure, default_timeout=60)
    at.session_state["tongxin_user"] = {"username": role, "role": role, "scope": [CITY], "display_name": role,
                                        "department": ""}
    at.run()
    assert not at.exception, at.exception
    areas = [t for t in at.get("text_area")]
    if role == "planner":  # a planner does not issue: no form
        assert not areas
        return
    area, city = areas
    assert at.selectbox(key=city.key.removesuffix("_text") + "_to").value == "残联"
    prefix = area.key.removesuffix("_text")
    at.selectbox(key=f"{prefix}_to").select("卫健委").run()
    at.text_area(key=f"{prefix}_text").input("请研究增加普惠托位").run()
    at.button(key=f"{prefix}_go").click().run()
    assert not at.exception, at.exception
    [item] = ins.state(copy).values()
    assert (item["figure"], item["figure_key"], item["region_code"], item["label"]) == \
        ("gap", "childcare_places", EAST, "托位 · 东湖区")  # the region's name added to the figure's
    assert "本项有 1 条领导批示办理中" in texts(at)
    at.text_area(key=city.key).input("请残联逐一跟进").run()
    at.button(key=city.key.removesuffix("_text") + "_go").click().run()
    city_item = [i for i in ins.state(copy).values() if i["figure"] == "worklist"]
    assert [(i["region_code"], i["department"]) for i in city_item] == [(CITY, "残联")]  # the user's whole area


def test_the_overview_line_counts_the_open_instructions_and_names_the_soonest(copy):
    from ui import instructions as ui

    assert ui.overview_html(ins.open_table(copy, [CITY])) == ""  # nothing open: the screen keeps its room
    leader = {"user": "leader", "role": "leader", "scope": [CITY]}
    soon = ins.issue(copy, "gap", "childcare_places", EAST, "卫健委", "2099-01-31", "请研究增加托位",
                     label="托位 · <东湖区>", **leader)["subject"]["instruction_id"]
    ins.issue(copy, "worklist", "rehab", WEST, "残联", "2099-03-31", "请跟进", label="康复救助 · 青石县", **leader)
    ins.issue(copy, "target", TARGET, CITY, "卫健委", "2099-06-30", "请说明", label="建档率", **leader)
    line = ui.overview_html(ins.open_table(copy, [CITY], "2099-02-15"))
    assert "3 条未办结" in line and "1 条逾期" in line and "等 3 条" in line
    assert "托位 · &lt;东湖区&gt;（卫健委，2099-01-31，逾期）" in line and "建档率" not in line  # soonest first
    ins.answer(copy, soon, "已安排", user="admin", role="admin", scope=[""])
    assert "托位 · &lt;东湖区&gt;（卫健委，2099-01-31，逾期）" in ui.overview_html(ins.open_table(copy, [EAST], "2099-02-15"))
    assert "逾期" not in ui.overview_html(ins.open_table(copy, [EAST], "2099-01-31"))


def test_the_overview_page_carries_the_open_instructions_and_followup_per_county(copy):
    # 总览 itself (not only its helpers): the instructions line appears once one is open, and the 督办 line
    # gives each county's open, overdue and closed-this-month items as the 督办 page's county table labels them
    from ui import followup as uf
    from warehouse import queries as q

    at = signed_in(AppTest.from_file(APP, default_timeout=60), "leader", (CITY,), "leader").run()
    assert not at.exception, at.exception
    body = " ".join(h.proto.body for h in at.get("html"))
    assert 'id="ov-instructions"' not in body  # nothing open: no line
    with q.connect(q.current_snapshot_path(copy)) as con:
        table = uf.county_table(uf.county_summary(con, q.Scope.of(CITY)))
    assert len(table) and 'id="ov-followup"' in body
    first = table.iloc[0]
    assert html.escape(f"{first['区县']} 未办结 {first['未办结']}、逾期 {first['逾期']}、本月办结 {first['本月办结']}",
                       quote=False) in body
    ins.issue(copy, "gap", "childcare_places", EAST, "卫健委", "2099-01-31", "请研究增加托位", label="托位",
              user="leader", role="leader", scope=[CITY])
    at.run()
    body = " ".join(h.proto.body for h in at.get("html"))
    assert 'id="ov-instructions"' in body and "1 条未办结" in body
