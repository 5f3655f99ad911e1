"""数据确认 in the app (AppTest) and in the meeting pack: a county officer confirms on the 数据确认 page, a data
officer confirms for the city, and the leader's 总览 goes from marked (未确认) to unmarked for the figure that
rests on it, without a rebuild; a new landing marks it again; four eyes are refused with the bilingual message;
a county officer sees and confirms only their county; a leader starts on the latest confirmed period; the
pack lists the unconfirmed counties and sources before and not after.

Every test works on a copy of the shared fixture warehouse (it writes sign-off events and landings).
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from etl.land import land
from loop import signoff
from report import pack
from tests.files import signed_in
from warehouse import queries as q
from warehouse.build import published

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CITY = ("990100000000",)
EAST, QINGSHI = "990102", "990121"  # 东湖区, 青石县 in the fixture
REGISTER = signoff.source_label("civil_register")  # "流动儿童监测摸排台账"


def _app(role: str, scope, username: str) -> AppTest:
    return signed_in(AppTest.from_file(APP, default_timeout=90), role=role, scope=scope, username=username)


def _overview(role: str = "leader", scope=CITY, username: str = "leader-t") -> AppTest:
    at = _app(role, scope, username).run()
    at.switch_page("views/overview.py").run()
    assert not at.exception, at.exception
    return at


def _body(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html"))


def _card_marks(at: AppTest) -> dict[str, bool]:
    """metric key → whether its card carries the 未确认 badge."""
    cards = re.split(r'(?=<div class="ov-kpi" data-metric=")', _body(at))[1:]
    found = {re.match(r'<div class="ov-kpi" data-metric="([^"]+)"', c).group(1): c.split("</div></div>")[0]
             for c in cards}
    assert len(found) >= 6
    return {k: 'data-signoff="unconfirmed"' in card for k, card in found.items()}


def _links(at: AppTest) -> list[str]:
    return [link.proto.page for link in at.get("page_link")]


def _signoff_page(role: str, scope, username: str) -> AppTest:
    at = _app(role, scope, username).run()
    at.switch_page("views/signoff.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "数据确认"
    return at


def _pick(at: AppTest, source: str, period: str, county_name: str) -> AppTest:
    at.selectbox(key="so_source").select(source).run()
    at.selectbox(key="so_period").select(period).run()
    box = at.selectbox(key="so_row")
    i = next(i for i, label in enumerate(box.options) if f"· {county_name} ·" in label)
    return box.select_index(i).run()


def _messages(at: AppTest) -> str:
    return " ".join(e.value for e in at.error) + " ".join(s.value for s in at.success)


def _latest(root: Path) -> str:
    con = q.connect(published(root))
    try:
        return str(q.periods(con)["period"].iloc[0])
    finally:
        con.close()


def test_county_then_city_confirm_on_the_page_unmarks_the_leaders_overview(copy, demo_extracts, tmp_path):
    period = _latest(copy)
    before = _overview()
    marks = _card_marks(before)
    assert marks["migrant"] and marks["key_children"]
    banner = re.search(r'id="so-banner"[^>]*data-unconfirmed="(\d+)"', _body(before))
    assert banner and int(banner.group(1)) > 0
    assert "signoff" not in _links(before)  # a leader has no 数据确认 page: no link

    for code, name, user in ((EAST, "东湖区", "east-t"), (QINGSHI, "青石县", "qingshi-t")):
        county = _pick(_signoff_page("county_officer", (code,), user), "civil_register", period, name)
        county.button(key="so_confirm_county").click().run()
        assert not county.exception and "已区县确认" in _messages(county)
        assert signoff.status(copy, "civil_register", period).set_index("county_code").at[code, "status"] \
            == signoff.COUNTY_OK
        city = _pick(_signoff_page("data_officer", CITY, "city-t"), "civil_register", period, name)
        assert not city.button(key="so_confirm_city").disabled
        city.button(key="so_confirm_city").click().run()
        assert "已市级确认" in _messages(city)
        assert [r for r in city.dataframe[-1].value["操作"]] == ["区县确认", "市级确认"]  # its history

    after = _overview()
    marks = _card_marks(after)
    assert not marks["migrant"], "the register of both counties is city-confirmed: no mark"
    assert marks["key_children"], "the key-children ledger is not confirmed yet"

    # A new landing for one county starts again at 待确认 and the card is marked again (no rebuild).
    sheet = _one_county_register(demo_extracts, period, EAST, tmp_path / "东湖区台账更正.csv")
    land("civil_register", sheet, period, root=copy, allow_removal=True, isolate=False)
    assert signoff.status(copy, "civil_register", period).set_index("county_code").at[EAST, "status"] \
        == signoff.PENDING
    again = _overview()
    assert _card_marks(again)["migrant"]
    assert "东湖区" in html.unescape(_body(again)) and REGISTER in html.unescape(_body(again))


def _one_county_register(extracts: Path, period: str, county: str, out: Path) -> Path:
    """The county's rows of the demo register of `period`, one fewer: a county's corrected sheet (the file as
    the demo wrote it, UTF-8 CSV with the same headers)."""
    manifest = json.loads((extracts / "manifest.json").read_text(encoding="utf-8"))
    name = next(f["file"] for f in manifest["files"] if f["source"] == "civil_register" and f["period"] == period)
    rows = list(csv.reader(io.StringIO((extracts / name).read_text(encoding="utf-8-sig"))))
    code = rows[0].index("社区代码")
    mine = [r for r in rows[1:] if r[code].startswith(county)][1:]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([rows[0], *mine])
    out.write_text(buf.getvalue(), encoding="utf-8-sig")
    return out


def test_four_eyes_refusal_shows_the_bilingual_message(copy):
    period = _latest(copy)
    at = _pick(_signoff_page("admin", ("",), "admin-t"), "civil_register", period, "东湖区")
    at.button(key="so_confirm_county").click().run()
    at.button(key="so_confirm_city").click().run()
    text = _messages(at)
    assert "不同的用户" in text and "different user" in text
    assert signoff.status(copy, "civil_register", period).set_index("county_code").at[EAST, "status"] \
        == signoff.COUNTY_OK


def test_a_return_needs_a_reason_on_the_page(copy):
    period = _latest(copy)
    at = _pick(_signoff_page("data_officer", CITY, "city-t"), "civil_register", period, "青石县")
    at.button(key="so_return").click().run()
    assert "需要填写原因" in _messages(at)
    at.text_input(key="so_reason").input("人数与上期相差过大").run()
    at.button(key="so_return").click().run()
    assert "已退回" in _messages(at)
    row = signoff.status(copy, "civil_register", period).set_index("county_code").loc[QINGSHI]
    assert (row["status"], row["reason"]) == (signoff.RETURNED, "人数与上期相差过大")


def test_a_county_officer_sees_and_confirms_only_their_county(copy):
    at = _signoff_page("county_officer", (EAST,), "east-t")
    shown = set(at.dataframe[0].value["区县"])
    assert shown <= {"东湖区", "全市"} and "东湖区" in shown
    assert not any("青石县" in label for label in at.selectbox(key="so_row").options)
    # City-wide data (no division code) is shown to them but confirmed by the city only: no button.
    at.selectbox(key="so_status").select(signoff.PENDING).run()
    city_rows = [i for i, label in enumerate(at.selectbox(key="so_row").options) if "· 全市 ·" in label]
    assert city_rows, "the fixture has city-wide data (volunteers, pairings, assistance)"
    at.selectbox(key="so_row").select_index(city_rows[0]).run()
    assert not [b for b in at.button if b.key == "so_confirm_city"]


def _confirm_all(root: Path, period: str, scope: q.Scope) -> None:
    """Baseline-confirm what the overview's figures of `period` rest on (the go-live step, by source and period)."""
    con = q.connect(published(root))
    try:
        marks = pack.signoff_marks(con, scope, period)
    finally:
        con.close()
    pairs = {(s, p) for df in marks.values() for s, p in zip(df["source"], df["period"])}
    for s, p in sorted(pairs):
        signoff.baseline(root, user="admin", role="admin", scope=[""], source=s, period=p)


