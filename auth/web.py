"""The web side of signing in: routes that set the session cookie, and a guard in front of Streamlit.

Streamlit's websocket carries no identity of its own: whoever knows a session id (it is in every
upload URL) can attach to that session. So identity travels in an HttpOnly, SameSite=Strict cookie
naming a server-side record (auth/sessions.py), set here over plain HTTP:

- POST /auth/signin   user name, password and `next` → 303 to `next` with the cookie (or back with ?e=…)
- GET  /auth/sso      exchanges a one-time code the app hands an OIDC-signed-in user for the cookie

The guard (`Guard`, ASGI middleware) serves `/media/…` only to a cookie whose record ran the Streamlit
session that made the file, audits every served download, accepts uploads only for the cookie's own
Streamlit sessions, and forbids framing on every response.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict
from pathlib import PurePosixPath
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request, cookie_parser
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from auth import audit, sessions, users
from auth.users import MAX_PASSWORD, MAX_USERNAME

_MAX_FORM_BYTES = 4096
ERRORS = {  # ?e=… on the sign-in page → fixed text; nothing a user typed is ever shown back
    "bad": "用户名或密码错误，或账户已停用 / wrong user name or password, or account disabled",
    "locked": "失败次数过多，账户已暂时锁定，请稍后再试 / too many failed sign-ins; try again later",
    "origin": "登录请求来源无效，请刷新页面后重试 / the sign-in request did not come from this site; reload and retry",
    "sso": "单点登录已超时，请重试 / single sign-on timed out; please try again",
}
FRAME_HEADERS = [(b"x-frame-options", b"DENY"), (b"content-security-policy", b"frame-ancestors 'none'")]


def base_path() -> str:
    """server.baseUrlPath as a prefix ("" or "/something")."""
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def safe_next(value: str | None) -> str:
    """A same-origin path to go to after signing in; anything else (scheme, host, //, \\) becomes the root."""
    root = base_path() + "/"
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return root
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in value):
        return root
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "e"])
    return urlunsplit(("", "", parts.path, query, ""))


def _with_error(path: str, code: str) -> str:
    parts = urlsplit(path)
    query = urlencode([*parse_qsl(parts.query), ("e", code)])
    return urlunsplit(("", "", parts.path, query, ""))


def same_origin(request: Request) -> bool:
    """The form was posted from a page of this host (Origin, else Referer); neither header → refused."""
    host = request.headers.get("host", "")
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    return urlsplit(source).netloc == host


