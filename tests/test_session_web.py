"""The sign-in route and the guard in front of Streamlit, called as ASGI apps (no server, no browser)."""
from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from auth import audit, sessions, users, web

HOST = "127.0.0.1:8501"
ORIGIN = f"http://{HOST}"


@pytest.fixture()
def site(tmp_path, monkeypatch):
    """The auth routes and the guard around stand-ins for Streamlit's media and upload routes."""
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(tmp_path))
    users.add("amy", "correct-horse", "leader", ["990100"], root=tmp_path)

    async def downstream(request):
        return PlainTextResponse("through", headers={"content-disposition": 'attachment; filename="x.xlsx"'})

    stand_ins = [Route("/media/{file_id:path}", downstream, methods=["GET"]),
                 Route("/_stcore/upload_file/{sid}/{fid}", downstream, methods=["PUT", "DELETE"]),
                 Route("/", downstream)]
    return Starlette(routes=[*web.routes, *stand_ins], middleware=[Middleware(web.Guard)])


def call(app, method: str, path: str, *, headers: dict | None = None, body: bytes = b"",
         scheme: str = "http") -> tuple[int, dict[str, list[str]], bytes]:
    """One request through the ASGI app: (status, headers (lower-case name → values), body)."""
    path, _, query = path.partition("?")
    headers = {"content-length": str(len(body)), **(headers or {})} if body else headers
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": scheme, "path": path, "raw_path": path.encode(), "query_string": query.encode(),
             "root_path": "", "server": ("127.0.0.1", 8501), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", HOST.encode()), *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())]}
    sent = [{"type": "http.request", "body": body, "more_body": False}]
    out: dict = {"headers": {}, "body": b""}

    async def receive():
        return sent.pop(0) if sent else {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            for k, v in message["headers"]:
                out["headers"].setdefault(k.decode().lower(), []).append(v.decode("latin-1"))
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return out["status"], out["headers"], out["body"]


def sign_in(app, username="amy", password="correct-horse", next_path="/targets?meeting=1", **kw):
    headers = {"content-type": "application/x-www-form-urlencoded", "origin": ORIGIN, **kw.pop("headers", {})}
    body = urlencode({"username": username, "password": password, "next": next_path}).encode()
    return call(app, "POST", "/auth/signin", headers=headers, body=body, **kw)


def _token(headers) -> str | None:
    for cookie in headers.get("set-cookie", []):
        if cookie.startswith(f"{sessions.COOKIE}="):
            return cookie.split(";", 1)[0].split("=", 1)[1]
    return None


def test_sign_in_sets_an_httponly_strict_cookie_naming_a_record(site):
    status, headers, _ = sign_in(site)
    assert status == 303 and headers["location"] == ["/targets?meeting=1"]
    cookie = headers["set-cookie"][0].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie and "secure" not in cookie
    record, reason = sessions.check(_token(headers))
    assert reason is None and record.username == "amy" and record.via == "password"
    assert "secure" in sign_in(site, scheme="https")[1]["set-cookie"][0].lower()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "", "targets", "/ok\r\nSet-Cookie: x=1"])
def test_sign_in_goes_back_only_to_a_path_of_this_site(site, target):
    status, headers, _ = sign_in(site, next_path=target)
    assert status == 303 and headers["location"] == ["/"]


@pytest.mark.parametrize("origin", [{"origin": ""}, {"origin": "http://evil.example"}, {"origin": "null"},
                                    {"origin": "", "referer": "http://evil.example/login"}])
def test_sign_in_from_another_site_is_refused(site, origin):
    status, headers, _ = sign_in(site, headers=origin)
    assert status == 303 and headers["location"][0].endswith("e=origin") and _token(headers) is None


def test_referer_of_this_site_is_enough(site):
    status, headers, _ = sign_in(site, headers={"origin": "", "referer": f"{ORIGIN}/targets"})
    assert status == 303 and _token(headers)


def test_wrong_password_comes_back_with_a_code_not_the_text(site):
    status, headers, _ = sign_in(site, username="amy<script>", password="nope")
    assert status == 303 and headers["location"] == ["/targets?meeting=1&e=bad"] and _token(headers) is None
    assert "script" not in headers["location"][0]


