"""数据确认 on the pages: the sign-off page's table, actions and history, and the marks leadership views carry
(总览, 目标进展) where a figure rests on data the city has not confirmed.

Figures come from one snapshot whatever the sign-off state: what sign-off changes is which period a leader sees
first and what is marked. State is read through loop.signoff (cached on the store's and the load log's
mtime); an action clears that cache so the marks change on the next rerun, without a rebuild.
"""
from __future__ import annotations

import datetime as dt
import html

import pandas as pd
import streamlit as st

from auth.roles import ROLES, pages_for
from loop import signoff
from loop.store import LoopError
from report import pack
from ui import auth, links
from ui import format as fmt

UNCONFIRMED = "未确认"
WITH_UNCONFIRMED = "（含未确认数据）"
# Roles whose views default to confirmed data; the others (data, county officers, admins) preview the latest.
CONFIRMED_FIRST = ("leader", "planner")
PAGE_PATH = "signoff"
STATUS_ORDER = [signoff.PENDING, signoff.RETURNED, signoff.COUNTY_OK, signoff.CITY_OK, signoff.NOT_REQUIRED]
ALL = "全部"


def _role() -> str:
    user = auth.current_user()
    return user["role"] if user else ""


def prefixes(scope) -> list[str]:
    return list(scope.prefixes)


# --------------------------------------------------------------------------------------------
# Leadership views: default period, marks and the banner


def overview_marks(wh, scope, period: str | None) -> dict[str, pd.DataFrame]:
    """Headline metric id → the unconfirmed source × period × county in `scope` its card rests on."""
    if period is None or scope.is_empty:
        return {}
    return pack.signoff_marks(wh.con, scope, period)


def confirmed_periods(wh, periods: pd.DataFrame, scope) -> set[str]:
    """The register periods whose overview figures rest on city-confirmed data only, in `scope`."""
    return set(pack.confirmed_periods(wh.con, scope, list(periods["period"])))


def default_period(options: list[str], confirmed: set[str]) -> str | None:
    """Leaders and planners: the latest period resting on confirmed data (the latest when none does); the
    other roles preview the latest."""
    if not options:
        return None
    if _role() in CONFIRMED_FIRST:
        return next((p for p in options if p in confirmed), options[0])
    return options[0]


def period_selector(wh, periods: pd.DataFrame, scope, *, key: str = "period") -> str | None:
    """The register period box (newest first, kept in the URL as ?period=): a period whose figures rest on
    unconfirmed data says so in its label; leaders start on the latest confirmed one."""
    options = periods["period"].tolist()
    if not options:
        return None
    confirmed = confirmed_periods(wh, periods, scope)
    start = default_period(options, confirmed)
    refused = links.seed(key, "period", options)
    period = st.selectbox("统计期", options, index=options.index(start), key=key, placeholder="选择统计期",
                          format_func=lambda p: fmt.period_label(p) + ("" if p in confirmed else WITH_UNCONFIRMED))
    if refused is not None:
        st.caption("链接中的统计期没有数据，已显示默认一期。")
    links.keep("period", period)
    return period


def kept_period(wh, periods: pd.DataFrame, scope) -> str | None:
    """Meeting mode's period: the URL's, else the role's default."""
    options = periods["period"].tolist()
    p = st.query_params.get("period")
    return p if p in options else default_period(options, confirmed_periods(wh, periods, scope))


def county_names(wh, scope) -> dict[str, str]:
    names = wh.counties(scope)
    return {str(code)[:6]: name for code, name in zip(names["county_code"], names["county_name"])}


def badge_html(df: pd.DataFrame | None, names: dict[str, str] | None = None) -> str:
    """A small 未确认 badge whose tooltip names the counties and sources ("" when nothing is unconfirmed)."""
    if df is None or df.empty:
        return ""
    tip = html.escape("数据尚未经市级确认：" + signoff.mark_text(df, names))
    return f'<span class="so-badge" title="{tip}" data-signoff="unconfirmed">{UNCONFIRMED}</span>'


