"""The overview (领导驾驶舱) page's helpers: compact KPI cards, the small map, the gap and target lists,
meeting mode (projection: no sidebar, no widgets, large type, high contrast) and the meeting-pack slot.

Pure HTML builders (testable without Streamlit) plus a few Streamlit helpers; views/overview.py stays
thin. Colours come from ui.theme; the figures from warehouse.queries.meeting through the door.
"""
from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from report import pack
from report.cards import change_text, value_text
from ui import auth, charts, theme, widgets
from ui import format as fmt
from ui import map as mp
from ui.targets import STATUS_COLORS, num
from ui.widgets import CITY_WIDE
from warehouse.queries import metrics

MEETING_PARAM = "meeting"
MAX_TARGETS = {False: 8, True: 6}  # rows of the off-track list that fit one screen
# The small map's height fits a 1366×768 screen under the cards; wider screens draw it the same size (a
# plotly figure's height is fixed when it is sent, whatever the window).
MAP_HEIGHT = {False: 265, True: 295}

# On a laptop screen (height ≤ 900 px) the lists keep their first rows and the risk chart goes (the key
# children card gives the same counts by level): the page stays one screen; the CSS is in ui/theme.
SHORT_TARGETS = {False: 4, True: 3}  # as theme.OVERVIEW_CSS's and MEETING_CSS's nth-child rules say


# --------------------------------------------------------------------------------------------
# Meeting mode


def meeting_mode() -> bool:
    """Meeting mode is on when the URL says ?meeting=1 (the toggle sets it; a projector link can too)."""
    return st.query_params.get(MEETING_PARAM) == "1"


def style(meeting: bool) -> None:
    """The page's CSS (compact layout; in meeting mode: no sidebar/header, large type, high contrast)."""
    st.html(theme.css(screen=False, overview=True, meeting=meeting))  # the screen rules come from app.py


def _enter_meeting() -> None:
    st.query_params[MEETING_PARAM] = "1"


def _exit_meeting() -> None:
    st.query_params.pop(MEETING_PARAM, None)


def meeting_toggle() -> None:
    """The switch into meeting mode (a widget of normal mode only)."""
    st.toggle("会议模式", value=False, key="ov_meeting", on_change=_enter_meeting,
              help="投影用：隐藏侧边栏和筛选控件，放大字号，高对比度；也可在网址后加 ?meeting=1")


def exit_button() -> None:
    """The one control left in meeting mode."""
    st.button("退出会议模式", key="ov_exit_meeting", on_click=_exit_meeting, type="tertiary")


def kept_selection(periods: pd.DataFrame, counties: pd.DataFrame,
                   default: str | None = None) -> tuple[str | None, str | None]:
    """Meeting mode's period and region: from the URL, else `default` (the role's, ui.signoff) or the latest
    period, and the whole city."""
    p, r = st.query_params.get("period"), st.query_params.get("region")
    latest = periods["period"].iloc[0] if len(periods) else None
    period = p if p in set(periods["period"]) else (default or latest)
    return period, (r if r in set(counties["county_code"]) else None)


def note_html(period_note: str, t: int) -> str:
    """Which period of each source page the figures are (queries.meeting.period_note) and the "<5" rule."""
    return f'<p class="ov-note">{html.escape(period_note)}少于{t}人的数字显示为“&lt;{t}”，“*”为防止由合计反推而隐去的数字。</p>'


def region_label(counties: pd.DataFrame, county: str | None, whole: str = CITY_WIDE) -> str:
    """The region the page shows, by name: the selected area, the only one in a county user's scope, else
    `whole` (the deployment's own name, 示范市, for a user who sees all of it: see whole_name)."""
    names = widgets.area_names(counties)
    if county is None:
        return next(iter(names.values())) if len(names) == 1 else whole
    return names.get(county, county)


def whole_name(deployment, scope) -> str:
    """What the whole of `scope` is called: the deployment's name (示范市) when the scope holds all of it,
    本辖区 for part of it, the bare word (全市) before any region table has landed."""
    if not deployment.name:
        return deployment.whole if deployment.level else CITY_WIDE
    return deployment.name if widgets.scope_covers(scope, deployment.code) else "本辖区"


