"""数据确认: a county confirms, then the city; a return carries a reason; a new landing for a county starts again
at 待确认 while the old confirmation stays in the history; a rebuild changes nothing; a user acts only at the
level and in the area their role and scope allow; a torn last line loses nothing before it; the store never
holds a name or an ID number.

Each test lands real GB18030 register files (tests/files.py) into a data folder of its own with two counties.
"""
from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

import pytest

from auth import audit, users
from etl.__main__ import main
from etl.contracts import sources
from etl.land import land, withdraw
from loop import signoff, store
from loop.store import LoopError
from settings import config_dir
from tests.files import REGISTER_HEADER, make_id, register_of

REGIONS = """区划代码,名称,层级,上级代码,区域类型,面积（平方公里）
990100000000,示范市,市,,,
990101000000,东湖区,区县,990100000000,主城区,120.5
990101001000,滨江街道,街道,990101000000,城乡结合部,10
990101001001,桃园社区,社区,990101001000,,
990102000000,西山区,区县,990100000000,县域,300
990102001000,山前街道,街道,990102000000,,20
990102001001,山前社区,社区,990102001000,,
"""
EAST, WEST = "990101", "990102"
PERIOD = "2026H1"
CITY_DATA = {"user": "data", "role": "data_officer", "scope": ["9901"]}
EAST_OFFICER = {"user": "east", "role": "county_officer", "scope": [EAST]}
WEST_OFFICER = {"user": "west", "role": "county_officer", "scope": [WEST]}


def write_register(path: Path, counts: list[tuple[str, int]], first: int = 0) -> Path:
    """A register CSV in GB18030 with a title line, as offices send it."""
    rows = register_of(counts, first)
    lines = ["示范市流动儿童监测摸排台账", ",".join(REGISTER_HEADER)] + [",".join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return path


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    """A data folder with two counties and a register landed for both."""
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    root = tmp_path / "data"
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(root))
    (tmp_path / "区划.csv").write_text(REGIONS, encoding="utf-8")
    land("regions", tmp_path / "区划.csv", "2025", root=root, isolate=False)  # files the test wrote: in-process
    out = land("civil_register", write_register(tmp_path / "台账.csv", [("990101001001", 3), ("990102001001", 4)]),
               PERIOD, root=root, isolate=False)
    assert out.entry.rows_accepted == 7
    return root


def status_of(root: Path, county: str, source: str = "civil_register") -> str:
    df = signoff.status(root, source=source, period=PERIOD)
    return df.loc[df["county_code"] == county, "status"].item()


def test_every_source_has_a_rule_and_the_roles_exist():
    with (config_dir() / "signoff.csv").open(encoding="utf-8") as f:
        listed = [r["source"] for r in csv.DictReader(f)]
    assert sorted(listed) == sorted(sources())
    assert signoff.rule("civil_register").required and not signoff.rule("regions").required


def test_a_county_confirms_then_the_city(data):
    assert status_of(data, EAST) == status_of(data, WEST) == signoff.PENDING
    signoff.confirm(data, "civil_register", PERIOD, EAST, **EAST_OFFICER)
    assert status_of(data, EAST) == signoff.COUNTY_OK
    assert status_of(data, WEST) == signoff.PENDING
    assert not signoff.is_confirmed(data, "civil_register", PERIOD, EAST)
    signoff.confirm(data, "civil_register", PERIOD, EAST, level="city", **CITY_DATA)
    assert status_of(data, EAST) == signoff.CITY_OK
    assert signoff.is_confirmed(data, "civil_register", PERIOD, EAST)
    assert not signoff.is_confirmed(data, "civil_register", PERIOD)  # the west is still pending
    assert signoff.unconfirmed(data, [""]).to_dict("records") == [
        {"source": "civil_register", "period": PERIOD, "county_code": WEST, "status": signoff.PENDING}]
    # A county officer sees only their county's unconfirmed data; no scope sees nothing.
    assert signoff.unconfirmed(data, [EAST]).empty
    assert list(signoff.unconfirmed(data, [WEST])["county_code"]) == [WEST]
    assert signoff.unconfirmed(data, []).empty
    # Every action is audited.
    log = audit.events(data)
    assert list(log.loc[log["action"].str.startswith("signoff"), "action"]) == ["signoff_confirm"] * 2
    assert set(log["action_label"].dropna()) >= {"数据确认"}


