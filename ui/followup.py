"""督办 page helpers: the follow-up state read through the door, its counts, a queue and its actions.

The items come from the published snapshot (catalogue followup/keys, keys only) and the loop folds its events
over them (loop.followup). The keys are read on the server with the user's regions for every role — the fold
needs them for the counts and a county officer's bulk assignment — and no row of them reaches a page:
counts go back through the door (followup/by_street, by_department, by_county), where the scope and the
small-number rule apply; only case roles (case_worker, admin, dept_officer) get the masked items of their queue.
"""
from __future__ import annotations

import datetime as dt
import html

import duckdb
import numpy as np
import pandas as pd
import streamlit as st

from auth.roles import ROLES
from etl.contracts import departments
from loop import followup as fu
from loop.store import LoopError
from report import labels as column_labels
from settings import data_dir
from ui.format import md_escape
from warehouse import queries as q
from warehouse.queries import privacy

STATUS_COLUMNS = {"pending": fu.PENDING, "working": fu.WORKING, "recurred": fu.RELAPSE, "done": fu.DONE,
                  "not_needed": fu.NOT_NEEDED, "overdue": "逾期", "referred_in": "待接收"}
FLASH = "followup_flash"


# ---- reads (no Streamlit: the CLI and the meeting pack call these too) ------------------------------
def listed(con: duckdb.DuckDBPyConnection, scope: q.Scope) -> pd.DataFrame:
    """The items the snapshot lists in the scope's regions, by keys only: for the fold, never for display."""
    if scope.is_empty:
        return pd.DataFrame(columns=fu.LISTED)
    return q.run("followup/keys", con, q.Scope(scope.prefixes, exact=True))


def state(con: duckdb.DuckDBPyConnection, scope: q.Scope, today: dt.date | None = None,
          root=None) -> pd.DataFrame:
    """Every item in the scope (listed now or acted on) with its status: loop.followup.COLUMNS."""
    return fu.state(data_dir(root), listed(con, scope), today, scope.prefixes)


