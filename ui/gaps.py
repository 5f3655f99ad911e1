"""Helpers of the 服务缺口 page: labels, tables with Chinese headers, Excel files, plotly figures."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from report import export
from ui import auth, theme
from ui import format as fmt

INDEX = "index"
INDEX_LABEL = "综合缺口指数"
SHORT_COLOR, MET_COLOR = theme.BAD, theme.GOOD

# Chinese headers for every table the page shows or offers for download.
HEADERS = {
    "rank": "排名", "area_name": "地区", "county_name": "所属区县", "area_group": "主城区/县域",
    "area_type": "区域类型", "gap_name": "缺口", "family": "类别", "supply_name": "供给", "supply": "供给数",
    "demand_name": "需求（基数）", "demand": "需求数", "ratio": "现状比值", "basis": "口径",
    "standard_value": "标准值", "required": "按标准应有", "shortfall": "缺口（单位数）", "gap_share": "缺口率",
    "unit": "单位", "source": "标准来源", "gap_index": "综合缺口指数", "gaps_counted": "计入指标数",
    "counties": "区县数", "weight": "权重", "reason": "权重理由", "measure_label": "指标",
    "measure_unit": "计量单位", "side": "需求/供给", "source_period": "数据期", "value": "数值",
    "source_label": "数据", "area_code": "区划代码",
}


def excel(df: pd.DataFrame, columns: list[str], sheet: str = "数据") -> bytes:
    """An .xlsx file of `columns` of `df` with the Chinese headers of HEADERS."""
    return export.to_xlsx_bytes([export.Sheet(sheet, df[columns].rename(columns=HEADERS), width=16)])


def download(df: pd.DataFrame, columns: list[str], name: str, key: str) -> None:
    """A download button offering the table as Excel with Chinese headers."""
    auth.download_button(
        f"下载“{fmt.md_escape(name)}”（Excel）", excel(df, columns, name), f"{name}.xlsx", what=name, key=key,
        mime=export.XLSX_MIME,
    )


def table(df: pd.DataFrame, columns: list[str], *, percent: tuple[str, ...] = ("gap_share",), key: str) -> None:
    """A dataframe with Chinese headers; numbers stay numeric so columns sort."""
    config = {}
    for c in columns:
        if c in percent:
            config[c] = st.column_config.NumberColumn(HEADERS[c], format="percent")
        elif c in ("ratio", "gap_index", "required"):
            config[c] = st.column_config.NumberColumn(HEADERS[c], format="%.1f")
        elif pd.api.types.is_numeric_dtype(df[c]):
            config[c] = st.column_config.NumberColumn(HEADERS[c], format="localized")
        else:
            config[c] = st.column_config.TextColumn(HEADERS[c])
    st.dataframe(df, hide_index=True, column_order=columns, column_config=config, key=key)


def standard_text(row: pd.Series) -> str:
    """“标准：每千常住人口托位数 ≥ 4.5” or the note that there is no standard."""
    if pd.isna(row["standard_value"]):
        return f"**{fmt.md_escape(row['basis'])}**：暂无标准，只显示现状比值，不计算缺口。"
    return f"**标准：{fmt.md_escape(row['basis'])} ≥ {fmt.number(row['standard_value'])}**"


def period_note(sources: pd.DataFrame) -> str:
    """“各数据所用期次：托位数据：2026Q3 · 常住人口：2025 …” (the latest landing of each source)."""
    e = fmt.md_escape
    return "各数据所用期次：" + " · ".join(f"{e(r.source_label)}：{e(r.source_period)}" for r in sources.itertuples())


def shortfall_bar(df: pd.DataFrame, unit: str) -> go.Figure:
    """Bars of the shortfall per area, largest first (green where the standard is met)."""
    d = df.sort_values(["shortfall", "area_code"], ascending=[False, True])
    values = d["shortfall"].fillna(0).astype(int)
    fig = go.Figure(go.Bar(
        x=d["area_name"], y=values, text=[fmt.number(v) for v in values], textposition="outside",
        marker_color=[SHORT_COLOR if v > 0 else MET_COLOR for v in values],
        hovertemplate="%{x}：缺口 %{y:,} " + unit + "<extra></extra>",
    ))
    fig.update_layout(yaxis_title=f"缺口（{unit}）", xaxis_title=None, showlegend=False)
    fig.update_yaxes(range=[0, max(1, int(values.max()) if len(values) else 1) * 1.2], tickformat=",d")
    return theme.apply(fig)


def ratio_bar(df: pd.DataFrame, label: str) -> go.Figure:
    """Bars of the ratio per area (for gaps without a standard), lowest first."""
    d = df.sort_values(["ratio", "area_code"])
    fig = go.Figure(go.Bar(
        x=d["area_name"], y=d["ratio"], text=[f"{v:.1f}" for v in d["ratio"].fillna(0)], textposition="outside",
        marker_color=theme.PRIMARY, hovertemplate="%{x}：%{y:.2f}<extra></extra>",
    ))
    fig.update_layout(yaxis_title=label, xaxis_title=None, showlegend=False)
    return theme.apply(fig)


def index_bar(df: pd.DataFrame) -> go.Figure:
    """Bars of the composite index per area, largest first."""
    d = df.sort_values(["gap_index", "area_code"], ascending=[False, True])
    fig = go.Figure(go.Bar(
        x=d["area_name"], y=d["gap_index"], text=[f"{v:.1f}" for v in d["gap_index"]], textposition="outside",
        marker_color=[theme.PALETTE[1] if g == "县域" else theme.PRIMARY for g in d["area_group"]],
        hovertemplate="%{x}：%{y:.1f}<extra></extra>",
    ))
    fig.update_layout(yaxis_title=INDEX_LABEL, xaxis_title=None, showlegend=False)
    fig.update_yaxes(range=[0, max(10.0, float(d["gap_index"].max()) if len(d) else 10.0) * 1.2])
    return theme.apply(fig)


def demand_supply_scatter(df: pd.DataFrame, row: pd.Series) -> go.Figure:
    """Demand (x) against supply (y) per area, with the standard as the line supply = standard × demand / per."""
    fig = go.Figure()
    for group, color in (("主城区", theme.PRIMARY), ("县域", theme.PALETTE[1])):
        d = df[df["area_group"] == group]
        if d.empty:
            continue
        fig.add_scatter(
            x=d["demand"], y=d["supply"], mode="markers+text", name=group, text=d["area_name"],
            textposition="top center", marker={"size": 12, "color": color},
            hovertemplate="%{text}<br>需求 %{x:,}<br>供给 %{y:,}<extra></extra>",
        )
    top = float(df["demand"].max()) if len(df) else 0.0
    if not pd.isna(row["standard_value"]) and top > 0:
        fig.add_scatter(
            x=[0, top * 1.1], y=[0, row["standard_value"] * top * 1.1 / row["per"]], mode="lines",
            name=f"标准线（{fmt.number(row['standard_value'])}）", line={"color": SHORT_COLOR, "dash": "dash"},
            hoverinfo="skip",
        )
    fig.update_layout(xaxis_title=f"需求：{df['demand_name'].iloc[0]}" if len(df) else "需求",
                      yaxis_title=f"供给：{df['supply_name'].iloc[0]}" if len(df) else "供给")
    fig.update_xaxes(rangemode="tozero", tickformat=",d")
    fig.update_yaxes(rangemode="tozero")
    return theme.apply(fig)


def measures_wide(df: pd.DataFrame) -> pd.DataFrame:
    """Long demand/supply figures → one row per area, one column per measure (Chinese labels)."""
    if df.empty:
        return pd.DataFrame(columns=["地区"])
    wide = df.pivot_table(index=["area_code", "area_name"], columns="measure_label", values="value",
                          aggfunc="sum", sort=False).reset_index()
    order = list(dict.fromkeys(df["measure_label"]))
    return wide[["area_code", "area_name", *order]].rename(columns={"area_code": "区划代码", "area_name": "地区"})


# Fixed classes of the gap share (unmet share of what the standard requires; the index is the same ×100),
# so maps of different gaps read alike: 达标 in green, then deepening reds.
GAP_CLASSES = [(0.0, "#41ab5d", "达标（无缺口）"), (0.10, "#fee8c8", "缺口率 ≤10%"), (0.25, "#fdbb84", "10%—25%"),
               (0.50, "#e34a33", "25%—50%"), (1.01, "#b30000", "50%以上")]


def _gap_fill(share: float | None) -> list[int] | None:
    if share is None or pd.isna(share):
        return None
    colour = next(c for upper, c, _ in GAP_CLASSES if share <= upper)
    h = colour.lstrip("#")
    return [int(h[i:i + 2], 16) for i in (0, 2, 4)] + [210]


def gap_map(table: pd.DataFrame, shapes: pd.DataFrame, index: bool, unit: str = ""):
    """Choropleth of the selected gap (or the index) by area, with the shortfall in the tooltip."""
    from ui.map import area_choropleth

    share = table["gap_index"] / 100 if index else table["gap_share"]
    fills, props, suffix = {}, {}, {}
    for code, name_share, row in zip(table["area_code"], share, table.itertuples()):
        fill = _gap_fill(name_share)
        if fill is not None:
            fills[code] = fill
        text = "—" if pd.isna(name_share) else (f"{name_share * 100:.1f}" if index else fmt.percent(name_share))
        short = "" if index else f"{fmt.number(row.shortfall)}{unit}"
        props[code] = {"value": text, "short": short}
        suffix[code] = f" {text}"
    what = "综合缺口指数" if index else "缺口率"
    html = f"<b>{{name}}</b><br/>{what}：{{value}}" + ("" if index else "<br/>缺口：{short}")
    return area_choropleth(shapes, fills, props, html, suffix)


def gap_legend() -> str:
    items = "".join(f'<span style="display:inline-block;width:12px;height:12px;background:{c};margin:0 4px 0 10px;'
                    f'vertical-align:middle"></span>{n}' for _, c, n in GAP_CLASSES)
    return f'<div style="font-size:0.85rem">图例：{items}（灰色为无数据；综合指数按同样分级 ×100）</div>'