def test_a_return_carries_its_reason_and_the_county_confirms_again(data):
    signoff.confirm(data, "civil_register", PERIOD, WEST, **WEST_OFFICER)
    signoff.return_(data, "civil_register", PERIOD, WEST, reason="山前社区人数与上期相差过大，请核实", **CITY_DATA)
    df = signoff.status(data, source="civil_register")
    row = df[df["county_code"] == WEST].iloc[0]
    assert (row["status"], row["reason"], row["user"]) == (signoff.RETURNED, "山前社区人数与上期相差过大，请核实", "data")
    with pytest.raises(LoopError, match="ORDER"):  # the city cannot confirm what the county has not
        signoff.confirm(data, "civil_register", PERIOD, WEST, level="city", **CITY_DATA)
    with pytest.raises(LoopError, match="NO_REASON"):
        signoff.return_(data, "civil_register", PERIOD, EAST, reason="  ", **CITY_DATA)
    signoff.confirm(data, "civil_register", PERIOD, WEST, **WEST_OFFICER)
    assert status_of(data, WEST) == signoff.COUNTY_OK
    assert "数据退回" in set(audit.events(data)["action_label"])


def test_a_new_landing_for_a_county_starts_again_and_its_history_stays(data, tmp_path):
    for county, who in ((EAST, EAST_OFFICER), (WEST, WEST_OFFICER)):
        signoff.confirm(data, "civil_register", PERIOD, county, **who)
        signoff.confirm(data, "civil_register", PERIOD, county, level="city", **CITY_DATA)
    old = signoff.subjects(data)[("civil_register", PERIOD, EAST)]
    # The east sends its sheet again (by county: the west's rows stay in force, and so does its status).
    out = land("civil_register", write_register(tmp_path / "东湖区更正.csv", [("990101001001", 5)], first=20),
               PERIOD, root=data, allow_removal=True, isolate=False)
    assert out.entry.mode == "county"
    assert status_of(data, EAST) == signoff.PENDING
    assert status_of(data, WEST) == signoff.CITY_OK
    hist = signoff.history(data, county=EAST)
    assert list(hist["load_id"]) == [old["load_id"]] * 2 and list(hist["level"]) == ["county", "city"]
    # Withdrawn, the new landing leaves force and the earlier one comes back, confirmed as it was.
    withdraw(out.entry.load_id, "civil_register", PERIOD, "误传", root=data)
    assert status_of(data, EAST) == signoff.CITY_OK


def test_a_rebuild_changes_no_status(data):
    from warehouse.build import build

    signoff.confirm(data, "civil_register", PERIOD, EAST, **EAST_OFFICER)
    before = signoff.status(data)
    build(data)
    build(data)
    assert signoff.status(data).equals(before)
    assert status_of(data, EAST) == signoff.COUNTY_OK


@pytest.mark.parametrize("who, county, level, code", [
    (WEST_OFFICER, EAST, "county", "NOT_ALLOWED"),  # another county
    ({"user": "s", "role": "county_officer", "scope": ["990101001"]}, EAST, "county", "NOT_ALLOWED"),  # a street only
    (EAST_OFFICER, EAST, "city", "NOT_ALLOWED"),  # a county officer at the city level
    ({"user": "l", "role": "leader", "scope": ["9901"]}, EAST, "county", "NOT_ALLOWED"),  # a role that confirms nothing
    ({"user": "d", "role": "data_officer", "scope": [EAST]}, EAST, "city", "NOT_ALLOWED"),  # city level, county scope
    (CITY_DATA, EAST, "city", "ORDER"),  # the city before the county
    (CITY_DATA, "990103", "county", "NO_LANDING"),
])
def test_refusals_are_clear_and_audited(data, who, county, level, code):
    with pytest.raises(LoopError) as e:
        signoff.confirm(data, "civil_register", PERIOD, county, level=level, **who)
    assert e.value.code == code and e.value.zh and e.value.en
    assert status_of(data, EAST) == signoff.PENDING
    last = audit.events(data).iloc[0]
    assert (last["action"], bool(last["ok"])) == ("signoff_confirm", False)


def test_sources_that_need_no_signoff_and_city_wide_data(data):
    regions = signoff.status(data, source="regions")
    assert regions[["period", "county_code", "status"]].values.tolist() == [["2025", "", signoff.NOT_REQUIRED]]
    with pytest.raises(LoopError, match="NOT_REQUIRED"):
        signoff.confirm(data, "regions", "2025", "", level="city", **CITY_DATA)
    assert signoff.is_confirmed(data, "regions", "2025")


