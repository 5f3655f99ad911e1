"""Links that keep the view: every page's filters live in the URL's query string, so a link opens the same view
for whoever receives it (after sign-in, which keeps the path and the query).

The URL carries codes (?period=2026-06&region=330102&gap=index), never the labels a selector shows: a code
stays the same when a name is spelled differently, and the whole-of-scope option differs by user. Widgets keep
their own keys; the parameter names are shared (period, region) so that one link reads alike on every page.
A value the recipient cannot choose (another region, an unknown code) is ignored: the widget opens on its
default, and the caller says so where the region was refused.

`seed` runs before a widget (it fills the widget's state from the URL the first time the widget is drawn),
`keep` after it (it writes the chosen value back, or drops it when it is the default); `bound` does both
around any select-like widget. The sidebar's 复制链接 box is redrawn by every `keep`, so it shows the URL the
page has reached even when the page stops early.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

import streamlit as st

_SLOT = "_tx_link_slot"
_NOT_SET = object()
# Widgets whose state was taken from the URL must not also pass a default of their own (Streamlit warns).
_DEFAULTS = ("default", "index", "value")


def seed(key: str, param: str, allowed: Iterable[str]) -> str | None:
    """Fill widget `key` from the URL's `param` when the widget has no state yet and the value is one it offers.
    Returns the URL's value when it was refused (not offered to this user), else None."""
    if key in st.session_state:
        return None
    raw = st.query_params.get(param)
    if raw is None or raw == "":
        return None
    if raw in set(allowed):
        st.session_state[key] = raw
        return None
    return raw


def keep(param: str, value: Any, default: Any = _NOT_SET) -> None:
    """Write the chosen value into the URL (dropped when it is the default or None) and redraw the link box."""
    text = None if value is None or (default is not _NOT_SET and value == default) else str(value)
    if text is None:
        if param in st.query_params:
            st.query_params.pop(param)
    elif st.query_params.get(param) != text:
        st.query_params[param] = text
    show()


def bound(widget: Callable, label: str, options: Iterable, *, key: str, param: str, **kwargs) -> Any:
    """`widget(label, options, key=key, **kwargs)` (st.selectbox, st.radio, st.segmented_control) whose value is
    kept in the URL as `param`. Options are codes (strings); `format_func` shows them. Values equal to `default`
    (the first option for a select box or radio, the widget's `default` for a segmented control) are left out
    of the URL. An option the widget does not offer is ignored."""
    options = list(options)
    default = kwargs.get("default", options[kwargs.get("index", 0)] if options else None)
    if seed(key, param, [str(o) for o in options]) is None and key in st.session_state:
        state = st.session_state[key]
        # the URL gives strings; the widget wants its own option (equal once compared as text)
        match = next((o for o in options if str(o) == str(state)), None)
        if match is not None and match != state:
            st.session_state[key] = match
    if _seeded(key):
        kwargs = {k: v for k, v in kwargs.items() if k not in _DEFAULTS}
    value = widget(label, options, key=key, **kwargs)
    keep(param, value, default)
    return value


def bound_toggle(label: str, *, key: str, param: str, **kwargs) -> bool:
    """st.toggle kept in the URL as `param=1` when on (off is the default and is left out)."""
    if key not in st.session_state and st.query_params.get(param) in ("1", "0"):
        st.session_state[key] = st.query_params.get(param) == "1"
    if _seeded(key):
        kwargs.pop("value", None)
    value = bool(st.toggle(label, key=key, **kwargs))
    keep(param, "1" if value else None)
    return value


def bound_date(label: str, *, key: str, param: str, value: dt.date | None, **kwargs) -> dt.date | None:
    """st.date_input kept in the URL as an ISO date (?date=2026-06-30); the default `value` is left out."""
    raw = st.query_params.get(param)
    if key not in st.session_state and raw:
        try:
            st.session_state[key] = dt.date.fromisoformat(raw)
        except ValueError:
            pass
    # "today" only tells Streamlit the state was set elsewhere (no warning); the URL's date is what shows
    chosen = st.date_input(label, value="today" if _seeded(key) else value, key=key, **kwargs)
    keep(param, chosen.isoformat() if isinstance(chosen, dt.date) and chosen != value else None)
    return chosen


def _seeded(key: str) -> bool:
    """Whether the widget's state was set by this run (from the URL) rather than by the widget itself."""
    try:
        from streamlit.runtime.state import get_session_state

        return get_session_state().is_new_state_value(key)
    except (ImportError, AttributeError):  # an internal that moved: at worst Streamlit shows its default-value warning
        return False


def url() -> str:
    """The page's full URL with the current filters: the app's address and page path (st.context.url, without
    the query) and the query string as this run has left it."""
    base = st.context.url or ""
    query = {k: v for k, v in st.query_params.to_dict().items() if k != "e"}  # not a sign-in error code
    return base + (f"?{urlencode(query)}" if query else "")


def copy_link() -> None:
    """The sidebar's 复制链接 box: the full URL in a code block (its copy button needs HTTPS; the text can be
    selected by hand anywhere). Call once per run, before the page; `keep` redraws it."""
    with st.sidebar:
        st.caption("复制链接（收件人登录后看到同样的筛选；只显示其权限范围内的数据）")
        st.session_state[_SLOT] = st.empty()
    show()


def show() -> None:
    slot = st.session_state.get(_SLOT)
    if slot is not None:
        slot.code(url(), language=None, wrap_lines=True)
