"""The session cookie in Chromium: a reload and a second tab stay signed in, signing out in one tab
signs the other out at its next action, and an expired session hides the page without a click."""
from __future__ import annotations

import shutil
from contextlib import contextmanager

from auth import audit
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, needs_chromium, serve, sign_in

pytestmark = needs_chromium
SIGN_OUT = "退出登录 Sign out"
SIGN_IN = "登录 Sign in"


@contextmanager
def _context():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 1100})
        finally:
            browser.close()


def test_reload_and_second_tab_stay_signed_in_sign_out_reaches_both(app_server):
    with _context() as context:
        first = context.new_page()
        first.goto(app_server + "/", wait_until="domcontentloaded")
        sign_in(first, "planner")
        first.reload(wait_until="domcontentloaded")
        first.get_by_role("button", name=SIGN_OUT).wait_for(timeout=60_000)
        assert not first.get_by_role("button", name=SIGN_IN).count()

        second = context.new_page()
        second.goto(app_server + "/gaps", wait_until="domcontentloaded")
        second.get_by_role("button", name=SIGN_OUT).wait_for(timeout=60_000)
        assert not second.get_by_role("button", name=SIGN_IN).count()

        first.get_by_role("button", name=SIGN_OUT).click()
        first.get_by_role("button", name=SIGN_IN).wait_for(timeout=60_000)
        # The other tab's next action (opening another page) finds the record revoked.
        second.locator('[data-testid="stSidebarNav"]').get_by_text("目标进展").click()
        second.get_by_role("button", name=SIGN_IN).wait_for(timeout=60_000)
        second.wait_for_timeout(500)
        assert not second.get_by_role("button", name=SIGN_OUT).count()
        assert not second.locator('[data-testid="stDataFrame"], [data-testid="stMetric"]').count()


def test_expired_session_shows_only_the_sign_in_form_without_a_click(data_dir, tmp_path):
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    settings = config / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "session_idle_minutes: 30", "session_idle_minutes: 0.5"), encoding="utf-8")
    assert "session_idle_minutes: 0.5" in settings.read_text(encoding="utf-8")
    with serve(data_dir, env={"TONGXIN_CONFIG_DIR": str(config)}, log_name="streamlit_idle.log") as url, \
            _context() as context:
        page = context.new_page()
        page.goto(url + "/", wait_until="domcontentloaded")
        sign_in(page, "leader")
        page.locator(".ov-kpi").first.wait_for(timeout=60_000)  # the overview's figures
        # No click from here on: the periodic check (which is not activity) notices the idle record.
        page.get_by_role("button", name=SIGN_IN).wait_for(timeout=90_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "session_expired.png"))
        assert not page.locator(".ov-kpi").count()
        assert not page.get_by_role("button", name=SIGN_OUT).count()
        assert "会话已过期" in page.locator("body").inner_text()
    log = audit.events(data_dir)
    assert ((log.action == "logout") & (log.user == "leader") & (log.detail == "expired idle")).any()