def card_badges(marks: dict[str, pd.DataFrame], names: dict[str, str] | None = None) -> dict[str, str]:
    """Metric id → its card's 未确认 badge."""
    return {mid: badge_html(df, names) for mid, df in marks.items()}


def count_text(marks: dict[str, pd.DataFrame]) -> str:
    """"2 个区县 × 3 个数据源尚未市级确认" for the union of the marks ("" when none)."""
    if not marks:
        return ""
    df = pd.concat(marks.values()).drop_duplicates(["source", "period", "county_code"])
    pairs = df.drop_duplicates(["county_code", "source"])
    counties = df["county_code"].nunique()
    return (f"本期数字所依据的数据有 {len(pairs)} 项（{counties} 个区县 × {df['source'].nunique()} 个数据源）"
            "尚未经市级确认，相关数字标有“未确认”")


def banner_html(marks: dict[str, pd.DataFrame], names: dict[str, str] | None = None) -> str:
    """One line: how many counties × sources are unconfirmed (their names on hover); "" when none is."""
    text = count_text(marks)
    if not text:
        return ""
    df = pd.concat(marks.values()).drop_duplicates(["source", "period", "county_code"])
    tip = html.escape(signoff.mark_text(df, names))
    return (f'{STYLE}<p class="so-banner" id="so-banner" title="{tip}" data-unconfirmed="{len(df)}">'
            f'<span class="so-badge">{UNCONFIRMED}</span>{html.escape(text)}。</p>')


PAGE = "views/signoff.py"


def banner(line: str, after: str = "", link: bool = True) -> None:
    """The banner line (and `after`, e.g. the page's note, in the same element: no extra row), and under it
    a link to 数据确认 for roles that have that page (link=False: the page places it, see signoff_link)."""
    show(line + after)
    if line and link:
        signoff_link()


def signoff_link() -> None:
    """A link to 数据确认, for roles that have that page."""
    if PAGE_PATH in pages_for(_role()):
        st.page_link(PAGE, label="去数据确认", icon=":material/fact_check:")


STYLE = """<style>
.so-badge{display:inline-block;margin:0 4px;padding:0 4px;border-radius:3px;font-size:0.68rem;line-height:1.4;
  background:#fdebd0;color:#9a4d00;border:1px solid #e6a23c;vertical-align:middle;white-space:nowrap;cursor:help}
.so-banner{margin:0;font-size:.8rem;color:#6b4a00}
.ov-kpi{position:relative}
.ov-kpi > .so-badge{position:absolute;top:-0.55rem;right:0.5rem;margin:0}
</style>"""


def show(markup: str) -> None:
    """st.html for a line that may be empty (st.html refuses an empty body)."""
    if markup:
        st.html(markup)


def targets_default_date(wh, periods: pd.DataFrame, scope) -> dt.date | None:
    """目标进展's default 评估日期: the data date, or for leaders the evaluation date of the latest period
    resting on confirmed data (that period's last day, or the data date for the latest period)."""
    options = periods["period"].tolist()
    data_date = pd.Timestamp(wh.info.data_date).date() if wh.info.data_date is not None else None
    pick = default_period(options, confirmed_periods(wh, periods, scope))
    if pick is None or pick == (options[0] if options else None):
        return data_date
    return pack.as_of(wh.con, pick) or data_date


def indicator_marks(status: pd.DataFrame, scope, today: dt.date | None,
                    names: dict[str, str] | None = None) -> pd.Series:
    """Per indicator row: "" or 未确认 with the counties and sources (the indicator's catalogue sources; a
    reported one rests on the progress reports)."""
    if status.empty or today is None or scope.is_empty:
        return pd.Series("", index=status.index, dtype=object)
    span = signoff.span_of_date(today)
    ids = [m if isinstance(m, str) and m else f"reported:{i}" for i, m in zip(status.index, status["metric_id"])]
    fallback = {i: signoff.REPORTED for i in ids if i.startswith("reported:")}
    marks = signoff.marks(None, prefixes(scope), ids, span, fallback)
    return pd.Series([f"{UNCONFIRMED}：{signoff.mark_text(marks[i], names)}" if i in marks else "" for i in ids],
                     index=status.index, dtype=object)


