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

_BASE_CSS = """
[data-testid="stMainBlockContainer"] { padding-top: 3.4rem !important; padding-bottom: 0 !important; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.55rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 1.55rem; padding: 0; line-height: 2.2rem; }
.ov-title { font-size: 1.55rem; font-weight: 700; margin: 0; line-height: 2.4rem; }
.ov-sub { color: #4a5568; font-size: 0.85rem; margin: 0; }
.ov-kpis { display: grid; grid-template-columns: repeat(var(--n), minmax(0, 1fr)); gap: 0.6rem; }
.ov-kpi { border: 1px solid #d5dae1; border-radius: 0.5rem; padding: 0.45rem 0.7rem; background: #fff; }
.ov-kpi .l { font-size: 0.95rem; color: #2d3748; font-weight: 600; line-height: 1.25; min-height: 2.5em; }
.ov-kpi .v { font-size: 2.0rem; font-weight: 700; line-height: 1.15; color: #1a202c; }
.ov-kpi .v small { font-size: 1rem; font-weight: 600; margin-left: 0.15rem; }
.ov-kpi .c { font-size: 0.9rem; font-weight: 600; }
.ov-kpi .q { font-size: 0.75rem; color: #718096; margin-left: 0.2rem; cursor: help; }
.ov-kpi .t { font-size: 0.85rem; color: #2d3748; line-height: 1.3; }
.ov-kpi .d { font-size: 0.85rem; color: #2d3748; line-height: 1.3; }
.ov-kpi .s { font-size: 0.75rem; color: #718096; line-height: 1.25; margin-top: 0.1rem; }
.ov-panel h4 { font-size: 1.1rem; margin: 0 0 0.35rem 0; padding: 0; }
.ov-list { list-style: none; padding: 0; margin: 0; }
.ov-list li { border-bottom: 1px solid #e2e8f0; padding: 0.3rem 0; font-size: 0.92rem; line-height: 1.35; }
.ov-list .t { font-weight: 600; }
.ov-list .m { color: #4a5568; font-size: 0.82rem; }
.ov-tag { display: inline-block; color: #fff; border-radius: 0.25rem; padding: 0 0.3rem; font-size: 0.78rem;
          margin-right: 0.3rem; font-weight: 600; }
.ov-more { color: #4a5568; font-size: 0.8rem; margin-top: 0.2rem; }
.ov-note { color: #4a5568; font-size: 0.85rem; margin: 0; }
"""

_MEETING_CSS = """
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.6rem 1.2rem 0 1.2rem !important; max-width: 100% !important; }
.stApp, [data-testid="stMain"] { background: #ffffff !important; color: #000000 !important; }
.ov-title { font-size: 2.1rem; color: #000; line-height: 2.6rem; }
.ov-sub { color: #000; font-size: 1.15rem; font-weight: 600; }
.ov-kpi { border: 2px solid #000; padding: 0.5rem 0.8rem; }
.ov-kpi .l { font-size: 1.25rem; color: #000; }
.ov-kpi .v { font-size: 2.9rem; color: #000; }
.ov-kpi .v small { font-size: 1.3rem; }
.ov-kpi .c { font-size: 1.15rem; }
.ov-kpi .d { font-size: 1.05rem; color: #000; }
.ov-kpi .s { font-size: 0.95rem; color: #1a202c; }
.ov-panel h4 { font-size: 1.45rem; color: #000; }
.ov-list li { font-size: 1.2rem; border-bottom: 1px solid #000; color: #000; }
.ov-list .m { font-size: 1.0rem; color: #1a202c; }
.ov-tag { font-size: 1.0rem; }
.ov-more { font-size: 1.0rem; color: #000; }
.ov-note { font-size: 1.0rem; color: #000; }
"""


# --------------------------------------------------------------------------------------------
# Meeting mode


def meeting_mode() -> bool:
    """Meeting mode is on when the URL says ?meeting=1 (the toggle sets it; a projector link can too)."""
    return st.query_params.get(MEETING_PARAM) == "1"