def test_the_cli_confirms_as_the_named_user_and_refuses_with_an_exit_code(data, capsys):
    users.add("east", "a-long-password-1", "county_officer", [EAST], root=data)
    users.add("data", "a-long-password-2", "data_officer", ["9901"], root=data)
    assert main(["signoff", "confirm", "civil_register", PERIOD, "--county", WEST, "--user", "east"]) != 0
    err = capsys.readouterr().err
    assert "不能" in err and "does not cover" in err
    assert main(["signoff", "confirm", "civil_register", PERIOD, "--county", EAST, "--user", "data",
                 "--level", "city"]) != 0
    assert "先由区县确认" in capsys.readouterr().err
    assert main(["signoff", "confirm", "civil_register", PERIOD, "--county", EAST, "--user", "east"]) == 0
    assert main(["signoff", "confirm", "civil_register", PERIOD, "--county", EAST, "--user", "data",
                 "--level", "city"]) == 0
    assert main(["signoff", "return", "civil_register", PERIOD, "--county", WEST, "--user", "data",
                 "--reason", "缺山前街道"]) == 0
    assert main(["signoff", "confirm", "civil_register", PERIOD, "--county", EAST, "--user", "nobody"]) != 0
    capsys.readouterr()
    assert main(["signoff", "status", "--source", "civil_register", "--json"]) == 0
    rows = {r["county_code"]: r["status"] for r in json.loads(capsys.readouterr().out)}
    assert rows == {EAST: signoff.CITY_OK, WEST: signoff.RETURNED}
    assert main(["signoff", "status", "--user", "east"]) == 0
    out = capsys.readouterr().out
    assert EAST in out and WEST not in out


def test_the_cli_baseline_needs_an_admin_and_accepts_what_is_in_force(data, capsys):
    users.add("data", "a-long-password-2", "data_officer", ["9901"], root=data)
    users.add("root", "a-long-password-3", "admin", [""], root=data)
    assert main(["signoff", "baseline", "--user", "data"]) != 0  # a data officer cannot declare go-live
    assert not signoff.status(data, source="civil_register")["status"].eq(signoff.CITY_OK).any()
    capsys.readouterr()
    assert main(["signoff", "baseline", "--user", "root", "--source", "civil_register"]) == 0
    assert "city-confirmed 2" in capsys.readouterr().out
    assert signoff.status(data, source="civil_register")["status"].eq(signoff.CITY_OK).all()


