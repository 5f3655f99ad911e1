"""The meeting pack (会议材料): one click → a PDF (A4 landscape) and an Excel workbook, offline.

All figures come through the one door (`warehouse.queries.run`, so the user's scope and the small-number
rule apply) from `warehouse.queries.meeting` and `warehouse.queries.pack`, the same functions the overview
page shows. The PDF has a cover (the city's own name, 内部资料, data date, build time in Beijing time), a
summary written from the figures (成效、问题、下步建议), one section per topic (charts as images, tables as
text), a county ranking with status flags, the map with its legend and the page numbers; the workbook has
every table behind it plus a 说明 sheet. Names of regions, plans and departments are data: the PDF writes them
as plain text (no markup is parsed), so no name can change the layout.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd

from loop import instructions as ins
from loop import signoff
from report import figures, fonts, xlsx
from report import pdf as doc
from report.cards import change_text, value_text
from ui import followup as uf
from ui import format as fmt
from ui import map as mp
from warehouse import queries
from warehouse.queries import Scope, geo, meeting, previous_period, privacy, run
from warehouse.queries import pack as qpack

TITLE = "流动儿童关爱服务工作推进会材料"
DEMO_MARK = "示例数据 · 虚构城市，仅供演示"
CLASSIFICATION = "内部资料"
MAP_TITLE = "流动儿童分布图（分街道乡镇）"
SUMMARY_TITLE = "工作小结"
SUMMARY_HEADINGS = ("成效", "问题", "下步建议")
RANKING_TITLE = "区县排名"
TARGETS_TITLE = "未达标与滞后目标"  # the catalogue's name of the figure (metrics: targets_off_track)
Progress = Callable[[float, str], None]

# A status flag's background in the county ranking (the targets page's colours, light enough to print text on):
# on or above target green, on the path neutral, behind the path amber, past the deadline and short red.
FLAG_FILLS = {"已达标": "#d8efd3", "滞后": "#fde3b5", "未达标": "#f6c9c3", "逾期": "#f6c9c3"}
FLAG_LEGEND = [("#d8efd3", "已达标", ""), ("#ffffff", "正常", "不低于应达进度"), ("#fde3b5", "滞后", "低于应达进度"),
               ("#f6c9c3", "未达标", "已过截止日期仍未达到"), ("#ffffff", "未设区县目标", "只列全市目标供参考，不着色")]
LAGGING = ("滞后", "未达标", "逾期")
NO_COUNTY_TARGET = "未设区县目标"  # targets.NO_COUNTY_TARGET: only a city-wide target, the county is not judged by it


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
    city: str | None = None
    ranking: pd.DataFrame | None = None
    statuses: pd.DataFrame | None = None
    unconfirmed: dict[str, pd.DataFrame] | None = None  # headline metric id → the unconfirmed data it rests on
    county_names: dict[str, str] | None = None
    followup: pd.DataFrame | None = None  # per county: 区县, 未办结, 逾期, 本月办结 (labels)
    instructions: pd.DataFrame | None = None  # the open leaders' instructions (loop.instructions.open_table)


def _labelled(df: pd.DataFrame, *counts: str) -> pd.DataFrame:
    """`<count>_suppressed`/`<count>_label` columns as `run` adds them, also for exact scopes (no rule)."""
    out = df.copy()
    for c in counts:
        if c in out and f"{c}_suppressed" not in out:
            out[f"{c}_suppressed"] = False
            out[f"{c}_label"] = [fmt.count(v) for v in out[c]]
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
        city=qpack.city_name(con, scope),
        ranking=run(qpack.county_ranking, con, scope, period),
        statuses=run(qpack.target_statuses, con, scope, period),
        unconfirmed=signoff_marks(con, scope, period),
        county_names=_county_names(con, scope),
        followup=uf.county_table(uf.county_summary(con, scope)),
        instructions=ins.open_table(None, scope),
    )


# --------------------------------------------------------------------------------------------
# Data sign-off (数据确认): which figures rest on data the city has not confirmed (loop.signoff)

SIGNOFF_TITLE = "数据确认情况"
OVERVIEW_METRICS = tuple(meeting.HEADLINE_METRICS.values())


def signoff_marks(con, scope: Scope, period: str) -> dict[str, pd.DataFrame]:
    """Headline metric id → the unconfirmed source × period × county in `scope` its figure rests on (the
    period mapped onto each source as queries.meeting.window_of maps it onto the pages)."""
    if scope.is_empty:
        return {}
    return signoff.marks(None, list(scope.prefixes), OVERVIEW_METRICS, meeting.window_of(con, period))


def confirmed_periods(con, scope: Scope, periods: list[str]) -> list[str]:
    """The periods (in their order) whose headline figures rest on city-confirmed data only, in `scope`."""
    return [p for p in periods if not signoff_marks(con, scope, p)]


def as_of(con, period: str) -> dt.date | None:
    """The targets page's evaluation date for a register period (queries.meeting.window_of)."""
    w = meeting.window_of(con, period)
    return None if w is None else w.as_of


