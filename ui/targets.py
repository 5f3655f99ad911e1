"""Widgets of the 目标进展 page: traffic lights, the measure tree, the indicator chart, the Excel export."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from report import export, labels
from ui import theme
from ui.format import md_escape as md
from warehouse.queries import targets as tq

# One colour per status, and one for the separate 报告逾期 flag (the theme's, one place).
STATUS_COLORS = theme.STATUS_COLORS
# Streamlit markdown colour names for the lights in the tree.
_MD = {"已达标": "green", "正常": "green", "滞后": "orange", "未达标": "red", "无数据": "gray",
       tq.NO_COUNTY_TARGET: "gray"}

RULES_MD = """
**状态规则**：状态只看数值与目标路径（按顺序判断）：
1. **已达标**：当前值达到目标值（按指标方向）；
2. **未达标**：已过截止日期仍未达到目标；
3. **无数据**：评估日之前尚无数值；
4. **正常**：当前值不低于从基线到目标的直线路径上评估日应达的值；
5. **滞后**：低于应达值。

**报告逾期**另行标注，不是状态：牵头部门应报未报（每个区县每个报送期一份，报送期结束后 {grace} 天内须报）。
已达标但报告晚交的指标显示为“已达标 · 报告逾期”。

计划目标为**全市目标**：选择某个区县时，只显示全市目标作参考（“未设区县目标”），不按全市目标评判区县。

“（计算值）”由本系统按已导入数据计算：范围内各区县分子之和 ÷ 分母之和；“（部门报送）”取各区县最近一期进展报告，
百分比取平均、数量求和。两者口径不同，并列显示，各指标的定义见名称旁的 (?)。
"""

# The status table's columns, screen and Excel alike; headers from report/labels.
EXPORT_COLUMNS = [
    "plan_id", "area", "measure_no", "measure", "name", "indicator", "unit", "direction", "kind", "lead_department",
    "department", "baseline", "baseline_date", "target", "deadline", "current_value", "value_date", "reported_by",
    "share_of_target", "expected_today", "missing_reports", "status", "report_overdue", "target_scope", "today",
    "origin", "help",
]
KIND_ZH = {"computed": "系统计算", "reported": "部门报送"}


def light(status: str, late: bool = False) -> str:
    """A coloured dot and the status word, as Streamlit markdown; 报告逾期 beside it when a report is missing."""
    tag = f" :violet-badge[{tq.REPORT_OVERDUE}]" if late else ""
    return f":{_MD.get(status, 'gray')}[● {md(status)}]{tag}"


STATUS_HELP = {"已达标": "当前值达到目标值（按指标方向）", "未达标": "已过截止日期仍未达到目标",
               "正常": "当前值不低于基线到目标直线路径上的应达值", "滞后": "当前值低于应达值",
               "无数据": "评估日之前尚无数值",
               tq.NO_COUNTY_TARGET: "只有全市目标：区县的值与全市目标并列作参考，不评判",
               tq.REPORT_OVERDUE: "牵头部门应报未报的进展报告所涉指标项数，与是否达标分开统计"}


def status_counts(status: pd.DataFrame) -> None:
    """One metric per status that occurs (the four judgements always), and 报告逾期 apart."""
    counts = status["status"].value_counts()
    shown = [s for s in tq.STATUS_ORDER if s in ("未达标", "滞后", "正常", "已达标") or counts.get(s, 0)]
    cols = st.columns(len(shown) + 1)
    for col, s in zip(cols, shown):
        col.metric(s, int(counts.get(s, 0)), help=STATUS_HELP.get(s))
    late = int(status["report_overdue"].sum()) if "report_overdue" in status else 0
    cols[-1].metric(tq.REPORT_OVERDUE, late, help=STATUS_HELP[tq.REPORT_OVERDUE])


def target_label(r) -> str:
    """"目标 95%", "区县目标 90%" for a county's own, or "全市目标 95%（参考）" where a county is shown beside a
    city-wide target."""
    word = (tq.CITY_TARGET + " " if r.status == tq.NO_COUNTY_TARGET else
            tq.COUNTY_TARGET + " " if r.target_scope == tq.COUNTY_TARGET else "目标 ")
    tail = "（参考）" if r.status == tq.NO_COUNTY_TARGET else ""
    return f"{word}{num(r.target, r.unit)}{tail}"


def num(v: object, unit: str | None = "") -> str:
    if v is None or pd.isna(v):
        return "—"
    u = unit or ""
    return f"{float(v):,.1f}{u}" if u == "%" else f"{float(v):,.0f}{u}"


def shown_value(r) -> str:
    """An indicator's current value, or its small-number label ("<5") where the door suppressed it."""
    if bool(getattr(r, "current_value_suppressed", False)):
        return f"{r.current_value_label}{r.unit or ''}"
    return num(r.current_value, r.unit)


def tree(measures: pd.DataFrame, status: pd.DataFrame) -> None:
    """Areas → measures → indicators, each indicator with its traffic light."""
    by_measure = {k: g for k, g in status.groupby("measure_no", sort=False)}
    for area, group in measures.groupby("area", sort=False):
        inds = status[status["measure_no"].isin(group["measure_no"])]
        worst = next((s for s in tq.STATUS_ORDER if s in set(inds["status"])), None)
        head = f"{md(area)}（{len(group)}项措施，{len(inds)}项指标）" + (f" · {worst}" if worst else "")
        with st.expander(head, expanded=worst in tq.OFF_TRACK):
            for m in group.itertuples():
                lead = md(m.lead_departments.replace(";", "、"))
                st.markdown(f"**{md(m.measure_no)}. {md(m.measure)}** — 牵头：{lead}")
                if isinstance(m.rule_text, str) and m.rule_text:
                    st.caption(md(m.rule_text))
                g = by_measure.get(m.measure_no)
                if g is None:
                    continue
                for r in g.itertuples():
                    due = ("" if r.status == tq.NO_COUNTY_TARGET else
                           f"今日应达 {md(num(r.expected_today, r.unit))}，")
                    st.markdown(
                        f"&emsp;{light(r.status, bool(r.report_overdue))} {md(r.name)}：当前 {md(shown_value(r))}，"
                        f"{due}{md(target_label(r))}（{pd.Timestamp(r.deadline):%Y-%m-%d}前）"
                        + (" :orange-badge[未确认]" if getattr(r, "signoff", "") else ""),  # 数据确认
                        help=md(r.help))  # a reported indicator's definition quotes its landed text