def test_a_torn_last_line_loses_nothing_before_it(data):
    signoff.confirm(data, "civil_register", PERIOD, EAST, **EAST_OFFICER)
    path = store.events_path(data)
    whole = path.read_bytes()
    # kill -9 in the middle of the next write: half an event, no newline.
    half = json.dumps({"v": 1, "at": "2026-12-02T00:00:00+00:00", "user": "data", "kind": "signoff"}).encode()
    with path.open("ab") as f:
        f.write(half[: len(half) // 2])
    assert status_of(data, EAST) == signoff.COUNTY_OK
    assert store.read(data)[1] == 1
    # The next event starts on a line of its own: the torn piece does not swallow it.
    signoff.confirm(data, "civil_register", PERIOD, WEST, **WEST_OFFICER)
    assert status_of(data, EAST) == status_of(data, WEST) == signoff.COUNTY_OK
    assert path.read_bytes().startswith(whole)
    assert len(store.events("signoff", data)) == 2 and store.read(data)[1] == 1


def test_the_store_is_private_and_holds_no_name_or_id_number(data):
    with pytest.raises(LoopError, match="ID_IN_TEXT"):
        signoff.return_(data, "civil_register", PERIOD, EAST, reason=f"请核实 {make_id('20150304', 1)}",
                        **CITY_DATA)
    with pytest.raises(LoopError, match="ID_IN_TEXT"):  # full-width digits, spaced out
        signoff.return_(data, "civil_register", PERIOD, EAST, reason="号码 ９９０１０１ ２０１５０３０４ ００１３",
                        **CITY_DATA)
    signoff.confirm(data, "civil_register", PERIOD, EAST, **EAST_OFFICER)
    signoff.return_(data, "civil_register", PERIOD, EAST, reason="人数偏少", **CITY_DATA)
    path = store.events_path(data)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text(encoding="utf-8")
    names = {r[2] for r in register_of([("990101001001", 3), ("990102001001", 4)])}
    ids = {r[1] for r in register_of([("990101001001", 3), ("990102001001", 4)])}
    assert not store.looks_like_id(text)
    assert not [x for x in names | ids if x in text]
    for line in text.splitlines():
        e = json.loads(line)
        assert set(e) == {"v", "at", "user", "role", "kind", "subject", "action", "fields"}
        assert set(e["subject"]) == {"source", "period", "county_code", "load_id", "landed_at"}


def test_reads_are_cached_until_the_file_changes(data):
    signoff.confirm(data, "civil_register", PERIOD, EAST, **EAST_OFFICER)
    first = store.read(data)
    assert store.read(data) is first
    os.utime(store.events_path(data), ns=(1, 1))
    assert store.read(data) is not first


def test_data_without_a_division_code_is_confirmed_by_the_city_alone(data, tmp_path):
    sheet = tmp_path / "志愿者.csv"
    sheet.write_bytes("志愿者编号,所属队伍编号,身份\r\nV1,T1,教师\r\nV2,T1,党员\r\n".encode("gb18030"))
    land("volunteers", sheet, "2026-06", root=data, isolate=False)
    who = {"user": "fl", "role": "wf_staff", "scope": ["9901"]}
    with pytest.raises(LoopError, match="CITY_ONLY"):
        signoff.confirm(data, "volunteers", "2026-06", "", **who)
    with pytest.raises(LoopError, match="NOT_ALLOWED"):  # a county's officer cannot speak for the city
        signoff.confirm(data, "volunteers", "2026-06", "", level="city", **EAST_OFFICER)
    assert list(signoff.unconfirmed(data, [EAST])["source"]) == ["civil_register", "volunteers"]
    signoff.confirm(data, "volunteers", "2026-06", "", level="city", **who)
    assert signoff.is_confirmed(data, "volunteers", "2026-06")
    assert list(signoff.unconfirmed(data, [EAST])["source"]) == ["civil_register"]


def test_the_store_takes_keys_only(tmp_path):
    """A follow-up item is its linkage key and check; an ID number or a name in its place is refused."""
    root = tmp_path / "data"
    key = "ab" * 32
    store.append("followup", {"person_key": key, "check": "not_in_school"}, "assign", {"to": "教育局"},
                 user="u", role="case_worker", root=root)
    for bad in (make_id("20150304", 1), "张小明", key.upper()):
        with pytest.raises(LoopError, match="BAD_SUBJECT"):
            store.append("followup", {"person_key": bad, "check": "not_in_school"}, "assign", {},
                         user="u", root=root)
    with pytest.raises(ValueError):
        store.append("followup", {"person_key": key, "check": "x", "name": "张小明"}, "assign", {}, user="u",
                     root=root)
    with pytest.raises(LoopError, match="ID_IN_TEXT"):
        store.append("followup", {"person_key": key, "check": "x"}, "note", {"note": make_id("20120304", 2)},
                     user="u", root=root)
    assert [e["action"] for e in store.events(root=root)] == ["assign"]


def _confirm_east(root: str) -> str:
    try:
        signoff.confirm(root, "civil_register", PERIOD, EAST, **EAST_OFFICER)
        return "ok"
    except LoopError as e:
        return e.code


def test_two_confirmations_at_once_make_one_event(data):
    """Reading the state and appending run under one lock: the second of two simultaneous clicks is told."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(4) as pool:
        outcomes = pool.map(_confirm_east, [str(data)] * 4)
    assert sorted(outcomes) == ["ALREADY"] * 3 + ["ok"]
    assert len(store.events("signoff", data)) == 1


ADMIN = {"user": "admin", "role": "admin", "scope": [""]}


def test_four_eyes_the_city_level_comes_from_another_user(data):
    """One admin may confirm at either level, but not both for the same landing."""
    signoff.confirm(data, "civil_register", PERIOD, EAST, **ADMIN)
    with pytest.raises(LoopError) as e:
        signoff.confirm(data, "civil_register", PERIOD, EAST, level="city", **ADMIN)
    assert e.value.code == "FOUR_EYES" and "不同" in e.value.zh and "different user" in e.value.en
    assert status_of(data, EAST) == signoff.COUNTY_OK
    assert bool(audit.events(data).iloc[0]["ok"]) is False
    signoff.confirm(data, "civil_register", PERIOD, EAST, level="city", **CITY_DATA)
    assert status_of(data, EAST) == signoff.CITY_OK


def test_baseline_city_confirms_every_landing_in_force_and_is_audited(data, tmp_path):
    signoff.confirm(data, "civil_register", PERIOD, WEST, **WEST_OFFICER)
    with pytest.raises(LoopError, match="NOT_ALLOWED"):  # an admin's act only
        signoff.baseline(data, **CITY_DATA)
    done = signoff.baseline(data, **ADMIN)
    assert sorted(e["subject"]["county_code"] for e in done) == [EAST, WEST]
    assert status_of(data, EAST) == status_of(data, WEST) == signoff.CITY_OK
    assert signoff.unconfirmed(data, [""]).empty
    hist = signoff.history(data, county=EAST)
    assert list(hist["what"]) == ["上线基线确认"] and list(hist["level"]) == ["city"]
    assert all(e["fields"] == {"level": "city", "baseline": True} for e in done)
    log = audit.events(data)
    base = log[log["ok"].astype(bool) & (log["detail"] == "上线基线确认")]
    assert len(base) == 2 and set(base["user"]) == {"admin"}
    assert signoff.baseline(data, **ADMIN) == []  # nothing left to accept
    # A later landing goes through the two steps again.
    land("civil_register", write_register(tmp_path / "东湖区更正.csv", [("990101001001", 5)], first=20),
         PERIOD, root=data, allow_removal=True, isolate=False)
    assert status_of(data, EAST) == signoff.PENDING
    assert list(signoff.unconfirmed(data, [""])["county_code"]) == [EAST]


def test_what_a_figure_rests_on_and_its_marks(data, tmp_path):
    """A card's sources (config/metrics.csv) and periods: the selected half-year for the register, the months of
    the half-year for monthly activity; marks name the unconfirmed counties in the scope, and clear once
    confirmed without anything else being rebuilt."""
    import datetime as dt

    w = signoff.Span(PERIOD, dt.date(2026, 1, 1), dt.date(2026, 6, 30), dt.date(2026, 6, 30))
    assert signoff.rests_on("migrant_children", w) == [("civil_register", PERIOD)]
    assert signoff.rests_on("targets_off_track", w) == []  # nothing of progress_reports landed
    marks = signoff.marks(data, [""], ["migrant_children", "key_children"], w)
    assert list(marks) == ["migrant_children"]
    assert sorted(marks["migrant_children"]["county_code"]) == [EAST, WEST]
    assert list(signoff.marks(data, [EAST], ["migrant_children"], w)["migrant_children"]["county_code"]) == [EAST]
    assert "东湖区" in signoff.mark_text(marks["migrant_children"], {EAST: "东湖区", WEST: "西山区"})
    signoff.confirm(data, "civil_register", PERIOD, EAST, **EAST_OFFICER)
    signoff.confirm(data, "civil_register", PERIOD, EAST, level="city", **CITY_DATA)
    assert signoff.marks(data, [EAST], ["migrant_children"], w) == {}
    assert list(signoff.marks(data, [""], ["migrant_children"], w)["migrant_children"]["county_code"]) == [WEST]
    assert signoff.confirmed_periods(data, [EAST], ["migrant_children"], [w]) == [PERIOD]
    assert signoff.confirmed_periods(data, [""], ["migrant_children"], [w]) == []


def test_a_scope_written_as_full_codes_is_read_as_its_region(data):
    """users.json may hold the city as 990100000000 (the demo users do): it is the city's prefix 9901."""
    assert signoff.prefixes(["990100000000", "990101000000", "990101001000", "99", ""]) == [
        "9901", "990101", "990101001", "99", ""]
    signoff.confirm(data, "civil_register", PERIOD, EAST, user="east", role="county_officer",
                    scope=["990101000000"])
    signoff.confirm(data, "civil_register", PERIOD, EAST, level="city", user="data", role="data_officer",
                    scope=["990100000000"])
    assert status_of(data, EAST) == signoff.CITY_OK
    assert set(signoff.status(data, scope=["990100000000"])["county_code"]) >= {EAST, WEST}
    assert len(signoff.baseline(data, user="admin", role="admin", scope=["99"])) == 1  # the west
