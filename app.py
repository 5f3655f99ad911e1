"""童心 · 流动儿童关爱服务 — Streamlit entry point: page config, sign-in, pages by role, demo mark."""

import streamlit as st

from auth import keys
from settings import key_available
from ui import alerts, auth, data, links, theme, widgets
from warehouse.queries import SnapshotNotFound

# No page_icon and no st.Page icons: Streamlit turns them into a favicon fetched from a font CDN,
# and the app must make no outside request (tests/test_browser.py checks).
st.set_page_config(layout="wide", page_title="童心 · 流动儿童关爱服务")

try:
    warehouse = data.warehouse()
except SnapshotNotFound as error:
    widgets.no_snapshot(error)
    st.stop()
if not warehouse.info.is_demo and not key_available():
    st.error(keys.MISSING)
    st.stop()

widgets.demo_banner(warehouse.info)
auth.gate(warehouse.info.is_demo)  # stops with the sign-in form unless someone is signed in
page = auth.navigation()  # only the role's pages; any other URL is an audited refusal

st.sidebar.markdown("### 童心 · 流动儿童关爱服务")
auth.sidebar_user()
alerts.sidebar_badge()  # 未读提醒 N 条 → 提醒与订阅
widgets.snapshot_caption(warehouse.info)
links.copy_link()  # the page's filters redraw it as they write themselves into the URL
theme.style()  # every page's screen CSS (phone and laptop layouts), once
page.run()