def style(meeting: bool) -> None:
    """The page's CSS (compact layout; in meeting mode: no sidebar/header, large type, high contrast)."""
    st.html(f"<style>{_BASE_CSS}{_MEETING_CSS if meeting else ''}</style>")


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


def seed_selection(periods: pd.DataFrame, counties: pd.DataFrame) -> None:
    """Restore the selectors from the URL (?period=…&region=…) when their widgets have no state yet."""
    p, r = st.query_params.get("period"), st.query_params.get("region")
    if "period" not in st.session_state and p in set(periods["period"]):
        st.session_state["period"] = p
    if "region" not in st.session_state and r in set(counties["county_code"]):
        st.session_state["region"] = r


def kept_selection(periods: pd.DataFrame, counties: pd.DataFrame) -> tuple[str | None, str | None]:
    """Meeting mode's period and region: from the URL, else the latest period and the whole city."""
    p, r = st.query_params.get("period"), st.query_params.get("region")
    period = p if p in set(periods["period"]) else (periods["period"].iloc[0] if len(periods) else None)
    return period, (r if r in set(counties["county_code"]) else None)


def remember(period: str | None, county: str | None) -> None:
    """Write the selection into the URL, so meeting mode and a bookmarked link show the same."""
    if period and st.query_params.get("period") != period:
        st.query_params["period"] = period
    if county and st.query_params.get("region") != county:
        st.query_params["region"] = county
    elif county is None and "region" in st.query_params:
        st.query_params.pop("region")


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


def kpi_html(headline: pd.DataFrame, previous_period: str | None, not_landed: dict[str, str] | None = None) -> str:
    """One card per headline row: label (its catalogue name, the definition on hover and behind ⓘ), figure +
    unit, change, detail, a reported twin where there is one, and its source page and period. A card named
    in `not_landed` (ui.empty.card_states: key → "未导入：<extract>") shows 未导入 and which extract it awaits."""
    cards = []
    not_landed = not_landed or {}
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
            f'<div class="s">来源：{e(row["source_label"])}页 · {e(str(row["as_of"]))}</div></div>')
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
                 county_view: bool = False) -> str:
    """Targets 未达标 or 滞后 with their lead department, most urgent first; the rest counted; then the
    indicators whose report is overdue (a separate flag, not a status)."""
    head = (f'<div class="ov-panel" id="ov-targets"><h4 title="{html.escape(metrics.help("targets_off_track"))}">'
            f'{html.escape(metrics.label("targets_off_track"))}（{len(off)} 项）</h4>')
    if off.empty:
        text = ("行动计划目标均为全市目标，区县不按全市目标评判（见“目标进展”页的全市目标参考值）。" if county_view
                else "没有未达标或滞后的目标。")
        return head + f'<p class="ov-more">{text}</p>{late_html(late)}</div>'
    items = []
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
    more = len(off) - limit
    tail = f'<p class="ov-more">另有 {more} 项，见“目标进展”页。</p>' if more > 0 else ""
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
                            height=480 if meeting else 470)
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
    """Offer the meeting pack (PDF + Excel), generated on click (seconds)."""
    key = f"ov_pack_{period}_{region_label}"
    make, pdf_col, xlsx_col, _ = st.columns([1, 1, 1, 5], vertical_alignment="center")
    with make:
        if st.button("生成会议材料", key="ov_pack_make", help="生成本页内容的PDF和Excel（需数秒）"):
            bar = st.progress(0.0, text="正在生成会议材料…")
            st.session_state[key] = pack.build(wh.con, scope, period, region_label=region_label,
                                               data_date=wh.info.data_date, is_demo=wh.info.is_demo,
                                               progress=lambda f, text: bar.progress(min(float(f), 1.0), text=text))
            bar.empty()
    if key in st.session_state:
        pdf, xlsx = st.session_state[key]
        name = f"推进会材料_{region_label}_{period}"
        with pdf_col:
            auth.download_button("下载PDF", pdf, f"{name}.pdf", what="会议材料PDF", key="ov_pack_pdf",
                                 mime="application/pdf")
        with xlsx_col:
            auth.download_button("下载Excel", xlsx, f"{name}.xlsx", what="会议材料Excel", key="ov_pack_xlsx",
                                 mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