def header(region: str, period: str, data_date, meeting: bool) -> None:
    """The page title (st.title "总览"; in meeting mode the region's title) and the period / data date line."""
    if not meeting:
        st.title("总览", anchor=False)
    st.html(header_html(region, period, data_date, meeting))


def header_html(region: str, period: str | None, data_date, meeting: bool) -> str:
    """The region, period and data date line, under the meeting-mode title (always shown in meeting mode)."""
    date = pd.Timestamp(data_date).strftime("%Y-%m-%d") if data_date is not None and not pd.isna(data_date) else "—"
    title = f'<p class="ov-title">流动儿童关爱服务 · {html.escape(region)}</p>' if meeting else ""
    where = "" if meeting else f'<b class="ov-region">{html.escape(region)}</b> · '
    when = f"统计期 {fmt.period_label(period)}" if period else "统计期：尚无摸排台账"
    return (f'<div class="ov-head">{title}'
            f'<p class="ov-sub">{where}{when} · 数据截至 {date}</p></div>')


# --------------------------------------------------------------------------------------------
# KPI cards


def twin_html(row: dict) -> str:
    """The department-reported value of a computed rate, beside it and labelled (计算值 · 部门报送), with its
    catalogue name and definition on hover; "" when the row has no reported twin."""
    mid = row.get("twin_metric_id")
    if not isinstance(mid, str) or not mid:
        return ""
    v = row.get("twin_value")
    text = fmt.NONE if v is None or pd.isna(v) else f"{float(v):.1f}"
    e = html.escape
    return (f'<div class="t" title="{e(metrics.help(mid))}"><span class="ov-fig" data-metric="{e(mid)}" '
            f'data-label="{e(str(row["twin_label"]))}" data-value="{e(text)}">部门报送 <b>{e(text)}%</b></span></div>')


NOT_LANDED = "未导入"


def placeholder_headline() -> pd.DataFrame:
    """The headline's cards without figures (no register period yet): each card's catalogue name and source."""
    from warehouse.queries import meeting

    pages = {"migrant": "map", "key_children": "key_children", "volunteer_person_times": "volunteers"}
    units = {"migrant": "人", "key_children": "人", "volunteer_person_times": "人次", "targets_off_track": "项"}
    return pd.DataFrame([{"metric": k, "label": metrics.label(mid), "value": None, "change": None,
                          "unit": units.get(k, "%"), "help": metrics.help(mid), "detail": "",
                          "source_label": meeting.SOURCE_LABELS[pages.get(k, "targets")], "as_of": "—"}
                         for k, mid in meeting.HEADLINE_METRICS.items()])


def kpi_html(headline: pd.DataFrame, previous_period: str | None, not_landed: dict[str, str] | None = None,
             badges: dict[str, str] | None = None) -> str:
    """One card per headline row: label (its catalogue name, the definition on hover and behind ⓘ), figure +
    unit, change, detail, a reported twin where there is one, and its source page and period. A card named
    in `not_landed` (ui.empty.card_states: key → "未导入：<extract>") shows 未导入 and which extract it awaits.
    badges: metric id → a mark on the card's edge (ui.signoff: the figure rests on unconfirmed data)."""
    cards = []
    not_landed = not_landed or {}
    badges = badges or {}
    for row in headline.to_dict("records"):
        if row["metric"] in not_landed:
            row = {**row, "value": None, "change": None, "twin_metric_id": None, "detail": not_landed[row["metric"]],
                   "people_suppressed": False, "previous_people_suppressed": False}
        change, colour = change_text(row, previous_period)
        if row["metric"] in not_landed:
            change, colour = "", theme.MUTED_TEXT
        unit = "" if row["metric"] in not_landed else row["unit"]
        figure = NOT_LANDED if row["metric"] in not_landed else value_text(row)
        e = html.escape
        tip = e(str(row.get("help") or ""))
        cards.append(
            f'<div class="ov-kpi" data-metric="{e(row["metric"])}" data-value="{e(figure)}">'
            f'<div class="l" title="{tip}">{e(row["label"])}<span class="q" title="{tip}">ⓘ</span></div>'
            f'<div class="v">{e(figure)}<small>{e(unit)}</small></div>'
            f'<div class="c" style="color:{colour}">{e(change)}</div>'
            f'{twin_html(row)}'
            f'<div class="d" title="{e(str(row["detail"]))}">{e(str(row["detail"])) or "&nbsp;"}</div>'
            f'<div class="s">来源：{e(row["source_label"])}页 · {e(str(row["as_of"]))}</div>'
            f'{badges.get(row.get("metric_id"), "")}</div>')
    return f'<div class="ov-kpis" style="--n:{max(1, len(cards))}">{"".join(cards)}</div>'


