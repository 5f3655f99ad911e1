"""数据确认: each landing in force, per source × period × county in the user's scope — its status, the actions
the user's role and scope allow (config/signoff.csv), and its history. State and rules: loop.signoff."""

import streamlit as st

from loop import signoff
from ui import auth, data
from ui import signoff as us
from warehouse.queries import SnapshotNotFound

scope = data.user_scope()
role = (auth.current_user() or {}).get("role", "")
try:
    names = us.county_names(data.warehouse(), scope)
except SnapshotNotFound:  # sign-off works on landed files; names wait for the first build
    names = {}

st.title("数据确认")
st.caption("每次导入按数据源、统计期、区县确认：先由区县确认，再由市级确认（两级须为不同用户）；退回须说明原因。"
           "新的导入会使该区县重新进入“待确认”。领导页面上依据未经市级确认数据的数字标有“未确认”。")
us.show_message()

everything = signoff.status(None, scope=us.prefixes(scope))
c1, c2, c3 = st.columns(3)
with c1:
    source = st.selectbox("数据源", [us.ALL, *sorted(set(everything["source"]))], key="so_source",
                          format_func=lambda s: s if s == us.ALL else signoff.source_label(s))
with c2:
    period = st.selectbox("统计期", [us.ALL, *sorted(set(everything["period"]), reverse=True)], key="so_period")
with c3:
    state = st.selectbox("状态", [us.ALL, *us.STATUS_ORDER], key="so_status")
rows = us.status_rows(scope, source, period, state)
counts = rows["status"].value_counts()
st.caption("；".join(f"{s} {int(counts[s])} 项" for s in us.STATUS_ORDER if counts.get(s, 0)) or "没有符合条件的导入。")
st.dataframe(us.status_table(rows, names), hide_index=True, key="so_table")
if rows.empty:
    st.stop()

records = rows.to_dict("records")
pick = st.selectbox("选择一项，进行确认、退回或查看记录", range(len(records)), key="so_row",
                    format_func=lambda i: us.row_label(records[i], names))
r = records[pick]
st.subheader("操作", anchor=False)
if not r["required"]:
    st.info("该数据源无需确认（config/signoff.csv）。")
else:
    levels = [lv for lv in signoff.LEVELS if us.may_act(role, r["source"], lv)]
    if not levels:
        st.info("您的角色不能确认这一数据源。")
    cols = st.columns(3)
    for col, level in zip(cols, levels):
        col.button(f"{signoff.LEVELS[level]}确认", key=f"so_confirm_{level}", on_click=us.act,
                   args=("confirm", r, level), type="primary" if level == levels[0] else "secondary")
    if levels:
        st.text_input("退回原因（必填；不得填写姓名、身份证号）", key="so_reason", max_chars=200)
        st.button("退回", key="so_return", on_click=us.act, args=("return", r, None))
st.subheader("记录", anchor=False)
history = us.history_table(r)
if history.empty:
    st.caption("这一导入尚无确认或退回记录。")
else:
    st.dataframe(history, hide_index=True, key="so_history")
