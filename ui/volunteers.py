"""Helpers for the 志愿服务 page: Chinese tables, charts and KPI cards (the upload flow is ui/upload.py)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui import format as fmt
from ui import theme
from ui.gaps import download
from warehouse.queries.privacy import suppress

# Said instead of the unpaired list to roles without case access (the list is case work, auth/roles.py).
UNPAIRED_ELSEWHERE = ("重点儿童的结对覆盖情况见上方指标卡和“重点儿童多、活动少的社区”表；"
                      "未结对儿童的名单由个案工作者（儿童主任）在“志愿服务”页查看，并据此联系志愿者结对。")

HEADERS = {
    "period": "月份", "held": "已开展活动", "planned": "计划活动", "cancelled": "取消活动",
    "participants": "参与儿童人数", "person_times": "服务人次", "volunteer_hours": "志愿服务时长（小时）",
    "team_type": "队伍类型", "teams": "队伍数", "volunteers": "志愿者", "active_volunteers": "活跃志愿者",
    "agent_parents": "代理家长", "activities": "已开展活动", "street_code": "街道代码", "street_name": "街道",
    "county_name": "区县", "migrant": "流动儿童", "per_1000": "每千名流动儿童活动场次",
    "community_code": "社区代码", "community_name": "社区", "key_children": "重点儿童", "paired": "已结对",
    "street_activities": "所在街道近12个月活动",
    "team_id": "队伍编号", "team_name": "队伍名称", "last_activity_date": "最近活动日期",
    "days_since_activity": "距今天数", "service_type": "服务类型", "needs": "走访记录需求次数",
    "need_share": "需求占比", "offer_share": "活动占比", "gap": "需求占比−活动占比",
    "masked_name": "姓名（脱敏）", "masked_id": "身份证号（脱敏）", "key_type": "对象类型",
}


def chinese(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`columns` of `df` with Chinese headers."""
    return df[columns].rename(columns=HEADERS)


def table_with_download(df: pd.DataFrame, columns: list[str], name: str, key: str, height: int | str = "auto",
                        percent: tuple[str, ...] = ()) -> None:
    """A dataframe with Chinese headers and an Excel download of the same table; `percent` columns shown as %."""
    t = chinese(df, columns)
    for c in t.columns:
        if pd.api.types.is_datetime64_any_dtype(t[c]):
            t[c] = t[c].dt.strftime("%Y-%m-%d")
    config = {HEADERS.get(c, c): st.column_config.NumberColumn(format="percent") for c in percent}
    st.dataframe(t, hide_index=True, width="stretch", height=height, column_config=config)
    download(t, list(t.columns), name, key)


def suppressed_counts(df: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """Counts of children below the small-number threshold shown as "<5" (warehouse.queries.privacy)."""
    out = suppress(df, counts)
    for c in counts:
        out[c] = out[f"{c}_label"]
    return out


def goal_progress(k: pd.Series, goals: pd.DataFrame) -> list[tuple[str, str, str | None]]:
    """(label, value text, goal text) for the KPI cards against annual goals."""
    g = {r.measure: r.annual_goal for r in goals.itertuples()}
    out = []
    for measure, label, value in (("person_times", "服务人次（本年）", k["person_times"]),
                                  ("activities", "已开展活动（本年）", k["activities"]),
                                  ("pairing_coverage", "重点儿童结对覆盖率", k["pairing_coverage"])):
        goal = g.get(measure)
        if measure == "pairing_coverage":
            text, goal_text = fmt.percent(value), (f"年度目标 {fmt.percent(goal)}" if goal else None)
        else:
            share = value / goal if goal else None
            text = f"{int(value):,}"  # exact: a monthly upload of a few rows must show
            goal_text = f"年度目标 {fmt.number(goal)}，完成 {fmt.percent(share)}" if goal else None
        out.append((label, text, goal_text))
    return out


def kpi_cards(cards: list[tuple[str, str, str | None]]) -> None:
    for col, (label, value, note) in zip(st.columns(len(cards)), cards):
        col.metric(label, value)
        if note:
            col.caption(note)


def trend(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=df["period"], y=df["person_times"], name="服务人次", marker_color=theme.FEDERATION)
    fig.add_scatter(x=df["period"], y=df["held"], name="已开展活动", yaxis="y2", mode="lines+markers",
                    line={"color": theme.NEUTRAL})
    fig.add_scatter(x=df["period"], y=df["planned"], name="计划活动", yaxis="y2", mode="lines",
                    line={"color": theme.FEDERATION_SECONDARY, "dash": "dot"})
    fig.update_layout(yaxis={"title": "服务人次", "rangemode": "tozero", "tickformat": ",d"},
                      yaxis2={"title": "活动场次", "overlaying": "y", "side": "right", "rangemode": "tozero",
                              "tickformat": ",d", "showgrid": False},
                      legend={"orientation": "h", "y": 1.12}, xaxis={"type": "category"})
    return theme.apply(fig, height=340)


def hbar(df: pd.DataFrame, y: str, x: str, label: str, colour: str = theme.FEDERATION, fmt_text: str = "{:,.0f}") -> go.Figure:
    d = df.dropna(subset=[x])
    fig = go.Figure(go.Bar(x=d[x], y=d[y], orientation="h", marker_color=colour,
                           text=[fmt_text.format(v) for v in d[x]], textposition="auto"))
    fig.update_layout(xaxis={"title": label}, yaxis={"autorange": "reversed", "type": "category"})
    return theme.apply(fig, height=max(220, 40 * len(d) + 80))


def needs_bars(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(y=df["service_type"], x=df["need_share"], name="走访记录的需求占比", orientation="h",
                marker_color=theme.FEDERATION)
    fig.add_bar(y=df["service_type"], x=df["offer_share"], name="已开展活动占比", orientation="h",
                marker_color=theme.FEDERATION_SECONDARY)
    fig.update_layout(barmode="group", xaxis={"tickformat": ".0%"}, yaxis={"autorange": "reversed"},
                      legend={"orientation": "h", "y": 1.1})
    return theme.apply(fig, height=max(300, 34 * len(df) + 100))