def test_overlong_inputs_are_refused_before_any_lookup(site, tmp_path):
    before = len(audit.events(tmp_path))
    for name, password in (("a" * (web.MAX_USERNAME + 1), "x"), ("amy", "x" * (web.MAX_PASSWORD + 1))):
        status, headers, _ = sign_in(site, username=name, password=password)
        assert status == 303 and headers["location"][0].endswith("e=bad") and _token(headers) is None
    assert len(audit.events(tmp_path)) == before  # nothing written, so nothing to grow the log
    status, _, _ = call(site, "POST", "/auth/signin", body=b"x" * 10_000,
                        headers={"content-type": "application/x-www-form-urlencoded", "origin": ORIGIN})
    assert status == 413


def test_locked_account_gets_the_locked_code(site):
    for _ in range(users.MAX_FAILURES):
        sign_in(site, password="wrong-password")
    status, headers, _ = sign_in(site)
    assert status == 303 and headers["location"][0].endswith("e=locked") and _token(headers) is None


def test_sso_handoff_code_works_once(site):
    code = web.sso_handoff("amy")
    status, headers, _ = call(site, "GET", "/auth/sso?" + urlencode({"code": code, "next": "/map"}))
    assert status == 303 and headers["location"] == ["/map"]
    assert sessions.check(_token(headers))[0].via == "sso"
    status, headers, _ = call(site, "GET", "/auth/sso?" + urlencode({"code": code, "next": "/map"}))
    assert headers["location"][0].endswith("e=sso") and _token(headers) is None


def test_every_response_forbids_framing(site):
    for method, path in (("GET", "/"), ("GET", "/media/abc.xlsx"), ("PUT", "/_stcore/upload_file/s/f")):
        _, headers, _ = call(site, method, path)
        assert headers["x-frame-options"] == ["DENY"]
        assert headers["content-security-policy"] == ["frame-ancestors 'none'"]


def test_media_only_for_the_record_that_ran_the_owning_session(site, tmp_path):
    token = _token(sign_in(site)[1])
    other = _token(sign_in(site)[1])  # the same user in another browser: another record
    record = sessions.hash_token(token)
    sessions.bind("st-session-1", record)
    sessions.bind("st-session-2", sessions.hash_token(other))
    with web._OWNERS_LOCK:
        web._OWNERS["file123"].add("st-session-1")
    web.label_download("st-session-1", "x.xlsx", "测试导出")
    assert call(site, "GET", "/media/file123.xlsx")[0] == 404  # no cookie
    assert call(site, "GET", "/media/file123.xlsx", headers={"cookie": f"{sessions.COOKIE}={other}"})[0] == 404
    assert call(site, "GET", "/media/nothere.xlsx", headers={"cookie": f"{sessions.COOKIE}={token}"})[0] == 404
    status, _, body = call(site, "GET", "/media/file123.xlsx", headers={"cookie": f"{sessions.COOKIE}={token}"})
    assert status == 200 and body == b"through"
    served = audit.events(tmp_path).iloc[0]
    assert (served.action, served.user, served.what, served.detail) == ("export", "amy", "测试导出 (x.xlsx)", "served")
    sessions.revoke(token)
    assert call(site, "GET", "/media/file123.xlsx", headers={"cookie": f"{sessions.COOKIE}={token}"})[0] == 404


def test_uploads_only_into_the_cookies_own_session(site):
    token = _token(sign_in(site)[1])
    sessions.bind("st-mine", sessions.hash_token(token))
    sessions.bind("st-theirs", "someone-else")
    cookie = {"cookie": f"{sessions.COOKIE}={token}"}
    assert call(site, "PUT", "/_stcore/upload_file/st-mine/f1")[0] == 403
    assert call(site, "PUT", "/_stcore/upload_file/st-theirs/f1", headers=cookie)[0] == 403
    assert call(site, "DELETE", "/_stcore/upload_file/st-theirs/f1", headers=cookie)[0] == 403
    assert call(site, "PUT", "/_stcore/upload_file/st-mine/f1", headers=cookie)[0] == 200
