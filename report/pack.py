"""The meeting pack (会议材料): one click → a PDF (A4 landscape) and an Excel workbook, offline.

All figures come through the one door (`warehouse.queries.run`, so the user's scope and the small-number
rule apply) from `warehouse.queries.meeting`, the same functions the overview page shows. The PDF has a
cover, one section per topic (charts as images, tables as text), the map with its legend and the
page numbers; the workbook has every table behind it plus a 说明 sheet.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd

from report import figures, fonts, xlsx
from report import pdf as doc
from ui import format as fmt
from ui import map as mp
from ui import overview as ov
from warehouse.queries import Scope, geo, meeting, previous_period, privacy, run

TITLE = "流动儿童关爱服务工作推进会材料"
DEMO_MARK = "示例数据 · 虚构城市，仅供演示"
MAP_TITLE = "流动儿童分布图（分街道乡镇）"
Progress = Callable[[float, str], None]


@dataclass
class PackData:
    """Everything the pack shows, as read through the door (already suppressed for non-exact scopes)."""

    headline: pd.DataFrame
    risk: pd.DataFrame
    streets: pd.DataFrame
    counties: pd.DataFrame
    gaps: pd.DataFrame
    off_track: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    period_note: str
    previous_period: str | None


def _labelled(df: pd.DataFrame, *counts: str) -> pd.DataFrame:
    """`<count>_suppressed`/`<count>_label` columns as `run` adds them, also for exact scopes (no rule)."""
    out = df.copy()
    for c in counts:
        if c in out and f"{c}_suppressed" not in out:
            out[f"{c}_suppressed"] = False
            out[f"{c}_label"] = [fmt.NONE if _missing(v) else f"{int(v):,}" for v in out[c]]
    return out


def collect(con, scope: Scope, period: str) -> PackData:
    """Read the pack's data through `queries.run` (scope + small-number rule)."""
    return PackData(
        headline=_labelled(run(meeting.headline, con, scope, period), "people", "previous_people"),
        risk=_labelled(run(meeting.risk_levels, con, scope, period), "children", "previous_children"),
        streets=_labelled(run(meeting.street_density, con, scope, period), "children", "prev_children"),
        counties=run(geo.shapes, con, scope, "county"),
        gaps=run(meeting.top_county_gaps, con, scope, period, n=3),
        off_track=run(meeting.off_track_targets, con, scope, period),
        tables=run(meeting.pack_tables, con, scope, period),
        period_note=meeting.period_note(con, scope, period),
        previous_period=previous_period(con, period),
    )


# --------------------------------------------------------------------------------------------
# Formatting (the same texts as the pages)


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _flag(row: dict, col: str) -> bool:
    v = row.get(f"{col}_suppressed")
    return bool(v) if not _missing(v) else False


def count_text(row: dict, col: str) -> str:
    """A count of people: its label ("<5", "*") when suppressed, else the Chinese number (1.2万)."""
    if _flag(row, col):
        return str(row[f"{col}_label"])
    return fmt.number(row.get(col))


def headline_value(row: dict) -> str:
    """A headline figure with its unit, exactly as the overview's KPI card shows it ("1,275人", "85.2%", "<5人")."""
    text = ov.value_text(row)
    return text if text == fmt.NONE else f"{text}{_unit(row)}"


def headline_change(row: dict, previous_period: str | None) -> str:
    """The change against the previous period as the overview's card says it (without "较上期")."""
    return ov.change_text(row, previous_period)[0].removesuffix(" 较上期").removeprefix("较上期：")


def headline_previous(row: dict) -> str:
    """The previous period's figure in the card's style (its label where suppressed)."""
    prev = {**row, "value": row.get("previous_value"), "people": row.get("previous_people"),
            "people_suppressed": row.get("previous_people_suppressed"),
            "people_label": row.get("previous_people_label")}
    return headline_value(prev)


def _unit(row: dict) -> str:
    u = row.get("unit")
    return "" if _missing(u) else str(u)


