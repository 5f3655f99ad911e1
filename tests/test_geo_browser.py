"""The map page in a real browser (Debian chromium): the map draws (plotly, SVG), Chinese labels and legend show,
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
        # app.py's navigation and sidebar are in place (not a bare page), then the legend and the map.
        page.locator('[data-testid="stSidebar"]').get_by_text("童心 · 流动儿童关爱服务").wait_for(timeout=60_000)
        page.get_by_text("图例：人数").first.wait_for(timeout=60_000)
        chart = page.locator('[data-testid="stPlotlyChart"]').first
        chart.locator("path.js-fill").first.wait_for(timeout=60_000)  # the streets are drawn
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "map.png"), full_page=True)
        body = page.locator("body").inner_text()
        box = chart.bounding_box()
        labels = chart.locator("g.textpoint text").all_text_contents()
        streets = chart.locator("path.js-fill").count()
        # Pointing inside a street names it and gives its figures, whole (plotly cuts a trace name at 15).
        area = chart.locator(".nsewdrag").first.bounding_box()
        page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
        chart.locator("g.hovertext").first.wait_for(timeout=10_000)
        hover = " ".join(chart.locator("g.hovertext").all_text_contents())
        exceptions = page.locator('[data-testid="stException"]').count()
    assert "流动儿童分布" in body and "示意边界" in body and "图例" in body
    assert box and box["width"] > 300 and box["height"] > 300
    assert "人数：" in hover and "..." not in hover, hover
    assert streets >= 3 and any("区" in t or "县" in t or "街道" in t for t in labels), labels  # Chinese names
    assert exceptions == 0 and "Traceback" not in body
    assert not errors, errors
    assert not outside, outside
