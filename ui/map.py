"""The map page's helpers: suppression of the street/community figures, class breaks, the pydeck deck,
the Chinese legend, the table and the Excel download. Pure functions; views/map.py stays thin."""
from __future__ import annotations

import json
import math
import urllib.parse

import numpy as np
import pandas as pd
import pydeck as pdk

from ui import format as fmt
from ui import theme
from warehouse.queries import metrics, privacy
from warehouse.queries.geo import METRICS

AGE_LABELS = {"all": "全部（0—16岁）", "0-3": "0—3岁", "3-6": "3—6岁", "6-12": "6—12岁", "12-16": "12—16岁"}
CATEGORY_LABELS = {"流动儿童": "流动儿童", "留守儿童": "留守儿童", "困境儿童": "困境儿童"}
METRIC_HELP = {
    "children": "登记在册的儿童人数（民政局监测摸排台账）。",
    "per_km2": metrics.help("children_per_km2"),
    "per_1000_residents": metrics.help("children_per_1000_residents"),
    "share_of_under16": metrics.help("children_share_of_under16"),
}
# Sequential (light → dark) for levels, diverging (fall blue → rise red) for changes.
SEQUENTIAL = ["#fee8c8", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"]
DIVERGING = ["#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b"]
SUPPRESSED_FILL = [235, 235, 235, 200]
NODATA_FILL = [250, 250, 250, 160]
FONT = theme.FONT_FAMILY
MAX_STREET_LABELS = 30
LABEL_FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif'


def _rgb(hex_color: str, alpha: int = 210) -> list[int]:
    h = hex_color.lstrip("#")
    return [int(h[i:i + 2], 16) for i in (0, 2, 4)] + [alpha]


def marked(df: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """`df` with `<count>_suppressed`/`<count>_label` for each count: as the door marked them (from the
    whole published cube), or, for a role with exact figures (case access), nothing hidden."""
    out = df.copy()
    for c in counts:
        if f"{c}_suppressed" not in out:
            out[f"{c}_suppressed"] = False
            out[f"{c}_label"] = [privacy.count_label(x) for x in out[c].tolist()]
    return out


def suppressed_streets(df: pd.DataFrame, metric: str, change: bool, t: int) -> pd.DataFrame:
    """Street rows with `value` (the metric, or its change), hidden where the door hid its counts.

    No suppression of its own: the door's pattern covers every band, category, level and total, and a
    view-local pattern would differ between views (so differencing two views would reveal cells)."""
    col = METRICS[metric][0]
    out = marked(df, ["children", "prev_children"])
    hide = out["children_suppressed"] | (out["prev_children_suppressed"] if change else False)
    value = out[col].astype("Float64") - out[f"prev_{col}"].astype("Float64") if change else out[col]
    out["value"] = value.astype("Float64").mask(hide.astype(bool))
    return out


def suppressed_points(df: pd.DataFrame, t: int) -> pd.DataFrame:
    """Community points, marked by the door (see suppressed_streets)."""
    return marked(df, ["children"])


def class_breaks(values: pd.Series, k: int = 5, change: bool = False) -> list[float]:
    """Class breaks (upper bounds of classes 1..k-1): quantiles; for changes, symmetric around 0 so the
    middle (white) class holds the streets that hardly changed."""
    v = pd.to_numeric(values, errors="coerce").dropna().astype(float)
    if v.empty:
        return []
    if change:
        m = float(v.abs().max()) or 1.0
        return [-0.6 * m, -0.2 * m, 0.2 * m, 0.6 * m]
    qs = np.quantile(v, [i / k for i in range(1, k)])
    return sorted({float(x) for x in qs if x < v.max()})


def classify(value: float | None, breaks: list[float]) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(np.searchsorted(breaks, value, side="left"))


def palette(n: int, change: bool) -> list[str]:
    base = DIVERGING if change else SEQUENTIAL
    if n <= 1:
        return [base[len(base) // 2 if change else 2]]
    idx = np.linspace(0, len(base) - 1, n).round().astype(int)
    return [base[i] for i in idx]


def value_text(v, metric: str, change: bool = False) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return "—"
    sign = "+" if change and v > 0 else ""
    if metric == "share_of_under16":
        return sign + fmt.percent(v)
    if metric == "children":
        return sign + f"{round(v):,}"
    return sign + f"{v:,.2f}"


def legend_rows(breaks: list[float], metric: str, change: bool, values: pd.Series) -> list[tuple[str, str]]:
    """[(hex colour, Chinese range text)] for the classes actually used."""
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return []
    colors = palette(len(breaks) + 1, change)
    lo, hi = float(v.min()), float(v.max())
    if change:
        lo, hi = -float(v.abs().max()), float(v.abs().max())
    rows = []
    edges = [lo, *breaks, hi]
    for i, c in enumerate(colors):
        a, b = edges[i], edges[i + 1]
        text = (f"{value_text(a, metric, change)} — {value_text(b, metric, change)}" if i == 0
                else f"高于 {value_text(a, metric, change)}，至 {value_text(b, metric, change)}")
        rows.append((c, text))
    return rows


def legend_html(rows: list[tuple[str, str]], title: str, t: int, has_small: bool, has_nodata: bool,
                change: bool = False) -> str:
    items = [f'<div style="margin:2px 0"><span style="display:inline-block;width:14px;height:14px;'
             f'background:{c};border:1px solid #999;vertical-align:middle;margin-right:6px"></span>{txt}</div>'
             for c, txt in rows]
    if has_small:
        items.append('<div style="margin:2px 0"><span style="display:inline-block;width:14px;height:14px;'
                     'background:#ebebeb;border:1px dashed #999;vertical-align:middle;margin-right:6px"></span>'
                     f'不足{t}人，不着色（显示为“&lt;{t}”；“*”为防止由合计反推而隐去）</div>')
    if has_nodata:
        items.append('<div style="margin:2px 0"><span style="display:inline-block;width:14px;height:14px;'
                     'background:#fafafa;border:1px solid #ccc;vertical-align:middle;margin-right:6px"></span>'
                     '无分母数据</div>')
    how = "以0为中心对称分级" if change else "分位数分级"
    return (f'<div style="font-size:0.9rem"><b>图例：{title}</b>（{how}）'
            + "".join(items) + "</div>")


def view_state(shapes: pd.DataFrame, width: int = 700, height: int = 540) -> pdk.ViewState:
    """Centre and zoom that fit the shapes' bounds (Web Mercator, 512-px tiles as deck.gl uses)."""
    xs, ys = [], []
    for g in shapes["geometry"]:
        coords = _coords(json.loads(g))
        xs += [c[0] for c in coords]
        ys += [c[1] for c in coords]
    if not xs:
        return pdk.ViewState(longitude=120, latitude=31.6, zoom=8)
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)

    def merc(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    dx = max(x1 - x0, 1e-4) / 360
    dy = max(merc(y1) - merc(y0), 1e-4) / (2 * math.pi)
    zoom = min(math.log2(width * 0.9 / (512 * dx)), math.log2(height * 0.9 / (512 * dy)))
    return pdk.ViewState(longitude=(x0 + x1) / 2, latitude=(y0 + y1) / 2, zoom=round(zoom, 2), pitch=0, bearing=0)


def _coords(geom: dict) -> list:
    out = []

    def walk(c):
        if c and isinstance(c[0], (int, float)):
            out.append(c)
        else:
            for x in c:
                walk(x)

    walk(geom["coordinates"])
    return out


def street_features(streets: pd.DataFrame, shapes: pd.DataFrame, breaks: list[float], metric: str, change: bool,
                    t: int) -> list[dict]:
    """What the map shows of each street with a shape, whichever way it is drawn: code, name, county, geometry
    (GeoJSON text), lon/lat (label point), fill [r, g, b, a], class (None: not coloured), suppressed, what (the
    metric's name), value (its text as shown) and children (the count's label)."""
    colors = palette(len(breaks) + 1, change)
    by_code = streets.set_index("street_code")
    label = METRICS[metric][1] + ("较上期变化" if change else "")
    out = []
    for s in shapes.itertuples():
        row = by_code.loc[s.region_code] if s.region_code in by_code.index else None
        small = bool(row is not None and (row["children_suppressed"] or (change and row["prev_children_suppressed"])))
        cls = None if row is None or small else classify(row["value"], breaks)
        fill = SUPPRESSED_FILL if small else (NODATA_FILL if cls is None else _rgb(colors[cls]))
        shown = (row["children_label"] if small and metric == "children" and not change
                 else (privacy.mark(t) if small else value_text(row["value"] if row is not None else None,
                                                                  metric, change)))
        out.append({"code": s.region_code, "name": s.region_name, "geometry": s.geometry, "lon": s.lon, "lat": s.lat,
                    "fill": fill, "class": cls, "suppressed": small, "what": label, "value": shown,
                    "children": row["children_label"] if row is not None else "—",
                    "county": row["county_name"] if row is not None else ""})
    return out


def community_marks(points: pd.DataFrame) -> pd.DataFrame:
    """Community points as the map marks them: name, street_name, children (the count's label), lon, lat,
    radius (pixels, growing with the count, at most 9), fill [r, g, b, a] (grey where the count is hidden)."""
    return pd.DataFrame({
        "name": points["community_name"], "street_name": points["street_name"], "children": points["children_label"],
        "lon": points["lon"], "lat": points["lat"],
        "radius": np.minimum(2 + np.sqrt(points["children"].astype("Float64").fillna(0).astype(float)) * 0.4, 9),
        "fill": [[120, 120, 120, 150] if s else [37, 99, 160, 170] for s in points["children_suppressed"]]})


def labelled(shapes: pd.DataFrame, counties: pd.DataFrame) -> pd.DataFrame:
    """The areas whose names the map writes: its streets while they fit; a whole city's streets would overlap,
    so its counties then (street names stay in the tooltips and the table, and show when a county is chosen);
    none where a province's counties would overlap too."""
    if len(shapes) <= MAX_STREET_LABELS or not len(counties):
        return shapes if len(shapes) <= MAX_STREET_LABELS else shapes.iloc[0:0]
    return counties if len(counties) <= MAX_STREET_LABELS else counties.iloc[0:0]


def deck(streets: pd.DataFrame, shapes: pd.DataFrame, counties: pd.DataFrame, points: pd.DataFrame | None,
         breaks: list[float], metric: str, change: bool, view: pdk.ViewState, tile_url: str | None,
         t: int) -> pdk.Deck:
    """The choropleth over the intranet basemap: streets coloured by class, county outlines, Chinese labels,
    community points (without a basemap the page draws charts.density_map instead: no WebGL)."""
    features = [{"type": "Feature", "geometry": json.loads(f["geometry"]),
                 "properties": {k: v for k, v in f.items() if k not in ("geometry", "lon", "lat")}}
                for f in street_features(streets, shapes, breaks, metric, change, t)]
    layers = [pdk.Layer(
        "GeoJsonLayer", id="streets", data={"type": "FeatureCollection", "features": features},
        stroked=True, filled=True, pickable=True, get_fill_color="properties.fill",
        get_line_color=[90, 90, 90, 255], line_width_min_pixels=1, auto_highlight=True)]
    if len(counties):
        layers.append(pdk.Layer(
            "GeoJsonLayer", id="counties",
            data={"type": "FeatureCollection", "features": [
                {"type": "Feature", "geometry": json.loads(g), "properties": {"name": n}}
                for g, n in zip(counties["geometry"], counties["region_name"])]},
            stroked=True, filled=False, pickable=False, get_line_color=[40, 40, 40, 255], line_width_min_pixels=3))
    if points is not None and len(points):
        pts = community_marks(points).assign(
            county=points["street_name"], what="社区（村）人数", value=points["children_label"],
        )[["name", "county", "what", "value", "children", "lon", "lat", "radius", "fill"]]
        layers.append(pdk.Layer(
            "ScatterplotLayer", id="communities", data=pts.to_dict("records"), get_position="[lon, lat]",
            get_radius="radius", radius_units=pdk.types.String("pixels"), get_fill_color="fill", pickable=True, stroked=True,
            get_line_color=[255, 255, 255], line_width_min_pixels=1))
    named = labelled(shapes, counties)
    few = named is shapes
    labels = [{"name": s.region_name, "lon": s.lon, "lat": s.lat} for s in named.itertuples()]
    layers.append(pdk.Layer(
        "TextLayer", id="labels", data=labels, get_position="[lon, lat]", get_text="name",
        get_size=14 if few else 17,
        get_color=[20, 20, 20, 255], character_set=pdk.types.String("auto"), font_family=pdk.types.String(LABEL_FONT),
        font_weight=600, background=True, get_background_color=[255, 255, 255, 190],
        background_padding=[3, 1], billboard=True))
    tooltip = {"html": "<b>{name}</b> {county}<br/>{what}：{value}<br/>人数：{children}",
               "style": {"fontFamily": FONT, "fontSize": "13px"}}
    if tile_url:  # an intranet XYZ tile service as a raster basemap, via an inline (data:) map style
        return pdk.Deck(layers=layers, initial_view_state=view, tooltip=tooltip, map_provider="carto",
                        map_style=basemap_style(tile_url))
    return pdk.Deck(layers=layers, initial_view_state=view, map_provider=None, tooltip=tooltip)


NO_REGISTER_FILL = [221, 221, 221, 170]  # 无数据: the register is not landed yet


def outline_deck(streets: pd.DataFrame, counties: pd.DataFrame, tile_url: str | None = None) -> pdk.Deck:
    """The boundaries a deployment has, greyed as 无数据, before any register is landed, over the intranet
    basemap (without one the page draws charts.outline_map): streets filled grey (or counties, when no street
    has a polygon), county outlines on top, names as labels.

    Nothing but names: no figure of any kind is on these shapes."""
    areas = streets if len(streets) else counties

    def fc(df: pd.DataFrame) -> dict:
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": json.loads(g), "properties": {"name": n, "what": "无数据"}}
            for g, n in zip(df["geometry"], df["region_name"])]}

    layers = [pdk.Layer("GeoJsonLayer", id="nodata", data=fc(areas), stroked=True, filled=True, pickable=True,
                        get_fill_color=NO_REGISTER_FILL, get_line_color=[130, 130, 130, 255],
                        line_width_min_pixels=1)]
    if len(streets) and len(counties):
        layers.append(pdk.Layer("GeoJsonLayer", id="counties", data=fc(counties), stroked=True, filled=False,
                                pickable=False, get_line_color=[60, 60, 60, 255], line_width_min_pixels=3))
    named = areas if len(areas) <= MAX_STREET_LABELS or not len(counties) else counties
    layers.append(pdk.Layer(
        "TextLayer", id="labels", data=[{"name": s.region_name, "lon": s.lon, "lat": s.lat} for s in named.itertuples()],
        get_position="[lon, lat]", get_text="name", get_size=14, get_color=[60, 60, 60, 255],
        character_set=pdk.types.String("auto"), font_family=pdk.types.String(LABEL_FONT),
        background=True, get_background_color=[255, 255, 255, 190], billboard=True))
    tooltip = {"html": "<b>{name}</b><br/>{what}", "style": {"fontFamily": FONT, "fontSize": "13px"}}
    view = view_state(pd.concat([areas, counties]) if len(counties) else areas)
    if tile_url:
        return pdk.Deck(layers=layers, initial_view_state=view, tooltip=tooltip, map_provider="carto",
                        map_style=basemap_style(tile_url))
    return pdk.Deck(layers=layers, initial_view_state=view, map_provider=None, tooltip=tooltip)


def nodata_legend_html(what: str) -> str:
    """The legend of outline_deck: one grey entry, 无数据, and what would fill it."""
    r, g, b, _ = NO_REGISTER_FILL
    return ('<div style="font-size:0.9rem"><b>图例</b><div style="margin:2px 0"><span style="display:inline-block;'
            f'width:14px;height:14px;background:rgb({r},{g},{b});border:1px solid #999;vertical-align:middle;'
            f'margin-right:6px"></span>无数据（{what}）</div></div>')


def basemap_style(tile_url: str) -> str:
    """A MapLibre style with one raster source, as a data: URL, so no style file is fetched from anywhere.

    Checked in Chromium: the only requests are for the configured tiles (no CDN, no style host).
    """
    style = {"version": 8, "sources": {"basemap": {"type": "raster", "tiles": [tile_url], "tileSize": 256}},
             "layers": [{"id": "basemap", "type": "raster", "source": "basemap"}]}
    return "data:application/json;charset=utf-8," + urllib.parse.quote(json.dumps(style))


def table(streets: pd.DataFrame, metric: str, change: bool) -> pd.DataFrame:
    """The table beside the map (Chinese headers): counts as text ("<5"), metrics numeric for sorting."""
    label = METRICS[metric][1] if metric != "children" else "人数（数值，供排序）"
    out = pd.DataFrame({
        "区县": streets["county_name"],
        "街道（乡镇）": streets["street_name"],
        "人数": streets["children_label"],
        label: streets[METRICS[metric][0]].astype("Float64"),
    })
    if change:
        out["上期人数"] = streets["prev_children_label"]
        out[f"{METRICS[metric][1]}较上期变化"] = streets["value"].astype("Float64")
    out["面积（平方公里）"] = streets["area_km2"].astype("Float64").round(2)
    return out.sort_values(label, ascending=False, na_position="last", kind="stable").reset_index(drop=True)


def table_columns(tbl: pd.DataFrame) -> dict:
    """Number formats for st.dataframe: counts with thousands separators, rates with two decimals."""
    import streamlit as st

    out = {}
    for c in tbl.columns:
        if c in ("区县", "街道（乡镇）", "人数", "上期人数"):
            continue
        if "比例" in c:
            out[c] = st.column_config.NumberColumn(c, format="percent")
        elif "人数" in c and "平方公里" not in c:
            out[c] = st.column_config.NumberColumn(c, format="localized")
        else:
            out[c] = st.column_config.NumberColumn(c, format="%.2f")
    return out


def excel(tbl: pd.DataFrame, title: str, notes: list[str]) -> bytes:
    """The table as .xlsx, suppressed exactly as on the page, with a title and notes."""
    from report import export

    return export.to_xlsx_bytes([export.Sheet("分街道", tbl, above=[[title]], below=notes, width=16)])