def _num(v, digits: int = 1) -> str:
    if _missing(v):
        return fmt.NONE
    v = float(v)
    return f"{int(v):,}" if v.is_integer() else f"{v:,.{digits}f}"


def _date(v) -> str:
    if _missing(v):
        return fmt.NONE
    try:
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return str(v)


def scope_note(scope: Scope, region_label: str) -> str:
    """Which data the pack shows, and how exactly."""
    t = privacy.threshold()
    if scope.exact:
        return f"数据范围：{region_label}（按本人权限）。本材料含精确数字，仅限有个案权限的人员使用，请勿外传。"
    return (f"数据范围：{region_label}（按本人权限）。小数保护：少于{t}人的数字显示为“<{t}”，"
            f"“*”为防止由合计反推而隐去的数字。")


# --------------------------------------------------------------------------------------------
# Sections


def _headline_section(d: PackData) -> doc.Section:
    rows = []
    for r in d.headline.to_dict("records"):
        rows.append([str(r["label"]), headline_value(r), headline_previous(r), headline_change(r, d.previous_period),
                     "" if _missing(r.get("detail")) else str(r["detail"]),
                     f"{r['source_label']}（{r['as_of']}）"])
    table = doc.Table(["指标", "本期", "上期", "较上期", "说明", "来源页面（数据期）"], rows,
                      widths=[1.3, 1.1, 1.1, 1.3, 2.4, 2.2], align=["L", "R", "R", "R", "L", "L"],
                      size=11)
    return doc.Section("一、主要指标", [table], intro=d.period_note or None)


def _risk_section(d: PackData, png: bytes | None) -> doc.Section:
    rows = [[str(r["risk_level"]), count_text(r, "children"), count_text(r, "previous_children"),
             fmt.NONE if _flag(r, "children") or _flag(r, "previous_children") else fmt.arrow(r.get("change"))]
            for r in d.risk.to_dict("records")]
    table = doc.Table(["风险等级", "本期人数", "上期人数", "较上期"], rows, widths=[1, 1, 1, 1],
                      align=["L", "R", "R", "R"], title="分风险等级人数", size=10.5)
    blocks = [[doc.Image(png, 150, 900 / 420), table]] if png else [table]
    return doc.Section("二、重点对象风险等级", blocks, intro="重点对象按风险等级统计（四色管理），与上期比较。")


def _map_section(d: PackData, png: bytes | None, ratio: float, exact: bool) -> doc.Section:
    t = privacy.threshold()
    streets = d.streets
    breaks, shown = figures.map_classes(streets)
    rows = mp.legend_rows(breaks, "children", False, shown)
    legend_rows = [(c, f"{txt} 人") for c, txt in rows]
    dashed = set()
    if not exact or bool(streets["children_suppressed"].astype(bool).any()):
        dashed.add(len(legend_rows))
        legend_rows.append((figures.SUPPRESSED_COLOR, f"不足{t}人，不着色（显示为“<{t}”；“*”为防止由合计反推而隐去）"))
    nodata = streets["geometry"].isna().sum() if "geometry" in streets else 0
    legend = doc.Legend("图例：流动儿童人数（分位数分级）", legend_rows, dashed, notes=[
        "颜色越深，流动儿童越多；分级与“流动儿童分布”页面相同（分位数分级）。",
        "示意边界：示例城市的边界为虚构示意图，不代表真实行政区划。"
        if "is_schematic" in streets and streets["is_schematic"].fillna(False).astype(bool).any() else "",
        f"另有 {int(nodata)} 个街道乡镇没有边界，未画在图上（见附表）。" if nodata else "",
    ])
    legend.notes = [n for n in legend.notes if n]
    table_rows = [[str(r["county_name"]), str(r["street_name"]), count_text(r, "children")]
                  for r in streets.sort_values("street_code").to_dict("records")]
    table = doc.Table(["区县", "街道（乡镇）", "人数"], table_rows, widths=[1, 1.4, 0.8], align=["L", "L", "R"],
                      size=9) if len(table_rows) <= 14 else None
    intro = "全部年龄段（0—16岁）流动儿童，按街道（乡镇）统计；与“流动儿童分布”页面的默认视图相同。"
    if png is None:
        return doc.Section(f"三、{MAP_TITLE}", [legend, table] if table else [legend], intro=intro)
    image = doc.Image(png, 170, ratio)
    return doc.Section(f"三、{MAP_TITLE}", [doc.MapPage(image, legend, table)], intro=intro)


