"""领导批示 widgets: the issue form (on 领导批示, and beside a figure on other pages through `attach`), the
department's answer, the leader's close or reopen, and the tables of what a user sees.

Every action runs in the button's callback, so the page that reruns after it already shows the new state; its
outcome (done, or the bilingual refusal) is kept for that rerun and shown by `flash`. The loop decides who may
do what (loop/instructions.py); these widgets only offer what the signed-in user's role can do.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html

import pandas as pd
import streamlit as st

from etl.contracts import departments
from loop import instructions as ins
from loop.store import LoopError
from report import labels
from settings import data_dir
from ui import auth, data, widgets
from ui import format as fmt
from ui.format import md_escape as md
from warehouse.queries import gaps as gq
from warehouse.queries import matching as mq
from warehouse.queries import targets as tq

_FLASH = "instructions_flash"
DUE_DAYS = 14  # the due date a new instruction starts with
TABLE = ["instruction", "figure_kind", "department", "due_date", "status", "instruction_text", "latest_answer",
         "issued_by"]
HISTORY = ["at", "user", "role", "action_label", "detail"]


def _user() -> dict:
    return auth.current_user() or {}


def may_issue() -> bool:
    """Whether the signed-in user's role issues instructions (their scope is checked on each one)."""
    return _user().get("role") in ins.ISSUERS


def department_only() -> str | None:
    """A department officer sees their own department's instructions only (no department set: none)."""
    u = _user()
    return (u.get("department") or "（无部门）") if u.get("role") == "dept_officer" else None


def visible(today: dt.date | None = None) -> pd.DataFrame:
    """The instructions the signed-in user sees (loop.instructions.table), newest first."""
    return ins.table(data_dir(), _user().get("scope") or [], today, department=department_only())


def history() -> pd.DataFrame:
    """Every event of the instructions the signed-in user sees, newest first, with Chinese headers."""
    df = ins.history(data_dir(), _user().get("scope") or [], department=department_only())
    return _history_shown(df, ["instruction", *HISTORY])


def _history_shown(df: pd.DataFrame, columns: list[str] = HISTORY) -> pd.DataFrame:
    df = df.assign(at=[fmt.beijing(t) for t in df["at"]], role=[fmt.role_zh(r) for r in df["role"]])
    return labels.chinese(df.iloc[::-1], columns, named=ins.COLUMN_LABELS)  # newest first


def shown(df: pd.DataFrame) -> pd.DataFrame:
    """A table of instructions with Chinese headers; an overdue one reads 逾期."""
    out = df.assign(status=[f"{s}（{ins.OVERDUE}）" if o else s for s, o in zip(df["status"], df["is_overdue"])])
    return labels.chinese(out, TABLE, named=ins.COLUMN_LABELS)


def overview_html(df: pd.DataFrame, limit: int = 2) -> str:
    """总览's line on the open instructions (loop.instructions.open_table): how many, how many overdue, the
    soonest due with their department and state; "" when none is open (the screen keeps its room)."""
    if df.empty:
        return ""
    late = int(df["is_overdue"].sum())
    items = "；".join(f"{html.escape(str(r['instruction']))}（{html.escape(str(r['department']))}，{r['due_date']}，"
                     f"{html.escape(str(r['status']))}）" for r in df.head(limit).to_dict("records"))
    more = f"等 {len(df)} 条" if len(df) > limit else ""
    tag = f'<span class="ov-tag" style="background:#f6c9c3">{late} 条逾期</span>' if late else ""
    return (f'<p class="ov-more" id="ov-instructions"><b>领导批示</b> {len(df)} 条未办结{tag}：{items}{more}，'
            f'见“领导批示”页。</p>')


def overview(scope) -> None:
    """总览's line on the open instructions in `scope` (nothing at all when none is open)."""
    line = overview_html(ins.open_table(data_dir(), scope))
    if line:
        st.html(line)


