"""The overview in a real browser (Debian chromium via Playwright): it draws, with the queries' figures."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from report.cards import value_text
from settings import DATA_DIR_ENV
from tests.browser import ARTIFACTS, ROOT, free_port, needs_chromium, open_page
from warehouse import queries as q
from warehouse.queries import meeting

pytestmark = needs_chromium


def test_overview_in_chromium(app_server, data_dir):
    server = app_server
    con = q.connect(q.current_snapshot_path(data_dir))
    try:
        latest = str(q.periods(con)["period"].iloc[0])
        headline = q.run(meeting.headline, con, q.Scope.everything(exact=True), latest)
    finally:
        con.close()
    want = value_text(headline.set_index("metric").loc["migrant"].to_dict())

    with open_page(server, "/", height=1500) as (page, outside, errors):
        card = page.locator('.ov-kpi[data-metric="migrant"]').first
        card.wait_for(timeout=60_000)
        value = card.get_attribute("data-value")
        page.locator(".js-plotly-plot .main-svg").nth(1).wait_for(timeout=60_000)  # the map and the risk chart
        page.wait_for_timeout(1500)  # let fonts and the table settle before the screenshot
        page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
        body = page.locator("body").inner_text()
        exceptions = page.locator('[data-testid="stException"]').count()

    assert value == want
    assert "总览" in body
    assert exceptions == 0
    assert "Traceback" not in body
    assert not errors, errors
    assert not outside, outside



def test_server_start_asks_no_internet_service(data_dir, tmp_path):
    """Started as `make run` starts it, the server must not look up its external IP online.

    Headless Streamlit does so unless browser.serverAddress is set (.streamlit/config.toml).
    """
    port = free_port()
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env={**os.environ, DATA_DIR_ENV: str(data_dir)}, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while "URL" not in log_path.read_text(encoding="utf-8") and time.monotonic() < deadline:
                time.sleep(0.3)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    text = log_path.read_text(encoding="utf-8")
    assert f"URL: http://localhost:{port}" in text
    assert "External URL" not in text and "Did not auto detect external IP" not in text


def test_a_deep_link_on_a_fresh_server_still_runs_app_py(data_dir):
    """Streamlit runs a file of a folder named pages/ on its own when a fresh server's first request is its
    URL, skipping app.py (and with it the demo mark and, later, the login gate). The page files live in
    views/ so only st.navigation defines pages."""
    from tests.browser import serve

    assert not (ROOT / "pages").exists()
    with serve(data_dir) as url, open_page(url, "/targets") as (page, outside, errors):
        page.get_by_text("示例数据 · 虚构城市，仅供演示").wait_for(timeout=60_000)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "目标进展" in nav and "总览" in nav and "targets" not in nav
    assert not outside and not errors