def _county_names(con, scope: Scope) -> dict[str, str]:
    if scope.is_empty:
        return {}
    c = run(queries.counties, con, scope)
    return {str(code)[:6]: name for code, name in zip(c["county_code"], c["county_name"])}


def unconfirmed_table(d: PackData) -> pd.DataFrame:
    """The pack's 数据确认情况 rows: one per county and source not confirmed by the city, with its periods
    and their statuses."""
    cols = ["区县", "数据源", "统计期", "状态"]
    if not d.unconfirmed:
        return pd.DataFrame(columns=cols)
    df = pd.concat(d.unconfirmed.values()).drop_duplicates(["source", "period", "county_code"])
    names = d.county_names or {}
    rows = []
    for (county, source), g in df.sort_values("period").groupby(["county_code", "source"], sort=True):
        rows.append([names.get(county, county) if county else "全市", signoff.source_label(source),
                     "、".join(g["period"]), "、".join(dict.fromkeys(g["status"]))])
    return pd.DataFrame(rows, columns=cols)


ALL_CONFIRMED = "本期各项数字所依据的数据均已经市级确认。"


def signoff_blocks(d: PackData) -> list:
    """数据确认情况: the unconfirmed counties and sources behind the figures, or one line saying all is confirmed."""
    table = unconfirmed_table(d)
    head = doc.Text(SIGNOFF_TITLE, size=11, bold=True)
    if table.empty:
        return [head, doc.Text(ALL_CONFIRMED, size=10)]
    note = doc.Text(f"下列 {len(table)} 项（区县 × 数据源）尚未经市级确认，依据它们的数字在上表标有“{MARK}”：", size=10)
    return [head, note, doc.Table(list(table.columns), table.astype(str).values.tolist(), widths=[1.6, 2.6, 4, 1.4],
                                  align=["L", "L", "L", "C"], size=9)]


MARK = "未确认"


def signoff_mark(d: PackData, metric_id) -> str:
    """" · 未确认" after a headline row's source when its figure rests on unconfirmed data."""
    return f" · {MARK}" if d.unconfirmed and metric_id in d.unconfirmed else ""


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
    text = value_text(row)
    return text if text == fmt.NONE else f"{text}{_unit(row)}"


def headline_change(row: dict, previous_period: str | None) -> str:
    """The change against the previous period as the overview's card says it (without "较上期")."""
    return change_text(row, previous_period)[0].removesuffix(" 较上期").removeprefix("较上期：")


def headline_previous(row: dict) -> str:
    """The previous period's figure in the card's style (its label where suppressed)."""
    prev = {**row, "value": row.get("previous_value"), "people": row.get("previous_people"),
            "people_suppressed": row.get("previous_people_suppressed"),
            "people_label": row.get("previous_people_label")}
    return headline_value(prev)


def _unit(row: dict) -> str:
    u = row.get("unit")
    return "" if _missing(u) else str(u)


