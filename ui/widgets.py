"""Shared widgets: demo banner, filters, KPI cards, tables, the no-snapshot message."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import format as fmt
from warehouse import queries as q

DEMO_MARK = "示例数据 · 虚构城市，仅供演示"
CITY_WIDE = "全市"

# Metrics where a rise is bad news (red up-arrow); other counts are shown neutral (grey).
_RISE_IS_BAD = {"in_difficulty", "high_risk"}


def demo_banner(info: q.SnapshotInfo) -> None:
    """A visible mark on every page when the snapshot holds demo data."""
    if info.is_demo:
        st.warning(DEMO_MARK, icon=":material/science:")


def snapshot_caption(info: q.SnapshotInfo) -> None:
    """Sidebar footer: what the figures are as of."""
    data_date = pd.Timestamp(info.data_date).strftime("%Y-%m-%d") if info.data_date is not None else "—"
    built = pd.Timestamp(info.built_at).strftime("%Y-%m-%d %H:%M") if info.built_at is not None else "—"
    st.sidebar.caption(f"数据截至 {data_date} · 快照生成于 {built}")


def no_snapshot(error: Exception) -> None:
    """Friendly message (Chinese + English) when no snapshot has been published."""
    st.title("童心 · 流动儿童关爱服务")
    st.info(
        "**尚未发布数据快照。** 请先导入数据并构建数据仓库：\n\n"
        "- 体验示例数据：在项目目录运行 `make run`，或 `python -m etl init-demo` 后再启动本应用；\n"
        "- 导入各部门数据：`python -m etl land …`，再构建快照。\n\n"
        "**No data snapshot has been published yet.** Run `make run`, or `python -m etl init-demo`, "
        "then reload this page.",
        icon=":material/database:",
    )
    st.caption(str(error).splitlines()[0])


def period_selector(periods: pd.DataFrame, *, key: str = "period") -> str | None:
    """Select box of register periods (newest first); returns the period code."""
    options = periods["period"].tolist()
    if not options:
        return None
    return st.selectbox("统计期", options, index=0, format_func=fmt.period_label, key=key)


def region_selector(counties: pd.DataFrame, *, key: str = "region") -> str | None:
    """Select box: the whole city or one county; returns a county code or None (city-wide)."""
    names = dict(zip(counties["county_code"], counties["county_name"]))
    options: list[str | None] = [None, *names]
    everything = CITY_WIDE if len(names) > 1 else "本辖区全部"  # a county user's scope is not 全市
    return st.selectbox(
        "区域", options, index=0, format_func=lambda c: everything if c is None else names[c], key=key
    )


def kpi_cards(headline: pd.DataFrame, previous_period: str | None) -> None:
    """One st.metric per headline figure, with the change against the previous period."""
    if headline.empty:
        st.info("所选范围内暂无数据。")
        return
    compared = f"与{fmt.period_label(previous_period)}相比" if previous_period else "无上期数据可比"
    for col, row in zip(st.columns(len(headline)), headline.itertuples(), strict=True):
        exact = "—" if row.value is pd.NA else f"{int(row.value):,}"
        col.metric(
            row.label,
            fmt.number(row.value),
            fmt.delta(row.change),
            delta_color="inverse" if row.metric in _RISE_IS_BAD else "off",
            help=f"精确值 {exact} 人；增减为{compared}",
            border=True,
        )


def county_table(summary: pd.DataFrame) -> None:
    """Per-county table with Chinese headers (numbers stay numeric so columns sort)."""
    if summary.empty:
        st.info("所选范围内暂无数据。")
        return
    share = summary["in_difficulty"] / summary["children"].where(summary["children"] > 0)
    table = summary.assign(difficulty_share=share.astype("Float64"))
    count = st.column_config.NumberColumn
    st.dataframe(
        table,
        hide_index=True,
        column_order=[
            "county_name", "area_type", "children", "migrant", "left_behind",
            "in_difficulty", "difficulty_share", "key_children", "high_risk",
        ],
        column_config={
            "county_name": st.column_config.TextColumn("区县"),
            "area_type": st.column_config.TextColumn("区域类型"),
            "children": count("监测儿童", format="localized"),
            "migrant": count("流动儿童", format="localized"),
            "left_behind": count("留守儿童", format="localized"),
            "in_difficulty": count("困境儿童", format="localized"),
            "difficulty_share": count("困境儿童占比", format="percent"),
            "key_children": count("重点对象", format="localized"),
            "high_risk": count("红橙风险对象", format="localized"),
        },
    )


def list_cut_note(rows: pd.DataFrame) -> None:
    """Say so when a child-level list stopped at the query's limit (the most urgent rows come first)."""
    from warehouse.queries.ledger import LIST_LIMIT

    if len(rows) >= LIST_LIMIT:
        st.caption(f"名单较长，只列出前 {LIST_LIMIT:,} 人（最紧急的在前）；请选择区县或街道缩小范围后查看全部。")
