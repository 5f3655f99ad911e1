"""Plotly figure builders for the pages (pure functions: DataFrame in, figure out)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui import format as fmt
from ui import theme
from warehouse.queries import AGE_BANDS

AGE_BAND_LABELS = {"0-3": "0—3岁", "3-6": "3—6岁", "6-12": "6—12岁", "12-16": "12—16岁"}


def children_by_age(df: pd.DataFrame, category: str | None = None) -> go.Figure:
    """Stacked bars: children per area (x), stacked by age band; `category` keeps one category."""
    if category:
        df = df[df["category"] == category]
    table = df.pivot_table(
        index=["area_code", "area_name"], columns="age_band", values="children", aggfunc="sum", fill_value=0
    ).reset_index()
    fig = go.Figure()
    for band in AGE_BANDS:
        values = table[band] if band in table else [0] * len(table)
        fig.add_bar(
            x=table["area_name"],
            y=values,
            name=AGE_BAND_LABELS[band],
            marker_color=theme.AGE_BAND_COLORS[band],
            hovertemplate="%{x}<br>" + AGE_BAND_LABELS[band] + "：%{y:,}人<extra></extra>",
        )
    fig.update_layout(barmode="stack", yaxis_title="儿童数（人）", xaxis_title=None)
    totals = table[[b for b in AGE_BANDS if b in table]].sum(axis=1)
    return theme.apply(_integer_ticks(fig, int(totals.max()) if len(totals) else 0))


def key_children_by_risk(df: pd.DataFrame) -> go.Figure:
    """Bars per risk level, each in its risk colour, labelled with count and change."""
    changes = [fmt.arrow(c) for c in df["change"]]
    fig = go.Figure(
        go.Bar(
            x=df["risk_level"],
            y=df["children"],
            marker_color=[theme.RISK_COLORS.get(r, theme.PRIMARY) for r in df["risk_level"]],
            text=[fmt.number(v) for v in df["children"]],
            textposition="outside",
            customdata=changes,
            hovertemplate="%{x}：%{y:,}人<br>较上期：%{customdata}<extra></extra>",
        )
    )
    fig.update_layout(yaxis_title="重点对象（人）", xaxis_title=None, showlegend=False)
    top = int(df["children"].max()) if len(df) else 0
    fig.update_yaxes(range=[0, max(1, top) * 1.18])
    return theme.apply(_integer_ticks(fig, top))


def _integer_ticks(fig: go.Figure, top: int) -> go.Figure:
    """Counts of children: no fractional ticks on small axes."""
    if top < 8:
        fig.update_yaxes(dtick=1)
    fig.update_yaxes(tickformat=",d")
    return fig
