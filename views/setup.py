"""上线检查: for administrators and data officers — where the deployment stands and what to land next."""

import streamlit as st

from ui import data
from ui import setup as us

wh = data.warehouse()
scope = data.user_scope()

st.title("上线检查")
st.caption("从空服务器到第一次会议看板：初始化与密钥 → 区划代码表 → 边界 → 用户 → 各部门数据。"
           "本页按您的管辖区域检查已导入的内容，并给出下一步。")
if scope.is_empty:
    st.error("您的账户没有管辖区域，无法检查 / your account has no area.")
    st.stop()
state = us.gather(wh, scope)
us.render_checklist(state)
us.render_regions(state)
us.render_boundaries(state)
us.render_key(state)
us.render_users(state)
us.render_extracts(state)
us.render_changes(state)