def _num(v) -> str:
    """A figure in a table cell: whole numbers exact with separators, others to one decimal (fmt.count)."""
    return fmt.count(None if _missing(v) else float(v))


def _date(v) -> str:
    if _missing(v):
        return fmt.NONE
    try:
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return str(v)


def place(city: str | None, region_label: str) -> str:
    """The region as the cover names it: the city's own name for the whole city ("全市" names no place), else
    the city followed by the region (示范市青石县)."""
    if not city:
        return region_label
    if region_label in ("", "全市", city):
        return city
    if region_label.startswith(city):
        return region_label
    return f"{city}{region_label}"


def region_name(d: PackData, scope: Scope, region_label: str) -> str:
    """The region the pack covers, named from the city down to the scope's own level: 示范市 for the city,
    示范市东湖区 for a county, 示范市东湖区凤亭镇 for a street (a street's name alone, or the city's with it,
    does not say where it is; the label the page passes names only the street's county)."""
    streets_only = bool(scope.prefixes) and all(len(p) >= 9 for p in scope.prefixes)
    if streets_only and len(d.streets):
        rows = d.streets.sort_values("street_code")
        counties = "、".join(dict.fromkeys(str(n) for n in rows["county_name"]))
        streets = "、".join(dict.fromkeys(str(n) for n in rows["street_name"]))
        return f"{d.city or ''}{counties}{streets}"
    return place(d.city, region_label)


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
                     f"{r['source_label']}（{r['as_of']}）{signoff_mark(d, r.get('metric_id'))}"])
    table = doc.Table(["指标", "本期", "上期", "较上期", "说明", "来源页面（数据期）"], rows,
                      widths=[2.8, 0.9, 0.9, 1.2, 2.0, 2.0], align=["L", "R", "R", "R", "L", "L"],
                      size=10)
    return doc.Section("主要指标", [table, *signoff_blocks(d)], intro=d.period_note or None)


def _risk_section(d: PackData, png: bytes | None) -> doc.Section:
    rows = [[str(r["risk_level"]), count_text(r, "children"), count_text(r, "previous_children"),
             fmt.NONE if _flag(r, "children") or _flag(r, "previous_children") else fmt.arrow(r.get("change"))]
            for r in d.risk.to_dict("records")]
    table = doc.Table(["风险等级", "本期人数", "上期人数", "较上期"], rows, widths=[1, 1, 1, 1],
                      align=["L", "R", "R", "R"], title="分风险等级人数", size=10.5)
    blocks = [[doc.Image(png, 150, 900 / 420), table]] if png else [table]
    return doc.Section("重点对象风险等级", blocks, intro="重点对象按风险等级统计（四色管理），与上期比较。")


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
        return doc.Section(MAP_TITLE, [legend, table] if table else [legend], intro=intro)
    image = doc.Image(png, 170, ratio)
    # a few streets (a county or a street pack) read well smaller: the map need not wait for a page of its own
    return doc.Section(MAP_TITLE, [doc.MapPage(image, legend, table,
                                               min_height=doc.MAP_MIN_H if len(streets) > 6 else 70)], intro=intro)


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
    return doc.Section("服务缺口", blocks,
                       intro="综合缺口指数越高，供给与需求差距越大；排名与“服务缺口”页面的默认排序相同。")


def off_track_rows(off: pd.DataFrame) -> list[dict]:
    """The off-track targets, one row per indicator: an indicator that several plans hold with the same value and
    target (e.g. 公办学校就读比例 in the city list and a district plan) is listed once, naming every plan."""
    rows: dict[tuple, dict] = {}
    for r in off.to_dict("records"):
        value = str(r["latest_value_label"]) if r.get("latest_value_suppressed") is True else _num(r.get("latest_value"))
        unit = "" if _missing(r.get("unit")) else str(r["unit"])
        key = (str(r["indicator_name"]), value, _num(r.get("target_value")), unit)
        row = rows.setdefault(key, {"status": str(r["status"]), "indicator": key[0], "value": value,
                                    "target": key[2], "unit": unit, "plans": [], "departments": [],
                                    "deadline": _date(r.get("deadline"))})
        for k, v in (("plans", r.get("plan_name")), ("departments", r.get("department"))):
            if not _missing(v) and str(v) not in row[k]:
                row[k].append(str(v))
    return list(rows.values())


