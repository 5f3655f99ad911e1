"""The overview (领导驾驶舱) in a real Chromium at 1920×1080: one screen, no scroll, every figure in view,
in normal and in meeting mode; no outside request. Screenshots: tests/artifacts/overview_1920.png and
overview_meeting.png."""
from __future__ import annotations

from tests.browser import ARTIFACTS, DEMO_PASSWORD, needs_chromium, open_page

pytestmark = needs_chromium

W, H = 1920, 1080
# Every element a leader must see without scrolling: cards, the map's canvas, the two lists.
_GEOMETRY = """() => {
  const box = el => { const r = el.getBoundingClientRect();
                      return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, w: r.width, h: r.height}; };
  const all = s => Array.from(document.querySelectorAll(s)).map(box);
  const scroller = document.querySelector('[data-testid="stMain"]') || document.scrollingElement;
  return {
    scrollHeight: document.scrollingElement.scrollHeight, innerHeight: window.innerHeight,
    innerWidth: window.innerWidth,
    mainScroll: scroller.scrollHeight, mainClient: scroller.clientHeight,
    kpis: all('.ov-kpi'), map: all('.st-key-ov_map .main-svg'),
    gaps: all('#ov-gaps'), targets: all('#ov-targets'), sidebar: all('[data-testid="stSidebar"]'),
    widgets: all('[data-testid="stSelectbox"], [data-testid="stCheckbox"], [data-testid="stToggle"]'),
    demo: Array.from(document.querySelectorAll('[data-testid="stAlert"]')).map(e => e.innerText),
  };
}"""


def _inside(b: dict) -> bool:
    return b["w"] > 0 and b["h"] > 0 and b["top"] >= 0 and b["left"] >= 0 and b["bottom"] <= H and b["right"] <= W


def _sign_in_here(page, user: str) -> None:
    """The sign-in form, without waiting for the sidebar's sign-out button (meeting mode hides the sidebar)."""
    page.get_by_label("用户名 User name").fill(user)
    page.get_by_label("密码 Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录 Sign in").click()


def _settle(page) -> None:
    page.locator(".ov-kpi").first.wait_for(timeout=60_000)
    page.locator(".st-key-ov_map .main-svg").first.wait_for(timeout=60_000)
    page.locator("#ov-targets").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # fonts settle


def _assert_one_screen(geo: dict) -> None:
    assert geo["innerWidth"] == W and geo["innerHeight"] == H
    assert geo["scrollHeight"] <= geo["innerHeight"], geo
    assert geo["mainScroll"] <= geo["mainClient"] + 1, geo  # Streamlit scrolls inside stMain, not the body
    assert 6 <= len(geo["kpis"]) <= 8, geo["kpis"]
    assert geo["map"] and geo["gaps"] and geo["targets"]
    for name in ("kpis", "map", "gaps", "targets"):
        for b in geo[name]:
            assert _inside(b), (name, b)


def test_overview_and_meeting_mode_fit_1920x1080(app_server):
    """Normal mode, then the toggle into meeting mode (which writes ?meeting=1 into the URL)."""
    with open_page(app_server, "/", width=W, height=H, user=None) as (page, outside, errors):
        _sign_in_here(page, "leader")
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "overview_1920.png"))
        normal = page.evaluate(_GEOMETRY)
        normal_text = page.locator("body").inner_text()
        page.get_by_text("会议模式").first.click()
        page.get_by_role("button", name="退出会议模式").wait_for(timeout=60_000)
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "overview_meeting.png"))
        meeting = page.evaluate(_GEOMETRY)
        meeting_text = page.locator("body").inner_text()
        url = page.url
        exceptions = page.locator('[data-testid="stException"]').count()
    assert exceptions == 0 and "Traceback" not in normal_text + meeting_text
    assert not errors, errors
    assert not outside, outside

    _assert_one_screen(normal)
    assert "总览" in normal_text and "未达标与滞后目标" in normal_text and "缺口最大的" in normal_text
    assert normal["widgets"], "normal mode shows the period and region selectors"
    assert any(b["w"] > 0 for b in normal["sidebar"])

    _assert_one_screen(meeting)
    assert "meeting=1" in url
    assert not any(b["w"] > 0 for b in meeting["sidebar"]), "meeting mode hides the sidebar"
    assert not any(b["w"] > 0 for b in meeting["widgets"]), "meeting mode hides the selectors and the toggle"
    assert "退出会议模式" in meeting_text and "统计期" in meeting_text and "数据截至" in meeting_text
    assert any("示例数据" in d for d in meeting["demo"]), "the demo mark stays visible"
