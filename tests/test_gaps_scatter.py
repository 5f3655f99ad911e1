"""服务缺口's demand–supply scatter: county names placed so that no two overlap, every area named on hover."""
from __future__ import annotations

import pandas as pd

from ui import gaps as ui

NAMES = ["东湖区", "西岭区", "南山区", "北塘区", "青石县", "柳洲县", "云溪市"]


def _rows(demand: list[float], supply: list[float]) -> pd.DataFrame:
    return pd.DataFrame({
        "area_code": [f"9901{i:02d}" for i in range(len(demand))], "area_name": NAMES[:len(demand)],
        "area_group": ["主城区"] * 4 + ["县域"] * (len(demand) - 4), "demand": demand, "supply": supply,
        "shortfall": [max(0.0, d * 0.9 - s) for d, s in zip(demand, supply)],
        "demand_name": "流动儿童", "supply_name": "托位"})


STANDARD = pd.Series({"standard_value": 90.0, "per": 100.0, "basis": "托位比例", "has_standard": True})


def _boxes(fig) -> list[tuple[str, tuple]]:
    """Each shown label's box in pixels of the plot area (the figure's own axis ranges), as a reader sees it:
    12 px per CJK character, 16 px high, on the side of the point its textposition names."""
    w_px, h_px = ui.PLOT_PX
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    out = []
    for t in fig.data:
        if t.mode != "markers+text":
            continue
        positions = t.textposition if isinstance(t.textposition, tuple | list) else [t.textposition] * len(t.x)
        for x, y, text, pos in zip(t.x, t.y, t.text, positions):
            if not text:
                continue
            px, py = (x - x0) / (x1 - x0) * w_px, (y - y0) / (y1 - y0) * h_px
            w, h = ui.label_width(text), 16
            v, hz = pos.split()
            cx = px + {"center": 0, "right": w / 2 + 6, "left": -w / 2 - 6}[hz]
            cy = py + {"middle": 0, "top": h / 2 + 6, "bottom": -h / 2 - 6}[v]
            out.append((text, (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)))
    return out


def _overlaps(boxes) -> list[tuple[str, str]]:
    return [(a, b) for i, (a, p) in enumerate(boxes) for b, q in boxes[i + 1:]
            if p[0] < q[2] and q[0] < p[2] and p[1] < q[3] and q[1] < p[3]]


def test_crowded_counties_do_not_overlap():
    """Seven counties close together (the demo's shape: similar demand and supply) keep their names apart."""
    fig = ui.demand_supply_scatter(_rows([5200, 5350, 5100, 5500, 2100, 2300, 2250],
                                         [3900, 4050, 3800, 4300, 900, 1000, 980]), STANDARD)
    boxes = _boxes(fig)
    assert not _overlaps(boxes), _overlaps(boxes)
    assert len(boxes) >= 4, "most counties keep a visible name"
    hover = [n for t in fig.data if t.mode == "markers+text" for n in t.customdata]
    assert sorted(hover) == sorted(NAMES), "every area is named on hover"


def test_spread_counties_are_all_labelled():
    fig = ui.demand_supply_scatter(_rows([1000, 3000, 5000, 7000, 9000], [200, 1500, 4200, 3000, 8800]), STANDARD)
    assert sorted(t for t, _ in _boxes(fig)) == sorted(NAMES[:5])
    assert not _overlaps(_boxes(fig))


def test_gap_table_headers_are_not_cut():
    """Every column of the gaps page's tables is at least as wide as its header (需求：常住人口, 缺口（单位数）),
    so no header is cut at 1366 px; a long value widens its column too."""
    df = _rows([5200, 5350, 5100, 5500, 2100], [3900, 4050, 3800, 4300, 900]).assign(
        position=list("12345"), area_type=["主城区"] * 4 + ["县域"], ratio="2.7", standard_value="4.5",
        required="139.4", gap_share="40.5%")
    cols = ["position", "area_name", "area_type", "supply", "demand", "ratio", "standard_value", "required",
            "shortfall", "gap_share"]
    config = ui.text_columns(df, cols, ui.side_headers(df))
    for c in cols:
        header = config[c]["label"]
        need = sum(13 if ord(ch) > 0x2E80 else 7 for ch in header) + 16  # the glyphs and the cell's padding
        assert isinstance(config[c].get("width"), int) and config[c]["width"] >= need, (header, config[c])
    assert config["demand"]["label"] == "需求：流动儿童" and config["shortfall"]["label"] == "缺口（单位数）"
