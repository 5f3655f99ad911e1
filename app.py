"""童心 · 流动儿童关爱服务 — Streamlit entry point: page config, navigation, demo mark."""

import streamlit as st

from ui import data, widgets
from warehouse.queries import SnapshotNotFound

# No page_icon and no st.Page icons: Streamlit turns them into a favicon fetched from a font CDN,
# and the app must make no outside request (tests/test_browser.py checks).
st.set_page_config(layout="wide", page_title="童心 · 流动儿童关爱服务")

page = st.navigation(
    {
        "总览": [
            st.Page("views/overview.py", title="总览", default=True),
            st.Page("views/targets.py", title="目标进展", url_path="targets"),
        ],
        "分布与缺口": [
            st.Page("views/map.py", title="流动儿童分布", url_path="map"),
            st.Page("views/gaps.py", title="服务缺口", url_path="gaps"),
        ],
        "重点儿童与比对": [
            st.Page("views/key_children.py", title="重点儿童", url_path="key_children"),
            st.Page("views/matching.py", title="数据比对", url_path="matching"),
        ],
        "妇联": [
            st.Page("views/volunteers.py", title="志愿服务", url_path="volunteers"),
            st.Page("views/upload.py", title="数据上传", url_path="upload"),
        ],
        "数据": [
            st.Page("views/data_quality.py", title="数据质量", url_path="data_quality"),
        ],
    },
)

st.sidebar.markdown("### 童心 · 流动儿童关爱服务")
try:
    warehouse = data.warehouse()
except SnapshotNotFound as error:
    widgets.no_snapshot(error)
    st.stop()

widgets.demo_banner(warehouse.info)
widgets.snapshot_caption(warehouse.info)
page.run()
