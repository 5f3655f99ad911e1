"""总览 (领导驾驶舱): one screen for a meeting — headline figures with change, a small map, the largest
gaps and the off-track targets; meeting mode (?meeting=1) for a projector. Every figure comes from
warehouse.queries.meeting, which calls the source pages' own queries."""

import datetime as dt

import pandas as pd
import streamlit as st

from ui import charts, data, empty, widgets
from ui import followup as uf
from ui import instructions as ui_ins
from ui import overview as ov
from ui import signoff as us
from warehouse.queries import geo, meeting, privacy, targets

wh = data.warehouse()
user_scope = data.user_scope()
t = privacy.threshold()
is_meeting = ov.meeting_mode()
ov.style(is_meeting)

periods = wh.periods()
counties = wh.counties(user_scope)
if is_meeting:
    period, county = ov.kept_selection(periods, counties, us.kept_period(wh, periods, user_scope))
    head, side, exit_col = st.columns([6, 3, 1], vertical_alignment="center")
    with exit_col:
        ov.exit_button()
else:
    head, c_period, c_region, c_mode = st.columns([3.6, 1.4, 1.4, 1.1], vertical_alignment="bottom")
    with c_period:
        period = us.period_selector(wh, periods, user_scope)  # leaders start on confirmed data
    with c_region:
        county = widgets.region_selector(counties, note="toast")  # a box would push 总览 past one screen
    with c_mode:
        ov.meeting_toggle()
region = ov.region_label(counties, county, ov.whole_name(wh.deployment(user_scope), user_scope))
scope = user_scope.narrow(county)
with head:
    ov.header(region, period, wh.info.data_date, is_meeting)
if period is None:  # no register yet: the cards say what each awaits, the box says what to land
    empty.needs(wh, list(dict.fromkeys(s for g in empty.CARD_SOURCES.values() for s in g)), "总览的各项数字")
    st.html(ov.kpi_html(ov.placeholder_headline(), None, empty.card_states(wh)))
    st.stop()

headline = wh.query(meeting.headline, scope, period)
previous = wh.previous_period(period)
not_landed = empty.card_states(wh)
if not_landed:
    empty.needs(wh, [s for k in not_landed for s in empty.CARD_SOURCES[k]], "总览的部分数字")
marks, names = us.overview_marks(wh, scope, period), us.county_names(wh, user_scope)
st.html(ov.kpi_html(headline, previous, not_landed, us.card_badges(marks, names)))
line = us.banner_html(marks, names)
if is_meeting:  # beside the title, where meeting mode has room: the projected page stays one screen
    with side:
        us.show(line)
us.banner("" if is_meeting else line, ov.note_html(wh.query(meeting.period_note, scope, period), t), False)

left, middle, right = st.columns([5, 4, 5], gap="medium")
with left:
    streets = wh.query(meeting.street_density, scope, period)
    outlines = wh.query(geo.shapes, scope, "county") if county is None else None  # as the map page draws them
    built = ov.small_map(streets, outlines, is_meeting)
    st.html(f'<div class="ov-panel"><h4>流动儿童分布（{"各街道乡镇" if county else region}）</h4></div>')
    if built is None:
        st.info("所选范围内暂无街道边界或数据。")
    else:
        figure, legend = built
        st.plotly_chart(figure, theme=None, key="ov_map", config={"displayModeBar": False, "scrollZoom": False})
        st.html(ov.legend_html(legend, t, bool(streets.get("children_suppressed", pd.Series(dtype=bool)).any())))
with middle:
    top = wh.query(meeting.top_county_gaps, scope, period)
    level = "街道（乡镇）" if len(top) and top["level"].iloc[0] == "street" else "区县"
    st.html(ov.gaps_html(top, level))
    risk = wh.query(meeting.risk_levels, scope, period)
    with st.container(key="ov_riskbox"):  # dropped on a laptop screen (ui/theme.OVERVIEW_CSS)
        st.html('<div class="ov-panel"><h4>重点对象风险等级（人）</h4></div>')
        if risk.empty:
            st.info("所选范围内暂无重点对象数据。")
        else:
            st.plotly_chart(ov.compact(charts.key_children_by_risk(
                risk, variant="meeting" if is_meeting else "screen", height=260 if is_meeting else 230)),
                theme=None, key="ov_risk", config={"displayModeBar": False})
    if not is_meeting:  # in a column, not in a row of its own: the page stays one screen at 1366×768
        ov.pack_buttons(wh, scope, period, region)
        if marks:  # under the pack buttons, where the column has room: 总览 stays one screen
            us.signoff_link()
    ui_ins.overview(scope)  # one line each, only while something is open, in the column with room
    uf.overview(wh.followup_counts("county", scope, dt.date.today()))
with right:
    off = wh.query(meeting.off_track_targets, scope, period)
    late = wh.query(meeting.late_reports, scope, period)
    st.html(ov.targets_html(off, ov.MAX_TARGETS[is_meeting], late, county_view=not targets.is_city_view(scope),
                            short=ov.SHORT_TARGETS[is_meeting]))

