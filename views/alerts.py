"""提醒与订阅: the signed-in user's alerts (their role and scope), mark as read, and their subscriptions."""

import streamlit as st

from ui import alerts

st.title("提醒与订阅")
st.caption("提醒按您的角色和辖区在每次数据构建后生成，同一情况只提醒一次，解除后再次出现时重新提醒。")
alerts.alerts_section()
alerts.subscriptions_section()
alerts.admin_section()
