"""服务缺口: choose a gap (or the composite index), rank counties by shortfall, drill into a county's streets."""

import streamlit as st

from ui import data, empty, links, widgets
from ui import format as fmt
from ui import gaps as ui
from ui import instructions as ui_ins
from warehouse.queries import gaps as gq
from warehouse.queries import geo

wh = data.warehouse()
user_scope = data.user_scope()

st.title("服务缺口")

periods = wh.periods()
catalogue = wh.query(gq.standards, user_scope)
names = dict(zip(catalogue["gap_id"], catalogue["family"] + " · " + catalogue["gap_name"]))
names[ui.INDEX] = ui.INDEX_LABEL
left, middle, right = st.columns([1, 2, 1])
with left:
    period = widgets.period_selector(periods, key="gap_period")
with middle:
    gap = links.bound(st.selectbox, "缺口指标", [ui.INDEX, *catalogue["gap_id"]], format_func=names.get,
                      placeholder="选择缺口指标", key="gap", param="gap")
with right:
    county = widgets.region_selector(wh.counties(user_scope), key="gap_county")
empty.gap_needs(wh, gap, ui.INDEX)  # which extracts the chosen gap still waits for
if period is None:
    st.stop()

level, where = widgets.area_level(wh.deployment(user_scope), county)
scope = user_scope.narrow(county)
sources, grouped = wh.query(gq.source_periods, scope, period), wh.query(gq.has_urban_core, scope)
st.caption(widgets.drill_caption(wh.deployment(user_scope), user_scope, county))

if gap == ui.INDEX:
    table = wh.query(gq.index_table, scope, period, level)
    st.subheader(f"{where}综合缺口指数排名")
    st.caption(ui.period_note(sources))
    with st.expander("综合缺口指数怎么算", expanded=False):
        st.markdown(
            "每项有标准的缺口先算**缺口率** = max(0, 按标准应有 − 现有) ÷ 按标准应有（0 表示达标，1 表示完全没有）；"
            "综合缺口指数 = 100 × Σ(权重 × 缺口率) ÷ Σ权重。0 分表示全部达标，分数越高缺口越大。"
            "权重来自配置文件 config/gap_weights.csv，可由部署单位修改后重新构建。"
        )
        weights = catalogue[catalogue["weight"].notna() & catalogue["has_standard"]]
        ui.table(weights, ["gap_name", "family", "weight", "reason"], key="weights_table")
        ui.download(weights, ["gap_name", "family", "weight", "reason", "basis", "standard_value", "source"],
                    "指数权重", "dl_weights")
    if table.empty:
        st.info("所选范围内暂无数据。")
    else:
        chart, ranked = st.columns([3, 2], gap="large")
        with chart:
            st.plotly_chart(ui.index_bar(table, grouped), theme=None, key="chart_index")
            st.caption(("蓝色为主城区，橙色为县域；" if grouped else "") + "0 分表示全部达标，分数越高缺口越大。")
        with ranked:
            cols = ["rank", "area_name", "area_type", "gap_index", "gaps_counted"]
            ui.table(table.sort_values(["rank", "area_code"]), cols, key="index_table")
            ui.download(table.sort_values(["rank", "area_code"]), cols, f"综合缺口指数_{period}", "dl_index")
    if level == "county":
        ui.index_league_section(wh.query(gq.index_table, scope, period, "street"),
                                wh.query(gq.gaps_of_area, scope, period, "street"), period)
