"""领导批示 through the command line and the loop: a leader issues an instruction on a target to 卫健委, the
health officer answers, the open table the overview and the pack show carries the answer, the leader closes it;
refusals are bilingual and audited; scope holds (a county department officer neither sees nor answers another
county's instruction); text shaped like an ID number is refused; the store holds keys, codes and texts only.

Each test has a data folder of its own with the demo users of the flow and a 卫健委 officer of each county.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from auth import audit, users
from etl.__main__ import _check_names, _signoff_user
from loop import instructions as ins
from loop import instructions_cli, store
from loop.store import LoopError

CITY, EAST, WEST = "990100000000", "990102000000", "990121000000"
TARGET = "city_list_2025:A2:0—6岁流动儿童健康档案建档率"
DUE = (dt.date.today() + dt.timedelta(days=30)).isoformat()
ID_NUMBER = "11010520190307002X"
# The demo users this flow involves (as `python -m auth demo-users` makes them), and a 卫健委 officer per county.
USERS = [("admin", "admin", "99", ""), ("leader", "leader", CITY, ""), ("planner", "planner", CITY, ""),
         ("county", "county_officer", EAST, "民政局"), ("health", "dept_officer", CITY, "卫健委"),
         ("cdpf", "dept_officer", EAST, "残联"), ("health_east", "dept_officer", EAST, "卫健委"),
         ("health_west", "dept_officer", WEST, "卫健局")]


@pytest.fixture
def root(tmp_path, monkeypatch) -> Path:
    r = tmp_path / "data"
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(r))
    for name, role, scope, dept in USERS:
        users.add(name, "tongxin-demo", role, [scope], department=dept, root=r)
    return r


def cli(*argv: str) -> int:
    """`python -m etl instruction …` as etl/__main__ wires it."""
    p = argparse.ArgumentParser(prog="python -m etl")
    instructions_cli.register(p.add_subparsers(dest="cmd", required=True), _signoff_user, _check_names)
    args = p.parse_args(argv)
    return args.fn(args)


def issue(figure="target", key=TARGET, region=CITY, to="卫健委", text="请说明建档率滞后原因并提出整改措施",
          user="leader", **kw) -> str:
    u = users.load()[user]
    e = ins.issue(None, figure, key, region, to, kw.pop("due", DUE), text, user=u.username, role=u.role,
                  scope=u.scope, **kw)
    return e["subject"]["instruction_id"]


def as_user(name: str) -> dict:
    u = users.load()[name]
    return {"user": u.username, "role": u.role, "scope": u.scope}


def test_leader_issues_health_answers_the_pack_shows_it_leader_closes_through_the_cli(root, capsys):
    assert cli("instruction", "issue", "target", TARGET, "--region", CITY, "--to", "卫健局", "--due", DUE,
               "--text", "请说明建档率滞后原因", "--label", "0—6岁健康档案建档率", "--user", "leader") == 0
    iid = re.search(r"issued ([0-9a-f]{12})", capsys.readouterr().out).group(1)
    item = ins.state(root)[iid]
    assert (item["department"], item["figure_key"], item["region_code"], item["status"]) == \
        ("卫健委", TARGET, CITY, ins.ISSUED)  # the alias 卫健局 is stored as the canonical name

    assert cli("instruction", "list", "--user", "health", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["instruction_id"] for r in listed] == [iid] and listed[0]["status"] == ins.ISSUED

    assert cli("instruction", "answer", iid, "--text", "已组织社区补建档案，月底前完成", "--user", "health") == 0
    today = dt.date.today().isoformat()
    table = ins.open_table(root, ["990100000000"], today)
    assert table[["instruction", "department", "due_date", "status", "latest_answer"]].to_dict("records") == [
        {"instruction": "0—6岁健康档案建档率", "department": "卫健委", "due_date": DUE, "status": ins.ANSWERED,
         "latest_answer": "已组织社区补建档案，月底前完成"}]
    headers, rows = ins.pack_rows(table)
    assert headers == ["批示事项", "责任部门", "办理期限", "状态", "最新答复"]
    assert rows == [["0—6岁健康档案建档率", "卫健委", DUE, ins.ANSWERED, "已组织社区补建档案，月底前完成"]]

    assert cli("instruction", "close", iid, "--note", "同意", "--user", "leader") == 0
    assert ins.open_table(root, ["990100000000"], today).empty
    assert ins.state(root)[iid]["status"] == ins.CLOSED
    assert list(ins.history(root, [""])["action"]) == ["issue", "answer", "close"]
    log = audit.events(root)
    mine = log[log["action"].str.startswith("instruction_")]
    assert list(mine["action"])[::-1] == ["instruction_issue", "instruction_answer", "instruction_close"]
    assert mine["ok"].all() and set(mine["user"]) == {"leader", "health"}


def test_only_a_leader_or_the_administrator_issues_and_refusals_are_bilingual_and_audited(root, capsys):
    assert cli("instruction", "issue", "target", TARGET, "--region", CITY, "--to", "卫健委", "--due", DUE,
               "--text", "请说明", "--user", "planner") == 2
    err = capsys.readouterr().err
    assert "不能下达批示" in err and "cannot issue" in err
    assert not ins.state(root)
    refused = audit.events(root).iloc[0]
    assert (refused["action"], refused["user"], bool(refused["ok"])) == ("instruction_issue", "planner", False)
    with pytest.raises(LoopError, match="outside your scope"):  # a leader of one county, on another county
        users.add("leader_east", "tongxin-demo", "leader", [EAST], root=root)
        issue(region=WEST, user="leader_east")
    for bad, what in (({"to": "外星局"}, "unknown department"), ({"due": "明天"}, "due date"),
                      ({"due": "2020-01-01"}, "in the past"), ({"text": " "}, "needs a text"),
                      ({"key": "city_list_2025:A2"}, "not a valid key"), ({"figure": "child"}, "figure must be"),
                      ({"figure": "gap", "key": "no_such_gap"}, "not a valid key"),
                      ({"region": "东湖区"}, "not a division code")):
        with pytest.raises(LoopError, match=what):
            issue(**bad)
    assert not ins.state(root)
    assert cli("instruction", "answer", "nope", "--text", "x", "--user", "nobody") == 2
    assert "no such user" in capsys.readouterr().err


def test_scope_holds_a_county_department_sees_and_answers_only_its_own_county(root):
    east = issue(region=EAST, text="请东湖区卫健部门核实建档情况")
    west = issue(region=WEST, text="请青石县卫健部门核实建档情况")
    city = issue(region=CITY)

    def seen(name):
        u = users.load()[name]
        return set(ins.table(root, u.scope, department=u.department)["instruction_id"])

    assert seen("health_east") == {east, city} and seen("health_west") == {west, city}
    assert seen("health") == {east, west, city}
    with pytest.raises(LoopError, match="outside your scope") as refused:
        ins.answer(root, west, "已核实", department="卫健委", **as_user("health_east"))
    assert "不在您的范围" in refused.value.zh
    with pytest.raises(LoopError, match="not to your department"):  # 残联 of the same county
        ins.answer(root, east, "已核实", department="残联", **as_user("cdpf"))
    ins.answer(root, east, "已核实", department="卫健委", **as_user("health_east"))
    assert ins.state(root)[east]["status"] == ins.ANSWERED and ins.state(root)[west]["status"] == ins.ISSUED
    # The instruction list of the open table follows the scope it is given.
    assert set(ins.open_table(root, [EAST])["instruction_id"]) == {east, city}
    assert ins.open_table(root, []).empty  # no scope sees nothing
    # A county officer answers civil affairs' instructions in their own county only.
    civil = issue(figure="worklist", key="assistance", region=EAST, to="民政局", text="请核实困境儿童救助情况")
    civil_west = issue(figure="worklist", key="assistance", region=WEST, to="民政局", text="请核实")
    with pytest.raises(LoopError, match="civil affairs"):
        ins.answer(root, east, "x", **as_user("county"))
    with pytest.raises(LoopError, match="outside your scope"):
        ins.answer(root, civil_west, "x", **as_user("county"))
    ins.answer(root, civil, "已逐户核实", **as_user("county"))
    with pytest.raises(LoopError, match="cannot answer"):
        ins.answer(root, civil, "x", **as_user("planner"))


def test_order_reopen_and_overdue(root):
    iid = issue(due=DUE)
    with pytest.raises(LoopError, match="not answered yet"):
        ins.close(root, iid, **as_user("leader"))
    with pytest.raises(LoopError, match="cannot issue"):  # the department does not close its own instruction
        ins.close(root, iid, **as_user("health"))
    ins.answer(root, iid, "已部署", department="卫健委", **as_user("health"))
    with pytest.raises(LoopError, match="needs a further note"):
        ins.reopen(root, iid, "", **as_user("leader"))
    ins.reopen(root, iid, "请补充整改时间表", **as_user("leader"))
    assert ins.state(root)[iid]["status"] == ins.ISSUED
    after = (dt.date.fromisoformat(DUE) + dt.timedelta(days=1)).isoformat()
    assert ins.open_table(root, [""], DUE)["status"].tolist() == [ins.ISSUED]
    assert ins.open_table(root, [""], after)["status"].tolist() == [ins.OVERDUE]
    ins.answer(root, iid, "时间表：12月底前完成", department="卫健委", **as_user("health"))
    ins.close(root, iid, **as_user("leader"))
    with pytest.raises(LoopError, match="closed"):
        ins.answer(root, iid, "再补充", department="卫健委", **as_user("health"))
    with pytest.raises(LoopError, match="already closed"):
        ins.close(root, iid, **as_user("admin"))
    assert not ins.table(root, [""], after).at[0, "is_overdue"]  # closed is never overdue
    assert list(ins.history(root, [""], instruction_id=iid)["action_label"]) == ["下达", "答复", "重开", "答复", "办结"]


@pytest.mark.parametrize("text", [ID_NUMBER, "身份证 110105 2019 0307 002X 的孩子", "１１０１０５２０１９０３０７００２Ｘ"])
def test_text_shaped_like_an_id_number_is_refused_everywhere(root, text, capsys):
    with pytest.raises(LoopError, match="ID number") as refused:
        issue(text=f"请核实{text}")
    assert "身份证号" in refused.value.zh
    iid = issue()
    with pytest.raises(LoopError, match="ID number"):
        ins.answer(root, iid, text, department="卫健委", **as_user("health"))
    ins.answer(root, iid, "已答复", department="卫健委", **as_user("health"))
    with pytest.raises(LoopError, match="ID number"):
        ins.reopen(root, iid, text, **as_user("leader"))
    assert cli("instruction", "issue", "gap", "childcare_places", "--region", EAST, "--to", "卫健委", "--due", DUE,
               "--text", text, "--user", "leader") == 2
    assert "身份证号" in capsys.readouterr().err
    with pytest.raises(LoopError, match="ID number"):
        issue(label=text)
    assert text not in store.events_path(root).read_text(encoding="utf-8")
    assert ID_NUMBER not in audit.log_path(root).read_text(encoding="utf-8")


def test_the_store_holds_keys_codes_and_texts_never_a_child(root):
    iids = [issue(figure="worklist", key="rehab", region=EAST, to="残联", text="请残联跟进未享受康复救助的残疾儿童"),
            issue(figure="gap", key="childcare_places", region=WEST, to="卫健委", text="请研究增加托位")]
    assert ins.state(root)[iids[1]]["label"] == "托位缺口"  # no label given: the gap's configured name
    ins.answer(root, iids[0], "已逐一联系", department="残联", **as_user("cdpf"))
    for person_key in ("a" * 32, "0f" * 32, f"city_list_2025:A2:{'b' * 32}"):  # a person's key is no figure
        with pytest.raises(LoopError, match="not a valid key"):
            issue(figure="target" if ":" in person_key else "worklist", key=person_key)
    with pytest.raises(LoopError, match="division code"):
        issue(figure="worklist", key="rehab", region="3301021234567890")
    lines = store.events_path(root).read_text(encoding="utf-8").splitlines()
    events = [json.loads(x) for x in lines]
    assert {e["kind"] for e in events} == {"instruction"}
    assert all(set(e["subject"]) == {"instruction_id"} for e in events)
    allowed = {"figure", "figure_key", "label", "region_code", "department", "due", "text", "note"}
    assert all(set(e["fields"]) <= allowed for e in events)
    for e in events:
        assert not store.looks_like_id(json.dumps(e, ensure_ascii=False))
        assert not re.search(r"[0-9a-f]{32}", json.dumps(e))  # no linkage key: a figure, never a child
        if e["action"] == "issue":
            assert re.fullmatch(r"\d{12}", e["fields"]["region_code"])


def test_options_come_from_the_pages_own_queries(con):
    from warehouse import queries as q
    from warehouse.queries import gaps as gq
    from warehouse.queries import matching as mq
    from warehouse.queries import targets as tq

    s = q.Scope.of(CITY)
    opts = ins.options(q.run(tq.indicator_status, con, s), q.run(gq.standards, con, s), q.run(mq.checks, con, s),
                       q.run(tq.plans, con, s))
    assert set(opts["figure"]) == {"target", "gap", "worklist"}
    row = opts.set_index("key").loc[TARGET]
    assert row["department"] == "卫健委" and row["label"].startswith("0—6岁流动儿童健康档案建档率")
    assert opts.set_index("key").at["rehab", "department"] == "残联"
    for r in opts.itertuples():  # every option is a key the loop accepts
        assert ins.figure_key(r.figure, r.key) == r.key


def test_the_pack_section_prints_the_open_instructions(root):
    from report import pdf as doc

    iid = issue(label="托位缺口", figure="gap", key="childcare_places", region=EAST)
    ins.answer(root, iid, "年内新增托位200个", department="卫健委", **as_user("health_east"))
    headers, rows = ins.pack_rows(ins.open_table(root, [CITY]))
    section = doc.Section("领导批示办理情况", [doc.Table(headers, rows, widths=[2.6, 0.9, 0.9, 0.6, 3.6])],
                          intro=f"共 {len(rows)} 条批示尚未办结。")
    pdf = doc.render(doc.Cover("测试", [("区域", "示范市")]), [section], "测试")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    assert pd.DataFrame(rows, columns=headers).at[0, "最新答复"] == "年内新增托位200个"


def test_the_command_line_names_a_worklist_by_its_check_and_refuses_an_unknown_one(copy, con, capsys):
    """The page offers only the snapshot's checks, named as the page names them; the command line does the
    same: a known check takes its name, a mistyped one is refused before anything is stored."""
    from warehouse import queries as q
    from warehouse.queries import matching

    users.add("leader_cli", "tongxin-demo", "leader", [CITY], root=copy)
    checks = matching.checks(con, q.Scope.of(CITY))
    code, name = str(checks["check_code"].iloc[0]), str(checks["check_label"].iloc[0])
    assert cli("instruction", "issue", "worklist", code, "--region", EAST, "--to", "卫健委", "--due", DUE,
               "--text", "请核实", "--user", "leader_cli") == 0
    iid = re.search(r"issued ([0-9a-f]{12})", capsys.readouterr().out).group(1)
    assert ins.state(copy)[iid]["label"] == name
    before = ins.state(copy)
    assert cli("instruction", "issue", "worklist", "helth", "--region", EAST, "--to", "卫健委", "--due", DUE,
               "--text", "请核实", "--user", "leader_cli") == 2
    err = capsys.readouterr().err
    assert "helth" in err and "比对项目" in err and code in err  # says which checks exist
    assert ins.state(copy) == before


def test_the_command_line_needs_a_snapshot_for_a_worklist_instruction(root, capsys):
    assert cli("instruction", "issue", "worklist", "rehab", "--region", EAST, "--to", "残联", "--due", DUE,
               "--text", "请核实", "--label", "残疾儿童康复", "--user", "leader") == 2
    assert "快照" in capsys.readouterr().err and not ins.state(root)
