"""The 目标进展 page in a real browser (Debian chromium via Playwright): draws, makes no outside request."""
from __future__ import annotations

from tests.browser import ARTIFACTS, needs_chromium, open_page

pytestmark = needs_chromium


def test_targets_in_chromium(app_server):
    with open_page(app_server, "/targets", height=1600) as (page, outside, errors):
        page.get_by_text("状态规则").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "targets.png"), full_page=True)
        body = page.locator("body").inner_text()
        page.get_by_role("tab", name="指标详情").click()
        page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "targets_indicator.png"), full_page=True)
        # 常州 plan: its three phases on a timeline
        page.locator('[data-testid="stSelectbox"]').first.click()
        page.get_by_role("option", name="常州市农村留守儿童和困境儿童关爱服务质量提升三年行动实施方案").click()
        page.get_by_role("tab", name="阶段").click()
        page.get_by_text("巩固提升").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "targets_phases.png"), full_page=True)
        exceptions = page.locator('[data-testid="stException"]').count()
    assert "目标进展" in body and "牵头" in body
    assert exceptions == 0 and "Traceback" not in body
    assert not errors, errors
    assert not outside, outside
