"""督办: a worklist item is assigned, referred (卫健委 → 残联), accepted, closed, and comes back as 复发 when the
next period's extract lists it again; a rebuild changes nothing; a user acts only on items in their scope and
their role's reach; counts for roles without case access carry the small-number marks; the store holds no
name and no ID number; a torn last line loses nothing before it.

The walk runs through the CLI on a copy of the shared fixture warehouse (tests/conftest.py), landing a new
register period and rebuilding as an office would.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from auth import audit, users
from etl.land import land
from loop import followup as fu
from loop import followup_cli, store
from loop.store import LoopError
from tests.files import read_sql
from ui import followup as uf
from warehouse import queries as q
from warehouse.build import build

EAST = "990102"  # the county of the demo users caseworker, county and cdpf
OTHER = "990121"
REGISTER = "流动儿童监测摸排台账2026年上半年.csv"
KEY = "ab" * 16


def find_user(name: str):
    u = users.load().get(name)
    if u is None or u.disabled:
        raise LoopError("NO_USER", f"没有这个用户或已停用：{name}", f"no such user, or disabled: {name!r}")
    return u


def cli(*argv: str) -> int:
    return followup_cli.main(["followup", *argv], uf.read_listed, find_user)


def who(name: str) -> dict:
    u = find_user(name)
    return {"user": u.username, "role": u.role, "scope": list(u.scope), "department": u.department}


def listed_now(root: Path, prefixes=("",)) -> pd.DataFrame:
    return uf.read_listed(root, list(prefixes))


def one(root: Path, check: str, county: str = EAST) -> dict:
    df = fu.state(root, listed_now(root))
    return df[(df["check_code"] == check) & df["county_code"].str.startswith(county)].iloc[0].to_dict()


def status(root: Path, item: dict) -> dict:
    df = fu.state(root, listed_now(root))
    return df[(df["person_key"] == item["person_key"]) & (df["check_code"] == item["check_code"])].iloc[0].to_dict()


# ---- the fold alone ------------------------------------------------------------------------------------
def ev(action: str, fields: dict | None = None, key: str = KEY, check: str = "health") -> dict:
    return {"kind": "followup", "at": "2026-11-02T08:00:00+00:00", "user": "u", "role": "case_worker",
            "subject": {"person_key": key, "check": check}, "action": action, "fields": fields or {}}


def listing(period: str = "2026H1", key: str = KEY) -> pd.DataFrame:
    return pd.DataFrame([{"person_key": key, "check_code": "health", "department": "卫健委", "period": period,
                          "county_code": "990102000000", "street_code": "990102001000"}])


def test_the_fold_gives_each_status_and_flags_recurrence_by_the_data_period():
    today = dt.date(2026, 12, 1)
    assert fu.fold([], listing(), today).iloc[0]["status"] == fu.PENDING
    assign = ev("assign", {"to_kind": "department", "to": "卫健委", "due": "2026-11-30"})
    s = fu.fold([assign], listing(), today).iloc[0]
    assert (s["status"], s["assignee"], bool(s["is_overdue"])) == (fu.PENDING, "卫健委", True)
    s = fu.fold([assign, ev("start")], listing(), today).iloc[0]
    assert s["status"] == fu.WORKING
    done = [assign, ev("start"), ev("close", {"outcome": fu.DONE, "reason": "已建档", "period": "2026H1"})]
    s = fu.fold(done, listing(), today).iloc[0]
    assert (s["status"], bool(s["is_overdue"]), bool(s["recurred"])) == (fu.DONE, False, False)
    # The same period listed again (a rebuild, a corrected extract): still 已办结. The next period: 复发.
    assert fu.fold(done, listing("2026H1"), today).iloc[0]["status"] == fu.DONE
    s = fu.fold(done, listing("2026H2"), today).iloc[0]
    assert (s["status"], bool(s["recurred"]), bool(s["is_overdue"])) == (fu.RELAPSE, True, True)
    # Not listed any more: 已办结 stays, and the item keeps its street from the events.
    s = fu.fold(done + [ev("note", {"note": "x", "street_code": "990102001000", "county_code": "990102000000"})],
                None, today).iloc[0]
    assert (s["status"], s["street_code"], bool(s["listed"])) == (fu.DONE, "990102001000", False)
    # 无需处理 never recurs; a 复发 closed again at the new period is 已办结 again.
    nothing = [ev("close", {"outcome": fu.NOT_NEEDED, "reason": "已迁出", "period": "2026H1"})]
    assert fu.fold(nothing, listing("2026H2"), today).iloc[0]["status"] == fu.NOT_NEEDED
    again = done + [ev("close", {"outcome": fu.DONE, "reason": "已建档", "period": "2026H2"})]
    assert fu.fold(again, listing("2026H2"), today).iloc[0]["status"] == fu.DONE
    # Scope: a user's codes as users.json keeps them (12 digits) or as prefixes; an empty scope sees nothing.
    two = pd.concat([listing(), listing(key="cd" * 16).assign(street_code="990121001000", county_code="990121000000")])
    assert len(fu.fold(done, two, today)) == 2
    assert list(fu.fold(done, two, today, ["990102000000"])["status"]) == [fu.DONE]
    assert list(fu.fold(done, two, today, ["990121"])["status"]) == [fu.PENDING]
    assert fu.fold(done, two, today, []).empty
    # A referral waits for the receiver; accepted, the receiver is the assignee; returned, the sender stays.
    refer = ev("refer", {"from": "卫健委", "to": "残联"})
    s = fu.fold([assign, refer], listing(), today).iloc[0]
    assert (s["assignee"], s["referral_to"]) == ("卫健委", "残联")
    assert fu.fold([assign, refer, ev("accept")], listing(), today).iloc[0]["assignee"] == "残联"
    s = fu.fold([assign, refer, ev("return", {"reason": "非残疾"})], listing(), today).iloc[0]
    assert (s["assignee"], s["referral_to"], s["reason"]) == ("卫健委", "", "非残疾")


# ---- the walk through the CLI ------------------------------------------------------------------------
def youngest(root: Path, check: str = "health") -> dict:
    """The youngest child of a check in the county: still under 6 in the next half-year's register."""
    con = q.connect(q.current_snapshot_path(root))
    try:
        key = read_sql(con, "select person_key from list_unmatched where check_code = ? and county_code like ? "
                            "order by age_years, person_key limit 1", [check, f"{EAST}%"])["person_key"].iloc[0]
    finally:
        con.close()
    df = fu.state(root, listed_now(root))
    return df[(df["check_code"] == check) & (df["person_key"] == key)].iloc[0].to_dict()