def indicator_chart(row: pd.Series, series: pd.DataFrame) -> go.Figure:
    """Actual values over time, the pace line from baseline to target, the target and today."""
    fig = go.Figure()
    unit = row["unit"] or ""
    if pd.notna(row["baseline"]) and pd.notna(row["baseline_date"]):
        fig.add_trace(go.Scatter(x=[row["baseline_date"], row["deadline"]], y=[row["baseline"], row["target"]],
                                 mode="lines", name="应达进度线", line={"dash": "dash", "color": theme.NEUTRAL}))
    fig.add_trace(go.Scatter(x=series["value_date"], y=series["value"], mode="lines+markers", name="实际值",
                             line={"color": theme.PRIMARY, "width": 3}))
    city_only = row["status"] == tq.NO_COUNTY_TARGET
    fig.add_trace(go.Scatter(x=[row["deadline"]], y=[row["target"]], mode="markers+text",
                             name=tq.CITY_TARGET + "（参考）" if city_only else "目标",
                             text=[f"{tq.CITY_TARGET if city_only else '目标'} {num(row['target'], unit)}"],
                             textposition="middle left",
                             marker={"symbol": "star", "size": 14, "color": STATUS_COLORS["已达标"]}))
    fig.add_vline(x=pd.Timestamp(row["today"]).timestamp() * 1000, line_dash="dot", line_color=theme.TODAY_LINE,
                  annotation_text="今日", annotation_position="top")
    fig.update_layout(title={"text": f"{row['name']}（{unit or '数值'}）", "font": {"size": 14}},
                      xaxis_title=None, margin={"t": 80})
    return theme.apply(fig, height=360)


def county_table(df: pd.DataFrame) -> pd.DataFrame:
    """Latest value per county, Chinese headers; numerator/denominator only for computed indicators.

    Values the door suppressed (small counts of children, and rates computed from them) show as "<5"."""
    out = df.assign(value_date=pd.to_datetime(df["value_date"]).dt.date)
    for c in ("value", "numerator", "denominator"):
        if f"{c}_suppressed" in out and out[f"{c}_suppressed"].any():
            hidden = out[f"{c}_suppressed"].astype(bool)
            out[c] = [lb if hide else num(v, "%" if c == "value" and u == "%" else "")
                      for v, hide, lb, u in zip(out[c], hidden, out[f"{c}_label"], out.get("unit", [""] * len(out)))]
    keep = ["county_name", "value_date", "value", "numerator", "denominator", "department"]
    out = out[[c for c in keep if c in out]]
    if out["numerator"].isna().all():
        out = out.drop(columns=["numerator", "denominator"])
    if out["department"].isna().all():
        out = out.drop(columns=["department"])
    # the value a county reports is its current value; its department is the one that reported it
    return labels.chinese(out.rename(columns={"value": "current_value", "department": "reported_by"}))


def phases_chart(phases: pd.DataFrame, today: object) -> go.Figure:
    """The plan's phases as bars on a time axis."""
    fig = go.Figure()
    for i, r in enumerate(phases.itertuples()):
        start, end = pd.Timestamp(r.start), pd.Timestamp(r.end)
        fig.add_trace(go.Bar(y=[r.phase], x=[(end - start).days * 86400000], base=[start], orientation="h",
                             name=r.phase, marker_color=theme.PALETTE[i % len(theme.PALETTE)],
                             hovertext=r.milestone, text=f"{start:%Y-%m-%d} — {end:%Y-%m-%d}",
                             textposition="inside"))
    fig.add_vline(x=pd.Timestamp(today).timestamp() * 1000, line_dash="dot", line_color=theme.TODAY_LINE,
                  annotation_text="今日")
    fig.update_layout(showlegend=False, xaxis={"type": "date"}, yaxis={"autorange": "reversed"})
    return theme.apply(fig, height=80 + 50 * len(phases))


def status_table(status: pd.DataFrame) -> pd.DataFrame:
    """The status table with Chinese headers (screen and Excel): the catalogue's name first, the plan's own
    wording beside it; 报告逾期 a column of its own."""
    out = status.assign(kind=status["kind"].map(KIND_ZH).fillna(status["kind"]),
                        report_overdue=status["report_overdue"].map({True: tq.REPORT_OVERDUE, False: ""}))
    table = labels.chinese(out, EXPORT_COLUMNS)
    if "signoff" in status:  # 数据确认: "未确认：<counties and sources>" where the value rests on unconfirmed data
        table.insert(list(table.columns).index(labels.label("status")) + 1, SIGNOFF_COLUMN,
                     status["signoff"].fillna("").to_numpy())
    return table


SIGNOFF_COLUMN = "数据确认"


def excel_bytes(table: pd.DataFrame, sheet: str = "目标进展") -> bytes:
    """An .xlsx of a table, header row bold and frozen."""
    return export.to_xlsx_bytes([export.Sheet(sheet, table)])
