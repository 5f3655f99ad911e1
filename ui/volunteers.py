"""Helpers for the 志愿服务 page: Chinese tables, charts and KPI cards (the upload flow is ui/upload.py)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from report import labels
from ui import format as fmt
from ui import theme
from ui.gaps import download

# Said instead of the unpaired list to roles without case access (the list is case work, auth/roles.py).
SOURCES = ["volunteer_teams", "volunteers", "activities", "pairings"]  # 妇联's extracts this page reads
UNPAIRED_ELSEWHERE = ("重点儿童的结对覆盖情况见上方指标卡和“重点儿童多、活动少的社区”表；"
                      "未结对儿童的名单由个案工作者（儿童主任）在“志愿服务”页查看，并据此联系志愿者结对。")

# This page's own words for columns other pages use otherwise: its period is a month (elsewhere a data
# period, 数据期别), its needs a count of visits that recorded a need (elsewhere a child's needs, 需求).
OWN_NAMES = {"period": "month", "needs": "needs_recorded"}


def chinese(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`columns` of `df` with Chinese headers (report/labels); the page's month is `month`, not a data period."""
    return labels.chinese(df.rename(columns=OWN_NAMES), [OWN_NAMES.get(c, c) for c in columns])


def table_with_download(df: pd.DataFrame, columns: list[str], name: str, key: str, height: int | str = "auto",
                        percent: tuple[str, ...] = ()) -> None:
    """A dataframe with Chinese headers and an Excel download of the same table; `percent` columns shown as %.
    Counts the small-number rule hid read "<5" (their label), other empty cells "—", never "None"."""
    src = df.copy()
    for c in columns:
        if f"{c}_label" in src.columns and f"{c}_suppressed" in src.columns:
            src[c] = src[c].astype(object).where(~src[f"{c}_suppressed"].fillna(False).astype(bool), src[f"{c}_label"])
    t = chinese(src, columns)
    for c in t.columns:
        if pd.api.types.is_datetime64_any_dtype(t[c]):
            t[c] = t[c].dt.strftime("%Y-%m-%d")
    shown = t.copy()
    pct = {labels.label(OWN_NAMES.get(c, c)) for c in percent}
    for c in shown.columns:
        if shown[c].map(fmt.dash).eq(fmt.NONE).any() or shown[c].dtype == object:
            shown[c] = shown[c].map(lambda v, p=c in pct: _cell(v, p))  # text: a number column cannot hold "—"
    config = {}
    for c in shown.columns:  # numbers stay numbers (the columns sort), written 53,595 and 23.2%
        if not pd.api.types.is_numeric_dtype(shown[c]):
            continue
        if c in pct:
            shown[c] = shown[c] * 100
            config[c] = st.column_config.NumberColumn(format="%.1f%%")
        elif pd.api.types.is_integer_dtype(shown[c]):
            config[c] = st.column_config.NumberColumn(format="localized")
        else:
            config[c] = st.column_config.NumberColumn(format="%.1f")
    st.dataframe(shown, hide_index=True, width="stretch", height=height, column_config=config)
    # Excel: numbers stay numbers; shares in percent under a "（%）" header, as the gaps downloads and the pack
    dl = t.copy()
    for c in pct:
        dl[c] = [round(float(v) * 100, 1) if isinstance(v, int | float) and fmt.dash(v) != fmt.NONE else v
                 for v in dl[c]]
    dl = dl.rename(columns={c: f"{c}（%）" for c in pct})
    download(dl, list(dl.columns), name, key)


def _cell(v: object, percent: bool) -> str:
    if isinstance(v, str) or fmt.dash(v) == fmt.NONE:
        return fmt.dash(v)
    if percent:
        return fmt.percent(v)
    return fmt.count(v) if float(v).is_integer() else f"{float(v):,.1f}"


# The page's year-to-date figures; names and definitions from the metric catalogue where it has them.
GOAL_MEASURES = (
    ("person_times", "volunteer_person_times_ytd", "服务人次（本年）",
     "志愿活动月报中状态为“已开展”的活动的服务人次之和，数据截止日所在年 1 月至截止月。", "人次"),
    ("activities", "volunteer_activities_ytd", "已开展活动（本年）",
     "志愿活动月报中状态为“已开展”的活动场次之和，数据截止日所在年 1 月至截止月。", "场"),
    ("pairing_coverage", "pairing_coverage", "重点儿童结对覆盖率",
     "最新一期重点儿童名册中，截止日有进行中的 1+X 结对的儿童所占比例。", ""),
)

# A card's note never claims more than this share of a goal: past it the goal cannot be the view's own
# (a city goal read against a county, a typo in the goal file), so the note says that instead of 3077 %.
SANE_SHARE = 3.0


def _name_help(metric_id: str, name: str, definition: str) -> tuple[str, str]:
    """The catalogue's name and (?) text for a figure, or the page's own until the catalogue lists it."""
    from warehouse.queries import metrics

    try:
        return metrics.label(metric_id), metrics.help(metric_id)
    except KeyError:
        return name, definition


def _goal_amount(goal: float, unit: str) -> str:
    return fmt.percent(goal) if unit == "比例" else f"{fmt.count(goal, card=True)} {unit}".strip()


