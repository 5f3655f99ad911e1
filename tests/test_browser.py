"""The overview in a real browser (Debian chromium via Playwright): it draws, with the queries' figures."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ui import format as fmt
from warehouse import queries as q

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: apt-get install chromium"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(data_dir):
    port = free_port()
    env = {**os.environ, q.DATA_DIR_ENV: str(data_dir)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = (ARTIFACTS / "streamlit.log").open("w")  # closed in finally, after the server stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("streamlit did not become healthy (see tests/artifacts/streamlit.log)")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_overview_in_chromium(server, data_dir):
    from playwright.sync_api import sync_playwright

    con = q.connect(q.current_snapshot_path(data_dir))
    try:
        latest = str(q.periods(con)["period"].iloc[0])
        headline = q.headline(con, q.Scope.everything(), latest).set_index("label")
    finally:
        con.close()
    want = fmt.number(headline.at["流动儿童", "value"])

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1500}, locale="zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            outside: list[str] = []  # offline by design: nothing but the app's own server
            page.on(
                "request",
                lambda r: None if r.url.startswith((server, "data:", "blob:")) else outside.append(r.url),
            )
            page.goto(server + "/", wait_until="domcontentloaded")
            metric = page.locator('[data-testid="stMetric"]').filter(
                has=page.locator('[data-testid="stMetricLabel"]', has_text="流动儿童")
            ).first
            metric.wait_for(timeout=60_000)
            value = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
            # Both charts drawn (plotly renders an SVG per chart).
            page.locator(".js-plotly-plot .main-svg").nth(1).wait_for(timeout=60_000)
            page.wait_for_timeout(1500)  # let fonts and the table settle before the screenshot
            page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
            body = page.locator("body").inner_text()
            exceptions = page.locator('[data-testid="stException"]').count()
        finally:
            browser.close()

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
            cwd=ROOT, env={**os.environ, q.DATA_DIR_ENV: str(data_dir)}, stdout=log, stderr=subprocess.STDOUT,
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