def _targets_section(d: PackData, title: str = TARGETS_TITLE) -> doc.Section:
    rows = off_track_rows(d.off_track)
    if not rows:
        return doc.Section(title, [], intro="本范围内没有未达标或滞后的目标（按“目标进展”页面的评估规则）。")
    table = doc.Table(["状态", "指标", "牵头单位", "行动计划", "最新值 / 目标值", "截止日期"],
                      [[r["status"], r["indicator"], "、".join(r["departments"]), "；".join(r["plans"]),
                        f"{r['value']} / {r['target']} {r['unit']}".strip(), r["deadline"]] for r in rows],
                      widths=[0.55, 2.5, 0.9, 3.6, 1.3, 0.95], align=["C", "L", "L", "L", "R", "C"], size=8.5,
                      fills=[[FLAG_FILLS.get(r["status"])] + [None] * 5 for r in rows])
    return doc.Section(title, [table],
                       intro=f"共 {len(d.off_track)} 项目标未达标或滞后（按“目标进展”页面的评估规则），涉及 {len(rows)} 个指标："
                             "几个行动计划共有的同一指标只列一次。请牵头单位说明原因和措施。")


# --------------------------------------------------------------------------------------------
# The county ranking


def _rate_text(v, status, target=None) -> str:
    """"85.2% 滞后"; where the county has no target of its own, the city's target for reference (not judged)."""
    if _missing(v):
        return fmt.NONE
    if status == NO_COUNTY_TARGET:
        return f"{fmt.percent(v, points=True)}\n（全市目标 {fmt.percent(target, 0, points=True)}）" \
            if not _missing(target) else fmt.percent(v, points=True)
    return f"{fmt.percent(v, points=True)}" + ("" if _missing(status) else f" {status}")


def _rate_labels(d: PackData) -> dict[str, str]:
    """The headline's own names of the three rates, so a rate reads the same in the ranking as above it."""
    labels = dict(zip(d.headline["metric"], d.headline["label"])) if len(d.headline) else {}
    return {k: labels.get(k, name) for k, (_, name) in meeting.RATE_MODELS.items()}


def _ranking_section(d: PackData, title: str = RANKING_TITLE) -> doc.Section | None:
    """Each county's headline figures in one table, rates flagged by their status against the county's path;
    None when the scope holds fewer than two counties (nothing to rank)."""
    rk = d.ranking
    if rk is None or len(rk) < 2:
        return None
    rates = _rate_labels(d)
    headers = ["排名", "区县", "区域类型", "流动儿童", "重点对象", *rates.values(), "综合缺口指数", "最大缺口"]
    rows, fills = [], []
    for r in rk.to_dict("records"):
        counts = [str(r[f"{m}_label"]) if not _missing(r.get(f"{m}_label")) else fmt.count(r.get(m), card=True)
                  for m in ("migrant", "key_children")]
        gap = fmt.NONE if _missing(r.get("gap_label")) else (
            f"{r['gap_label']} {fmt.percent(r['gap_share'])}" if not _missing(r.get("gap_share")) else str(r["gap_label"]))
        rows.append([_num(r.get("rank")), str(r["county_name"]), fmt.dash(r.get("area_type")), *counts,
                     *(_rate_text(r.get(k), r.get(f"{k}_status"), r.get(f"{k}_target")) for k in rates),
                     fmt.decimal(r.get("gap_index")), gap])
        fills.append([None] * 5 + [FLAG_FILLS.get(str(r.get(f"{k}_status"))) for k in rates] + [None, None])
    table = doc.Table(headers, rows, widths=[0.45, 0.9, 0.75, 0.85, 0.85, 1.5, 1.5, 1.5, 0.95, 1.4],
                      align=["R", "L", "L", "R", "R", "R", "R", "R", "R", "L"], size=10, fills=fills)
    legend = doc.Table(["颜色标识", *(name for _, name, _ in FLAG_LEGEND)],
                       [["比率按各区县自身进度评估，与“目标进展”页面相同", *(text for _, _, text in FLAG_LEGEND)]],
                       fills=[[None, *(c for c, _, _ in FLAG_LEGEND)]], size=8.5, widths=[2.2, 1, 1, 1, 1.3, 1.6])
    note = doc.Text("排名按综合缺口指数（越高差距越大），与“服务缺口”页面的默认排序相同；人数少于"
                    f"{privacy.threshold()}人时显示为“<{privacy.threshold()}”。", size=8.5, color=doc.MUTED)
    return doc.Section(title, [table, legend, note],
                       intro="各区县的主要指标：人数与总览页面该区县的数字相同，比率后为其状态。")


