"""The plotly area choropleth used by 服务缺口 and 数据比对: areas, labels and escaping of names."""
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