def _gaps_section(d: PackData, png: bytes | None) -> doc.Section:
    g = d.gaps
    level = str(g["level"].iloc[0]) if len(g) else "county"
    what = "区县" if level == "county" else "街道（乡镇）"
    rows = []
    for r in g.to_dict("records"):
        short = _num(r.get("shortfall"))  # <NA> where the gaps page hides it (its demand is a small count)
        unit = "" if _missing(r.get("unit")) else str(r["unit"])
        share = fmt.NONE if _missing(r.get("gap_share")) else fmt.percent(float(r["gap_share"]))
        rows.append([_num(r.get("rank")), str(r["area_name"]), "" if _missing(r.get("area_type")) else str(r["area_type"]),
                     _num(r.get("gap_index")), str(r["measure_label"]), f"{short} {unit}".strip(), share])
    table = doc.Table(["排名", what, "区域类型", "综合缺口指数", "最大缺口项目", "最大缺口", "缺口率"], rows,
                      widths=[0.6, 1.4, 1, 1.2, 1.6, 1.5, 0.9], align=["R", "L", "L", "R", "L", "R", "R"],
                      title=f"综合缺口指数最高的{what}" + (f"（前{len(g)}名）" if len(g) else ""), size=10.5)
    blocks: list = [table]
    if png is not None:
        blocks.append(doc.Image(png, 170, 1000 / figures.gaps_height(len(g)), caption="综合缺口指数（越高差距越大）。"))
    return doc.Section("四、服务缺口", blocks,
                       intro="综合缺口指数越高，供给与需求差距越大；排名与“服务缺口”页面的默认排序相同。")


def _targets_section(d: PackData) -> doc.Section:
    o = d.off_track
    rows = [[str(r["status"]), str(r["indicator_name"]), str(r["department"]), str(r["plan_name"]),
             f"{r['latest_value_label'] if r.get('latest_value_suppressed') else _num(r.get('latest_value'))}"
             f" / {_num(r.get('target_value'))} {'' if _missing(r.get('unit')) else r['unit']}".strip(),
             _date(r.get("deadline"))]
            for r in o.to_dict("records")]
    table = doc.Table(["状态", "指标", "牵头单位", "行动计划", "最新值 / 目标值", "截止日期"], rows,
                      widths=[0.55, 2.5, 0.9, 3.6, 1.3, 0.95], align=["C", "L", "L", "L", "R", "C"], size=8.5)
    return doc.Section("五、滞后与逾期目标", [table],
                       intro=f"共 {len(o)} 项指标逾期或滞后（按“目标进展”页面的评估规则），请牵头单位说明原因和措施。")


def _volunteers_section(d: PackData, png: bytes | None) -> doc.Section:
    m = d.tables.get("志愿服务（月度）", pd.DataFrame(columns=["月份", "开展活动（场）", "服务人次"]))
    rows = [[str(r["月份"]), _num(r["开展活动（场）"]), _num(r["服务人次"])] for r in m.to_dict("records")]
    table = doc.Table(["月份", "开展活动（场）", "服务人次"], rows, widths=[1, 1, 1], align=["L", "R", "R"],
                      title="月度明细", size=10)
    head = d.headline[d.headline["metric"] == "volunteer_person_times"].to_dict("records")
    intro = "志愿服务按月统计（“志愿服务”页面的月度明细）。"
    if head:
        h = head[0]
        intro += f"{h['as_of']}共服务 {headline_value(h)}（{h['detail']}），较上期 {headline_change(h, d.previous_period)}。"
    blocks = [[doc.Image(png, 150, 900 / 360), table]] if png else [table]
    return doc.Section("六、志愿服务", blocks, intro=intro)


# --------------------------------------------------------------------------------------------
# The pack