# --------------------------------------------------------------------------------------------
# The summary, written from the figures


def _higher_is_better(metric: str, kind: str) -> bool | None:
    from warehouse.queries import metrics

    try:
        v = metrics.get(metric).higher_is_better
        if v is not None:
            return v
    except KeyError:
        pass
    return {"rate": True, "activity": True, "targets": False}.get(kind)


def _figure(value, unit: str) -> str:
    if _missing(value):
        return fmt.NONE
    if unit == "%":
        return fmt.percent(value, points=True)
    return f"{fmt.count(value, card=True)}{unit}"


def _indicator_name(r: dict) -> str:
    """A plan indicator's name as the targets page and the catalogue give it (计算值 / 部门报送)."""
    from warehouse.queries import metrics

    model = None if _missing(r.get("model")) else str(r["model"])
    return metrics.for_indicator(str(r.get("kind")), model, str(r["indicator"])).name_zh


def summary(d: PackData) -> dict[str, list[str]]:
    """成效 (what improved), 问题 (targets slipped with the department that leads each; areas lagging on which
    gap), 下步建议 (one line per problem): sentences made from the pack's figures only."""
    good: list[str] = []
    for r in d.headline.to_dict("records"):
        if r["kind"] == "count" or _missing(r.get("value")) or _missing(r.get("previous_value")):
            continue
        if r.get("people_suppressed") is True or r.get("previous_people_suppressed") is True:
            continue
        better = _higher_is_better(str(r["metric"]), str(r["kind"]))
        change = float(r["value"]) - float(r["previous_value"])
        if better is None or change == 0 or (change > 0) != better:
            continue
        unit = _unit(r)
        verb = ("提高到" if change > 0 else "减少到")
        good.append(f"{r['label']}由上期的{_figure(r['previous_value'], unit)}{verb}{_figure(r['value'], unit)}。")
    st = d.statuses if d.statuses is not None else pd.DataFrame(columns=["status", "indicator"])
    done = st[st["status"] == "已达标"]
    met = list(dict.fromkeys(_indicator_name(r) for r in done.to_dict("records")))
    if met:
        good.append(f"{len(met)}项指标已达标：{'、'.join(met[:6])}{'等' if len(met) > 6 else ''}。")
    if not good:
        good.append("本期主要指标与上期相比暂无改善。")

    problems: list[str] = []
    advice: list[str] = []
    by_dept: dict[str, list[dict]] = {}
    for r in off_track_rows(d.off_track):
        by_dept.setdefault("、".join(r["departments"]) or "未指定牵头单位", []).append(r)
    for dept, rows in by_dept.items():
        items = "；".join(f"{r['indicator']}（{r['status']}，{r['value']} / {r['target']}{r['unit']}）" for r in rows[:4])
        more = f"等{len(rows)}项" if len(rows) > 4 else ""
        problems.append(f"{dept}牵头：{items}{more}。")
        advice.append(f"{dept}：就{len(rows)}项未达标或滞后指标说明原因，明确整改措施和完成时限。")
    rk = d.ranking if d.ranking is not None else pd.DataFrame()
    rates = _rate_labels(d)
    for r in rk.to_dict("records") if len(rk) >= 2 else []:
        behind = [f"{rates[k]}{r[f'{k}_status']}（{fmt.percent(r[k], points=True)}）" for k in rates
                  if str(r.get(f"{k}_status")) in LAGGING and not _missing(r.get(k))]
        if behind:
            problems.append(f"{r['county_name']}：{'、'.join(behind)}。")
            advice.append(f"{r['county_name']}：提高{'、'.join(rates[k] for k in rates if str(r.get(f'{k}_status')) in LAGGING)}，"
                          "按月跟踪进度。")
    for r in d.gaps.to_dict("records"):
        if _missing(r.get("measure_label")):
            continue
        short = "" if _missing(r.get("shortfall")) else f"，缺{_num(r['shortfall'])}{'' if _missing(r.get('unit')) else r['unit']}"
        share = "" if _missing(r.get("gap_share")) else f"缺口率{fmt.percent(r['gap_share'])}"
        what = f"{share}{short}".removeprefix("，")
        problems.append(f"{r['area_name']}：最大缺口为{r['measure_label']}{f'（{what}）' if what else ''}。")
        need = f"（{short.removeprefix('，')}）" if short else ""
        advice.append(f"{r['area_name']}：优先补齐{r['measure_label']}缺口{need}。")
    if not problems:
        problems.append("本期没有未达标或滞后的目标。")
        advice.append("保持现有工作力度，按期报送进展。")
    return dict(zip(SUMMARY_HEADINGS, (good, problems, advice)))


