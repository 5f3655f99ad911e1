"""审计日志: who signed in, opened a child's file, exported or uploaded what, when and in which scope."""

import streamlit as st

from auth import audit
from report import export, labels
from ui import auditlog, auth
from ui import format as fmt

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

screen = auditlog.for_screen(shown.head(int(limit)))
AUDIT_COLUMNS = ["at", "user", "role", "action_label", "what", "scope", "ok", "detail"]
st.dataframe(
    screen, hide_index=True, width="stretch",
    column_order=AUDIT_COLUMNS,
    column_config=labels.headers(AUDIT_COLUMNS) | {"ok": st.column_config.CheckboxColumn(labels.label("ok"))},
)
st.caption(f"共 {fmt.count(len(events))} 条，筛选后 {fmt.count(len(shown))} 条。")
auth.download_button("导出审计日志（CSV）", export.to_csv_bytes(auditlog.for_export(shown)), "审计日志.csv",
                     what="审计日志", mime="text/csv", key="audit_csv")
