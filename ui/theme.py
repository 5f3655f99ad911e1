"""One palette and one plotly template for every chart (CJK font, no outside requests)."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

FONT_FAMILY = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"

PRIMARY = "#2b6cb0"
PALETTE = ["#2b6cb0", "#e07b39", "#3a9d6b", "#8c5fbf", "#c94f6d", "#4aa3b5", "#b59a3c", "#6b7a8f"]

# Sequential blues for ordered bands (age bands, youngest lightest).
AGE_BAND_COLORS = {"0-3": "#9ecae1", "3-6": "#6baed6", "6-12": "#3182bd", "12-16": "#08519c"}
CATEGORY_COLORS = {"流动儿童": PALETTE[0], "留守儿童": PALETTE[1]}

# Risk levels: four colours (四色管理) and five grades (一级 most urgent).
RISK_COLORS = {
    "红色": "#d9363e",
    "橙色": "#f08c2e",
    "黄色": "#e8c21a",
    "绿色": "#3a9d5d",
    "一级": "#b2182b",
    "二级": "#ef6548",
    "三级": "#fdae61",
    "四级": "#a6d96a",
    "五级": "#1a9850",
}

TEMPLATE_NAME = "tongxin"

_template = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT_FAMILY, "size": 13, "color": "#262730"},
        colorway=PALETTE,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 64, "r": 16, "t": 48, "b": 48},
        legend={
            "orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0,
            "title": {"text": ""}, "traceorder": "normal",
        },
        xaxis={"showgrid": False, "linecolor": "#c8ccd4", "ticks": "", "automargin": True},
        yaxis={"gridcolor": "#eceff3", "zeroline": False, "separatethousands": True, "automargin": True},
        hoverlabel={"font_family": FONT_FAMILY},
        separators=".,",
    )
)
pio.templates[TEMPLATE_NAME] = _template


def apply(fig: go.Figure, *, height: int = 360) -> go.Figure:
    """Give a figure the app's template and a fixed height."""
    fig.update_layout(template=TEMPLATE_NAME, height=height)
    return fig