def date_note(status: pd.DataFrame) -> str:
    """What the targets page's caption says after its evaluation date."""
    unconfirmed = "signoff" in status and status["signoff"].astype(bool).any()
    return WITH_UNCONFIRMED if unconfirmed else ""


def targets_banner(status: pd.DataFrame) -> str:
    """目标进展's line: how many indicators rest on unconfirmed data ("" when none does); see banner()."""
    if status.empty or "signoff" not in status or not status["signoff"].astype(bool).any():
        return ""
    n = int(status["signoff"].astype(bool).sum())
    return (f'{STYLE}<p class="so-banner" id="so-banner" data-unconfirmed="{n}"><span class="so-badge">{UNCONFIRMED}'
            f'</span>{n} 项指标的数值依据尚未经市级确认的数据（见各指标旁的“未确认”及状态表“数据确认”列）。</p>')


# --------------------------------------------------------------------------------------------
# The 数据确认 page


def may_act(role: str, source: str, level: str) -> bool:
    r = signoff.rule(source)
    return r.required and role in (r.county_roles if level == "county" else r.city_roles)


def status_rows(scope, source: str, period: str, state: str) -> pd.DataFrame:
    """The user's rows: status of each source × period × county in their scope, filtered."""
    df = signoff.status(None, scope=prefixes(scope))
    for col, v in (("source", source), ("period", period), ("status", state)):
        if v != ALL:
            df = df[df[col] == v]
    return df.reset_index(drop=True)


def status_table(df: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({
        "数据源": [signoff.source_label(s) for s in df["source"]], "统计期": df["period"],
        "区县": [names.get(c, c) if c else "全市" for c in df["county_code"]], "状态": df["status"],
        "最近操作": [f"{a[:16].replace('T', ' ')} {u}" if a else "" for a, u in zip(df["at"], df["user"])],
        "退回原因": df["reason"], "导入编号": df["load_id"]})


def row_label(r: dict, names: dict[str, str]) -> str:
    where = names.get(r["county_code"], r["county_code"]) if r["county_code"] else "全市"
    return f"{signoff.source_label(r['source'])} · {r['period']} · {where} · {r['status']}"


def act(kind: str, r: dict, level: str | None) -> None:
    """Confirm or return (with the reason typed in the box "so_reason") one row as the signed-in user; a
    refusal shows the bilingual message. The cached sign-off read is cleared so the leadership marks change
    on the next rerun."""
    reason = str(st.session_state.get("so_reason") or "")
    user = auth.current_user() or {}
    who = {"user": user.get("username", ""), "role": user.get("role", ""), "scope": list(user.get("scope") or ())}
    try:
        if kind == "confirm":
            signoff.confirm(None, r["source"], r["period"], r["county_code"], level=level, **who)
            msg = f"已{signoff.LEVELS[level]}确认"
        else:
            signoff.return_(None, r["source"], r["period"], r["county_code"], reason=reason, level=level, **who)
            msg = "已退回"
    except LoopError as e:
        st.session_state["so_msg"] = ("error", f"{e.zh} / {e.en}")
        return
    signoff.clear_cache()
    st.session_state["so_msg"] = ("success", msg)
    st.session_state.pop("so_reason", None)


def show_message() -> None:
    kind, text = st.session_state.pop("so_msg", (None, None))
    if kind == "error":
        st.error(text, icon=":material/block:")
    elif kind == "success":
        st.success(text, icon=":material/check:")


def history_table(r: dict) -> pd.DataFrame:
    h = signoff.history(None, r["source"], r["period"], r["county_code"])
    roles = {k: v.label for k, v in ROLES.items()}
    return pd.DataFrame({"时间": [a[:19].replace("T", " ") for a in h["at"]], "操作": h["what"], "用户": h["user"],
                         "角色": [roles.get(x, x) for x in h["role"]], "原因": h["reason"],
                         "导入编号": h["load_id"],
                         "本次导入": ["是" if x == r["load_id"] else "否（已被新导入取代）" for x in h["load_id"]]})
