"""Streamlit side of access control: sign-in, session expiry, pages by role, audited actions.

app.py calls `gate()` before anything else is shown; it returns the signed-in user or stops the run
with the sign-in form. Who is signed in is decided on every rerun by the browser's HttpOnly session
cookie and its server-side record (auth/sessions.py); session_state only carries the answer to the
rest of the run, so a websocket that presents a known Streamlit session id without the cookie gets
the sign-in form. Region scope and case access are turned into a `Scope` by `user_scope()`; the
query door applies it (pages never filter by region themselves).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from auth import audit, sessions, users, web
from auth.roles import PAGES, ROLES, home, pages_for
from ui.format import md_escape
from warehouse import queries as q

USER_KEY = "tongxin_user"
_NOTE_KEY = "tongxin_login_note"
_ENDED = {
    "idle": "会话已过期（长时间未操作），请重新登录 / session expired after idle time, please sign in again",
    "max": "会话已过期（超过最长登录时间），请重新登录 / session expired (maximum length), please sign in again",
    "revoked": "会话已结束，请重新登录 / your session has ended, please sign in again",
}


def current_user() -> dict | None:
    """The signed-in user ({"username", "role", "scope": [...], "display_name"}) or None."""
    return st.session_state.get(USER_KEY)


def user_scope() -> q.Scope:
    """The signed-in user's scope: their region codes, exact figures only with case access.

    Default deny: nobody signed in, an unknown role or a user without region codes sees nothing.
    """
    user = current_user()
    role = ROLES.get(user["role"]) if user else None
    if not user or role is None or not user.get("scope"):
        return q.Scope()
    if "" in user["scope"]:  # the whole deployment (auth.users.EVERYWHERE: `etl init` without --root)
        return q.Scope.everything(exact=role.case_access)
    return q.Scope.of(*user["scope"], exact=role.case_access)


def has_case_access() -> bool:
    user = current_user()
    role = ROLES.get(user["role"]) if user else None
    return bool(role and role.case_access)


def log(action: str, what: str = "", *, ok: bool = True, detail: str = "") -> None:
    """Audit an action of the signed-in user."""
    user = current_user() or {}
    audit.record(action, user=user.get("username"), role=user.get("role"), what=what,
                 scope=tuple(user.get("scope", ())), ok=ok, detail=detail)


def download_button(label: str, data, file_name: str, *, what: str, key: str | None = None,
                    mime: str | None = None, **kwargs) -> bool:
    """st.download_button whose file only this signed-in session can fetch; serving it writes an `export`
    audit event (who, what, scope) in auth/web.py, whether or not the fetch came from a click.

    Every download in the app goes through here.
    """
    if callable(data):  # a deferred callable runs at the client's request, outside the gate
        raise TypeError("download data must be bytes or text, not a callable")
    sid = _streamlit_session_id()
    if sid:
        web.label_download(sid, file_name, what)
    return st.download_button(label, data, file_name=file_name, mime=mime, key=key, on_click="ignore",
                              **kwargs)


def _browser_token() -> str | None:
    """The session cookie the browser sent when this connection opened (HttpOnly: page scripts cannot read it)."""
    token = st.context.cookies.get(sessions.COOKIE)
    return token if isinstance(token, str) else None


def _streamlit_session_id() -> str | None:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else None


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, StreamlitSecretNotFoundError):  # no secrets.toml at all
        return False


_FORM = """<form class="tx-login" method="post" action="{action}">
<label for="tx-login-user">用户名 User name</label>
<input id="tx-login-user" name="username" autocomplete="username" maxlength="{max_user}" required autofocus>
<label for="tx-login-password">密码 Password</label>
<input id="tx-login-password" name="password" type="password" autocomplete="current-password"
 maxlength="{max_password}" required>