# --------------------------------------------------------------------------------------------
# Lists


def gaps_html(top: pd.DataFrame, level_zh: str) -> str:
    """The largest gaps: rank, area, composite index, its largest shortfall (suppressed counts as labels)."""
    head = f'<div class="ov-panel" id="ov-gaps"><h4>缺口最大的{level_zh}（综合缺口指数）</h4>'
    if top.empty:
        return head + '<p class="ov-more">所选范围内暂无缺口数据。</p></div>'
    items = []
    for r in top.to_dict("records"):
        short = fmt.NONE if r["shortfall"] is None or pd.isna(r["shortfall"]) else f"{int(r['shortfall']):,}"
        measure = (f'最大缺口：{html.escape(str(r["measure_label"]))} 缺 {short} {html.escape(str(r["unit"]))}'
                   if isinstance(r.get("measure_label"), str) else "各项均已达标")
        items.append(
            f'<li class="ov-gap" data-area="{html.escape(r["area_code"])}"><span class="t">{int(r["rank"])}. '
            f'{html.escape(r["area_name"])}</span>（{html.escape(str(r["area_type"]))}） 指数 '
            f'<b>{float(r["gap_index"]):.1f}</b><br><span class="m">{measure}</span></li>')
    return head + f'<ul class="ov-list">{"".join(items)}</ul></div>'


def late_html(late: pd.DataFrame | None) -> str:
    """报告逾期, apart from the value's status: which indicators lack a report (met targets included)."""
    if late is None or late.empty:
        return ""
    met = int((late["status"] == "已达标").sum())
    names = "、".join(html.escape(str(n)) for n in late["indicator_name"].head(3))
    more = f"等 {len(late)} 项" if len(late) > 3 else ""
    also = f"（其中 {met} 项已达标）" if met else ""
    return (f'<p class="ov-more" id="ov-late"><span class="ov-tag" style="background:{STATUS_COLORS["报告逾期"]}">'
            f'报告逾期</span>{names}{more}的进展报告应报未报{also}。</p>')


