"""One palette and one plotly template for every chart (CJK font, no outside requests).

Three variants of the same look: "screen" (the default template, transparent background), "meeting"
(high contrast, large type, for a projector) and "print" (white background, black text, for PDF/PNG
export — kaleido renders with the system fonts, so the CJK family below must be installed:
fonts-noto-cjk). Colours for meanings (good/bad, statuses, risk levels) are defined here once; pages
and ui/ helpers take them from here rather than writing hex codes.
"""

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

# Meanings, used the same way on every page (and in the meeting pack). Fills for bars and tags; the
# *_TEXT variants are darker so coloured text keeps a 4.5:1 contrast on white (projector, print).
GOOD = "#3a9d5d"        # met / achieved / improving / on time
BAD = "#d9363e"         # shortfall / off track / worsening / overdue (= the red risk level)
WARN = "#e8a317"        # at risk
NEUTRAL = "#6b7a8f"     # no judgement (counts that are neither good nor bad), reference lines
MUTED = "#9aa0a6"       # no data, suppressed
GOOD_TEXT, BAD_TEXT, NEUTRAL_TEXT, MUTED_TEXT = "#276749", "#b42318", "#4a5568", "#718096"
TODAY_LINE = PALETTE[4]  # the "today" / evaluation-date marker on time axes
FEDERATION = "#c2185b"   # 妇联 volunteer series (the volunteers page's accent)
FEDERATION_SECONDARY = "#90a4ae"
# Target status (目标进展) — the targets page's traffic lights, defined here once.
# Target status (value against its path) and the separate 报告逾期 flag; 未设区县目标 is not judged.
STATUS_COLORS = {"已达标": "#2f855a", "正常": "#3a9d5d", "滞后": "#e8a317", "未达标": "#d9363e",
                 "无数据": "#9aa0a6", "未设区县目标": "#9aa0a6", "报告逾期": "#8b1e3f"}
URBAN_CORE_COLOR, COUNTY_AREA_COLOR = PALETTE[0], PALETTE[1]  # 主城区 / 县域

TEMPLATE_NAME = "tongxin"
MEETING_TEMPLATE_NAME = "tongxin_meeting"
PRINT_TEMPLATE_NAME = "tongxin_print"

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

# High contrast for a projector: black text, larger type, stronger grid, white background.
_meeting = go.layout.Template(_template)
_meeting.layout.update(
    font={"family": FONT_FAMILY, "size": 20, "color": "#000000"},
    paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
    xaxis={"linecolor": "#000000", "tickfont": {"size": 18, "color": "#000000"}},
    yaxis={"gridcolor": "#bdbdbd", "tickfont": {"size": 18, "color": "#000000"}},
    legend={"font": {"size": 18}},
)
pio.templates[MEETING_TEMPLATE_NAME] = _meeting

# Print/export: white paper, black text, thin grey grid; sized for an A4 page at 2x scale.
_print = go.layout.Template(_template)
_print.layout.update(
    font={"family": FONT_FAMILY, "size": 12, "color": "#000000"},
    paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
    yaxis={"gridcolor": "#d9d9d9"}, xaxis={"linecolor": "#7f7f7f"},
)
pio.templates[PRINT_TEMPLATE_NAME] = _print

TEMPLATES = {"screen": TEMPLATE_NAME, "meeting": MEETING_TEMPLATE_NAME, "print": PRINT_TEMPLATE_NAME}


def apply(fig: go.Figure, *, height: int = 360, variant: str = "screen") -> go.Figure:
    """Give a figure the app's template ("screen", "meeting" or "print") and a fixed height."""
    fig.update_layout(template=TEMPLATES[variant], height=height)
    return fig


def for_print(fig: go.Figure) -> go.Figure:
    """A copy of `fig` in the print variant (white background, black CJK text) for PDF/PNG export."""
    out = go.Figure(fig)
    out.update_layout(template=PRINT_TEMPLATE_NAME, paper_bgcolor="#ffffff", plot_bgcolor="#ffffff")
    return out


def to_png(fig: go.Figure, *, width: int = 900, height: int | None = None, scale: float = 2) -> bytes:
    """PNG bytes of the print variant (kaleido with the system chromium; ~3 s for the first call)."""
    out = for_print(fig)
    return out.to_image(format="png", width=width, height=height or out.layout.height or 360, scale=scale)


def uploader_css(max_mb: int, types: tuple[str, ...] = ("xlsx", "xls", "csv")) -> str:
    """A CSS rule that makes st.file_uploader say its own texts in Chinese.

    Streamlit 1.67 has no option or config for these texts (its button "Upload", "200MB per file • XLSX, …"
    and, while a file is dragged over, "Drag and drop a file here"): the English text is shrunk to nothing
    and the Chinese drawn in its place. Selectors are Streamlit's data-testid attributes; tests/
    test_upload_browser.py checks the texts in Chromium, so a Streamlit upgrade that moves them shows up."""
    kinds = "、".join(t.upper() for t in types if t.isalnum())
    zone = '[data-testid="stFileUploaderDropzone"]'
    drag = f'{zone} > input + div:not(:has([data-testid="stFileChips"])) > span'
    texts = {f'{zone} [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] p': "选择文件",
             '[data-testid="stFileUploaderDropzoneInstructions"] span': f"拖放文件到此处，或点击选择；单个文件不超过 {int(max_mb)}MB · {kinds}",
             drag: "松开鼠标即可上传"}
    rules = [f"{sel} {{ font-size: 0 !important; }} {sel}::after {{ content: \"{text}\"; font-size: .875rem; }}"
             for sel, text in texts.items()]
    return "\n".join(rules)
