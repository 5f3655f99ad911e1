"""数据比对: match rates between department registers, per street and department pair; worklists."""

import streamlit as st

from ui import data, empty, ledger, links, widgets
from ui import instructions as ui_ins
from ui.format import md_escape
from warehouse.queries import geo
from warehouse.queries import matching as q

wh = data.warehouse()
user_scope = data.user_scope()

st.title("数据比对")
st.caption("按身份证号加密后的标识（不含身份证号本身）在各部门数据之间比对；每项缺口形成责任部门的工作名单。")
county = widgets.region_selector(wh.counties(user_scope), key="mt_region")
scope = user_scope.narrow(county)

checks = wh.query(q.checks, scope)
empty.needs(wh, [s for g in empty.MATCH_SOURCES.values() for s in g], "数据比对", groups=empty.MATCH_SOURCES,
            lacking="暂不能进行的比对")
if checks.empty:
    st.info("所选范围内暂无比对数据。")
    st.stop()

st.subheader("各项比对匹配率")
st.dataframe(ledger.chinese(checks, ["check_label", "department_pair", "department", "period", "children",
                                     "matched", "unmatched", "match_rate"]), hide_index=True, width="stretch")

pairs = wh.query(q.by_department_pair, scope)
with st.expander("按部门对汇总"):
    st.dataframe(ledger.chinese(pairs, ["department_pair", "children", "matched", "unmatched", "match_rate"]),
                 hide_index=True)

labels = dict(zip(checks["check_code"], checks["check_label"]))
code = links.bound(st.selectbox, "比对项目", list(labels), format_func=labels.get, placeholder="选择比对项目",
                   key="mt_check", param="check")
one = checks[checks["check_code"] == code].iloc[0]
ui_ins.attach("worklist", code, county, one["check_label"], department=one["department"])

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("分街道匹配率")
    streets = wh.query(q.by_street, scope, code)
    shapes = wh.query(geo.shapes, scope, "street")
    if shapes.empty:
        st.caption("尚未导入街道边界，以条形图显示。")
    else:
        st.plotly_chart(ledger.rate_map(streets, shapes), theme=None, key="mt_map",
                        config={"displayModeBar": False, "scrollZoom": False})
        st.html(ledger.rate_legend())
    st.plotly_chart(ledger.rate_bars(streets), theme=None, key="mt_streets")
with right:
    st.subheader(f"工作名单（责任部门：{md_escape(one['department'])}）")
    if not scope.exact:  # child lists are case access (auth/roles.py); the door would refuse the query
        st.caption("未匹配人数见左侧和上表；名单由个案工作者在“数据比对”页查看，核实后交责任部门跟进。")
        st.stop()
    st.caption("个人信息已脱敏，请核实后交责任部门跟进。")
    work = wh.query(q.worklist, scope, code)
    widgets.list_cut_note(work)
    shown = ledger.chinese(work, ["masked_name", "masked_id", "street_name", "community_code", "age_years",
                                  "detail"])
    st.dataframe(shown, hide_index=True, width="stretch", height=360)
    ledger.download(shown, f"致{one['department']}：{one['check_label']}名单（{len(work)}人）",
                    f"比对期别 {one['period']}；{one['department_pair']}；个人信息已脱敏，请核实后反馈。",
                    f"{one['department']}_{one['check_label']}.xlsx", f"mt_xlsx_{code}")
