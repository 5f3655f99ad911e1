"""目标进展: action-plan targets — tree with traffic lights, indicator charts, departments, phases, export."""

import streamlit as st

from report import labels
from ui import auth, data, empty, links, widgets
from ui import instructions as ui_ins
from ui import signoff as us
from ui import targets as ut
from ui.format import md_escape as md
from warehouse.queries import targets as tq

wh = data.warehouse()
scope = data.user_scope()

st.title("目标进展")

plans = wh.query(tq.plans, scope)
empty.needs(wh, ["plan_indicators", "progress_reports"], "目标进展")
if plans.empty:
    st.info("尚无行动计划目录。")
    st.stop()
names = dict(zip(plans["plan_id"], plans["plan_name"]))
left, mid, right = st.columns([3, 1, 1])
with left:
    plan_id = links.bound(st.selectbox, "行动计划", list(names), format_func=names.get, placeholder="选择行动计划",
                          key="plan", param="plan")
default_today = us.targets_default_date(wh, wh.periods(), scope)  # leaders start on confirmed data
with mid:
    today = links.bound_date("评估日期", value=default_today, key="today", param="date")
with right:
    county = widgets.region_selector(wh.counties(scope), key="county")
view = scope.narrow(county)
today_s = str(today) if today else None

status = wh.query(tq.indicator_status, view, plan_id, today_s)
status = status.assign(signoff=us.indicator_marks(status, view, today, us.county_names(wh, scope)))
measures = wh.query(tq.measures, view, plan_id)
st.caption(f"评估日期 {today_s or '数据截止日'}{us.date_note(status)}；{len(measures)} 项措施，{len(status)} 项指标。")
us.banner(us.targets_banner(status))
ut.status_counts(status)

tab_tree, tab_ind, tab_dept, tab_phase, tab_table = st.tabs(["措施与指标", "指标详情", "按部门", "阶段", "状态表"])

with tab_tree:
    ut.tree(measures, status)
    rules = wh.query(tq.rules, view)
    st.markdown(ut.RULES_MD.format(grace=int(rules["report_grace_days"])))

with tab_ind:
    if status.empty:
        st.info("本计划尚未设定指标。")
    else:
        choices = {f"{r.measure_no}:{r.indicator}": f"{r.measure_no} · {r.name}" for r in status.itertuples()}
        pick = links.bound(st.selectbox, "指标", list(choices), format_func=choices.get, placeholder="选择指标",
                           key="indicator", param="indicator")
        row = status.iloc[list(choices).index(pick)]
        st.markdown(f"{ut.light(row['status'], bool(row['report_overdue']))} **{md(row['name'])}** — "
                    f"牵头 {md(row['lead_department'])}；完成{'全市' if row['status'] == tq.NO_COUNTY_TARGET else ''}"
                    f"目标 {ut.num(row['share_of_target'], '%')}，应报未报 {row['missing_reports']} 份",
                    help=md(row["help"]))  # a reported indicator's text comes from a landed file
        ui_ins.attach("target", (plan_id, row["measure_no"], row["indicator"]), county, row["name"],
                      department=row["department"])
        series = wh.query(tq.indicator_series, view, plan_id, row["measure_no"], row["indicator"])
        st.plotly_chart(ut.indicator_chart(row, series), theme=None, key="chart_indicator")
        st.subheader("分区县")
        by_county = wh.query(tq.indicator_by_county, view, plan_id, row["measure_no"], row["indicator"], today_s)
        st.dataframe(ut.county_table(by_county), hide_index=True, key="county_table")

with tab_dept:
    summary = wh.query(tq.department_summary, view, today_s)
    dept = st.selectbox("部门", list(summary["department"]), placeholder="选择部门", key="department")
    mine = wh.query(tq.indicator_status, view, None, today_s)
    mine = mine[mine["department"] == dept]
    owed = wh.query(tq.owed_reports, view, today_s)
    owed = owed[owed["department"] == dept]
    c1, c2, c3 = st.columns(3)
    c1.metric("牵头或参与的措施", int(summary.set_index("department").at[dept, "measures"]))
    c2.metric("负责的指标", len(mine))
    c3.metric("应报未报", len(owed))
    if not mine.empty:
        st.dataframe(ut.status_table(mine), hide_index=True, key="dept_status")
    if not owed.empty:
        st.markdown("**应报未报的进展报告**")
        st.dataframe(labels.chinese(owed, ["plan_id", "measure_no", "indicator", "county_name", "period_start",
                                           "period_end"]), hide_index=True, key="dept_owed")
    st.markdown("**措施清单**")
    st.dataframe(labels.chinese(wh.query(tq.department_measures, view, dept)), hide_index=True, key="dept_measures")
    st.markdown("**各部门概况**")
    st.dataframe(labels.chinese(summary), hide_index=True, key="dept_summary")

with tab_phase:
    phases = wh.query(tq.phases, view, plan_id)
    if phases.empty:
        st.info("本计划未分阶段；各指标截止日期见状态表。")
    else:
        st.plotly_chart(ut.phases_chart(phases, today), theme=None, key="chart_phases")
        st.dataframe(labels.chinese(phases), hide_index=True, key="phase_table")

with tab_table:
    everything = wh.query(tq.indicator_status, view, None, today_s)
    table = ut.status_table(status)
    st.dataframe(table, hide_index=True, key="status_table")
    auth.download_button("下载全部计划状态表（Excel）", ut.excel_bytes(ut.status_table(everything)),
                         f"目标进展_{today_s}.xlsx", what="目标进展状态表", key="download",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
