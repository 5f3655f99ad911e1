"""Real-browser helpers: Debian chromium driven by Playwright, the app served on a free local port."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

# CHROMIUM, CHROMIUM_ARGS and free_port are the tests' too.
from bench.serving import CHROMIUM, CHROMIUM_ARGS, free_port, streamlit_server  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
needs_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} missing: apt-get install chromium"),
]


def server_log(log_name: str = "streamlit.log") -> Path:
    """Where `serve` writes the server's output: one file per pytest-xdist worker, so parallel workers do not
    truncate each other's log."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return ARTIFACTS / (f"{worker}_{log_name}" if worker else log_name)


@contextmanager
def serve(data_dir: Path, env: dict[str, str] | None = None, log_name: str = "streamlit.log"):
    """`streamlit run server.py` (as `make run` serves it) on a free port against a data folder; yields the
    base URL. `env` adds to the server's environment (e.g. TONGXIN_CONFIG_DIR)."""
    from settings import DATA_DIR_ENV

    server_env = {**os.environ, DATA_DIR_ENV: str(data_dir), **(env or {})}
    with streamlit_server(server_env, server_log(log_name)) as (url, _proc):
        yield url


DEMO_PASSWORD = "tongxin-demo"


def sign_in(page, user: str, password: str = DEMO_PASSWORD) -> None:
    """Fill the app's sign-in form (shown for any URL until someone signs in) and submit it.

    The session cookie outlives a reload, so a page that is already signed in is left as it is.
    """
    form = page.get_by_role("button", name="登录 Sign in")
    signed = page.get_by_role("button", name="退出登录 Sign out")
    signed.or_(form).first.wait_for(timeout=60_000)
    if not form.count():
        return
    page.get_by_label("用户名 User name").fill(user)
    page.get_by_label("密码 Password").fill(password)
    form.click()
    signed.wait_for(timeout=60_000)


@contextmanager
def open_page(base_url: str, path: str = "/", width: int = 1600, height: int = 1200, user: str | None = "admin"):
    """A chromium page at base_url + path, signed in as the demo `user` (None: stay at the sign-in form).

    Yields (page, outside_requests, page_errors). Offline by design: callers assert `outside_requests`
    is empty (nothing but the app's own server).
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
            errors: list[str] = []
            outside: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: None if r.url.startswith((base_url, "data:", "blob:"))
                    else outside.append(r.url))
            page.goto(base_url + path, wait_until="domcontentloaded")
            if user:
                sign_in(page, user)
            yield page, outside, errors
        finally:
            browser.close()