def test_assign_refer_accept_close_and_recur_after_the_next_landing(copy, demo_extracts, capsys):
    item = youngest(copy)
    key = item["person_key"]
    assert item["status"] == fu.PENDING and item["listed"]
    assert cli("assign", "health", key, "--to", "卫健", "--due", "2026-12-31", "--user", "caseworker") == 0
    assert cli("refer", "health", key, "--to", "残联", "--reason", "疑似残疾，请残联核实", "--user", "health") == 0
    s = status(copy, item)
    assert (s["assignee"], s["referral_from"], s["referral_to"]) == ("卫健委", "卫健委", "残联")
    # The sender cannot close what waits for the receiver; only the receiver accepts.
    assert cli("close", "health", key, "--outcome", "已办结", "--reason", "x", "--user", "health") != 0
    assert "待其接收" in capsys.readouterr().err
    assert cli("accept", "health", key, "--user", "health") != 0
    assert cli("accept", "health", key, "--user", "cdpf") == 0
    assert cli("start", "health", key, "--user", "cdpf") == 0
    assert cli("note", "health", key, "--text", "已电话联系监护人", "--user", "cdpf") == 0
    assert cli("close", "health", key, "--outcome", "已办结", "--reason", "已建立健康档案", "--user", "cdpf") == 0
    s = status(copy, item)
    assert (s["status"], s["assignee"]) == (fu.DONE, "残联")
    capsys.readouterr()
    assert cli("list", "--user", "cdpf", "--json") == 0
    mine = {(r["check_code"], r["person_key"]): r for r in json.loads(capsys.readouterr().out)}
    assert mine[("health", key)]["status"] == fu.DONE
    # A rebuild changes nothing.
    before = fu.state(copy, listed_now(copy))
    build(copy)
    assert fu.state(copy, listed_now(copy)).drop(columns=["is_overdue"]).equals(before.drop(columns=["is_overdue"]))
    # The next half-year's register (the same children, still without a health record): 复发.
    sheet = copy.parent / "台账2026H2.csv"
    shutil.copy(demo_extracts / REGISTER, sheet)
    land("civil_register", sheet, "2026H2", root=copy, synthetic=True, isolate=False)
    build(copy)
    s = status(copy, item)
    assert (s["status"], bool(s["recurred"]), s["period"]) == (fu.RELAPSE, True, "2026H2")
    capsys.readouterr()
    assert cli("list", "--user", "cdpf", "--status", fu.RELAPSE) == 0
    assert key[:12] in capsys.readouterr().out
    # Open again: the department starts on it anew.
    assert cli("start", "health", key, "--user", "cdpf") == 0
    assert status(copy, item)["status"] == fu.WORKING
    log = audit.events(copy)
    steps = log[log["action"] == "followup"]
    assert len(steps[steps["ok"]]) == 7 and len(steps[~steps["ok"]]) == 2
    assert set(steps["action_label"]) == {"督办"}