def _summary_section(d: PackData, title: str = SUMMARY_TITLE) -> doc.Section:
    blocks: list = []
    for heading, lines in summary(d).items():
        blocks.append(doc.Text(heading, size=12.5, bold=True, color=doc.ACCENT))
        blocks += [doc.Text(f"{i}. {line}", size=10.5) for i, line in enumerate(lines, start=1)]
    return doc.Section(title, blocks, intro="以下文字由本材料的数字自动生成。")


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
    return doc.Section("志愿服务", blocks, intro=intro)


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
    generated = fmt.beijing(dt.datetime.now(dt.UTC))
    label = fmt.period_label(period)
    region = region_name(d, scope, region_label)
    note = scope_note(scope, region)
    cover = doc.Cover(TITLE, [("区域", region), ("统计期", label), ("数据截至", _date(data_date)),
                              ("生成时间", f"{generated}（北京时间）")],
                      demo_mark=DEMO_MARK if is_demo else None, classification=CLASSIFICATION,
                      notes=[note, d.period_note, "本材料由“童心”流动儿童关爱服务平台离线生成，数字与平台各页面一致。"])
    cover.notes = [n for n in cover.notes if n]
    sections = [s for s in (
        _summary_section(d),
        _headline_section(d),
        _ranking_section(d),
        _gaps_section(d, images.get("gaps")),
        _targets_section(d),
        _instructions_section(d),
        _followup_section(d),
        _map_section(d, images.get("map"), ratio, scope.exact),
        _risk_section(d, images.get("risk")),
        _volunteers_section(d, images.get("volunteers")),
    ) if s is not None]
    pdf_bytes = doc.render(cover, sections, f"{TITLE} · {region} · {label}", numbered=True)
    step(0.9, "生成 Excel…")
    about = [("材料", TITLE), ("密级", CLASSIFICATION), ("区域", region), ("统计期", label),
             ("数据截至", _date(data_date)), ("生成时间", f"{generated}（北京时间）"), ("数据范围", note)]
    if d.period_note:
        about.append(("数据期说明", d.period_note))
    if is_demo:
        about.append(("示例数据", DEMO_MARK))
    about.append((SIGNOFF_TITLE, f"{len(unconfirmed_table(d))} 项数据尚未经市级确认（见“{SIGNOFF_TITLE}”表）"
                  if d.unconfirmed else ALL_CONFIRMED))
    extra = {**_extra_tables(d), SIGNOFF_TITLE: unconfirmed_table(d), INSTRUCTIONS_TITLE: instructions_table(d),
             FOLLOWUP_TITLE: d.followup if d.followup is not None else pd.DataFrame()}
    xlsx_bytes = xlsx.workbook(about, d.tables, extra=extra, percent=("缺口率",))
    step(1.0, "完成")
    return pdf_bytes, xlsx_bytes