def _cookie_response(target: str, token: str, request: Request) -> Response:
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(sessions.COOKIE, token, path=base_path() + "/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    response.headers["Cache-Control"] = "no-store"
    return response


async def signin(request: Request) -> Response:
    if int(request.headers.get("content-length") or 0) > _MAX_FORM_BYTES:
        return Response(status_code=413)
    form = await request.form(max_files=0, max_fields=8, max_part_size=_MAX_FORM_BYTES)
    target = safe_next(str(form.get("next") or ""))
    if not same_origin(request):
        return RedirectResponse(_with_error(target, "origin"), status_code=303)
    name, password = str(form.get("username") or "").strip(), str(form.get("password") or "")
    if not name or len(name) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        return RedirectResponse(_with_error(target, "bad"), status_code=303)
    try:
        user = users.authenticate(name, password)  # lockout and audit live there
    except users.AuthError:
        locked = users.locked_until(name) is not None
        return RedirectResponse(_with_error(target, "locked" if locked else "bad"), status_code=303)
    return _cookie_response(target, sessions.create(user.username), request)


# --- single sign-on: the app hands a one-time code to an OIDC-signed-in user --------------------------

_HANDOFF_SECONDS = 60
_HANDOFFS: dict[str, tuple[str, float]] = {}  # sha256(code) -> (username, expires)
_HANDOFF_LOCK = threading.Lock()


def sso_handoff(username: str) -> str:
    """A one-time code (valid a minute) that /auth/sso turns into a session cookie for this user."""
    code = secrets.token_urlsafe(32)
    now = time.time()
    with _HANDOFF_LOCK:
        for k in [k for k, (_, exp) in _HANDOFFS.items() if exp < now]:
            del _HANDOFFS[k]
        _HANDOFFS[sessions.hash_token(code)] = (username, now + _HANDOFF_SECONDS)
    return code


async def sso(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    code = request.query_params.get("code") or ""
    with _HANDOFF_LOCK:
        entry = _HANDOFFS.pop(sessions.hash_token(code), None)
    user = users.load().get(entry[0]) if entry and entry[1] >= time.time() else None
    if user is None or user.disabled:
        return RedirectResponse(_with_error(target, "sso"), status_code=303)
    return _cookie_response(target, sessions.create(user.username, via="sso"), request)


routes = [Route("/auth/signin", signin, methods=["POST"]), Route("/auth/sso", sso, methods=["GET"])]


# --- which Streamlit session made which media file ------------------------------------------------

_OWNERS: dict[str, set[str]] = defaultdict(set)  # media file id -> Streamlit session ids that added it
_LABELS: dict[tuple[str, str], str] = {}  # (Streamlit session id, file name) -> what the download is
_OWNERS_LOCK = threading.Lock()


def track_media(manager) -> None:
    """Wrap the runtime's MediaFileManager.add to remember which session added each file.

    Streamlit drops a session's file references at the start of every rerun and adds them again when
    the element renders, so its own map misses a download fetched during a rerun; this one does not.
    """
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    if getattr(manager.add, "_tongxin", False):
        return
    original = manager.add

    def add(*args, **kwargs):
        url = original(*args, **kwargs)
        ctx = get_script_run_ctx()
        if ctx is not None:
            file_id = PurePosixPath(urlsplit(url).path).stem
            with _OWNERS_LOCK:
                _OWNERS[file_id].add(ctx.session_id)
                if len(_OWNERS) > 2000:  # forget files the runtime has since deleted
                    for fid in [f for f in _OWNERS if manager.read_file(f) is None]:
                        del _OWNERS[fid]
        return url

    add._tongxin = True
    manager.add = add


def label_download(streamlit_session_id: str, file_name: str, what: str) -> None:
    """What a download is (e.g. 会议材料PDF), for its audit event when the file is served."""
    with _OWNERS_LOCK:
        if len(_LABELS) > 5000:
            _LABELS.clear()
        _LABELS[(streamlit_session_id, file_name)] = what


def _owners(file_id: str) -> set[str]:
    with _OWNERS_LOCK:
        return set(_OWNERS.get(file_id, ()))


def _cookie(scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            token = cookie_parser(value.decode("latin-1")).get(sessions.COOKIE)
            if token:
                return token
    return None


def _record(scope) -> sessions.Session | None:
    record, reason = sessions.check(_cookie(scope), touch=False)
    return record if reason is None else None


async def _refuse(send, status: int) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *FRAME_HEADERS]})
    await send({"type": "http.response.body", "body": b"forbidden" if status == 403 else b"not found"})


class Guard:
    """ASGI middleware in front of Streamlit (see the module docstring)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        base = base_path()
        path = scope.get("path", "")
        rel = path[len(base):] if base and path.startswith(base) else path
        method = scope.get("method", "GET")
        audit_as = None
        if rel.startswith("/media/"):
            record = _record(scope)
            file_id = PurePosixPath(rel[len("/media/"):]).stem
            sids = {s for s in _owners(file_id) if sessions.bound(s) == (record.id if record else None)}
            if record is None or not sids:
                await _refuse(send, 404)
                return
            if method == "GET":
                audit_as = (record, sids)
        elif rel.startswith("/_stcore/upload_file/") and method in ("PUT", "DELETE"):
            record = _record(scope)
            session_id = rel[len("/_stcore/upload_file/"):].split("/", 1)[0]
            if record is None or sessions.bound(session_id) != record.id:
                await _refuse(send, 403)
                return

        async def send_guarded(message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dict(FRAME_HEADERS)]
                message = {**message, "headers": [*headers, *FRAME_HEADERS]}
                if audit_as and _whole_or_first_part(message):
                    _audit_download(message["headers"], *audit_as)
            await send(message)

        await self.app(scope, receive, send_guarded)


def _whole_or_first_part(message) -> bool:
    """A 200, or the range request that starts the file (a resumed download is not another export)."""
    if message["status"] == 200:
        return True
    ranges = [v for k, v in message.get("headers", []) if k.lower() == b"content-range"]
    return message["status"] == 206 and bool(ranges) and ranges[0].startswith(b"bytes 0-")


def _audit_download(headers, record: sessions.Session, sids: set[str]) -> None:
    disposition = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-disposition"), "")
    if not disposition.startswith("attachment"):
        return  # an image or other inline media, not a download
    from email.message import Message

    msg = Message()
    msg["content-disposition"] = disposition
    file_name = msg.get_filename() or ""
    with _OWNERS_LOCK:
        what = next((_LABELS[(s, file_name)] for s in sids if (s, file_name) in _LABELS), "下载")
    user = users.load().get(record.username)
    audit.record("export", user=record.username, role=user.role if user else "", what=f"{what} ({file_name})",
                 scope=tuple(user.scope) if user else (), detail="served")
