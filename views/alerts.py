"""Placeholder while the page is built: says so, shows nothing."""

import streamlit as st

st.info("本页正在建设中 / this page is being built")
