"""The plotly choropleths: the area map of 服务缺口 and 数据比对, and 流动儿童分布's map without a basemap;
areas, labels, hidden counts and escaping of names."""
from __future__ import annotations

import json

import pandas as pd

from ui import charts
from ui import map as mp


def _squares(n: int, name=lambda i: f"街道{i}") -> pd.DataFrame:
    rows = []
    for i in range(n):
        x, y = 110 + i * 0.01, 30.0
        ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
        rows.append({"region_code": f"{i:03d}", "region_name": name(i), "lon": x + 0.005, "lat": y + 0.005,
                     "geometry": json.dumps({"type": "Polygon", "coordinates": [ring]})})
    return pd.DataFrame(rows)


def test_each_area_is_one_filled_trace_coloured_or_grey():
    shapes = _squares(3)
    fig = charts.area_map(shapes, {"000": [200, 0, 0, 255]}, {"000": ["缺口率：50%"]}, {"000": " 50%"})
    areas = [t for t in fig.data if t.fill == "toself"]
    assert [t.name for t in areas] == ["街道0", "街道1", "街道2"]
    assert areas[0].fillcolor == "rgba(200,0,0,1.000)"
    assert areas[1].fillcolor == areas[2].fillcolor == charts._rgba(mp.NODATA_FILL)
    labels = next(t for t in fig.data if t.name == "labels")
    assert list(labels.text) == ["街道0 50%", "街道1", "街道2"]
    assert labels.hovertext[0] == "<b>街道0</b><br>缺口率：50%"


def test_a_city_of_streets_is_named_by_hover_only():
    few = charts.area_map(_squares(mp.MAX_STREET_LABELS), {}, {})
    many = charts.area_map(_squares(mp.MAX_STREET_LABELS + 1), {}, {})
    assert all(next(t for t in few.data if t.name == "labels").text)
    labels = next(t for t in many.data if t.name == "labels")
    assert not any(labels.text) and all(labels.hovertext)


def test_names_from_a_region_table_do_not_become_markup():
    hostile = '<a href="http://evil.example">点我</a>'
    fig = charts.area_map(_squares(1, lambda i: hostile), {}, {"000": ["未匹配：<5人"]})
    labels = next(t for t in fig.data if t.name == "labels")
    for text in (labels.text[0], labels.hovertext[0]):
        assert "<a" not in text and "&lt;a href" in text
    assert "&lt;5人" in labels.hovertext[0]


def _map_page_figure(shapes: pd.DataFrame, community: str = "桃园社区"):
    """charts.density_map as the map page builds it from a street table (no basemap)."""
    streets = pd.DataFrame({"street_code": shapes["region_code"], "street_name": shapes["region_name"],
                            "county_name": shapes["region_name"], "children": [3] + [40] * (len(shapes) - 1),
                            "prev_children": [None] * len(shapes)})
    streets = mp.suppressed_streets(streets.assign(children_suppressed=[True] + [False] * (len(shapes) - 1),
                                                   children_label=["<5"] + ["40"] * (len(shapes) - 1)),
                                    "children", False, 5)
    breaks = mp.class_breaks(streets["value"].dropna())
    points = pd.DataFrame({"community_name": [community], "street_name": [shapes["region_name"][0]],
                           "children": [3], "children_label": ["<5"], "children_suppressed": [True],
                           "lon": [110.005], "lat": [30.005]})
    features = mp.street_features(streets, shapes, breaks, "children", False, 5)
    return charts.density_map(features, shapes.iloc[0:0], mp.labelled(shapes, shapes.iloc[0:0]),
                              mp.community_marks(points))


def test_the_map_page_draws_each_street_hoverable_with_its_figures():
    fig = _map_page_figure(_squares(3))
    streets = [t for t in fig.data if t.meta and "code" in t.meta]
    assert [t.meta["code"] for t in streets] == ["000", "001", "002"]
    assert all(t.fill == "toself" and t.hoveron == "fills" and t.hoverlabel.namelength == -1 for t in streets)
    small = streets[0]
    assert small.meta["suppressed"] and small.meta["class"] is None and small.fillcolor == charts._rgba(mp.SUPPRESSED_FILL)
    assert "人数：&lt;5" in small.name and "：3" not in small.name  # the hidden count never shows
    assert list(next(t for t in fig.data if t.name == "labels").text) == ["街道0", "街道1", "街道2"]
    pts = next(t for t in fig.data if t.name == "communities")
    assert list(pts.customdata[0]) == ["桃园社区", "街道0", "&lt;5"]


def test_the_map_pages_names_do_not_become_markup():
    hostile = '<a href="http://evil.example">点我</a>'
    fig = _map_page_figure(_squares(2, lambda i: hostile), community=hostile)
    texts = [t.name for t in fig.data if t.meta and "code" in t.meta]
    texts += list(next(t for t in fig.data if t.name == "labels").text)
    texts += [c for row in next(t for t in fig.data if t.name == "communities").customdata for c in row]
    assert texts and all("<a" not in x for x in texts) and all("&lt;a href" in x for x in texts if "点我" in x)


def test_a_province_of_streets_is_drawn_by_class_and_hovered_at_its_label_points():
    n = charts.MAX_SHAPE_TRACES + 1
    shapes = _squares(n)
    counties = _squares(mp.MAX_STREET_LABELS + 1, lambda i: f"区{i}")
    streets = pd.DataFrame({"street_code": shapes["region_code"], "street_name": shapes["region_name"],
                            "county_name": "区", "children": range(10, 10 + n), "prev_children": [None] * n,
                            "children_suppressed": False, "children_label": [str(i) for i in range(10, 10 + n)]})
    streets = mp.suppressed_streets(streets, "children", False, 5)
    features = mp.street_features(streets, shapes, mp.class_breaks(streets["value"]), "children", False, 5)
    fig = charts.density_map(features, counties, mp.labelled(shapes, counties), None)
    fills = [t for t in fig.data if t.fill == "toself"]
    assert 1 < len(fills) <= 5  # one trace per class, not one per street
    hovers = next(t for t in fig.data if t.name == "streets")
    assert len(hovers.hovertext) == n and [m["code"] for m in hovers.meta] == list(shapes["region_code"])
    assert "<b>街道0</b>" in hovers.hovertext[0] and "人数：10" in hovers.hovertext[0]
    # Neither the streets' nor the counties' names fit: none is written, the hover names them.
    assert len(next(t for t in fig.data if t.name == "labels").x) == 0
    assert len(mp.labelled(shapes, counties.iloc[:3])) == 3 and len(mp.labelled(shapes.iloc[:3], counties)) == 3
