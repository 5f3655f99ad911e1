"""Shared widgets: demo banner, filters, KPI cards, tables, the no-snapshot message."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import format as fmt
from warehouse import queries as q

DEMO_MARK = "示例数据 · 虚构城市，仅供演示"
CITY_WIDE = "全市"



def demo_banner(info: q.SnapshotInfo) -> None:
    """A visible mark on every page when the snapshot holds demo data."""
    if info.is_demo:
        st.warning(DEMO_MARK, icon=":material/science:")


def snapshot_caption(info: q.SnapshotInfo) -> None:
    """Sidebar footer: what the figures are as of."""
    data_date = pd.Timestamp(info.data_date).strftime("%Y-%m-%d") if info.data_date is not None else "—"
    built = fmt.beijing(info.built_at) if info.built_at is not None else "—"  # the snapshot stores UTC
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
    return st.selectbox("统计期", options, index=0, format_func=fmt.period_label, placeholder="选择统计期", key=key)


def region_selector(counties: pd.DataFrame, *, key: str = "region") -> str | None:
    """Select box: the whole city or one county; returns a county code or None (city-wide)."""
    names = dict(zip(counties["county_code"], counties["county_name"]))
    options: list[str | None] = [None, *names]
    everything = CITY_WIDE if len(names) > 1 else "本辖区全部"  # a county user's scope is not 全市
    return st.selectbox(
        "区域", options, index=0, format_func=lambda c: everything if c is None else names[c], placeholder="选择区域",
        key=key,
    )




def list_cut_note(rows: pd.DataFrame) -> None:
    """Say so when a child-level list stopped at the query's limit (the most urgent rows come first)."""
    from warehouse.queries.ledger import LIST_LIMIT

    if len(rows) >= LIST_LIMIT:
        st.caption(f"名单较长，只列出前 {LIST_LIMIT:,} 人（最紧急的在前）；请选择区县或街道缩小范围后查看全部。")
