"""Plotly figure builders for the pages (pure functions: DataFrame in, figure out)."""

from __future__ import annotations

import html
import json
import math

import pandas as pd
import plotly.graph_objects as go

from ui import format as fmt
from ui import theme


def _count_labels(df: pd.DataFrame, col: str) -> list[str]:
    """Bar texts: the suppression label ("<5", "*") where the door hid a count, else the number."""
    if f"{col}_suppressed" in df:
        return [lb if hide else fmt.number(v) for v, hide, lb in zip(df[col], df[f"{col}_suppressed"], df[f"{col}_label"])]
    return [fmt.number(v) for v in df[col]]


def key_children_by_risk(df: pd.DataFrame, *, variant: str = "screen", height: int = 360) -> go.Figure:
    """Bars per risk level, each in its risk colour, labelled with count and change.

    A suppressed level (small number) draws no bar but keeps its label ("<5") on the axis line.
    """
    changes = [fmt.arrow(c) for c in df["change"]]
    counts = pd.to_numeric(df["children"], errors="coerce").astype("Float64")
    fig = go.Figure(
        go.Bar(
            x=df["risk_level"],
            y=counts.fillna(0).astype(float),
            marker_color=[theme.RISK_COLORS.get(r, theme.PRIMARY) for r in df["risk_level"]],
            text=_count_labels(df, "children"),
            textposition="outside",
            cliponaxis=False,
            customdata=changes,
            hovertemplate="%{x}：%{text}人<br>较上期：%{customdata}<extra></extra>",
        )
    )
    fig.update_layout(yaxis_title="重点对象（人）", xaxis_title=None, showlegend=False)
    top = int(counts.max()) if counts.notna().any() else 0
    fig.update_yaxes(range=[0, max(1, top) * 1.18])
    return theme.apply(_integer_ticks(fig, top), height=height, variant=variant)


def _integer_ticks(fig: go.Figure, top: int) -> go.Figure:
    """Counts of children: no fractional ticks on small axes."""
    if top < 8:
        fig.update_yaxes(dtick=1)
    fig.update_yaxes(tickformat=",d")
    return fig


# --------------------------------------------------------------------------------------------
# A small street map drawn with plotly (no basemap, no deck.gl): loads with the page's other charts,
# prints with theme.to_png, and uses the map page's classes, colours and small-number labels.


def rings(geometry: str) -> list[list[list[float]]]:
    """Exterior rings of a GeoJSON Polygon/MultiPolygon (holes do not show at this size)."""
    g = json.loads(geometry)
    if g["type"] == "Polygon":
        return [g["coordinates"][0]]
    if g["type"] == "MultiPolygon":
        return [p[0] for p in g["coordinates"]]
    return []


def _rgba(fill: list[int]) -> str:
    r, g, b, a = fill
    return f"rgba({r},{g},{b},{a / 255:.3f})"


def _path(geometries, k: float) -> tuple[list, list]:
    """The exterior rings of GeoJSON shapes as one path (None between rings), longitude scaled by `k`."""
    xs, ys = [], []
    for g in geometries:
        for ring in rings(g):
            xs += [p[0] * k for p in ring] + [None]
            ys += [p[1] for p in ring] + [None]
    return xs, ys


def _county_outlines(fig: go.Figure, counties: pd.DataFrame | None, k: float) -> None:
    if counties is not None and len(counties):
        cx, cy = _path(counties["geometry"], k)
        fig.add_scatter(x=cx, y=cy, mode="lines", line={"color": "#282828", "width": 2.5}, hoverinfo="skip",
                        showlegend=False, name="counties")


def street_map(streets: pd.DataFrame, counties: pd.DataFrame | None = None, *, variant: str = "screen",
               height: int = 470) -> go.Figure:
    """Streets coloured by children (the map page's quantile classes and sequential colours), suppressed
    streets grey with their label ("<5"), county outlines, names at each street's label point.

    `streets`: queries.meeting.street_density rows (value, children_label, children_suppressed, geometry,
    lon, lat, street_name); `counties`: geo.shapes(…, "county") or None.
    """
    from ui import map as mp  # the map page's classes and colours (read-only reuse)

    rows = streets[streets["geometry"].notna()]
    hidden = rows.get("children_suppressed", pd.Series(False, index=rows.index)).astype(bool)
    labels = rows["children_label"] if "children_label" in rows else rows["value"].map(fmt.number)
    breaks = mp.class_breaks(rows.loc[~hidden, "value"])
    colours = mp.palette(len(breaks) + 1, False)
    k = _lon_scale(rows["geometry"])
    by_fill: dict[str, tuple[list, list]] = {}
    ink = []  # label colour: white on the two darkest classes, else near-black
    for r, small in zip(rows.itertuples(), hidden):
        cls = None if small else mp.classify(r.value, breaks)
        ink.append("#ffffff" if cls is not None and cls >= len(colours) - 2 and len(colours) > 2 else "#141414")
        fill = _rgba(mp.SUPPRESSED_FILL) if small else (_rgba(mp.NODATA_FILL) if cls is None else colours[cls])
        xs, ys = by_fill.setdefault(fill, ([], []))
        px, py = _path([r.geometry], k)
        xs += px
        ys += py
    fig = go.Figure()
    for fill, (xs, ys) in by_fill.items():  # one trace per class: fast for many streets
        fig.add_scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=fill, hoverinfo="skip",
                        line={"color": "#5a5a5a", "width": 1}, showlegend=False)
    _county_outlines(fig, counties, k)
    big = variant == "meeting"
    fig.add_scatter(
        x=[x * k for x in rows["lon"]], y=list(rows["lat"]), mode="text", name="streets",
        text=[f"{_esc(n)}<br>{_esc(lb)}" for n, lb in zip(rows["street_name"], labels)]
        if len(rows) <= mp.MAX_STREET_LABELS else [""] * len(rows),
        textfont={"size": 16 if big else 12, "color": ink}, customdata=[_esc(lb) for lb in labels],
        hovertext=[_esc(n) for n in rows["street_name"]], hovertemplate="%{hovertext}：%{customdata} 人<extra></extra>",
        showlegend=False)
    return _map_layout(fig, height, variant)