def counts(df: pd.DataFrame) -> None:
    """Four figures: awaiting an answer, answered, overdue, closed."""
    cols = st.columns(4)
    for col, (label, n) in zip(cols, ((ins.ISSUED, (df["status"] == ins.ISSUED).sum()),
                                      (ins.ANSWERED, (df["status"] == ins.ANSWERED).sum()),
                                      (ins.OVERDUE, df["is_overdue"].sum()),
                                      (ins.CLOSED, (df["status"] == ins.CLOSED).sum()))):
        col.metric(label, int(n))


def flash() -> None:
    """The outcome of the last action (kept across the rerun that follows it)."""
    done = st.session_state.pop(_FLASH, None)
    if done:
        (st.success if done[0] else st.error)(done[1])


def _act(fn, done: str, *clear: str) -> None:
    u = _user()
    try:
        fn({"user": u.get("username"), "role": u.get("role"), "scope": list(u.get("scope") or [])})
    except LoopError as e:
        st.session_state[_FLASH] = (False, str(e))
        return
    for k in clear:
        st.session_state.pop(k, None)
    st.session_state[_FLASH] = (True, done)


# ---- issue --------------------------------------------------------------------------------------------
def department_names() -> list[str]:
    """The canonical department names, in config/departments.csv's order."""
    return list(dict.fromkeys(departments().values()))


def figure_options(wh, scope) -> pd.DataFrame:
    """The figures an instruction may attach to, read through the door as the pages read them."""
    return ins.options(wh.query(tq.indicator_status, scope), wh.query(gq.standards, scope),
                       wh.query(mq.checks, scope), wh.query(tq.plans, scope))


def region_options(wh, scope) -> dict[str, str]:
    """code → name: the user's whole area (when one code names it) and its counties (a county's streets)."""
    deployment = wh.deployment(scope)
    whole = widgets.whole_code(deployment, scope)
    out = {whole: widgets.whole_label(deployment, scope)} if whole else {}
    return out | widgets.area_names(wh.counties(scope))


def _issue_fields(k: str, department: str, to: str) -> None:
    """Department (its box keyed `to`, so each figure starts at its own department), due date and text."""
    names = department_names()
    st.selectbox("承办部门", names, index=names.index(department) if department in names else None,
                 placeholder="选择承办部门", key=to)
    st.date_input("办理期限", value=dt.date.today() + dt.timedelta(days=DUE_DAYS), min_value=dt.date.today(),
                  key=f"{k}_due")
    st.text_area("批示内容", key=f"{k}_text", max_chars=500, placeholder="不得填写姓名、身份证号",
                 help="批示对象是数字而非个人：请写明要求，不要写儿童的姓名或身份证号。")


def _issue(k: str, to: str, figure: str, key: str, region: str, label: str) -> None:
    s = st.session_state
    _act(lambda who: ins.issue(data_dir(), figure, key, region, s.get(to) or "", s.get(f"{k}_due"),
                               s.get(f"{k}_text") or "", label=label, **who),
         f"已下达批示：{label}", f"{k}_text")


def issue_form(wh, scope, k: str = "ins_new") -> None:
    """The full form: choose the kind of figure, the figure, the region, then department, due date and text."""
    kind = st.radio("批示对象", list(ins.FIGURES), format_func=ins.FIGURES.get, horizontal=True, key=f"{k}_kind")
    opts = figure_options(wh, scope)
    opts = opts[opts["figure"] == kind]
    labels = dict(zip(opts["key"], opts["label"]))
    key = st.selectbox(ins.FIGURES[kind], list(labels), format_func=labels.get, index=None,
                       placeholder=f"选择{ins.FIGURES[kind]}", key=f"{k}_{kind}_key")
    regions = region_options(wh, scope)
    region = st.selectbox("所涉区域", list(regions), format_func=regions.get, key=f"{k}_region")
    default = opts.set_index("key").at[key, "department"] if key in labels else ""
    to = f"{k}_to_{kind}_{key}"
    _issue_fields(k, default, to)
    label = f"{labels[key]} · {regions[region]}" if key in labels and region in regions else ""
    st.button("下达批示", key=f"{k}_go", type="primary", disabled=not label, on_click=_issue,
              args=(k, to, kind, key, region, label))


