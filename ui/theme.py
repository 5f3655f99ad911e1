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


# --------------------------------------------------------------------------------------------
# Screen CSS: every layout rule of the app, in one place. Widths the product is tested at: 1920×1080,
# 1366×768 (an office laptop, or 1920 at 125–150 % zoom) and 390×844 (a phone). Streamlit stacks
# st.columns below 640 px; the rules here only refine that. Selectors are Streamlit's data-testid
# attributes; tests/test_screens_browser.py measures the result in Chromium, so an upgrade that moves
# them shows up there.

PHONE = "(max-width: 640px)"
SHORT = "(max-height: 900px) and (min-width: 641px)"  # a laptop screen: the overview drops its extras

SCREEN_CSS = f"""
@media (max-width: 1600px) {{
  [data-testid="stMainBlockContainer"] {{ padding-left: 1.75rem !important; padding-right: 1.75rem !important; }}
}}
/* st.metric: the label wraps instead of ending in "…", the figure shrinks with its card instead of
   spilling into the next one (container units: the card's own width, not the window's). */
[data-testid="stMetric"] {{ container-type: inline-size; }}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {{
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }}
[data-testid="stMetricLabel"] {{ height: auto !important; min-height: 1.5rem; }}
[data-testid="stMetricValue"] > div {{ font-size: min(2.25rem, 13cqi) !important; white-space: nowrap; }}
@media {PHONE} {{
  [data-testid="stMainBlockContainer"] {{ padding-left: 0.8rem !important; padding-right: 0.8rem !important;
                                          padding-top: 4rem !important; }}
  /* Headline cards two per row (Streamlit would give each a row of its own). */
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"]) {{
    flex-flow: row wrap !important; gap: 0.6rem !important; }}
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"])
    > [data-testid="stColumn"] {{ flex: 1 1 calc(50% - 0.6rem) !important; min-width: calc(50% - 0.6rem) !important;
                                  width: calc(50% - 0.6rem) !important; }}
  [data-testid="stMetricValue"] > div {{ font-size: min(1.9rem, 15cqi) !important; }}
  h1 {{ font-size: 1.6rem !important; }}
  h2 {{ font-size: 1.3rem !important; }}
  h3 {{ font-size: 1.15rem !important; }}
  /* Tables keep their width and scroll sideways rather than squeeze a column to one character. */
  [data-testid="stDataFrame"], [data-testid="stTable"] {{ overflow-x: auto; }}
}}
"""

OVERVIEW_CSS = f"""
[data-testid="stMainBlockContainer"] {{ padding-top: 3.2rem !important; padding-bottom: 0 !important; }}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {{ gap: 0.5rem; }}
[data-testid="stMainBlockContainer"] h1 {{ font-size: 1.55rem; padding: 0; line-height: 2.2rem; }}
[data-testid="stMainBlockContainer"] [data-testid="stAlert"] > div {{ padding: 0.35rem 0.9rem; }}
.ov-title {{ font-size: 1.55rem; font-weight: 700; margin: 0; line-height: 2.4rem; }}
.ov-sub {{ color: #4a5568; font-size: 0.85rem; margin: 0; }}
.ov-kpis {{ display: grid; grid-template-columns: repeat(var(--n), minmax(0, 1fr)); gap: 0.5rem; }}
.ov-kpi {{ border: 1px solid #d5dae1; border-radius: 0.5rem; padding: 0.4rem 0.6rem; background: #fff;
           container-type: inline-size; min-width: 0; }}
.ov-kpi > div {{ overflow-wrap: anywhere; }}
.ov-kpi .l {{ font-size: 0.9rem; color: #2d3748; font-weight: 600; line-height: 1.25; min-height: 2.5em; }}
/* The figure never wraps: it shrinks with its card (7.9万人, 18.1万人次 fit a 1366 screen's card). */
.ov-kpi .v {{ font-size: min(2rem, 21cqi); font-weight: 700; line-height: 1.15; color: #1a202c;
              white-space: nowrap; overflow-wrap: normal; }}
.ov-kpi .v small {{ font-size: 0.5em; font-weight: 600; margin-left: 0.15rem; }}
.ov-kpi .c {{ font-size: 0.85rem; font-weight: 600; line-height: 1.3; }}
.ov-kpi .q {{ font-size: 0.75rem; color: #718096; margin-left: 0.2rem; cursor: help; }}
.ov-kpi .t, .ov-kpi .d {{ font-size: 0.8rem; color: #2d3748; line-height: 1.3; }}
.ov-kpi .s {{ font-size: 0.72rem; color: #718096; line-height: 1.25; margin-top: 0.1rem; }}
.ov-panel h4 {{ font-size: 1.05rem; margin: 0 0 0.3rem 0; padding: 0; }}
.ov-list {{ list-style: none; padding: 0; margin: 0; }}
.ov-list li {{ border-bottom: 1px solid #e2e8f0; padding: 0.25rem 0; font-size: 0.9rem; line-height: 1.35; }}
.ov-list .t {{ font-weight: 600; }}
.ov-list .m {{ color: #4a5568; font-size: 0.8rem; }}
.ov-tag {{ display: inline-block; color: #fff; border-radius: 0.25rem; padding: 0 0.3rem; font-size: 0.78rem;
           margin-right: 0.3rem; font-weight: 600; }}
.ov-more {{ color: #4a5568; font-size: 0.8rem; margin-top: 0.2rem; }}
.ov-note {{ color: #4a5568; font-size: 0.78rem; margin: 0; line-height: 1.35; }}
.ov-tall-only {{ display: none; }}
@media (min-height: 901px), {PHONE} {{ .ov-tall-only {{ display: block; }} .ov-short-only {{ display: none; }} }}
@media {SHORT} {{
  #ov-gaps li:nth-child(n+4), #ov-targets li:nth-child(n+5), .st-key-ov_riskbox {{ display: none !important; }}
  .ov-more {{ font-size: 0.74rem; }} }}
@media (max-width: 1100px) and (min-width: 641px) {{ .ov-kpis {{ grid-template-columns: repeat(4, minmax(0, 1fr)); }} }}
@media {PHONE} {{
  .ov-kpis {{ grid-template-columns: repeat(2, minmax(0, 1fr)); }}
  .ov-kpi .v {{ font-size: min(1.9rem, 19cqi); }}
  .ov-kpi .l {{ min-height: 0; }}
  [data-testid="stMainBlockContainer"] {{ padding-top: 4rem !important; }}
}}
"""