def _esc(text) -> str:
    """Text from a region table or a cell, shown in a plotly text or hover label: plotly reads a subset of
    HTML there (links included), so it is escaped (plotly turns the entities back into characters)."""
    return html.escape(str(text), quote=False)


def _lon_scale(geometries) -> float:
    """How much shorter a degree of longitude is than one of latitude at these areas' middle latitude."""
    lats = [p[1] for g in geometries for ring in rings(g) for p in ring] or [30.0]
    return math.cos(math.radians((min(lats) + max(lats)) / 2))


def _map_layout(fig: go.Figure, height: int, variant: str) -> go.Figure:
    fig.update_xaxes(visible=False, constrain="domain", fixedrange=True)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1, constrain="domain", fixedrange=True)
    theme.apply(fig, height=height, variant=variant)
    fig.update_layout(margin={"l": 4, "r": 4, "t": 4, "b": 4}, showlegend=False, dragmode=False)
    return fig


def area_map(shapes: pd.DataFrame, fills: dict, hover: dict, label_suffix: dict | None = None, *,
             height: int = 420, variant: str = "screen") -> go.Figure:
    """A choropleth of areas (streets or counties) for figures that are not counts of children: each area a
    filled trace named after it, its name (and `label_suffix`) at its label point, the hover text there.

    shapes: geo.shapes rows (region_code, region_name, geometry as GeoJSON, lon, lat); fills: region_code →
    [r, g, b, a] (an area without one is drawn as 'no data'); hover: region_code → lines of plain text.
    Plotly in SVG, not deck.gl: a few dozen areas need no WebGL context, whose creation in the browser took
    longer than the page's whole script run.
    """
    from ui import map as mp  # the map page's 'no data' fill (read-only reuse)

    rows = shapes[shapes["geometry"].notna()]
    k = _lon_scale(rows["geometry"])
    suffix = label_suffix or {}
    fig = go.Figure()
    for r in rows.itertuples():
        xs, ys = _path([r.geometry], k)
        fig.add_scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=_rgba(fills.get(r.region_code, mp.NODATA_FILL)),
                        name=str(r.region_name), hoverinfo="skip", line={"color": "#5a5a5a", "width": 1},
                        showlegend=False)
    fig.add_scatter(
        x=[x * k for x in rows["lon"]], y=list(rows["lat"]), mode="text", name="labels",
        # More names than a map's width holds overlap into an unreadable smear: then the hover alone names them.
        text=[f"{_esc(r.region_name)}{_esc(suffix.get(r.region_code, ''))}" if len(rows) <= mp.MAX_STREET_LABELS
              else "" for r in rows.itertuples()],
        textfont={"size": 12, "color": "#141414"},
        hovertext=["<br>".join([f"<b>{_esc(r.region_name)}</b>", *(_esc(x) for x in hover.get(r.region_code, ()))])
                   for r in rows.itertuples()],
        hovertemplate="%{hovertext}<extra></extra>", showlegend=False)
    return _map_layout(fig, height, variant)


# Up to this many streets each is a trace of its own, hoverable anywhere inside it; a province's ~1,400 as
# traces cost the server 0.6 s and the browser as much again, so beyond it the streets are one trace per class
# and each is hovered at its label point.
MAX_SHAPE_TRACES = 200


