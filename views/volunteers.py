"""志愿服务: 妇联 volunteer teams, activities, person-times, pairings and the need–offer mismatch."""

import streamlit as st

from ui import data, empty, widgets
from ui import format as fmt
from ui import volunteers as vu
from warehouse.queries import volunteers as q

wh = data.warehouse()
user_scope = data.user_scope()

st.title("志愿服务")
county = widgets.region_selector(wh.counties(user_scope), key="vol_region")
scope = user_scope.narrow(county)
empty.needs(wh, vu.SOURCES, "志愿服务", stop=empty.none_landed(wh, vu.SOURCES))  # nothing to show without any

k = wh.query(q.kpis, scope).iloc[0]
as_of = k["as_of_date"].strftime("%Y-%m-%d") if hasattr(k["as_of_date"], "strftime") else str(k["as_of_date"])
st.caption(f"统计截至数据截止日 {as_of}（快照的数据日期，而非今天的日期）；本年 = {k['year']} 年 1 月至截止月；"
           "活跃志愿者 = 所在队伍在截止日前 90 天内开展过活动。")

goals = wh.query(q.goals, scope)
vu.kpi_cards(vu.goal_progress(k, goals))
inactive = k["volunteers"] - k["active_volunteers"] if not vu.missing(k["active_volunteers"]) else None
vu.kpi_cards([("志愿服务队伍", fmt.count(k["teams"], card=True), f"90天无活动 {fmt.count(k['dormant_teams'])} 支"),
              ("志愿者", fmt.count(k["volunteers"], card=True),
               f"活跃 {fmt.count(k['active_volunteers'])}，不活跃 {fmt.count(inactive)}"),
              ("代理家长", fmt.count(k["agent_parents"], card=True), None),
              ("志愿服务时长（小时）", fmt.count(round(k["volunteer_hours"]), card=True),
               f"计划 {fmt.count(k['planned'])} 场，取消 {fmt.count(k['cancelled'])} 场")])
with st.expander("年度目标及来源（config/volunteer_goals.csv）"):
    if goals.empty:
        st.caption("本区域没有设定年度目标。")
    else:
        st.caption("目标只对设定它的区域计完成率；上级区域的目标仅供参考，不作为本区域的完成标准。")
        st.dataframe(vu.goal_table(goals), hide_index=True, width="stretch")

st.subheader("月度趋势")
monthly = wh.query(q.monthly, scope)
if not monthly.empty:
    st.plotly_chart(vu.trend(monthly), theme=None, key="vol_trend")
    with st.expander("月度明细"):
        vu.table_with_download(monthly, ["period", "held", "planned", "cancelled", "participants", "person_times",
                                         "volunteer_hours"], "志愿服务月度统计", "vol_dl_month")

left, right = st.columns(2, gap="large")
with left:
    st.subheader("按队伍类型（本年）")
    types = wh.query(q.by_team_type, scope)
    if not types.empty:
        st.plotly_chart(vu.hbar(types, "team_type", "person_times", "服务人次"), theme=None, key="vol_types")
        vu.table_with_download(types, ["team_type", "teams", "volunteers", "active_volunteers", "agent_parents",
                                       "activities", "person_times"], "按队伍类型", "vol_dl_types")
with right:
    st.subheader("每千名流动儿童活动场次（本年，按街道）")
    # lowest first; a rate the small-number rule hid goes last (the door hides it after the query's order)
    streets = wh.query(q.by_street, scope).sort_values("per_1000", na_position="last", kind="stable")
    if not streets.empty:
        shown, note = vu.street_extremes(streets, "per_1000")
        if streets["county_name"].nunique() > 1:  # street names repeat across counties
            shown = shown.assign(street_name=shown["street_name"] + "（" + shown["county_name"] + "）")
        st.plotly_chart(vu.hbar(shown, "street_name", "per_1000", "场次/千名流动儿童", "#455a64", "{:,.1f}"),
                        theme=None, key="vol_streets")
        if note:
            st.caption(note)
        vu.table_with_download(streets, ["street_name", "county_name", "migrant", "activities", "person_times",
                                         "per_1000"], "按街道活动密度", "vol_dl_streets")

st.subheader("需求与供给：走访记录的需求 vs 已开展的活动（近12个月）")
needs = wh.query(q.needs_offer, scope)
if not needs.empty:
    st.caption("需求来自走访记录的“需求”字段；差值为正表示需求多而活动少（如作业辅导），为负表示活动多于需求（如书法兴趣班）。")
    st.plotly_chart(vu.needs_bars(needs), theme=None, key="vol_needs")
    vu.table_with_download(needs, ["service_type", "needs", "activities", "person_times", "need_share",
                                   "offer_share", "gap"], "需求与活动对照", "vol_dl_needs",
                           percent=("need_share", "offer_share", "gap"))

c1, c2 = st.columns(2, gap="large")
with c1:
    st.subheader("重点儿童多、活动少的社区")
    st.caption("已开展活动 = 近12个月在该社区开展的场次（活动表只填到街道的计入街道）；人数少于阈值显示为“<5”。")
    comm = wh.query(q.low_activity_communities, scope).head(15)  # the door marks small counts for this scope
    vu.table_with_download(comm, ["community_name", "street_name", "key_children", "paired", "activities",
                                  "street_activities"], "重点儿童多活动少的社区", "vol_dl_comm")
with c2:
    st.subheader("90天无活动的队伍")
    dormant = wh.query(q.dormant_teams, scope)
    if dormant.empty:
        st.success("所有队伍在截止日前 90 天内都开展过活动。")
    else:
        vu.table_with_download(dormant, ["team_name", "team_type", "street_name", "volunteers", "last_activity_date",
                                         "days_since_activity"], "90天无活动的队伍", "vol_dl_dormant")

st.subheader("尚未结对的重点儿童")
if not scope.exact:  # child lists are case access (auth/roles.py); the door would refuse the query
    st.caption(vu.UNPAIRED_ELSEWHERE)
else:
    st.caption("姓名和身份证号已脱敏。")
    unpaired = wh.query(q.unpaired, scope)
    st.write(f"{'至少' if len(unpaired) >= q.LIST_LIMIT else '共'} {fmt.count(len(unpaired))} 名重点儿童没有进行中的 1+X 结对。")
    widgets.list_cut_note(unpaired)
    vu.table_with_download(unpaired, ["masked_name", "masked_id", "county_name", "street_name", "community_name",
                                      "key_type"], "未结对重点儿童（脱敏）", "vol_dl_unpaired", height=400)