<input type="hidden" name="next" value="{next}">
<button type="submit">登录 Sign in</button>
</form>
<style>
.tx-login {{ display: flex; flex-direction: column; gap: .35rem; max-width: 28rem; }}
.tx-login label {{ font-size: .9rem; margin-top: .4rem; }}
.tx-login input {{ font: inherit; padding: .45rem .6rem; border: 1px solid #ccd; border-radius: .4rem; }}
.tx-login button {{ margin-top: .8rem; align-self: flex-start; font: inherit; padding: .45rem 1.2rem;
  border: 0; border-radius: .4rem; background: #2b6cb0; color: #fff; cursor: pointer; }}
</style>"""


def _here() -> str:
    """This page's path and query (without a sign-in error code), where signing in comes back to."""
    path = urlsplit(st.context.url or "").path or "/"
    query = [(k, v) for k, v in st.query_params.items() if k != "e"]
    return path + (f"?{urlencode(query)}" if query else "")


def _login_form(is_demo: bool) -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        _login_box(is_demo)


def _login_box(is_demo: bool) -> None:
    st.title("童心 · 流动儿童关爱服务")
    st.subheader("登录 Sign in")
    note = st.session_state.pop(_NOTE_KEY, None)
    if note:
        st.info(note)
    error = web.ERRORS.get(st.query_params.get("e", ""))
    if error:
        st.error(error)
    # Plain HTML posted to /auth/signin, which answers with the HttpOnly cookie: the password never
    # passes through the websocket, and no page script ever sees the session token.
    st.html(_FORM.format(action=html.escape(web.base_path() + "/auth/signin", quote=True),
                         next=html.escape(web.safe_next(_here()), quote=True),
                         max_user=web.MAX_USERNAME, max_password=web.MAX_PASSWORD))
    if _sso_configured() and st.button("单点登录 Single sign-on"):
        st.login()
    if is_demo:
        st.caption("示例数据的演示账户（密码均为 tongxin-demo）：admin 系统管理员 · leader 领导 · planner 规划人员 · "
                   "county 区县工作人员 · fulian 妇联 · data 数据专员 · caseworker 个案工作者")


def _from_sso() -> bool:
    """Signed in through OIDC and mapped to an enabled local user: hand over to /auth/sso for the cookie.

    OIDC's own cookie only proves who the person is; the session (timeouts, revocation) is ours, so the
    app gives a one-time code that the /auth/sso route exchanges for a session record and its cookie.
    """
    if not (_sso_configured() and st.user.is_logged_in):
        return False
    identity = str(st.user.get("email") or st.user.get("sub") or "")
    user = users.by_sso(identity)
    if user is None:
        audit.record("login_failed", user=identity[:64], ok=False, detail="sso identity not mapped")
        st.error("该单点登录账户未开通本系统权限，请联系管理员 / this SSO account has no user here; ask the administrator")
        st.button("退出单点登录 Sign out", on_click=st.logout)
        return True
    audit.record("login", user=user.username, role=user.role, scope=tuple(user.scope), detail="sso")
    code = web.sso_handoff(user.username)
    link = html.escape(web.base_path() + "/auth/sso?" + urlencode({"code": code, "next": _here()}), quote=True)
    st.html(f'<p><a href="{link}">继续 Continue</a></p>')  # same tab: this page then opens with the cookie
    return True


def _watch() -> None:
    """Every few seconds, without counting as activity: once the record has ended, rerun the whole app so
    the screen (a child's file included) gives way to the sign-in form without waiting for a click."""
    idle, _ = sessions.timeouts()

    def check() -> None:
        if sessions.check(_browser_token(), touch=False)[1] is not None:
            st.rerun(scope="app")

    with st.sidebar:
        st.fragment(check, run_every=max(2.0, min(30.0, idle / 4)))()


def gate(is_demo: bool) -> dict:
    """The signed-in user; otherwise show the sign-in form for any URL and stop the run."""
    token = _browser_token()
    record, reason = sessions.check(token)
    user = users.load().get(record.username) if reason is None else None
    if reason is None and (user is None or user.disabled):
        sessions.revoke(token, "user removed or disabled")
        reason = "revoked"
    sid = _streamlit_session_id()
    if reason is None:
        if sid:
            if sessions.bound(sid) not in (None, record.id):
                st.session_state.clear()  # another sign-in attached to this session: nothing of the last one
            sessions.bind(sid, record.id)
        st.session_state[USER_KEY] = user.public()
        _watch()
        return current_user()
    before = st.session_state.pop(USER_KEY, None)
    if before:
        st.session_state.clear()  # what the signed-in pages kept (choices, a child's file view) goes too
    if sid:
        sessions.unbind(sid)
    if reason in ("idle", "max"):  # found ended just now (it is revoked from here on)
        audit.record("logout", user=record.username, detail=f"expired {reason}")
    if before and reason in _ENDED:
        st.session_state[_NOTE_KEY] = _ENDED[reason]
    elif before and not token:
        # This Streamlit session was signed in, but this connection brought no cookie.
        audit.record("refused", user=before.get("username"), role=before.get("role"), what="/_stcore/stream",
                     ok=False, detail="session id without its sign-in cookie")
    # Every known URL shows the sign-in form; after signing in, the same URL opens its page (if granted).
    form = (lambda: None) if _from_sso() else (lambda: _login_form(is_demo))
    login = st.Page(form, title="登录", url_path="login", default=True)
    hidden = [st.Page(_stub(form, p), title="登录", url_path=p, visibility="hidden") for p in PAGES]
    st.navigation([login, *hidden], position="hidden").run()
    st.stop()


def _stub(fn: Callable[[], None], name: str) -> Callable[[], None]:
    def page() -> None:
        fn()

    page.__name__ = page.__qualname__ = f"page_{name}"
    return page


def _refused(path: str) -> Callable[[], None]:
    title = PAGES[path][1]

    def page() -> None:
        log("refused", what=f"/{path}")
        st.error(f"您的角色无权访问“{title}”页面 / your role may not open this page (/{path}).")
        st.caption("如需权限，请联系系统管理员。Ask the administrator if you need access.")

    page.__name__ = page.__qualname__ = f"refused_{path}"
    return page


def navigation() -> st.navigation:
    """st.navigation with the role's pages, each at its own path (a link to /volunteers works for a user whose
    home it is); "/" is a hidden landing that opens the role's home page with the link's query; every other
    page is a hidden, audited refusal."""
    user = current_user()
    granted = pages_for(user["role"])
    sections: dict[str, list] = {}
    pages = {}
    for path in granted:
        section, title, file = PAGES[path]
        pages[path] = st.Page(file, title=title, url_path=path)
        sections.setdefault(section, []).append(pages[path])
    target = pages.get(home(user["role"]) or "") or next(iter(pages.values()), None)
    hidden = [st.Page(_landing(target), title="童心", url_path="home", default=True, visibility="hidden")]
    hidden += [st.Page(_refused(p), title="无权访问", url_path=p, visibility="hidden")
               for p in PAGES if p not in granted]
    sections.setdefault("", []).extend(hidden)
    # Fully expanded: a role with more than twelve pages would otherwise find the last of them behind
    # "View more", which users take for pages they were not given.
    return st.navigation(sections, expanded=True)


def _landing(target) -> Callable[[], None]:
    def page() -> None:
        if target is None:  # a role without pages
            st.info("您的角色尚无可访问的页面，请联系系统管理员。Your role has no pages; ask the administrator.")
            return
        st.switch_page(target, query_params=st.query_params.to_dict())

    page.__name__ = page.__qualname__ = "landing"
    return page


def sign_out() -> None:
    """End this browser's session record: every tab of it shows the sign-in form at its next rerun."""
    token = _browser_token()
    record, _ = sessions.check(token, touch=False)
    if record is not None:
        sessions.revoke(token, "signed out")
    log("logout", detail="user")
    st.session_state.pop(USER_KEY, None)
    if record is not None and record.via == "sso" and _sso_configured():
        st.logout()  # else the OIDC cookie would sign the user straight back in


def sidebar_user() -> None:
    user = current_user()
    role = ROLES[user["role"]]
    st.sidebar.caption(f"{md_escape(user['display_name'])} · {role.label}")
    if st.sidebar.button("退出登录 Sign out", key="sign_out"):
        sign_out()
        st.rerun()