def attach(kind: str, key, region_code: str | None, label: str, department: str = "") -> None:
    """Beside a figure on another page: how many instructions on this figure and region are open and, for the
    roles that issue, a popover with the issue form. kind: target | gap | worklist; key: as
    loop.instructions.figure_key takes it (a target: (plan_id, measure_no, indicator)); region_code: the
    area the page shows (None: the user's whole area); label: the figure's name (the region's is added);
    department: the one it goes to by default (a target's or a check's department)."""
    fkey = ins.figure_key(kind, key)
    wh, scope = data.warehouse(), data.user_scope()
    regions = region_options(wh, scope)
    if region_code is None:
        region_code = next(iter(regions), None)
        if region_code is None:  # a scope no one code names: nothing to attach to
            return
    region = ins.region_code(region_code)
    name = f"{label} · {regions.get(region_code) or regions.get(region) or region}"
    items = visible()
    here = items[(items["figure"] == kind) & (items["figure_key"] == fkey) & (items["region_code"] == region)
                 & (items["status"] != ins.CLOSED)]
    k = "ins_" + hashlib.sha1(f"{kind}|{fkey}|{region}".encode()).hexdigest()[:10]
    if not here.empty:
        st.caption(f"本项有 {len(here)} 条领导批示办理中（见“领导批示”页）。")
    if not may_issue():
        return
    with st.popover("领导批示", icon=":material/edit_note:"):
        st.markdown(f"**{md(name)}**")
        _issue_fields(k, department, f"{k}_to")
        st.button("下达批示", key=f"{k}_go", type="primary", on_click=_issue,
                  args=(k, f"{k}_to", kind, fkey, region, name))
    flash()


# ---- answer, close, reopen ----------------------------------------------------------------------------
def detail(item: dict) -> None:
    """One instruction: its text and answers, and the actions the signed-in user may take on it."""
    u = _user()
    role, scope = u.get("role"), u.get("scope") or []
    iid = item["instruction_id"]
    st.markdown(f"**{md(item['instruction'])}** · {ins.FIGURES.get(item['figure'], '')} · 承办：{md(item['department'])} · "
                f"期限 {item['due_date']} · {item['status']}{'（' + ins.OVERDUE + '）' if item['is_overdue'] else ''}")
    st.dataframe(_item_history(iid), hide_index=True, key=f"ins_hist_{iid}")
    if item["status"] != ins.CLOSED and ins.why_not_answer(item, role, scope, u.get("department", "")) is None:
        st.text_area("答复内容", key=f"ins_answer_{iid}", max_chars=500, placeholder="不得填写姓名、身份证号")
        st.button("提交答复", key=f"ins_answer_go_{iid}", type="primary", on_click=_answer, args=(iid,))
    if item["status"] != ins.ISSUED and ins.why_not_decide(item, role, scope) is None:
        st.text_area("意见（重开时必填）", key=f"ins_note_{iid}", max_chars=500)
        left, right = st.columns(2)
        if item["status"] == ins.ANSWERED:
            left.button("办结", key=f"ins_close_{iid}", type="primary", on_click=_decide, args=(iid, "close"))
        right.button("重开", key=f"ins_reopen_{iid}", on_click=_decide, args=(iid, "reopen"))


def _item_history(iid: str) -> pd.DataFrame:
    return _history_shown(ins.history(data_dir(), _user().get("scope") or [], department=department_only(),
                                      instruction_id=iid))


def _answer(iid: str) -> None:
    text = st.session_state.get(f"ins_answer_{iid}") or ""
    _act(lambda who: ins.answer(data_dir(), iid, text, department=_user().get("department", ""), **who),
         "已提交答复", f"ins_answer_{iid}")


def _decide(iid: str, action: str) -> None:
    note = st.session_state.get(f"ins_note_{iid}") or ""
    if action == "close":
        _act(lambda who: ins.close(data_dir(), iid, note=note, **who), "已办结", f"ins_note_{iid}")
    else:
        _act(lambda who: ins.reopen(data_dir(), iid, note, **who), "已重开，等待部门再次答复", f"ins_note_{iid}")