def density_map(features: list[dict], counties: pd.DataFrame, labels: pd.DataFrame, points: pd.DataFrame | None,
                *, height: int = 560) -> go.Figure:
    """The map page's choropleth without a basemap: streets filled by class with their hover (name, county,
    the metric's value, the count), county outlines, names at `labels`' label points, community points. Plotly
    in SVG: the WebGL context and glyph atlas deck.gl needs took about a second of the browser's time on every
    view, several times the page's whole script run.

    features: ui.map.street_features; labels: region_name, lon, lat (ui.map.labelled); points: ui.map.
    community_marks or None. Each street's feature (without geometry) is its trace's `meta`, or, past
    MAX_SHAPE_TRACES, an item of the `meta` of the trace named "streets" that carries the hovers.
    """
    geoms = [f["geometry"] for f in features] + list(counties["geometry"])
    k = _lon_scale(geoms)
    fig = go.Figure()

    def hover(f: dict) -> str:
        county = f" {_esc(f['county'])}" if f["county"] else ""
        return f"<b>{_esc(f['name'])}</b>{county}<br>{_esc(f['what'])}：{_esc(f['value'])}<br>人数：{_esc(f['children'])}"

    def meta(f: dict) -> dict:
        return {key: v for key, v in f.items() if key not in ("geometry", "lon", "lat")}

    if len(features) <= MAX_SHAPE_TRACES:
        for f in features:
            xs, ys = _path([f["geometry"]], k)
            fig.add_scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=_rgba(f["fill"]), hoveron="fills",
                            name=hover(f), hoverinfo="name", hoverlabel={"namelength": -1},  # never cut to 15
                            line={"color": "#5a5a5a", "width": 1}, showlegend=False, meta=meta(f))
    else:
        by_fill: dict[str, list] = {}
        for f in features:
            by_fill.setdefault(_rgba(f["fill"]), []).append(f["geometry"])
        for fill, shapes in by_fill.items():
            xs, ys = _path(shapes, k)
            fig.add_scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=fill, hoverinfo="skip",
                            line={"color": "#5a5a5a", "width": 0.5}, showlegend=False)
        fig.add_scatter(x=[f["lon"] * k for f in features], y=[f["lat"] for f in features], mode="markers",
                        name="streets", marker={"size": 10, "opacity": 0}, hovertext=[hover(f) for f in features],
                        hoverinfo="text", showlegend=False, meta=[meta(f) for f in features])
    _county_outlines(fig, counties, k)
    if points is not None and len(points):
        # One trace per colour, positions to 1 m: a province's ~14k communities were otherwise 2.3 MB on the wire.
        for fill, pts in points.groupby(points["fill"].map(_rgba), sort=False):
            fig.add_scatter(
                x=[round(x * k, 5) for x in pts["lon"]], y=[round(y, 5) for y in pts["lat"]], mode="markers",
                name="communities", marker={"size": [round(2 * r, 1) for r in pts["radius"]], "color": fill,
                                            "line": {"color": "#ffffff", "width": 1}},
                customdata=[[_esc(n), _esc(s), _esc(c)] for n, s, c in
                            zip(pts["name"], pts["street_name"], pts["children"])],
                hovertemplate="<b>%{customdata[0]}</b> %{customdata[1]}<br>社区（村）人数：%{customdata[2]}<extra></extra>",
                showlegend=False)
    fig.add_scatter(x=[x * k for x in labels["lon"]], y=list(labels["lat"]), mode="text", name="labels",
                    text=[_esc(n) for n in labels["region_name"]], hoverinfo="skip", showlegend=False,
                    # A white halo keeps a name legible on the darkest class, as deck.gl's label background did.
                    textfont={"size": 13, "color": "#141414", "weight": "bold", "shadow": "1px 1px 2px #ffffff, "
                              "-1px -1px 2px #ffffff, 1px -1px 2px #ffffff, -1px 1px 2px #ffffff"})
    fig = _map_layout(fig, height, "screen")
    # Unlike the small maps, this one is explored: dragging pans, the toolbar zooms and resets.
    fig.update_xaxes(fixedrange=False)
    fig.update_yaxes(fixedrange=False)
    fig.update_layout(dragmode="pan", hovermode="closest")
    return fig


def outline_map(streets: pd.DataFrame, counties: pd.DataFrame, *, height: int = 560) -> go.Figure:
    """The map page before any register is landed, without a basemap: the boundaries a deployment has, greyed
    as 无数据 (streets, or counties when no street has a polygon), county outlines on top, names while they fit.
    Nothing but names: hovering an area gives its name and 无数据. Each area's trace carries {"name", "what"}
    as `meta`.

    streets, counties: geo.shapes rows (region_code, region_name, geometry as GeoJSON, lon, lat).
    """
    from ui import map as mp  # the map page's 无数据 fill and label rule (read-only reuse)

    areas = streets if len(streets) else counties
    outlines = counties if len(streets) else counties.iloc[0:0]
    k = _lon_scale(list(areas["geometry"]) + list(outlines["geometry"]))
    fig = go.Figure()
    for a in areas.itertuples():
        xs, ys = _path([a.geometry], k)
        fig.add_scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=_rgba(mp.NO_REGISTER_FILL),
                        hoveron="fills", name=f"<b>{_esc(a.region_name)}</b><br>无数据", hoverinfo="name",
                        hoverlabel={"namelength": -1}, line={"color": "#828282", "width": 1}, showlegend=False,
                        meta={"name": a.region_name, "what": "无数据"})
    _county_outlines(fig, outlines, k)
    named = mp.labelled(areas, outlines)
    fig.add_scatter(x=[x * k for x in named["lon"]], y=list(named["lat"]), mode="text", name="labels",
                    text=[_esc(n) for n in named["region_name"]], hoverinfo="skip", showlegend=False,
                    textfont={"size": 13, "color": "#3c3c3c"})
    return _map_layout(fig, height, "screen")