def test_a_user_sees_and_acts_only_in_their_scope_and_reach(copy, capsys):
    mine, other = one(copy, "dropout", EAST), one(copy, "dropout", OTHER)
    with pytest.raises(LoopError, match="OUT_OF_SCOPE"):
        fu.act(copy, "assign", other, to="教育局", due="2026-12-31", **who("caseworker"))
    assert cli("assign", "dropout", other["person_key"], "--to", "教育局", "--due", "2026-12-31",
               "--user", "caseworker") != 0
    assert "范围" in capsys.readouterr().err
    capsys.readouterr()
    assert cli("list", "--user", "caseworker", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {r["street_code"][:6] for r in rows} == {EAST}
    # Roles without case access act on no single item, and list none.
    for name in ("county", "data", "leader"):
        with pytest.raises(LoopError, match="NOT_ALLOWED"):
            fu.act(copy, "start", mine, **who(name))
    assert cli("list", "--user", "county") != 0
    # A department officer acts only on what is assigned or referred to their department.
    with pytest.raises(LoopError, match="NOT_ALLOWED"):
        fu.act(copy, "start", mine, **who("health"))
    fu.act(copy, "assign", mine, to="教育局", due="2026-12-31", **who("caseworker"))
    with pytest.raises(LoopError, match="NOT_ALLOWED"):
        fu.act(copy, "close", mine, outcome=fu.DONE, reason="x", **who("health"))
    # A county officer of another county cannot bulk-assign here.
    users.update("county", scope=[OTHER], by="test")
    with pytest.raises(LoopError, match="OUT_OF_SCOPE"):
        fu.bulk_assign(copy, listed_now(copy), "health", EAST, to="卫健委", due="2026-12-31", **who("county"))
    log = audit.events(copy)
    assert not log[(log["action"] == "followup") & ~log["ok"]].empty


def test_refusals_are_bilingual_and_notes_hold_no_id_number(copy):
    item = one(copy, "rehab")
    cases = [
        ({"action": "note", "note": "身份证 990102201503040013"}, "ID_IN_TEXT"),
        ({"action": "note", "note": "号码 ９９０１０２ ２０１５０３０４ ００１３"}, "ID_IN_TEXT"),
        ({"action": "close", "outcome": fu.DONE, "reason": "  "}, "NO_REASON"),
        ({"action": "close", "outcome": "完成", "reason": "x"}, "BAD_OUTCOME"),
        ({"action": "assign", "to": "张三", "to_kind": fu.DIRECTOR, "due": "2026-12-31"}, "BAD_DIRECTOR"),
        ({"action": "assign", "to": "不存在局", "due": "2026-12-31"}, "BAD_DEPARTMENT"),
        ({"action": "assign", "to": "残联", "due": "明天"}, "BAD_DATE"),
        ({"action": "refer", "to": "教育局"}, "NOT_ASSIGNED"),
        ({"action": "accept"}, "NO_REFERRAL"),
    ]
    for kw, code in cases:
        action = kw.pop("action")
        with pytest.raises(LoopError) as e:
            fu.act(copy, action, item, **kw, **who("caseworker"))
        assert e.value.code == code and e.value.zh and e.value.en, code
    assert not store.events("followup", copy)
    e = fu.act(copy, "assign", item, to="ZR9901020010011", to_kind=fu.DIRECTOR, due="2026-12-31", **who("caseworker"))
    assert e["fields"]["to"] == "ZR9901020010011"


def test_a_county_officer_bulk_assigns_without_seeing_a_child_and_counts_are_marked(copy, con):
    streets = fu.state(copy, listed_now(copy))
    street = streets[(streets["check_code"] == "health")]["street_code"].str[:9].value_counts().index[0]
    n = fu.bulk_assign(copy, listed_now(copy, (street[:6],)), "health", street, to="卫健委", due="2026-12-31",
                       **who("county"))
    df = fu.state(copy, listed_now(copy))
    health = df[(df["check_code"] == "health") & df["street_code"].str.startswith(street)]
    assert n == len(health) > 0 and set(health["assignee"]) == {"卫健委"}
    assert fu.bulk_assign(copy, listed_now(copy), "health", street, to="卫健委", due="2026-12-31",
                          **who("county")) == 0  # nothing unassigned is left there
    county = q.Scope.of(EAST)  # a county officer's scope: no case access
    state = uf.state(con, county, dt.date(2027, 1, 15), copy)
    assert set(state["county_code"].str[:6]) == {EAST}
    by_street = uf.by_street(con, county, state)
    assert "pending_label" in by_street and set(by_street["street_code"].str[:6]) == {EAST}
    by_dept = uf.by_department(con, county, state)
    row = by_dept.set_index("department").loc["卫健委"]
    assert row["overdue_label"] == str(n) if n >= 5 else row["overdue_label"] == "<5"
    summary = uf.county_summary(con, q.Scope.everything(exact=True), dt.date(2027, 1, 15), copy)
    assert list(summary.columns[:5]) == ["county_code", "county_name", "open", "overdue", "closed_month"]
    assert summary.set_index("county_code").loc[f"{EAST}000000", "overdue"] == n
    shown = uf.county_table(uf.county_summary(con, county, dt.date(2027, 1, 15), copy))
    assert list(shown.columns) == ["区县", "未办结", "逾期", "本月办结"] and len(shown) == 1
    assert shown["逾期"].iloc[0] == (str(n) if n >= 5 else "<5")
    assert int(summary["open"].sum()) == int(state["status"].isin(fu.OPEN).sum()) + int(
        uf.state(con, q.Scope.of(OTHER), dt.date(2027, 1, 15), copy)["status"].isin(fu.OPEN).sum())


def test_the_store_holds_no_name_masked_name_or_id_number(copy, demo_extracts, con):
    item = one(copy, "health")
    fu.act(copy, "assign", item, to="卫健委", due="2026-12-31", **who("caseworker"))
    fu.act(copy, "refer", item, to="残联", reason="请核实", **who("health"))
    fu.act(copy, "accept", item, **who("cdpf"))
    fu.act(copy, "close", item, outcome=fu.DONE, reason="已建档", **who("cdpf"))
    with (demo_extracts / REGISTER).open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    names, ids = {r["姓名"] for r in rows}, {r["身份证号"] for r in rows}
    masked = q.run("followup/items", con, q.Scope.everything(exact=True))
    text = store.events_path(copy).read_text(encoding="utf-8")
    audit_text = audit.log_path(copy).read_text(encoding="utf-8")
    for blob in (text, audit_text):
        assert not store.looks_like_id(blob)
        assert not [x for x in names | ids | set(masked["masked_name"]) | set(masked["masked_id"]) if x and x in blob]
    for line in text.splitlines():
        e = json.loads(line)
        assert set(e["subject"]) == {"person_key", "check"}
        assert set(e["fields"]) <= {"to_kind", "to", "due", "street_code", "county_code", "check_department",
                                    "from", "reason", "outcome", "period", "note", "bulk"}


def test_a_torn_last_line_loses_nothing_before_it(copy):
    item = one(copy, "health")
    fu.act(copy, "assign", item, to="卫健委", due="2026-12-31", **who("caseworker"))
    path = store.events_path(copy)
    whole = path.read_bytes()
    half = json.dumps({"v": 1, "kind": "followup", "subject": {"person_key": item["person_key"], "check": "health"},
                       "action": "close", "fields": {"outcome": fu.DONE}}).encode()
    with path.open("ab") as f:  # kill -9 in the middle of the next append
        f.write(half[: len(half) // 2])
    s = status(copy, item)
    assert (s["status"], s["assignee"]) == (fu.PENDING, "卫健委")
    fu.act(copy, "start", item, **who("health"))
    assert path.read_bytes().startswith(whole)
    assert status(copy, item)["status"] == fu.WORKING and store.read(copy)[1] == 1


def test_the_pages_cached_counts_follow_every_action(copy, con, monkeypatch):
    """Pages read follow-up figures through ui.data, cached under the snapshot, the day and the event file's
    version (a city's worklists are ~700k items at province scale, folded on every rerun before): an action
    shows on the next rerun, and a rerun with nothing new folds nothing."""
    from ui.data import Warehouse

    monkeypatch.setenv("TONGXIN_DATA_DIR", str(copy))
    wh = Warehouse(con, q.snapshot_info(con))
    scope, day = q.Scope.everything(exact=True), dt.date(2027, 1, 15)
    before = wh.followup_counts("county", scope, day)
    assert before.equals(uf.county_summary(con, scope, day, copy))
    fu.act(copy, "assign", one(copy, "health"), to="卫健委", due="2026-12-31", **who("caseworker"))
    after = wh.followup_counts("county", scope, day)
    assert after.equals(uf.county_summary(con, scope, day, copy))
    assert after["overdue"].sum() == before["overdue"].sum() + 1
    streets = wh.followup_counts("street", scope, day)
    assert streets.equals(uf.by_street(con, scope, uf.state(con, scope, day, copy)))
    monkeypatch.setattr(uf, "state", lambda *a, **k: pytest.fail("folded again with nothing new"))
    assert wh.followup_counts("county", scope, day).equals(after)
    assert (wh.followup_state(scope, day)["assignee"] == "卫健委").sum() == 1
