"""Crash safety, the app side: pages keep loading in Chromium while builds publish new snapshots."""
from __future__ import annotations

import threading
import time

import duckdb
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests import test_crash as crash
from tests.browser import ARTIFACTS, needs_chromium, open_page, serve, sign_in
from ui import format as fmt
from warehouse.build import DUCKDB_CONFIG, published

work = crash.work  # fixture: a copy of the fixture data folder
BUILD_SECONDS = 90

pytestmark = needs_chromium


def test_app_keeps_serving_while_builds_publish(work):
    """Reload the overview in Chromium again and again while builds publish new snapshots."""
    before = published(work).name
    results: list[int] = []

    loads, during, failures, seen_after, stamps = 0, 0, [], 0, []

    def builds() -> None:
        # At least two publishes, more until three page loads overlapped them (a tiny build can be faster
        # than one signed-in page load, so count overlapping loads, not builds), for at most BUILD_SECONDS.
        deadline = time.monotonic() + BUILD_SECONDS
        while len(results) < 2 or (during < 3 and time.monotonic() < deadline):
            results.append(crash.etl(work, "build", "--quiet").returncode)

    with serve(work) as url, open_page(url, "/", height=1300) as (page, outside, errors):
        worker = threading.Thread(target=builds)
        worker.start()
        while worker.is_alive() or seen_after < 1:
            if not worker.is_alive():
                seen_after += 1  # one more full load once every build has published
            if loads:
                page.reload(wait_until="domcontentloaded")
            try:
                figure = page.locator(".js-plotly-plot .main-svg").first
                form = page.get_by_role("button", name="登录 Sign in")
                signed = page.get_by_role("button", name="退出登录 Sign out")
                signed.or_(form).first.wait_for(timeout=60_000)
                # A reload is a new session: sign in again. (The form can linger for a moment after signing
                # in, until the rerun replaces it, so ask whether the sidebar's sign-out is there.)
                if not signed.count():
                    sign_in(page, "admin")
                figure.wait_for(timeout=60_000)
                page.get_by_text("总览", exact=True).first.wait_for(timeout=10_000)
                page.wait_for_timeout(300)
                stamps.append(page.get_by_text("快照生成于").first.inner_text())
                if page.locator('[data-testid="stException"]').count():
                    failures.append(f"load {loads}: " + page.locator('[data-testid="stException"]').first.inner_text()[:300])
            except PlaywrightTimeout as e:  # a load that never drew is a failure, not a crash of the test
                failures.append(f"load {loads}: {type(e).__name__}: {str(e)[:200]}")
            loads += 1
            during += worker.is_alive()
        worker.join()
        page.screenshot(path=str(ARTIFACTS / "crash_app_during_builds.png"), full_page=True)
    assert results and set(results) == {0}
    after = published(work)
    assert after.name > before
    con = duckdb.connect(str(after), read_only=True, config=DUCKDB_CONFIG)
    try:
        built = fmt.beijing(con.execute("select built_at from meta").fetchall()[0][0])  # shown in Beijing time
    finally:
        con.close()
    assert built in stamps[-1], (built, stamps)  # the last load showed the newest snapshot
    assert during >= 3, (during, loads)  # pages loaded while snapshots were being published
    assert not failures, failures
    assert not errors, errors
    assert not outside, outside