def read_listed(root, prefixes: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """The published snapshot's items in the regions given (the CLI's reader): opens and closes it."""
    scope = q.Scope.everything(exact=True) if "" in prefixes else q.Scope.of(*prefixes, exact=True)
    con = q.connect(q.current_snapshot_path(root))
    try:
        return listed(con, scope)
    finally:
        con.close()


# Column-wise, not row by row: a city's worklists at province scale are ~700k items, on every rerun.
def _regions(df: pd.DataFrame) -> list[str]:
    street, county = df["street_code"].fillna("").astype(str), df["county_code"].fillna("").astype(str)
    return street.where(street != "", county).tolist()


def _flags(mask: pd.Series) -> list[str]:
    return np.where(mask.astype(bool).to_numpy(), "1", "0").tolist()


def by_street(con, scope: q.Scope, df: pd.DataFrame) -> pd.DataFrame:
    """Items per street by status and overdue (small counts marked for roles without case access)."""
    return q.run("followup/by_street", con, scope, _regions(df), list(df["status"]), _flags(df["is_overdue"]))


def by_department(con, scope: q.Scope, df: pd.DataFrame) -> pd.DataFrame:
    """Items per assigned department by status and overdue, and the referrals waiting for each department."""
    who = [("儿童主任" if k == fu.DIRECTOR else a) for k, a in zip(df["assignee_kind"], df["assignee"])]
    return q.run("followup/by_department", con, scope, _regions(df), who, list(df["status"]),
                 _flags(df["is_overdue"]), list(df["referral_to"]))


def county_counts(con, scope: q.Scope, df: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Per county of the items `df` (state): open items, open past due, closed this month (county_code,
    county_name, open, overdue, closed_month, with *_label columns where the small-number rule applies)."""
    closed = df["status"].isin(fu.OUTCOMES) & df["last_at"].str.startswith(today.isoformat()[:7])
    return q.run("followup/by_county", con, scope, _regions(df), _flags(df["status"].isin(fu.OPEN)),
                 _flags(df["is_overdue"]), _flags(closed))


def county_summary(con, scope: q.Scope, today: dt.date | None = None, root=None) -> pd.DataFrame:
    """county_counts of the scope's items today: for the meeting pack and the command line (the pages read
    the same through ui.data, cached)."""
    today = today or dt.date.today()
    return county_counts(con, scope, state(con, scope, today, root), today)


COUNTY_COLUMNS = {"county_name": "区县", "open": "未办结", "overdue": "逾期", "closed_month": "本月办结"}


def county_table(summary: pd.DataFrame) -> pd.DataFrame:
    """county_summary for display: 区县, 未办结, 逾期, 本月办结, each count as its label (<5 where marked)."""
    out = summary[["county_name"]].rename(columns=COUNTY_COLUMNS)
    for c in ("open", "overdue", "closed_month"):
        out[COUNTY_COLUMNS[c]] = summary[f"{c}_label"] if f"{c}_label" in summary else summary[c].astype(str)
    return out


def overview_html(table: pd.DataFrame, limit: int = 3) -> str:
    """总览's line on follow-up per county (county_table: 区县, 未办结, 逾期, 本月办结, as labels): one line, so
    the page stays one screen; "" when nothing is listed."""
    if table.empty:
        return ""
    items = "；".join(f"{html.escape(str(r['区县']))} 未办结 {html.escape(str(r['未办结']))}、逾期 "
                     f"{html.escape(str(r['逾期']))}、本月办结 {html.escape(str(r['本月办结']))}"
                     for r in table.head(limit).to_dict("records"))
    more = f"；另有 {len(table) - limit} 个区县" if len(table) > limit else ""
    return f'<p class="ov-more" id="ov-followup"><b>督办</b> {items}{more}，见“督办”页。</p>'


def overview(summary: pd.DataFrame) -> None:
    """总览's follow-up line (county_counts: through the door, "<5" where the rule hides them)."""
    line = overview_html(county_table(summary))
    if line:
        st.html(line)


LIST_LIMIT = 5000  # as every child list of the app (warehouse.queries.ledger.LIST_LIMIT)


def masked(con, scope: q.Scope, keys: list[str], check: str | None = None) -> pd.DataFrame:
    """The masked rows of the given items (case roles only: the door refuses others)."""
    return q.run("followup/items", con, scope, check, keys=sorted(set(keys)) or ["-"], limit=LIST_LIMIT)


# ---- page sections -----------------------------------------------------------------------------------
def labelled(df: pd.DataFrame, first: dict[str, str]) -> pd.DataFrame:
    """A count table for the page: each count's label (the small-number mark where it applies), in Chinese."""
    out = df[list(first)].rename(columns=first)
    for c, zh in STATUS_COLUMNS.items():
        if c in df:
            out[zh] = df[f"{c}_label"] if f"{c}_label" in df else df[c].astype(str)
    return out


def counts(df: pd.DataFrame, streets: pd.DataFrame, depts: pd.DataFrame) -> None:
    """The items `df` (state) counted by street and by department (by_street, by_department)."""
    if df.empty:
        st.info("所选范围内暂无督办事项。")
        return
    # The department table has one column more (待接收): a laptop's half page would cut it.
    left, right = st.columns([7, 8], gap="small")
    with left:
        st.subheader("按街道")
        st.dataframe(labelled(streets, {"street_name": "街道"}), hide_index=True)
    with right:
        st.subheader("按部门")
        st.dataframe(labelled(depts, {"department": "部门"}), hide_index=True)


def flash() -> None:
    msg = st.session_state.pop(FLASH, None)
    if msg:
        st.success(msg)


def _label(r: dict) -> str:
    """An item in the queue's select box; its status is in the table (a box keeps the text it showed)."""
    return f"{r.get('masked_name') or '（已不在名单）'} · {r.get('check_label') or r['check_code']} · " \
           f"{r.get('street_name') or r['street_code']}"


VIEWS = {"open": "未办结", "all": "全部"} | {s: s for s in fu.STATUSES}


def shown_queue(df: pd.DataFrame, role: str, department: str, check: str | None, view: str = "open") -> pd.DataFrame:
    """The rows of a user's queue the page lists: one check, and the open ones (a referral waiting counts as
    open), all, or one status."""
    mine = fu.queue(df, role, department)
    mine = mine[mine["check_code"] == check] if check else mine
    if view == "open":
        return mine[mine["status"].isin(fu.OPEN) | (mine["referral_to"] != "")].reset_index(drop=True)
    return mine.reset_index(drop=True) if view == "all" else mine[mine["status"] == view].reset_index(drop=True)


def queue(con, scope: q.Scope, df: pd.DataFrame, user: dict, labels: dict[str, str], root=None) -> None:
    """The user's queue (masked), by check and status; one item's history and the actions their role allows
    on it. labels: check code → its name (matching.checks; the overdue visit's is added here)."""
    role, dept = user.get("role", ""), user.get("department", "")
    labels = labels | {fu.VISIT_CHECK: fu.VISIT_LABEL}
    mine = fu.queue(df, role, dept)
    if mine.empty:
        st.info("暂无需要您办理的事项。")
        return
    left, right = st.columns(2)
    codes = sorted(mine["check_code"].unique(), key=lambda c: labels.get(c, c))
    check = left.selectbox("事项", codes, format_func=lambda c: labels.get(c, c), key="fu_check")
    view = right.selectbox("状态", list(VIEWS), format_func=VIEWS.get, key="fu_view")
    mine = shown_queue(df, role, dept, check, view)
    if mine.empty:
        st.info("没有符合条件的事项。")
        return
    if len(mine) > LIST_LIMIT:
        st.caption(f"共 {len(mine)} 项，列出前 {LIST_LIMIT} 项；请按状态筛选。")
        mine = mine.iloc[:LIST_LIMIT]
    rows = mine.merge(masked(con, scope, list(mine["person_key"]), check).drop(columns=["street_code"]),
                      on=["person_key", "check_code"], how="left")
    shown = column_labels.chinese(rows.rename(columns={"reason": "followup_reason"}), [
        "masked_name", "masked_id", "street_name", "status", "assignee", "due", "referral_to", "followup_reason"])
    st.dataframe(shown.fillna(""), hide_index=True, height=min(300, 38 + 35 * len(shown)))
    records = rows.to_dict("records")
    i = st.selectbox("选择事项", range(len(records)), format_func=lambda k: _label(records[k]), key="fu_item")
    item = records[i]
    hist = fu.history(data_dir(root), item["person_key"], item["check_code"])
    with st.expander("办理记录", expanded=False):
        st.dataframe(column_labels.chinese(hist, ["at", "user", "action_zh", "detail"]), hide_index=True)
    may = fu.allowed(item, role, dept, scope.prefixes)
    if not may:
        st.caption("该事项当前没有您可做的操作。")
        return
    action = st.selectbox("操作", may, format_func=fu.ACTIONS.get, key="fu_action")
    kw = _action_fields(action, item)
    if st.button("提交", key="fu_submit", type="primary"):
        try:
            fu.act(data_dir(root), action, item, user=user["username"], role=role, scope=scope.prefixes,
                   department=dept, **kw)
        except LoopError as e:
            st.error(md_escape(str(e)))
            return
        done = kw["outcome"] if action == "close" else f"已{fu.ACTIONS[action]}"
        st.session_state[FLASH] = md_escape(f"{done}：{_label(item)}")
        st.rerun()


def _departments() -> list[str]:
    return sorted(set(departments().values()))


def _action_fields(action: str, item: dict) -> dict:
    if action == "assign":
        kind = st.radio("指派给", [fu.DEPARTMENT, fu.DIRECTOR], horizontal=True, key="fu_kind",
                        format_func={fu.DEPARTMENT: "部门", fu.DIRECTOR: "儿童主任（编号）"}.get)
        if kind == fu.DEPARTMENT:
            depts = _departments()
            pre = item.get("check_department") or ""
            to = st.selectbox("部门", depts, index=depts.index(pre) if pre in depts else 0, key="fu_to")
        else:
            to = st.text_input("儿童主任编号", value=item.get("director_id") or "", key="fu_director")
        due = st.date_input("期限", value=dt.date.today() + dt.timedelta(days=30), key="fu_due")
        return {"to": to, "to_kind": kind, "due": due}
    if action == "close":
        return {"outcome": st.radio("结果", list(fu.OUTCOMES), horizontal=True, key="fu_outcome"),
                "reason": st.text_input("办结说明（不填姓名、身份证号）", key="fu_reason")}
    if action == "refer":
        depts = [d for d in _departments() if d != item.get("assignee")]
        return {"to": st.selectbox("转办至", depts, key="fu_refer_to"),
                "reason": st.text_input("转办说明（选填）", key="fu_refer_reason")}
    if action == "return":
        return {"reason": st.text_input("退回原因", key="fu_return_reason")}
    if action == "note":
        return {"note": st.text_input("备注（不填姓名、身份证号）", key="fu_note")}
    return {}


def bulk(con, scope: q.Scope, checks: pd.DataFrame, counties: pd.DataFrame, streets: pd.DataFrame, user: dict,
         root=None) -> None:
    """Assign a check in a county or a street to a department, without showing any child. counties:
    (county_code, county_name) as the region selectors get them; streets: followup/by_street's rows."""
    labels = dict(zip(checks["check_code"], checks["check_label"])) | {fu.VISIT_CHECK: fu.VISIT_LABEL}
    check = st.selectbox("事项", list(labels), format_func=labels.get, key="fu_bulk_check")
    areas = {str(c)[:6]: f"{n}（全区县）" for c, n in zip(counties["county_code"], counties["county_name"])
             if fu.in_scope(str(c)[:6], scope.prefixes)}
    for code, name in sorted(zip(streets["street_code"].str[:9], streets["street_name"])):
        areas[code] = f"{areas.get(code[:6], code[:6]).removesuffix('（全区县）')} {name}"
    area = st.selectbox("区域", list(areas), format_func=areas.get, key="fu_bulk_area")
    depts = _departments()
    pre = checks.loc[checks["check_code"] == check, "department"]
    default = pre.iloc[0] if len(pre) and pre.iloc[0] in depts else "民政局"
    to = st.selectbox("指派给部门", depts, index=depts.index(default), key="fu_bulk_to")
    due = st.date_input("期限", value=dt.date.today() + dt.timedelta(days=30), key="fu_bulk_due")
    if st.button("批量指派", key="fu_bulk_go", type="primary"):
        try:
            n = fu.bulk_assign(data_dir(root), listed(con, scope), check, area, to=to, due=due,
                               user=user["username"], role=user["role"], scope=scope.prefixes,
                               department=user.get("department", ""))
        except LoopError as e:
            st.error(md_escape(str(e)))
            return
        t = privacy.threshold()
        shown = str(n) if scope.exact or n == 0 or n >= t else privacy.mark(t)
        st.session_state[FLASH] = md_escape(f"已将“{labels[check]}”（{areas[area]}）的未指派事项指派给{to}：{shown} 项")
        st.rerun()


def role_label(role: str) -> str:
    return ROLES[role].label if role in ROLES else role
