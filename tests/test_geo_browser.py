"""The map page in a real browser (Debian chromium): the deck draws, Chinese labels and legend show,
and nothing but the app's own server is asked for anything (no basemap, no font CDN)."""
from __future__ import annotations

from tests.browser import ARTIFACTS, needs_chromium, open_page, sign_in

pytestmark = needs_chromium


def test_map_in_chromium(app_server):
    # Land on / first, as a user arriving at the app does, then open the map.
    with open_page(app_server, "/", height=1100) as (page, outside, errors):
        page.locator('[data-testid="stSidebar"]').get_by_text("童心 · 流动儿童关爱服务").wait_for(timeout=60_000)
        page.goto(app_server + "/map", wait_until="domcontentloaded")
        sign_in(page, "admin")  # a reload is a new session: sign in again
        # app.py's navigation and sidebar are in place (not a bare page), then the legend and the deck.
        page.locator('[data-testid="stSidebar"]').get_by_text("童心 · 流动儿童关爱服务").wait_for(timeout=60_000)
        page.get_by_text("图例：人数").first.wait_for(timeout=60_000)
        canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
        canvas.wait_for(timeout=60_000)
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
        page.wait_for_timeout(3000)  # let deck.gl build the font atlas and draw the labels
        page.screenshot(path=str(ARTIFACTS / "map.png"), full_page=True)
        body = page.locator("body").inner_text()
        box = canvas.bounding_box()
        exceptions = page.locator('[data-testid="stException"]').count()
    assert "流动儿童分布" in body and "示意边界" in body and "图例" in body
    assert box and box["width"] > 300 and box["height"] > 300
    assert exceptions == 0 and "Traceback" not in body
    assert not errors, errors
    assert not outside, outside
