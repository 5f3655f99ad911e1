"""领导批示: leaders' instructions on figures, addressed to departments — issue, answer, close or reopen, history."""

import streamlit as st

from loop import instructions as ins
from ui import data
from ui import instructions as ui

wh = data.warehouse()
scope = data.user_scope()

st.title("领导批示")
st.caption("领导就目标、区县服务缺口或比对名单的数字下达批示，指定承办部门和办理期限；承办部门答复后由领导办结或重开。"
           "批示只针对数字，不含任何儿童的个人信息。")
ui.flash()

items = ui.visible()
ui.counts(items)

if ui.may_issue():
    with st.expander("下达批示", expanded=items.empty, icon=":material/edit_note:"):
        ui.issue_form(wh, scope)

tab_open, tab_closed, tab_history = st.tabs(["办理中", "已办结", "全部记录"])
open_items = items[items["status"] != ins.CLOSED]
closed = items[items["status"] == ins.CLOSED]
with tab_open:
    if open_items.empty:
        st.info("暂无办理中的批示。")
    else:
        st.dataframe(ui.shown(open_items), hide_index=True, key="ins_open")
with tab_closed:
    if closed.empty:
        st.info("暂无已办结的批示。")
    else:
        st.dataframe(ui.shown(closed), hide_index=True, key="ins_closed")
with tab_history:
    st.dataframe(ui.history(), hide_index=True, key="ins_history")

if not items.empty:
    st.subheader("办理")
    ordered = list(open_items["instruction_id"]) + list(closed["instruction_id"])
    by_id = items.set_index("instruction_id", drop=False)
    names = {i: f"{by_id.at[i, 'status']} · {by_id.at[i, 'instruction']} → {by_id.at[i, 'department']}（{by_id.at[i, 'due_date']}）"
             for i in ordered}
    pick = st.selectbox("选择批示", ordered, format_func=names.get, key="ins_pick")
    if pick in names:
        ui.detail(by_id.loc[pick].to_dict())
