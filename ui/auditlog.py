"""The 审计日志 page's table: the log's events as a reader wants them, and as audit tools want them."""

from __future__ import annotations

import pandas as pd

from etl.contracts import sources
from ui import format as fmt

# Landings and withdrawals name their extract by its key ("activities 2025-01"); the screen shows its title.
_SOURCE_TITLES = {name: s.title for name, s in sources().items()}


# Details the sign-in, session and download code records in English (log fields are for tools and stay so).
_DETAIL_ZH = {
    "served": "已下载", "sso": "单点登录", "user": "用户退出", "disabled": "账户已停用", "bad credentials": "用户名或密码错误",
    "input too long": "输入过长", "sso identity not mapped": "单点登录身份未对应到用户",
    "session id without its sign-in cookie": "会话缺少登录凭证", "expired idle": "长时间未操作，会话已结束",
    "expired max": "会话超过最长时限，已结束",
}


def _detail_zh(detail: object) -> str:
    text = "" if detail is None or detail == "" else fmt.dash(detail)
    return _DETAIL_ZH.get(text, text)


def _what_zh(what: object) -> str:
    text = fmt.dash(what) if what != "" else ""
    head, _, rest = text.partition(" ")
    return f"{_SOURCE_TITLES[head]} {rest}".strip() if head in _SOURCE_TITLES else text


def for_screen(events: pd.DataFrame) -> pd.DataFrame:
    """Beijing time, Chinese role names, extract titles and Chinese details; "—" for nothing."""
    return events.assign(
        at=lambda d: d["at"].map(fmt.beijing), role=lambda d: d["role"].map(fmt.role_zh),
        what=lambda d: d["what"].map(_what_zh), action_label=lambda d: d["action_label"].map(fmt.dash),
        detail=lambda d: d["detail"].map(_detail_zh))


def for_export(events: pd.DataFrame) -> pd.DataFrame:
    """The log's own fields (UTC with its offset, role keys, as `python -m auth audit --csv` writes them) for
    audit tools, with Beijing time and the Chinese role beside them for readers."""
    return events.drop(columns=["action_label"]).assign(at_beijing=events["at"].map(fmt.beijing),
                                                        role_zh=events["role"].map(fmt.role_zh))