def goal_progress(k: pd.Series, goals: pd.DataFrame) -> list[tuple[str, str, str | None, str]]:
    """(label, value text, goal note, help) for the KPI cards. Progress is measured only against a goal set
    for exactly the region viewed; a goal of a larger region is named as such for reference, with the
    view's share of it for counts (a county's part of the city's goal); goals of parts of the view are
    listed in the goal table only."""
    as_of = pd.Timestamp(k["as_of_date"])
    elapsed = as_of.day_of_year / (366 if as_of.is_leap_year else 365)
    out = []
    for measure, metric_id, name, definition, unit in GOAL_MEASURES:
        label, help_text = _name_help(metric_id, name, definition)
        value = k[measure]
        rows = goals[goals["measure"] == measure] if not goals.empty else goals
        own = rows[rows["applies"] == "own"] if not rows.empty else rows
        above = rows[rows["applies"] == "above"] if not rows.empty else rows
        note = None
        if measure == "pairing_coverage":
            text = fmt.percent(value)
            if not own.empty:
                note = f"年度目标 {fmt.percent(own.iloc[0]['annual_goal'])}"
            elif not above.empty:
                g = above.loc[above["region_code"].str.len().idxmax()] if above["region_code"].notna().any() else above.iloc[0]
                note = f"{g['region_name']}目标 {fmt.percent(g['annual_goal'])}（上级目标，仅供参考）"
        else:
            text = fmt.count(value, card=True)
            help_text = f"{help_text}\n\n确切值：{fmt.count(value)} {unit}"
            if not own.empty:
                goal = float(own.iloc[0]["annual_goal"])
                share = value / goal if goal else None
                if share is not None and share <= SANE_SHARE:
                    note = (f"年度目标 {_goal_amount(goal, unit)}，完成 {fmt.percent(share)}"
                            f"（时间进度 {fmt.percent(elapsed)}）")
                else:
                    note = f"年度目标 {_goal_amount(goal, unit)}：与本区域的数量级不符，请核对目标设置"
            elif not above.empty:
                g = above.loc[above["region_code"].str.len().idxmax()] if above["region_code"].notna().any() else above.iloc[0]
                goal = float(g["annual_goal"])
                share = value / goal if goal else None
                part = f"；本区域累计为其 {fmt.percent(share)}" if share is not None and share <= 1 else ""
                note = f"{g['region_name']}年度目标 {_goal_amount(goal, unit)}（上级目标，仅供参考{part}）"
        out.append((label, text, note, help_text))
    return out


def goal_table(goals: pd.DataFrame) -> pd.DataFrame:
    """The goals that concern the view, in Chinese, for the page's goal expander."""
    relation = {"own": "本区域目标（按此评价）", "above": "上级目标（仅供参考）", "below": "下级区域目标"}
    return pd.DataFrame({
        "指标": goals["label"], "目标区域": goals["region_name"],
        "年度目标": [_goal_amount(g, u) for g, u in zip(goals["annual_goal"], goals["unit"])],
        "与本页的关系": goals["applies"].map(relation), "来源": goals["source"].map(fmt.dash),
    })


def kpi_cards(cards: list[tuple]) -> None:
    """Cards of (label, value, note[, help]): the note as a caption under the card, help as its (?)."""
    for col, (label, value, note, *rest) in zip(st.columns(len(cards)), cards):
        col.metric(label, value, help=rest[0] if rest else None)
        if note:
            col.caption(note)


STREETS_SHOWN = 10  # per end of the per-1,000 ranking: a city's 80 streets as bars are unreadable


def street_extremes(df: pd.DataFrame, column: str, n: int = STREETS_SHOWN) -> tuple[pd.DataFrame, str | None]:
    """The `n` lowest and `n` highest streets by `column` (rows without a value left out), lowest first as
    in the table beside the chart (the streets with least activity per child lead), with a note saying what
    was left out; all rows and no note when there are at most 2n."""
    d = df.dropna(subset=[column]).sort_values([column, "street_code"])
    absent = len(df) - len(d)
    gap = f"；{absent} 个街道无流动儿童数或人数过少未显示" if absent else ""
    if len(d) <= 2 * n:
        return d, (f"共 {len(df)} 个街道{gap}。" if absent else None)
    shown = pd.concat([d.head(n), d.tail(n)])
    return shown, (f"共 {len(df)} 个街道，图中只显示最低和最高各 {n} 个{gap}；全部街道见下表，"
                   "或在上方“区域”中选择区县查看该区县的全部街道。")


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
    return theme.apply(fig, height=min(MAX_CHART_HEIGHT, max(220, 28 * len(d) + 80)))


MAX_CHART_HEIGHT = 720  # px: a bar chart taller than a screen is not read


def needs_bars(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(y=df["service_type"], x=df["need_share"], name="走访记录的需求占比", orientation="h",
                marker_color=theme.FEDERATION)
    fig.add_bar(y=df["service_type"], x=df["offer_share"], name="已开展活动占比", orientation="h",
                marker_color=theme.FEDERATION_SECONDARY)
    fig.update_layout(barmode="group", xaxis={"tickformat": ".0%"}, yaxis={"autorange": "reversed"},
                      legend={"orientation": "h", "y": 1.1})
    return theme.apply(fig, height=max(300, 34 * len(df) + 100))


def missing(x: object) -> bool:
    """Nothing to show (None/NaN/NA): a count the small-number rule hid."""
    return fmt.dash(x) == fmt.NONE
