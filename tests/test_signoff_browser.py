"""数据确认 walked in a real browser (Debian chromium via Playwright) against the served app: the leader's 总览
marks the register card 未确认; the demo county officer confirms their county on the 数据确认 page, the data
officer confirms it for the city, and the leader's 总览 shows the card unmarked, without a rebuild.

The other county's register is confirmed beforehand through loop.signoff (two users, as four eyes ask), so
that this one walk decides the card. The app serves a copy of the fixture warehouse (the walk writes events).
"""
from __future__ import annotations

from auth import users
from loop import signoff
from tests.browser import ARTIFACTS, needs_chromium, open_page, serve
from warehouse import queries as q
from warehouse.build import published

pytestmark = needs_chromium
SOURCE = "civil_register"
CARD = '.ov-kpi[data-metric="migrant"]'


def _choose(page, label: str, option: str) -> None:
    box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(has_text=label).first
    box.scroll_into_view_if_needed()
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_timeout(1500)


def _card_marked(base: str, name: str) -> bool:
    with open_page(base, "/overview", user="leader") as (page, outside, errors):
        page.locator(CARD).first.wait_for(timeout=90_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / f"signoff_overview_{name}.png"))
        marked = page.locator(f"{CARD} .so-badge").count() > 0
        tip = page.locator(f"{CARD} .so-badge").first.get_attribute("title") if marked else ""
    assert not errors, errors
    assert not outside, outside
    if marked:
        assert "尚未经市级确认" in tip
    return marked


def _act(base: str, user: str, period: str, county_name: str, button: str, done: str) -> None:
    with open_page(base, "/signoff", user=user) as (page, outside, errors):
        page.get_by_role("heading", name="数据确认").first.wait_for(timeout=90_000)
        _choose(page, "数据源", signoff.source_label(SOURCE))
        _choose(page, "统计期", period)
        now = signoff.PENDING if button == "区县确认" else signoff.COUNTY_OK
        _choose(page, "选择一项", f"{signoff.source_label(SOURCE)} · {period} · {county_name} · {now}")
        page.get_by_role("button", name=button).click()
        page.get_by_text(done).first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / f"signoff_{user}.png"), full_page=True)
        exceptions = page.locator('[data-testid="stException"]').count()
    assert exceptions == 0
    assert not errors, errors
    assert not outside, outside


def test_county_then_city_confirm_unmarks_the_leaders_card(copy):
    con = q.connect(published(copy))
    try:
        period = str(q.periods(con)["period"].iloc[0])
        names = {str(c)[:6]: n for c, n in zip(*q.counties(con, q.Scope.everything()).pipe(
            lambda d: (d["county_code"], d["county_name"])))}
    finally:
        con.close()
    mine = signoff.prefixes(users.load(copy)["county"].scope)[0][:6]
    others = [c for c in names if c != mine]
    for c in others:  # the rest of the city, confirmed by two users
        signoff.confirm(copy, SOURCE, period, c, user="o1", role="county_officer", scope=[c])
        signoff.confirm(copy, SOURCE, period, c, level="city", user="o2", role="data_officer", scope=[""])
    with serve(copy, log_name="streamlit_signoff.log") as base:
        assert _card_marked(base, "before")
        _act(base, "county", period, names[mine], "区县确认", "已区县确认")
        assert _card_marked(base, "county_confirmed"), "the county alone does not unmark: the city has not confirmed"
        _act(base, "data", period, names[mine], "市级确认", "已市级确认")
        assert not _card_marked(base, "after")
    status = signoff.status(copy, SOURCE, period).set_index("county_code")
    assert status.at[mine, "status"] == signoff.CITY_OK
