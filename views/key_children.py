"""重点儿童: key children by risk level and area, overdue visits by director and street, due list."""

import streamlit as st

from ui import auth, data, empty, ledger, links, widgets
from ui import format as fmt
from warehouse.queries import ledger as q
from warehouse.queries import metrics

wh = data.warehouse()
user_scope = data.user_scope()

st.title("重点儿童")
county = widgets.region_selector(wh.counties(user_scope), key="kc_region")
scope = user_scope.narrow(county)

info = wh.query(q.as_of, scope)
if info.empty or info.iloc[0]["period"] is None:
    if not empty.needs(wh, ["key_children", "visits"], "重点儿童"):
        st.info("所选范围内尚无重点对象台账数据。")
    st.stop()
empty.needs(wh, ["visits"], "走访逾期")  # the ledger without visits: every child would read as overdue
row = info.iloc[0]
as_of = row["as_of_date"].strftime("%Y-%m-%d") if hasattr(row["as_of_date"], "strftime") else str(row["as_of_date"])
st.caption(
    f"台账期别：{fmt.period_label(row['period'])}；走访规则：{row['visit_plan']}方案；"
    f"逾期与到期按数据截止日 {as_of} 计算（快照的数据日期，而非今天的日期）。"
)

t = wh.query(q.totals, scope).iloc[0]
on_time = ledger.on_time_rate(t["children"], t["overdue"])
ledger.kpis([("重点对象", t["children"]), ("红橙高风险", t["high_risk"]),
             (metrics.label("visit_overdue"), t["overdue"], metrics.help("visit_overdue")),
             (metrics.label("visit_on_time_rate"), on_time, metrics.help("visit_on_time_rate")),
             ("联系逾期", t["contact_overdue"]), ("入户逾期", t["home_visit_overdue"]), ("30天内到期", t["due_30d"])])

left, right = st.columns([1, 1], gap="large")
with left:
    st.subheader("风险等级")
    risk = wh.query(q.by_risk, scope)
    if not risk.empty:
        st.plotly_chart(ledger.risk_bars(risk), theme=None, key="kc_risk")
with right:
    st.subheader("分区域风险等级人数")
    area = wh.query(q.by_area_risk, scope, widgets.area_level(wh.deployment(user_scope), county)[0])
    if not area.empty:
        table = area.pivot_table(index="area_name", columns="risk_level", values="children", aggfunc="sum",
                                 fill_value=0, sort=False)
        st.dataframe(table.rename_axis("区域"), width="stretch")

st.subheader("走访逾期情况")
LEVELS = {"director": "儿童主任", "community": "社区", "street": "街道", "county": "区县"}
code = links.bound(st.segmented_control, "统计层级", list(LEVELS), format_func=LEVELS.get, default="street",
                   required=True, key="kc_level", param="level")
level = LEVELS[code]
comp = wh.query(q.compliance, scope, code)
c1, c2 = st.columns([3, 2], gap="large")
with c1:
    cols = ["area_code", "area_name", "children", "contact_overdue", "home_visit_overdue", "overdue", "due_30d",
            "compliance_rate", "overdue_days_max"]
    st.dataframe(ledger.chinese(comp, cols if code != "director" else [c for c in cols if c != "area_name"]),
                 hide_index=True, width="stretch")
with c2:
    if not comp.empty:
        st.plotly_chart(ledger.overdue_bars(comp, level), theme=None, key="kc_overdue")

st.subheader("风险等级变化（相邻两次排查）")
changes = wh.query(q.risk_changes, scope)
if changes.empty:
    st.info("只有一次排查，暂无变化可比。")
else:
    latest = changes[changes["period"] == changes["period"].iloc[0]]
    summary = latest.groupby("change", sort=False)["children"].sum()
    st.caption(f"{fmt.period_label(latest['period'].iloc[0])}与{fmt.period_label(latest['previous_period'].iloc[0])}相比："
               + "，".join(f"{k}{fmt.number(v)}人" for k, v in summary.items()))
    moved = latest[latest["change"].isin(["升高", "降低"])]
    st.dataframe(ledger.chinese(moved, ["change", "from_level", "to_level", "children"]), hide_index=True)

st.subheader("逾期及未来30天应访名单")
st.caption("风险等级高的在前（如红→橙→黄→绿），同一等级内逾期天数多的在前。个人信息已脱敏（姓名、身份证号、监护人及电话"
           "部分隐藏）。个案人员可在下方逐一查看完整档案，每次查看记入审计日志。")
due = wh.query(q.due_list, scope, 30)
widgets.list_cut_note(due)
shown = ledger.chinese(due, ledger.due_columns(due))
st.dataframe(shown, hide_index=True, width="stretch")
ledger.download(shown, "致民政局（儿童主任）：重点对象逾期及应访名单", f"数据截止 {as_of}；个人信息已脱敏。",
                "重点对象应访名单.xlsx", "kc_xlsx")
if auth.has_case_access() and not due.empty:
    ledger.child_file_action(wh, scope, due)
with st.expander("走访规则（配置 config/visit_rules.csv）"):
    rules = wh.query(q.visit_rules, scope).rename(columns={"source": "source_text"})
    st.dataframe(ledger.chinese(rules, ["plan", "risk_level", "contact_every_days", "home_visit_every_days",
                                        "source_text"]), hide_index=True)