def _charts(d: PackData) -> tuple[dict[str, tuple], float]:
    out = {}
    if len(d.risk):
        out["risk"] = (figures.risk_chart(d.risk), 900, 420)
    shapes = d.streets[d.streets["geometry"].notna()].rename(columns={"street_code": "region_code"}) \
        if len(d.streets) else d.streets
    ratio = 1.3
    if len(shapes):
        breaks, _ = figures.map_classes(d.streets)
        fig, ratio = figures.map_figure(d.streets, shapes.assign(region_name=shapes["street_name"]),
                                        d.counties, breaks)
        out["map"] = (fig, int(700 * ratio), 700)
    if len(d.gaps):
        out["gaps"] = (figures.gaps_chart(d.gaps), 1000, figures.gaps_height(len(d.gaps)))
    m = d.tables.get("志愿服务（月度）")
    if m is not None and len(m):
        out["volunteers"] = (figures.volunteers_chart(pd.DataFrame({"label": m["月份"], "value": m["服务人次"]})),
                             900, 360)
    return out, ratio


def build(con, scope: Scope, period: str, *, region_label: str, data_date, is_demo: bool,
          progress: Progress | None = None) -> tuple[bytes, bytes]:
    """The meeting pack for `scope` and register `period`: (PDF bytes, xlsx bytes). Works offline.

    region_label: the region's Chinese name as the page shows it (e.g. "全市", "青石县");
    data_date: the snapshot's data date; is_demo: mark every page as demo data.
    progress(fraction, message) is called as the build advances (for a progress bar).
    """
    def step(f: float, msg: str) -> None:
        if progress is not None:
            progress(f, msg)

    with ThreadPoolExecutor(1) as pool:  # the fonts' one-off conversion overlaps Chromium drawing the charts
        fonts_ready = pool.submit(lambda: (fonts.base_font(""), fonts.base_font("B")))
        step(0.05, "读取数据…")
        d = collect(con, scope, period)
        step(0.25, "绘制图表…")
        charts, ratio = _charts(d)
        images = figures.render(charts)
        fonts_ready.result()
    step(0.7, "生成 PDF…")
    generated = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    label = fmt.period_label(period)
    note = scope_note(scope, region_label)
    cover = doc.Cover(TITLE, [("区域", region_label), ("统计期", label), ("数据截至", _date(data_date)),
                              ("生成时间", generated)],
                      demo_mark=DEMO_MARK if is_demo else None,
                      notes=[note, d.period_note, "本材料由“童心”流动儿童关爱服务平台离线生成，数字与平台各页面一致。"])
    cover.notes = [n for n in cover.notes if n]
    sections = [
        _headline_section(d),
        _risk_section(d, images.get("risk")),
        _map_section(d, images.get("map"), ratio, scope.exact),
        _gaps_section(d, images.get("gaps")),
        _targets_section(d),
        _volunteers_section(d, images.get("volunteers")),
    ]
    pdf_bytes = doc.render(cover, sections, f"{TITLE} · {region_label} · {label}")
    step(0.9, "生成 Excel…")
    about = [("材料", TITLE), ("区域", region_label), ("统计期", label), ("数据截至", _date(data_date)),
             ("生成时间", generated), ("数据范围", note)]
    if d.period_note:
        about.append(("数据期说明", d.period_note))
    if is_demo:
        about.append(("示例数据", DEMO_MARK))
    xlsx_bytes = xlsx.workbook(about, d.tables, extra=_extra_tables(d))
    step(1.0, "完成")
    return pdf_bytes, xlsx_bytes


def _extra_tables(d: PackData) -> dict[str, pd.DataFrame]:
    """Tables in the PDF that pack_tables does not hold: the map's class breaks (legend)."""
    breaks, shown = figures.map_classes(d.streets)
    rows = mp.legend_rows(breaks, "children", False, shown)
    return {"地图图例": pd.DataFrame({"分级": [f"第{i + 1}级" for i in range(len(rows))],
                                   "人数范围": [t for _, t in rows], "颜色": [c for c, _ in rows]})}
