"""A copied link in Chromium: filters set on 服务缺口 and 流动儿童分布 come back in a fresh browser after
sign-in, and a county officer opening a city-wide link sees their own county with a note."""
from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, needs_chromium, sign_in

pytestmark = needs_chromium
NOTE = "链接所指区域不在您的查看范围内"


@pytest.fixture(scope="module")
def names(con):
    """County code → name in the fixture: the county user's own (990102…) and another."""
    rows = con.sql("select region_code, region_name from regions where level = 'county' order by 1").fetchall()
    return dict(rows)


@contextmanager
def _browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _fresh(browser):
    """A new context: no cookie, no session, as the colleague who receives the link."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 1400})
    return context.new_page()


def _box(page, label: str):
    return page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(has_text=label).first


def _choose(page, label: str, option: str) -> None:
    box = _box(page, label)
    box.scroll_into_view_if_needed()
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_timeout(1500)


def _copied(page) -> str:
    """The sidebar's link, as a user selects it (the copy button needs HTTPS outside localhost)."""
    code = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first
    code.wait_for(timeout=60_000)
    return code.inner_text().strip()


def _shown(box) -> str:
    """What a select box shows: its text, or its input's value (the searchable select box keeps it there)."""
    inputs = box.locator("input")
    return box.inner_text() + " " + " ".join(inputs.nth(i).input_value() for i in range(inputs.count()))


def _shows(page, label: str, option: str) -> None:
    box = _box(page, label)
    box.wait_for(timeout=60_000)
    for _ in range(40):  # the page's first run may still be drawing
        if option in _shown(box):
            return
        page.wait_for_timeout(500)
    assert option in _shown(box), (label, _shown(box))


def test_links_keep_the_view_and_the_recipients_scope(app_server, names):
    own, other = sorted(names)[:2]
    with _browser() as browser:
        sender = _fresh(browser)
        sender.goto(app_server + "/", wait_until="domcontentloaded")
        sign_in(sender, "leader")
        city_link = None
        sender.goto(app_server + "/gaps", wait_until="domcontentloaded")
        sender.get_by_text("各区县综合缺口指数排名").wait_for(timeout=60_000)
        sender.wait_for_timeout(1500)
        city_link = _copied(sender)
        _choose(sender, "缺口指标", "托育 · 托位")
        sender.get_by_text("各区县托位缺口").wait_for(timeout=60_000)
        _choose(sender, "区域", names[other])
        sender.get_by_text("各街道（乡镇）托位缺口").wait_for(timeout=60_000)
        sender.wait_for_timeout(1500)
        gaps_link = _copied(sender)

        sender.locator('[data-testid="stSidebarNav"]').get_by_text("流动儿童分布").click()
        _box(sender, "年龄段").wait_for(timeout=60_000)
        _choose(sender, "年龄段", "3—6岁")
        _choose(sender, "儿童类别", "留守儿童")
        _choose(sender, "区域", names[other])
        sender.wait_for_timeout(1500)
        map_link = _copied(sender)
        sender.screenshot(path=str(ARTIFACTS / "links_sender_map.png"), full_page=True)

        assert urlsplit(gaps_link).path.endswith("/gaps") and urlsplit(map_link).path.endswith("/map")
        assert parse_qs(urlsplit(gaps_link).query)["region"] == [other]
        assert parse_qs(urlsplit(map_link).query)["region"] == [other]
        assert "gap" in parse_qs(urlsplit(gaps_link).query)
        assert parse_qs(urlsplit(map_link).query)["age"] == ["3-6"]

        for link, checks, shot in (
            (gaps_link, [("缺口指标", "托育 · 托位"), ("区域", names[other])], "links_recipient_gaps.png"),
            (map_link, [("年龄段", "3—6岁"), ("儿童类别", "留守儿童"), ("区域", names[other])],
             "links_recipient_map.png"),
        ):
            recipient = _fresh(browser)
            recipient.goto(link, wait_until="domcontentloaded")
            sign_in(recipient, "planner")
            recipient.wait_for_timeout(2000)
            for label, option in checks:
                _shows(recipient, label, option)
            assert urlsplit(recipient.url).path == urlsplit(link).path
            recipient.screenshot(path=str(ARTIFACTS / shot), full_page=True)
            recipient.context.close()

        county = _fresh(browser)
        county.goto(city_link, wait_until="domcontentloaded")
        sign_in(county, "county")
        county.get_by_text(NOTE).first.wait_for(timeout=60_000)
        county.get_by_text("各街道（乡镇）综合缺口指数排名").wait_for(timeout=60_000)
        county.wait_for_timeout(1500)
        county.screenshot(path=str(ARTIFACTS / "links_county_note.png"), full_page=True)
        body = county.locator('[data-testid="stMain"]').inner_text()
        assert names[other] not in body
        assert parse_qs(urlsplit(county.url).query)["region"] == [own]

        staff = _fresh(browser)  # 妇联 staff land on their own page, at its own path
        staff.goto(app_server + "/", wait_until="domcontentloaded")
        sign_in(staff, "fulian")
        staff.get_by_role("heading", name="志愿服务").first.wait_for(timeout=60_000)
        assert urlsplit(staff.url).path == "/volunteers"
