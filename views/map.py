"""流动儿童分布: street choropleth of children on the register, community points, table and download."""

import streamlit as st

from settings import settings
from ui import auth, charts, data, empty, links, widgets
from ui import format as fmt
from ui import map as mp
from warehouse.queries import geo, metrics, privacy

wh = data.warehouse()
user_scope = data.user_scope()
t = privacy.threshold()

st.title("流动儿童分布")
NO_REGISTER = "流动儿童监测摸排台账（民政局）尚未导入"
LAND_BOUNDARIES = "请导入边界文件（GeoJSON、Shapefile 压缩包或 GeoPackage）：`python -m etl boundaries FILE`"

periods = wh.periods()
c1, c2, c3, c4 = st.columns(4)
with c1:
    period = widgets.period_selector(periods, key="map_period")
with c4:
    county = widgets.region_selector(wh.counties(user_scope), key="map_county")
tile_url = settings().get("basemap_tile_url")
if period is None:  # before the register: the boundaries there are, greyed, and what fills them
    scope = user_scope.narrow(county)
    shapes, county_shapes = wh.query(geo.shapes, scope, "street"), wh.query(geo.shapes, scope, "county")
    empty.needs(wh, ["civil_register"], "流动儿童分布图（导入后按街道（乡镇）显示人数）")
    if len(shapes) or len(county_shapes):
        left, right = st.columns([3, 2], gap="medium")
        if tile_url:
            left.pydeck_chart(mp.outline_deck(shapes, county_shapes, tile_url), height=560, key="map_deck")
        else:
            left.plotly_chart(charts.outline_map(shapes, county_shapes), theme=None, key="map_chart",
                              config={"displaylogo": False})
        right.markdown(mp.nodata_legend_html(NO_REGISTER), unsafe_allow_html=True)
    else:
        st.info(LAND_BOUNDARIES)
    no_polygon = wh.query(geo.streets_without_shape, scope)
    if len(shapes) and len(no_polygon):
        st.warning("以下街道乡镇没有边界，未画在图上：" + "、".join(fmt.md_escape(n) for n in no_polygon["region_name"]))
    elif len(county_shapes) and not len(shapes):
        st.caption("尚无街道（乡镇）边界，仅画出区县。" + LAND_BOUNDARIES)
    st.stop()

with c2:
    age_band = links.bound(st.selectbox, "年龄段", list(mp.AGE_LABELS), format_func=mp.AGE_LABELS.get,
                           placeholder="选择年龄段", key="map_age", param="age")
with c3:
    category = links.bound(st.selectbox, "儿童类别", list(mp.CATEGORY_LABELS), placeholder="选择儿童类别",
                           key="map_category", param="category")
# The catalogue's names are long (每千名常住人口中的儿童数): the metrics take most of the row and wrap where
# they must (a 1366 screen, a phone), the toggles stack beside them.
m1, m2 = st.columns([5, 2], vertical_alignment="bottom")
with m1:
    metric = links.bound(st.segmented_control, "指标", list(geo.METRICS), default="children", required=True,
                         format_func=lambda k: geo.METRICS[k][1], key="map_metric", param="metric", wrap=True)
previous = wh.previous_period(period)
with m2:
    change = links.bound_toggle("与上期比较", key="map_change", param="change", disabled=previous is None,
                                help=f"显示较{fmt.period_label(previous)}的变化" if previous else "无上期数据")
    show_points = links.bound_toggle("显示社区（村）点位", key="map_points", param="points")
change = bool(change and previous)

scope = user_scope.narrow(county)
raw = wh.query(geo.street_metrics, scope, period, age_band, category)
shapes = wh.query(geo.shapes, scope, "street")
county_shapes = wh.query(geo.shapes, scope, "county")
if raw.empty:
    st.info("所选范围内暂无数据。")
    st.stop()

streets = mp.suppressed_streets(raw, metric, change, t)
points = None
if show_points:
    points = mp.suppressed_points(wh.query(geo.community_points, scope, period, age_band, category), t)
shown = streets.loc[~streets["children_suppressed"] & ~(change & streets["prev_children_suppressed"]), "value"]
breaks = mp.class_breaks(shown, change=change)
title = geo.METRICS[metric][1] + ("较上期变化" if change else "")
what = f"{fmt.period_label(period)} · {mp.AGE_LABELS[age_band]} · {category}"

left, right = st.columns([3, 2], gap="medium")
with left:
    if shapes.empty:
        st.info("尚无街道（乡镇）边界，地图无法画出，数据见表格。" + LAND_BOUNDARIES)
    elif tile_url:  # over the intranet basemap: deck.gl
        deck = mp.deck(streets, shapes, county_shapes if county is None else county_shapes.iloc[0:0], points,
                       breaks, metric, change, mp.view_state(shapes), tile_url, t)
        st.pydeck_chart(deck, height=560, key="map_deck")
    else:
        outlines = county_shapes if county is None else county_shapes.iloc[0:0]
        fig = charts.density_map(mp.street_features(streets, shapes, breaks, metric, change, t), outlines,
                                 mp.labelled(shapes, outlines), None if points is None else mp.community_marks(points))
        st.plotly_chart(fig, theme=None, key="map_chart", config={"displaylogo": False})
    missing = raw.loc[~raw["street_code"].isin(shapes["region_code"]), "street_name"]
    if len(missing) and len(shapes):
        st.warning(f"以下街道乡镇没有边界，未画在图上（见表格）：{'、'.join(fmt.md_escape(n) for n in missing)}")
    if shapes["is_schematic"].any():
        st.caption("示意边界：示例城市的边界为虚构示意图，不代表真实行政区划。")
with right:
    st.markdown(mp.legend_html(mp.legend_rows(breaks, metric, change, shown), title, t,
                               bool(streets["children_suppressed"].any()), bool(shown.isna().any()), change),
                unsafe_allow_html=True)
    st.caption(f"{what}。{mp.METRIC_HELP[metric]}少于{t}人的数字显示为“<{t}”。")
    tbl = mp.table(streets, metric, change)
    st.dataframe(tbl, hide_index=True, key="map_table", height=min(400, 35 * (len(tbl) + 1) + 3),
                 column_config=mp.table_columns(tbl))
    total = mp.marked(wh.query(geo.total, scope, period, age_band, category), ["children"]).iloc[0]
    st.caption(f"合计：{total['children_label']} 人（{len(raw)} 个街道乡镇）",
               help=metrics.help("migrant_children") if category == "流动儿童" and age_band == "all" else None)
    notes = [f"说明：{mp.METRIC_HELP[metric]}", f"少于{t}人的数字显示为“<{t}”；“*”为防止由合计反推而隐去的数字。",
             "示例数据，虚构城市，仅供演示。" if wh.info.is_demo else ""]
    auth.download_button("下载表格（Excel）", mp.excel(tbl, f"{title}（{what}）", notes),
                         f"流动儿童分布_{period}.xlsx", what=f"流动儿童分布表 {period}", key="map_download",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
