"""Static chart images for the meeting pack: plotly figures in the app's template, rendered to PNG
offline by kaleido (the system Chromium) in one batch. Pure builders: DataFrame in, figure out."""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pandas as pd
import plotly
import plotly.graph_objects as go

from ui import format as fmt
from ui import map as mp
from ui import theme
from ui.charts import rings

SUPPRESSED_COLOR = "#ebebeb"
NODATA_COLOR = "#fafafa"
PRINT_FONT = 15


def _print(fig: go.Figure, height: int) -> go.Figure:
    """The app's template, white paper and a larger font for print."""
    theme.apply(fig, height=height)
    fig.update_layout(paper_bgcolor="white", plot_bgcolor="white", font_size=PRINT_FONT)
    return fig


def _label(row: pd.Series | dict, col: str) -> str:
    """A count as shown: its suppression label ("<5", "*") when hidden, else the Chinese number."""
    label = row.get(f"{col}_label")
    if row.get(f"{col}_suppressed") is True or (label is not None and str(label).startswith(("<", "*"))):
        return str(label)
    return fmt.number(row.get(col))


def risk_chart(risk: pd.DataFrame) -> go.Figure:
    """Key children per risk level, bars in the risk colours, labelled as on the overview page."""
    values = pd.to_numeric(risk["children"], errors="coerce").astype("Float64").fillna(0).astype(float)
    fig = go.Figure(go.Bar(
        x=list(risk["risk_level"]), y=list(values),
        marker_color=[theme.RISK_COLORS.get(r, theme.PRIMARY) for r in risk["risk_level"]],
        text=[_label(r, "children") for r in risk.to_dict("records")], textposition="outside",
        cliponaxis=False,
    ))
    top = float(values.max()) if len(values) else 0.0
    fig.update_layout(yaxis_title="重点对象（人）", xaxis_title=None, showlegend=False,
                      margin={"l": 70, "r": 20, "t": 30, "b": 40})
    fig.update_yaxes(range=[0, max(1.0, top) * 1.2], tickformat=",d")
    return _print(fig, 420)


def gaps_chart(gaps: pd.DataFrame) -> go.Figure:
    """Horizontal bars: the composite gap index of the areas with the largest gaps, largest on top."""
    df = gaps.iloc[::-1]
    values = pd.to_numeric(df["gap_index"], errors="coerce").astype(float)
    fig = go.Figure(go.Bar(
        y=list(df["area_name"]), x=list(values), orientation="h", marker_color=theme.PALETTE[1],
        text=[fmt.decimal(v) for v in values], textposition="outside", cliponaxis=False, width=0.6,
    ))
    fig.update_layout(xaxis_title="综合缺口指数", yaxis_title=None, showlegend=False,
                      margin={"l": 20, "r": 60, "t": 20, "b": 50})
    fig.update_xaxes(range=[0, max(1.0, float(values.max()) if len(values) else 1.0) * 1.2])
    return _print(fig, gaps_height(len(df)))


def gaps_height(n: int) -> int:
    return 120 + 60 * n


def volunteers_chart(monthly: pd.DataFrame) -> go.Figure:
    """Volunteer service person-times per month."""
    labels = [f"{str(p)[:4]}年{int(str(p)[5:7])}月" if len(str(p)) == 7 else str(p) for p in monthly["label"]]
    fig = go.Figure(go.Bar(x=labels, y=list(pd.to_numeric(monthly["value"]).astype(float)),
                           marker_color=theme.PALETTE[2]))
    fig.update_xaxes(type="category")
    fig.update_layout(yaxis_title="服务人次", xaxis_title=None, showlegend=False,
                      margin={"l": 70, "r": 20, "t": 20, "b": 50})
    fig.update_yaxes(tickformat=",d")
    return _print(fig, 360)


# --------------------------------------------------------------------------------------------
# The map


def _bounds(shapes: pd.DataFrame) -> tuple[float, float, float, float]:
    xs, ys = [], []
    for geom in shapes["geometry"]:
        for ring in rings(geom):
            xs += [p[0] for p in ring]
            ys += [p[1] for p in ring]
    return min(xs), max(xs), min(ys), max(ys)


