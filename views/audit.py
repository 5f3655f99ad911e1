"""审计日志: who signed in, opened a child's file, exported or uploaded what, when and in which scope."""

import streamlit as st

from auth import audit
from etl.contracts import sources
from report import export
from ui import auth
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


st.title("审计日志")
st.caption("只追加的记录（数据目录 audit/audit.jsonl）：登录、登录失败与锁定、查看儿童档案、导出、上传、拒绝访问、用户管理。"
           "记录中不含儿童姓名或身份证号。时间为北京时间（UTC+8）。")

events = audit.events()
left, mid, right = st.columns([2, 2, 1])
actions = left.multiselect("操作", list(audit.ACTIONS), format_func=audit.ACTIONS.get, key="audit_actions",
                           placeholder="全部操作")
who = mid.text_input("用户", key="audit_user", placeholder="输入用户名的一部分").strip()
limit = right.number_input("显示条数", 50, 5000, 500, step=50, key="audit_limit")
shown = events
if actions:
    shown = shown[shown["action"].isin(actions)]
if who:
    shown = shown[shown["user"].str.contains(who, regex=False)]

screen = shown.head(int(limit)).assign(
    at=lambda d: d["at"].map(fmt.beijing), role=lambda d: d["role"].map(fmt.role_zh),
    what=lambda d: d["what"].map(_what_zh), action_label=lambda d: d["action_label"].map(fmt.dash),
    detail=lambda d: d["detail"].map(_detail_zh))
st.dataframe(
    screen, hide_index=True, width="stretch",
    column_order=["at", "user", "role", "action_label", "what", "scope", "ok", "detail"],
    column_config={"at": "时间（北京时间）", "user": "用户", "role": "角色", "action_label": "操作", "what": "对象",
                   "scope": "范围", "ok": st.column_config.CheckboxColumn("成功"), "detail": "说明"},
)
st.caption(f"共 {fmt.count(len(events))} 条，筛选后 {fmt.count(len(shown))} 条。")
# The export keeps the log's own fields (UTC with its offset, role keys, as `python -m auth audit --csv`
# writes them) for audit tools, with Beijing time and the Chinese role beside them for readers.
csv = shown.drop(columns=["action_label"]).assign(at_beijing=shown["at"].map(fmt.beijing),
                                                  role_zh=shown["role"].map(fmt.role_zh))
auth.download_button("导出审计日志（CSV）", export.to_csv_bytes(csv), "审计日志.csv",
                     what="审计日志", mime="text/csv", key="audit_csv")
