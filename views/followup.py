"""督办: follow-up of the matching worklists and overdue key-child visits — counts by street and department,
the signed-in user's queue with the actions their role allows, bulk assignment for county and data officers."""

import datetime as dt

import streamlit as st

from loop import followup as fu
from ui import auth, data
from ui import followup as uf
from ui.format import md_escape
from warehouse.queries import matching

wh = data.warehouse()
scope = data.user_scope()
user = auth.current_user() or {}
role = user.get("role", "")

st.title("督办")
st.caption("比对工作名单中的儿童和走访逾期的重点儿童，逐项指派、转办、办结；状态保存在快照之外，重建数据不影响。"
           "复发：已办结的事项在下一期数据中再次出现。")
uf.flash()

today = dt.date.today()
state = wh.followup_state(scope, today)
streets = wh.followup_counts("street", scope, today)
uf.counts(state, streets, wh.followup_counts("department", scope, today))
checks = wh.query(matching.checks, scope)

if role in fu.CASE_ROLES + fu.DEPT_ROLES:
    st.subheader("我的待办" if role in fu.DEPT_ROLES else "督办事项")
    if role in fu.DEPT_ROLES:
        st.caption(f"指派或转办给{md_escape(user.get('department') or '（未设部门）')}的事项；个人信息已脱敏。")
    uf.queue(wh.con, scope, state, user, dict(zip(checks["check_code"], checks["check_label"])))

if role in fu.BULK_ROLES and role not in fu.CASE_ROLES:
    st.subheader("批量指派")
    st.caption("把一个区域内某一事项的全部未指派儿童交给一个部门：不显示名单，只显示指派数量。")
    uf.bulk(wh.con, scope, checks, wh.counties(scope), streets, user)
