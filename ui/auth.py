"""Streamlit side of access control: sign-in, session expiry, pages by role, audited actions.

app.py calls `gate()` before anything else is shown; it returns the signed-in user or stops the run
with the sign-in form. Region scope and case access are turned into a `Scope` by `user_scope()`; the
query door applies it (pages never filter by region themselves).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from auth import audit, users
from auth.roles import PAGES, ROLES, pages_for
from warehouse import queries as q
from warehouse.queries import privacy

USER_KEY = "tongxin_user"
_SEEN_KEY = "tongxin_last_seen"
_SINCE_KEY = "tongxin_signed_in_at"


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
    """st.download_button that writes an `export` audit event (who, what, scope) when clicked.

    Every download in the app goes through here.
    """
    return st.download_button(
        label, data, file_name=file_name, mime=mime, key=key,
        on_click=log, args=("export", f"{what} ({file_name})"), **kwargs,
    )


def _settings() -> tuple[float, float]:
    s = privacy.settings()
    return float(s.get("session_idle_minutes", 30)), float(s.get("session_max_hours", 8))


def _sign_in(user: users.User) -> None:
    st.session_state[USER_KEY] = user.public()
    st.session_state[_SINCE_KEY] = st.session_state[_SEEN_KEY] = time.time()


def sign_out(reason: str = "") -> None:
    user = current_user()
    if user:
        log("logout", detail=reason)
    for k in (USER_KEY, _SEEN_KEY, _SINCE_KEY):
        st.session_state.pop(k, None)


def _expired() -> str | None:
    idle, most = _settings()
    now = time.time()
    if now - st.session_state.get(_SEEN_KEY, now) > idle * 60:
        return f"超过 {idle:g} 分钟未操作 / idle for more than {idle:g} minutes"
    if now - st.session_state.get(_SINCE_KEY, now) > most * 3600:
        return f"登录已超过 {most:g} 小时 / signed in for more than {most:g} hours"
    return None


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, StreamlitSecretNotFoundError):  # no secrets.toml at all
        return False


def _login_form(is_demo: bool) -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        _login_box(is_demo)


def _login_box(is_demo: bool) -> None:
    st.title("童心 · 流动儿童关爱服务")
    st.subheader("登录 Sign in")
    note = st.session_state.pop("tongxin_login_note", None)
    if note:
        st.info(note)
    with st.form("login", clear_on_submit=False, enter_to_submit=True):
        name = st.text_input("用户名 User name", key="login_user")
        password = st.text_input("密码 Password", type="password", key="login_password")
        submitted = st.form_submit_button("登录 Sign in", type="primary")
    if submitted:
        try:
            _sign_in(users.authenticate(name, password))
        except users.AuthError as e:
            st.error(str(e))
        else:
            st.rerun()
    if _sso_configured() and st.button("单点登录 Single sign-on"):
        st.login()
    if is_demo:
        st.caption("示例数据的演示账户（密码均为 tongxin-demo）：admin 系统管理员 · leader 领导 · planner 规划人员 · "
                   "county 区县工作人员 · fulian 妇联 · data 数据专员 · caseworker 个案工作者")


def _from_sso() -> bool:
    """Signed in through OIDC: map the identity to an enabled local user (role and scope live there)."""
    if not (_sso_configured() and st.user.is_logged_in):
        return False
    identity = str(st.user.get("email") or st.user.get("sub") or "")
    user = users.by_sso(identity)
    if user is None:
        audit.record("login_failed", user=identity, ok=False, detail="sso identity not mapped")
        st.error("该单点登录账户未开通本系统权限，请联系管理员 / this SSO account has no user here; ask the administrator")
        st.button("退出单点登录 Sign out", on_click=st.logout)
        st.stop()
    audit.record("login", user=user.username, role=user.role, scope=tuple(user.scope), detail="sso")
    _sign_in(user)
    return True


def gate(is_demo: bool) -> dict:
    """The signed-in user; otherwise show the sign-in form for any URL and stop the run."""
    if current_user():
        reason = _expired()
        if reason:
            sign_out(reason)
            st.session_state["tongxin_login_note"] = f"会话已过期，请重新登录（{reason}）/ session expired, please sign in again"
        else:
            st.session_state[_SEEN_KEY] = time.time()
            return current_user()
    if _from_sso():
        return current_user()
    # Every known URL shows the sign-in form; after signing in, the same URL opens its page (if granted).
    login = st.Page(lambda: _login_form(is_demo), title="登录", url_path="login", default=True)
    hidden = [st.Page(_stub(lambda: _login_form(is_demo), p), title="登录", url_path=p, visibility="hidden")
              for p in PAGES if p != "overview"]
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
    """st.navigation with the role's pages; every other page is a hidden, audited refusal."""
    user = current_user()
    granted = pages_for(user["role"])
    sections: dict[str, list] = {}
    for i, path in enumerate(granted):
        section, title, file = PAGES[path]
        kwargs = {"default": True} if i == 0 else {"url_path": path}
        sections.setdefault(section, []).append(st.Page(file, title=title, **kwargs))
    refused = [st.Page(_refused(p), title="无权访问", url_path=p, visibility="hidden")
               for p in PAGES if p not in granted]
    if refused:
        sections.setdefault("", []).extend(refused)
    return st.navigation(sections)


def sidebar_user() -> None:
    user = current_user()
    role = ROLES[user["role"]]
    st.sidebar.caption(f"{user['display_name']} · {role.label}")
    if st.sidebar.button("退出登录 Sign out", key="sign_out"):
        sign_out("user")
        st.rerun()