INSTRUCTIONS_TITLE = "领导批示办理情况"
FOLLOWUP_TITLE = "督办情况"


def instructions_table(d: PackData) -> pd.DataFrame:
    """The open instructions as printed: item, department, due date, status (逾期 past due), latest answer."""
    headers, rows = ins.pack_rows(d.instructions if d.instructions is not None else pd.DataFrame(
        columns=ins.COLUMNS))
    return pd.DataFrame(rows, columns=headers)


def _instructions_section(d: PackData) -> doc.Section | None:
    table = instructions_table(d)
    if table.empty:
        return None
    late = int((table["状态"] == ins.OVERDUE).sum())
    fills = [[None, None, None, FLAG_FILLS["逾期"] if s == ins.OVERDUE else None, None] for s in table["状态"]]
    return doc.Section(INSTRUCTIONS_TITLE, [doc.Table(list(table.columns), table.values.tolist(),
                                                      widths=[3.2, 0.9, 0.9, 0.7, 3.6], align=["L", "L", "C", "C", "L"],
                                                      size=9, fills=fills)],
                       intro=f"共 {len(table)} 条领导批示尚未办结" + (f"，其中 {late} 条已过办理期限" if late else "")
                             + "；“最新答复”为承办部门所填，尚未答复的请承办部门说明。")


def _followup_section(d: PackData) -> doc.Section | None:
    """督办 per county: items open, open past their due date, closed this month (比对名单与逾期走访)."""
    table = d.followup
    if table is None or table.empty:
        return None
    return doc.Section(FOLLOWUP_TITLE, [doc.Table(list(table.columns), table.astype(str).values.tolist(),
                                                  widths=[2.4, 1.2, 1.2, 1.2], align=["L", "R", "R", "R"], size=9)],
                       intro="比对名单上的儿童与走访逾期的重点儿童，按区县统计督办事项（少于阈值的数字显示为“<5”等）。")


def _extra_tables(d: PackData) -> dict[str, pd.DataFrame]:
    """Tables in the PDF that pack_tables does not hold: the county ranking and the map's class breaks (legend)."""
    out = {}
    rk = d.ranking
    if rk is not None and len(rk) >= 2:
        table = {"排名": rk["rank"], "区县": rk["county_name"], "区域类型": rk["area_type"]}
        for m, name in (("migrant", "流动儿童（人）"), ("key_children", "重点对象（人）")):
            # the label ("<5") where the door hid the count, else the number
            table[name] = [lb if not _missing(lb) else v for v, lb in zip(rk[m], rk[f"{m}_label"])]
        for k, name in _rate_labels(d).items():
            table[f"{name}（%）"] = rk[k]
            table[f"{name}状态"] = rk[f"{k}_status"]
        table["综合缺口指数"] = rk["gap_index"].astype("Float64").round(1)
        table["最大缺口项目"] = rk["gap_label"]
        table["缺口率"] = rk["gap_share"].astype("Float64").round(3)
        out[RANKING_TITLE] = pd.DataFrame(table)
    breaks, shown = figures.map_classes(d.streets)
    rows = mp.legend_rows(breaks, "children", False, shown)
    out["地图图例"] = pd.DataFrame({"分级": [f"第{i + 1}级" for i in range(len(rows))],
                                 "人数范围": [t for _, t in rows], "颜色": [c for c, _ in rows]})
    return out