def targets_html(off: pd.DataFrame, limit: int, late: pd.DataFrame | None = None,
                 county_view: bool = False, short: int | None = None) -> str:
    """Targets 未达标 or 滞后 with their lead department, most urgent first; the rest counted; then the
    indicators whose report is overdue (a separate flag, not a status)."""
    head = (f'<div class="ov-panel" id="ov-targets"><h4 title="{html.escape(metrics.help("targets_off_track"))}">'
            f'{html.escape(metrics.label("targets_off_track"))}（{len(off)} 项）</h4>')
    if off.empty:
        text = ("行动计划目标均为全市目标，区县不按全市目标评判（见“目标进展”页的全市目标参考值）。" if county_view
                else "没有未达标或滞后的目标。")
        return head + f'<p class="ov-more">{text}</p>{late_html(late)}</div>'
    items = []
    short = limit if short is None else min(short, limit)
    for r in off.head(limit).to_dict("records"):
        colour = STATUS_COLORS.get(r["status"], theme.NEUTRAL)
        late_tag = (f'<span class="ov-tag" style="background:{STATUS_COLORS["报告逾期"]}">报告逾期</span>'
                    if bool(r.get("report_overdue")) else "")
        unit = str(r["unit"] or "")
        value = (f"{r['latest_value_label']}{unit}" if r.get("latest_value_suppressed") else
                 num(r["latest_value"], unit))  # as the targets page writes it (79.0%, 5个)
        target = num(r["target_value"], unit)
        items.append(
            f'<li class="ov-target"><span class="ov-tag" style="background:{colour}">{html.escape(r["status"])}'
            f'</span>{late_tag}<span class="t">{html.escape(r["indicator_name"])}</span><br><span class="m">'
            f'{html.escape(str(r["department"]))} · 现 {value} / 目标 {target} · 截止 {r["deadline"]}</span></li>')
    tail = "".join(f'<p class="ov-more {cls}">另有 {len(off) - n} 项，见“目标进展”页。</p>'
                   for n, cls in ((limit, "ov-tall-only"), (short, "ov-short-only")) if len(off) > n)
    return head + f'<ul class="ov-list">{"".join(items)}</ul>{tail}{late_html(late)}</div>'


# --------------------------------------------------------------------------------------------
# The small map (plotly: it loads with the page's other chart and prints; classes and colours are the
# map page's, from ui.map, read-only)


def small_map(streets: pd.DataFrame, counties: pd.DataFrame | None, meeting: bool):
    """(figure, legend rows) for the rows of meeting.street_density (suppressed by the door), or None when
    no street has a boundary."""
    if streets.empty or streets["geometry"].isna().all():
        return None
    hidden = streets.get("children_suppressed", pd.Series(False, index=streets.index)).astype(bool)
    shown = streets.loc[~hidden & streets["geometry"].notna(), "value"]
    fig = charts.street_map(streets, counties, variant="meeting" if meeting else "screen",
                            height=MAP_HEIGHT[meeting])
    return fig, mp.legend_rows(mp.class_breaks(shown), "children", False, shown)


def compact(fig):
    """A small chart in a panel: tight margins, no title space (the panel has its own heading)."""
    fig.update_layout(margin={"l": 48, "r": 8, "t": 16, "b": 32}, yaxis_title=None)
    return fig


def legend_html(rows: list[tuple[str, str]], t: int, suppressed: bool) -> str:
    chips = "".join(f'<span style="display:inline-block;width:12px;height:12px;background:{c};'
                    f'border:1px solid #777;margin:0 3px 0 8px;vertical-align:middle"></span>{html.escape(x)}'
                    for c, x in rows)
    note = f"；灰色：不足{t}人" if suppressed else ""
    return f'<div class="ov-more">流动儿童人数（人）：{chips}{note}</div>'


# --------------------------------------------------------------------------------------------
# The meeting pack (report/pack.py)


def pack_buttons(wh, scope, period: str, region_label: str) -> None:
    """Offer the meeting pack (PDF + Excel), generated on click (seconds); one row that wraps when narrow."""
    key = f"ov_pack_{period}_{region_label}"
    with st.container(horizontal=True, vertical_alignment="center", key="ov_pack"):
        if st.button("生成会议材料", key="ov_pack_make", help="生成本页内容的PDF和Excel（需数秒）"):
            bar = st.progress(0.0, text="正在生成会议材料…")
            st.session_state[key] = pack.build(wh.con, scope, period, region_label=region_label,
                                               data_date=wh.info.data_date, is_demo=wh.info.is_demo,
                                               progress=lambda f, text: bar.progress(min(float(f), 1.0), text=text))
            bar.empty()
        if key in st.session_state:
            pdf, xlsx = st.session_state[key]
            name = f"推进会材料_{region_label}_{period}"
            auth.download_button("下载PDF", pdf, f"{name}.pdf", what="会议材料PDF", key="ov_pack_pdf",
                                 mime="application/pdf")
            auth.download_button("下载Excel", xlsx, f"{name}.xlsx", what="会议材料Excel", key="ov_pack_xlsx",
                                 mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