def map_classes(streets: pd.DataFrame) -> tuple[list[float], pd.Series]:
    """Class breaks (as the map page: ui.map.class_breaks over the streets not suppressed) and the values
    they were computed from."""
    shown = streets.loc[~streets["children_suppressed"].astype(bool), "children"]
    return mp.class_breaks(shown), shown


def map_figure(streets: pd.DataFrame, shapes: pd.DataFrame, counties: pd.DataFrame,
               breaks: list[float]) -> tuple[go.Figure, float]:
    """Street choropleth of children (no basemap): fills by class, suppressed streets grey, county outlines,
    Chinese labels. Returns the figure and its width/height ratio."""
    colors = mp.palette(len(breaks) + 1, False)
    by_code = streets.set_index("street_code")
    x0, x1, y0, y1 = _bounds(shapes)
    k = math.cos(math.radians((y0 + y1) / 2))  # degrees of longitude are shorter than of latitude
    by_color: dict[str, tuple[list, list]] = {}
    for s in shapes.itertuples():
        row = by_code.loc[s.region_code] if s.region_code in by_code.index else None
        if row is None:
            color = NODATA_COLOR
        elif bool(row["children_suppressed"]):
            color = SUPPRESSED_COLOR
        else:
            cls = mp.classify(row["children"], breaks)
            color = NODATA_COLOR if cls is None else colors[cls]
        xs, ys = by_color.setdefault(color, ([], []))
        for ring in rings(s.geometry):
            xs += [p[0] * k for p in ring] + [None]
            ys += [p[1] for p in ring] + [None]
    fig = go.Figure()
    for color, (xs, ys) in by_color.items():  # one trace per class: fast for a province's streets
        fig.add_scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=color,
                        line={"color": "#5a5a5a", "width": 1}, hoverinfo="skip", showlegend=False)
    cx, cy = [], []
    for g in counties["geometry"]:
        for ring in rings(g):
            cx += [p[0] * k for p in ring] + [None]
            cy += [p[1] for p in ring] + [None]
    if cx:
        fig.add_scatter(x=cx, y=cy, mode="lines", line={"color": "#282828", "width": 3}, hoverinfo="skip",
                        showlegend=False)
    few = len(shapes) <= mp.MAX_STREET_LABELS or not len(counties)
    named = shapes if few else counties
    texts = []
    for s in named.itertuples():
        row = by_code.loc[s.region_code] if few and s.region_code in by_code.index else None
        texts.append(s.region_name if row is None else f"{s.region_name}<br>{_label(row, 'children')}")
    fig.add_scatter(x=[x * k for x in named["lon"]], y=list(named["lat"]), mode="text", text=texts,
                    textfont={"size": 17 if few else 19, "color": "#141414"}, hoverinfo="skip", showlegend=False)
    fig.update_xaxes(visible=False, range=[x0 * k, x1 * k], constrain="domain")
    fig.update_yaxes(visible=False, range=[y0, y1], scaleanchor="x", scaleratio=1, constrain="domain")
    ratio = max(0.6, min(2.0, ((x1 - x0) * k) / max(y1 - y0, 1e-9)))
    theme.apply(fig, height=700)
    fig.update_layout(paper_bgcolor="white", plot_bgcolor="white", margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      showlegend=False)
    return fig, ratio


# --------------------------------------------------------------------------------------------
# Rendering


def page_generator():
    """The HTML page kaleido renders in: plotly.js from the installed plotly package, no MathJax — so
    Chromium loads nothing from the internet (kaleido's default page pulls MathJax from a CDN)."""
    from kaleido import PageGenerator

    local = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return PageGenerator(plotly=str(local), mathjax=False)


def render(figures: dict[str, tuple[go.Figure, int, int]], folder: Path | None = None) -> dict[str, bytes]:
    """PNG bytes for {name: (figure, width px, height px)}, rendered in one kaleido session (offline)."""
    import kaleido

    if not figures:
        return {}
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        paths = {n: Path(tmp) / f"{i}.png" for i, n in enumerate(figures)}
        specs = [{"fig": fig.to_plotly_json(), "path": str(paths[n]),
                  "opts": {"format": "png", "width": w, "height": h, "scale": 2}}
                 for n, (fig, w, h) in figures.items()]
        kaleido.write_fig_from_object_sync(specs, kopts={"page_generator": page_generator()})
        return {n: p.read_bytes() for n, p in paths.items()}