MEETING_CSS = """
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.6rem 1.2rem 0 1.2rem !important; max-width: 100% !important; }
.stApp, [data-testid="stMain"] { background: #ffffff !important; color: #000000 !important; }
.ov-title { font-size: 2.1rem; color: #000; line-height: 2.6rem; }
.ov-sub { color: #000; font-size: 1.15rem; font-weight: 600; }
.ov-kpi { border: 2px solid #000; padding: 0.45rem 0.7rem; }
.ov-kpi .l { font-size: 1.2rem; color: #000; }
.ov-kpi .v { font-size: min(2.9rem, 22cqi); color: #000; }
.ov-kpi .c { font-size: 1.1rem; }
.ov-kpi .t, .ov-kpi .d { font-size: 1.0rem; color: #000; }
.ov-kpi .s { font-size: 0.9rem; color: #1a202c; }
.ov-panel h4 { font-size: 1.4rem; color: #000; }
.ov-list li { font-size: 1.15rem; border-bottom: 1px solid #000; color: #000; }
.ov-list .m { font-size: 1.0rem; color: #1a202c; }
.ov-tag { font-size: 1.0rem; }
.ov-more { font-size: 1.0rem; color: #000; }
.ov-note { font-size: 1.0rem; color: #000; }
@media (max-height: 900px) and (min-width: 641px) {
  #ov-targets li:nth-child(4) { display: none !important; }
  .ov-title { font-size: 1.7rem; line-height: 2.1rem; }
  .ov-sub { font-size: 1.0rem; }
  .ov-kpi .l { font-size: 1.0rem; }
  .ov-kpi .v { font-size: min(2.3rem, 22cqi); }
  .ov-kpi .c, .ov-kpi .t, .ov-kpi .d { font-size: 0.9rem; }
  .ov-kpi .s { font-size: 0.78rem; }
  .ov-panel h4 { font-size: 1.15rem; }
  .ov-list li { font-size: 1.0rem; }
  .ov-list .m, .ov-more, .ov-note { font-size: 0.88rem; }
}
"""


def css(*, screen: bool = True, overview: bool = False, meeting: bool = False) -> str:
    """The app's <style> block: the screen rules, plus the overview's (and meeting mode's) when asked."""
    return (f"<style>{SCREEN_CSS if screen else ''}{OVERVIEW_CSS if overview else ''}"
            f"{MEETING_CSS if meeting else ''}</style>")


def style(*, overview: bool = False, meeting: bool = False) -> None:
    """Put the app's CSS on the page (st.html of css(); Streamlit keeps it out of the layout)."""
    import streamlit as st  # here, not at the top: the report code imports this module without Streamlit

    st.html(css(overview=overview, meeting=meeting))