def test_a_leader_starts_on_the_latest_confirmed_period_and_others_on_the_latest(copy):
    con = q.connect(published(copy))
    try:
        periods = list(q.periods(con)["period"])
    finally:
        con.close()
    assert len(periods) >= 2
    latest, earlier = periods[0], periods[1]
    _confirm_all(copy, earlier, q.Scope.of(*CITY))
    leader = _overview()
    box = leader.selectbox(key="period")
    assert box.value == earlier
    assert "含未确认数据" in box.options[0] and "含未确认数据" not in box.options[1]
    assert not any(_card_marks(leader).values())
    assert 'id="so-banner"' not in _body(leader)
    box.select(latest).run()
    assert _card_marks(leader)["migrant"]
    admin = _overview("admin", ("",), "admin-t")
    assert admin.selectbox(key="period").value == latest  # a preview of the latest
    assert "signoff" in _links(admin)  # the banner links to 数据确认 for a role that has it


def test_the_pack_lists_the_unconfirmed_counties_and_sources_before_and_not_after(copy):
    period = _latest(copy)
    scope = q.Scope.of(EAST)
    con = q.connect(published(copy))
    try:
        before = pack.collect(con, scope, period)
        table = pack.unconfirmed_table(before)
        assert ("东湖区", REGISTER) in set(zip(table["区县"], table["数据源"]))
        assert "青石县" not in set(table["区县"])  # the scope's county only
        assert pack.signoff_mark(before, "migrant_children")
        blocks = pack.signoff_blocks(before)
        assert blocks[0].text == pack.SIGNOFF_TITLE and len(blocks) == 3
        _confirm_all(copy, period, scope)
        after = pack.collect(con, scope, period)
    finally:
        con.close()
    assert pack.unconfirmed_table(after).empty and not pack.signoff_mark(after, "migrant_children")
    assert [b.text for b in pack.signoff_blocks(after)] == [pack.SIGNOFF_TITLE, pack.ALL_CONFIRMED]


@pytest.mark.parametrize("role", ["leader", "planner"])
def test_targets_default_date_is_the_confirmed_periods(copy, role):
    con = q.connect(published(copy))
    try:
        periods = list(q.periods(con)["period"])
        want = pack.as_of(con, periods[1])
    finally:
        con.close()
    _confirm_all(copy, periods[1], q.Scope.of(*CITY))
    at = _app(role, CITY, f"{role}-t").run()
    at.switch_page("views/targets.py").run()
    assert not at.exception
    assert at.date_input(key="today").value == want


def test_targets_marks_the_indicators_resting_on_unconfirmed_data(copy):
    at = _app("admin", ("",), "admin-t").run()
    at.switch_page("views/targets.py").run()
    assert not at.exception
    table = [d.value for d in at.dataframe if "数据确认" in d.value.columns][-1]
    marked = table[table["数据确认"] != ""]
    assert len(marked) and all(m.startswith("未确认：") for m in marked["数据确认"])
    assert any("东湖区" in m for m in marked["数据确认"])
    assert 'id="so-banner"' in _body(at) and "signoff" in _links(at)
    assert "含未确认数据" in " ".join(c.value for c in at.caption)
