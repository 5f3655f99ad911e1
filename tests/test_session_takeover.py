"""An attacker who knows a signed-in Streamlit session id (it is in every upload URL, so in proxy logs)
but not the browser's HttpOnly session cookie: the websocket, uploads and downloads give them nothing."""
from __future__ import annotations

import time

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from auth import audit
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium, sign_in

pytestmark = needs_chromium


@pytest.fixture()
def leader(app_server):
    """A Chromium page signed in as `leader`, and the Streamlit session id its websocket was given."""
    from playwright.sync_api import sync_playwright

    frames: list[bytes] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 1200},
                                          accept_downloads=True)
            page = context.new_page()
            page.on("websocket", lambda ws: ws.on(
                "framereceived", lambda payload: frames.append(payload) if isinstance(payload, bytes) else None))
            page.goto(app_server + "/targets", wait_until="domcontentloaded")
            sign_in(page, "leader")
            page.get_by_role("tab", name="状态表").click(timeout=60_000)
            page.get_by_role("button", name="下载全部计划状态表").first.wait_for(timeout=60_000)
            yield page, _session_id(frames), browser
        finally:
            browser.close()


def _session_id(frames: list[bytes]) -> str:
    ids = []
    for raw in frames:
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        if msg.WhichOneof("type") == "new_session" and msg.new_session.initialize.session_id:
            ids.append(msg.new_session.initialize.session_id)
    assert ids, "no NewSession message seen on the page's websocket"
    return ids[-1]


def _attach(base_url: str, session_id: str) -> list[tuple[str, bytes]]:
    """Connect to /_stcore/stream as the browser does (subprotocol: streamlit, xsrf, session id), without
    cookies, ask for a rerun and return every message (kind, bytes) that comes back until the run ends."""
    from websockets.sync.client import connect

    got = []
    uri = base_url.replace("http://", "ws://") + "/_stcore/stream"
    with connect(uri, subprotocols=["streamlit", "no-xsrf", session_id], origin=base_url,
                 max_size=None, open_timeout=30) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = ""
        ws.send(msg.SerializeToString())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                raw = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                break
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            got.append((fwd.WhichOneof("type"), raw))
            if fwd.WhichOneof("type") == "script_finished":
                break
    return got


def test_session_id_without_cookie_gets_only_the_sign_in_form(app_server, leader, data_dir):
    page, session_id, _ = leader
    got = _attach(app_server, session_id)
    assert [kind for kind, _ in got][-1] == "script_finished"
    # Streamlit's NewSession greeting repeats the titles of the session's last navigation (the role's page
    # list, no data); everything the run itself sends is the sign-in form.
    text = b"".join(raw for kind, raw in got if kind != "new_session").decode("utf-8", "replace")
    assert "tx-login" in text and "用户名 User name" in text
    for signed_in_only in ("退出登录", "下载全部计划状态表", "目标进展", "市领导"):  # not the demo caption's names
        assert signed_in_only not in text, signed_in_only
    greeting = b"".join(raw for kind, raw in got if kind == "new_session").decode("utf-8", "replace")
    assert "leader" not in greeting and "市领导" not in greeting
    log = audit.events(data_dir)
    assert ((log.action == "refused") & (log.user == "leader") & (log.what == "/_stcore/stream")).any()
    # The browser that holds the cookie reconnects and is still signed in.
    page.reload(wait_until="domcontentloaded")
    page.get_by_role("button", name="退出登录 Sign out").wait_for(timeout=60_000)


def _xsrf(cookies: list[dict]) -> str:
    """The XSRF token anyone gets by loading a page (double submit: the header repeats the cookie)."""
    return next(c["value"] for c in cookies if c["name"] == "_streamlit_xsrf")


def test_upload_only_with_the_sessions_own_cookie(app_server, leader):
    page, session_id, browser = leader
    url = f"{app_server}/_stcore/upload_file/{session_id}/probe-file"
    body = {"file": {"name": "x.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}}
    stranger = browser.new_context()  # no session cookie, but a valid XSRF pair like any visitor
    try:
        assert stranger.request.get(app_server + "/_stcore/health").ok  # what the page asks first
        token = _xsrf(stranger.cookies())
        assert stranger.request.put(url, multipart=body, headers={"X-Xsrftoken": token}).status == 403
    finally:
        stranger.close()
    own = page.context.request.put(url, multipart=body, headers={"X-Xsrftoken": _xsrf(page.context.cookies())})
    assert own.status == 204


def _get(request, url: str):
    """GET through a browser context's request client, once more if the server had closed the kept-alive
    connection the client reused (uvicorn drops idle ones after 5 s; on a busy machine a sign-in between two
    requests takes longer, and the reused socket is reset — a client race, not an answer of the app)."""
    from playwright.sync_api import Error

    try:
        return request.get(url)
    except Error as e:
        if "ECONNRESET" not in str(e):
            raise
        return request.get(url)


def test_download_only_with_the_sessions_cookie_and_audited(app_server, leader, data_dir):
    page, _, browser = leader
    before = len(audit.events(data_dir))
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="下载全部计划状态表").first.click()
    download = info.value
    url = download.url
    assert "/media/" in url and download.path().stat().st_size > 0
    # Someone without the cookie, and another signed-in user, get nothing.
    stranger = browser.new_context()
    try:
        assert _get(stranger.request, url).status == 404
        other = stranger.new_page()
        other.goto(app_server + "/", wait_until="domcontentloaded")
        sign_in(other, "admin")
        assert _get(other.context.request, url).status == 404
    finally:
        stranger.close()
    # The session's own browser gets it again, without a click: audited too.
    again = _get(page.context.request, url)
    assert again.status == 200 and again.body() == download.path().read_bytes()
    log = audit.events(data_dir)
    log = log.iloc[: len(log) - before]  # newest first: the events of this test
    served = log[(log.action == "export") & (log.user == "leader")]
    assert len(served) == 2, served  # the click and the direct fetch, each once
    assert (served["what"] == f"目标进展状态表 ({download.suggested_filename})").all(), served