else:
    row = catalogue.set_index("gap_id").loc[gap]
    share = ui.is_share(row)
    table = wh.query(gq.gap_table, scope, period, gap, level)
    md = fmt.md_escape
    st.subheader(f"{where}{md(row['gap_name'])}缺口")
    ui_ins.attach("gap", gap, county, f"{row['gap_name']}缺口")
    st.markdown(ui.standard_text(row))
    st.caption(f"标准来源：{md(row['source'])}")
    if not table.empty:
        first = table.iloc[0]
        st.caption(f"数据期：{md(first['supply_name'])}：{md(first['supply_period'])} · "
                   f"{md(first['demand_name'])}：{md(first['demand_period'])}")
    if table.empty:
        st.info("所选范围内暂无数据（相关部门数据尚未导入）。")
    else:
        key = "gap_share"
        if row["has_standard"]:
            key = links.bound(st.radio, "排序依据", list(ui.SORT_KEYS), format_func=ui.SORT_KEYS.get, horizontal=True,
                              key="gap_sort", param="sort", help="图和表按同一依据排列：缺口率（缺口 ÷ 按标准应有）或缺口数（单位数）")
        table = ui.ordered(table, key, bool(row["has_standard"]))
        k1, k2, k3 = st.columns(3)
        total_short = table["shortfall"].sum() if row["has_standard"] else None
        below = int((table["shortfall"] > 0).sum()) if row["has_standard"] else None
        overall = table["supply"].sum() / table["demand"].sum() * row["per"] if table["demand"].sum() else None
        k1.metric(f"缺口合计（{md(row['unit'])}）", fmt.count(total_short, card=True), border=True,
                  help="各地区缺口之和（小数保护隐藏的地区不计）；区县缺口按全区县合计计算（街道间余缺相抵），"
                       "故各街道缺口之和可能大于区县缺口")
        k2.metric("未达标地区数", fmt.count(below), border=True)
        k3.metric(md(ui.rate_label(gap, row)), fmt.percent(overall / 100) if share and overall is not None else
                  fmt.dash(None if overall is None else f"{overall:,.1f}"), border=True,
                  help=ui.rate_help(gap, table, row))
        chart, scatter = st.columns(2, gap="large")
        with chart:
            if row["has_standard"]:
                st.plotly_chart(ui.shortfall_bar(table, row["unit"], key), theme=None, key="chart_shortfall")
            else:
                st.plotly_chart(ui.ratio_bar(table, row["basis"], share), theme=None, key="chart_ratio")
        with scatter:
            st.plotly_chart(ui.demand_supply_scatter(table, row), theme=None, key="chart_scatter")
        cols = ["position", "area_name", "area_type", "supply", "demand", "ratio", "standard_value", "required",
                "shortfall", "gap_share"]
        ui.text_table(ui.shown(table, share), cols, key="gap_table", headers=ui.side_headers(table))
        st.caption(ui.sort_caption(key, bool(row["has_standard"])))
        ui.download(table, ["position", "area_name", "county_name", "area_group", "area_type", "supply_name", "supply",
                            "demand_name", "demand", "ratio", "standard_value", "required", "shortfall",
                            "gap_share", "unit"], f"{row['gap_name']}缺口_{period}", "dl_gap")
        if level == "county":
            ui.league_section(wh.query(gq.gap_table, scope, period, gap, "street"), row, key, period)

shapes = wh.query(geo.shapes, scope, level)
if not table.empty and not shapes.empty and (gap == ui.INDEX or row["has_standard"]):
    st.subheader(f"{where}缺口地图")
    st.plotly_chart(ui.gap_map(table, shapes, gap == ui.INDEX, "" if gap == ui.INDEX else row["unit"]),
                    theme=None, key="gap_map", config={"displayModeBar": False, "scrollZoom": False})
    st.html(ui.gap_legend())

if not county and grouped:  # only where the region table says which counties are 主城区
    st.subheader("主城区与县域对比")
    comparison = wh.query(gq.urban_core_comparison, scope, period)
    shown = comparison[comparison["gap_id"] == gap]
    if shown.empty:
        st.info("所选范围内暂无数据。")
    else:
        shown = shown.assign(gap_index=shown["gap_share"] * 100)
        if gap == ui.INDEX:
            ui.table(shown, ["area_group", "counties", "gap_index"], key="comparison_table")
        else:
            ui.text_table(ui.shown(shown, share), ["area_group", "counties", "supply", "demand", "ratio", "required",
                                                   "shortfall", "gap_share"], key="comparison_table")
        all_cols = ["area_group", "gap_name", "counties", "supply", "demand", "ratio", "required", "shortfall",
                    "gap_share"]
        ui.download(comparison, all_cols, f"主城区与县域对比_{period}", "dl_comparison")

with st.expander(f"{where}全部缺口明细与需求、供给数据"):
    detail = wh.query(gq.gaps_of_area, scope, period, level)
    detail_cols = ["area_name", "county_name", "gap_name", "family", "supply_name", "supply", "demand_name",
                   "demand", "ratio", "basis", "standard_value", "required", "shortfall", "gap_share", "rank", "source"]
    ui.download(detail, detail_cols, f"缺口明细_{period}", "dl_detail")
    wide = ui.measures_wide(wh.query(gq.measures, scope, period, level))
    st.dataframe(wide, hide_index=True, key="measures_table")
    ui.download(wide, list(wide.columns), f"需求与供给_{period}", "dl_measures")
    st.caption(ui.period_note(sources))
