"""总览: headline figures, children by area and age band, key children by risk level, county table."""

import streamlit as st

from ui import charts, data, widgets
from ui import format as fmt

wh = data.warehouse()
user_scope = data.user_scope()

st.title("总览")

periods = wh.periods()
left, right, _ = st.columns([1, 1, 2])
with left:
    period = widgets.period_selector(periods)
with right:
    county = widgets.region_selector(wh.counties(user_scope))
if period is None:
    st.info("尚无流动儿童监测摸排台账数据。")
    st.stop()

scope = user_scope.narrow(county)
previous = wh.previous_period(period)

widgets.kpi_cards(wh.headline(scope, period), previous)

chart_left, chart_right = st.columns([3, 2], gap="large")
with chart_left:
    by = "street" if county else "county"
    st.subheader("分街道、分年龄段儿童数" if county else "分区县、分年龄段儿童数")
    category = st.segmented_control(
        "儿童类别", ["全部", "流动儿童", "留守儿童"], default="全部", required=True, key="category",
        label_visibility="collapsed",
    )
    by_age = wh.children_by_age(scope, period, by)
    if by_age.empty:
        st.info("所选范围内暂无数据。")
    else:
        figure = charts.children_by_age(by_age, None if category == "全部" else category)
        st.plotly_chart(figure, theme=None, key="chart_age")
with chart_right:
    st.subheader("重点对象风险等级")
    risk = wh.key_children_by_risk(scope, period)
    if risk.empty:
        st.info("所选范围内暂无重点对象数据。")
    else:
        st.plotly_chart(charts.key_children_by_risk(risk), theme=None, key="chart_risk")
        if previous:
            st.caption(f"柱上为{fmt.period_label(period)}人数；悬停查看与{fmt.period_label(previous)}相比的变化。")

st.subheader("分区县情况")
widgets.county_table(wh.county_summary(scope, period))
