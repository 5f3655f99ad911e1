"""Numbers, percentages and changes written the Chinese way (12.3万, 1,234, ↑ 5)."""

from __future__ import annotations

import math
import re

import pandas as pd

NONE = "—"


def _missing(x: object) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def number(n: float | None, *, signed: bool = False) -> str:
    """12,345 → 1.2万; 123,456,789 → 1.23亿; 9,876 → 9,876; None → —."""
    if _missing(n):
        return NONE
    sign = "+" if signed and n > 0 else ("-" if n < 0 else "")
    a = abs(n)
    if a >= 100_000_000:
        text = f"{a / 100_000_000:.2f}".rstrip("0").rstrip(".") + "亿"
    elif a >= 10_000:
        text = f"{a / 10_000:.1f}".rstrip("0").rstrip(".") + "万"
    elif float(a).is_integer():
        text = f"{int(a):,}"
    else:
        text = f"{a:,.1f}"
    return sign + text


def percent(x: float | None, digits: int = 1) -> str:
    """0.1234 → 12.3%; None → —."""
    if _missing(x):
        return NONE
    return f"{x * 100:.{digits}f}%"


def delta(change: float | None) -> str | None:
    """Change for st.metric: +1,234 / -56 / 0; None when there is nothing to compare with."""
    if _missing(change):
        return None
    return number(change, signed=True)


def arrow(change: float | None) -> str:
    """Change for tables: ↑ 1,234 / ↓ 56 / → 0 / —."""
    if _missing(change):
        return NONE
    if change > 0:
        return "↑ " + number(change)
    if change < 0:
        return "↓ " + number(-change)
    return "→ 0"


def period_label(period: str) -> str:
    """2025H1 → 2025年上半年; 2025Q2 → 2025年第2季度; 2025-06 → 2025年6月; 2025 → 2025年."""
    p = str(period)
    if len(p) == 6 and p[4] == "H":
        return f"{p[:4]}年{'上' if p[5] == '1' else '下'}半年"
    if len(p) == 6 and p[4] == "Q":
        return f"{p[:4]}年第{p[5]}季度"
    if len(p) == 7 and p[4] == "-":
        return f"{p[:4]}年{int(p[5:])}月"
    if len(p) == 4:
        return f"{p}年"
    return p


# Every ASCII character Markdown, Streamlit's directives (:red[…], :material/…:), LaTeX ($) or HTML give a
# meaning to, plus "." and "@" so that www.host and a@b.cn do not become links.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&@])")


def md_escape(text: object) -> str:
    """Text from data or users made safe to place inside Markdown (st.markdown, st.caption, st.error, labels):
    each special character backslash-escaped, line breaks folded to spaces, so it renders exactly as
    written and never as an image, link, heading, directive or HTML."""
    if _missing(text):
        return ""
    s = re.sub(r"[\r\n\t\v\f\u2028\u2029]+", " ", str(text))
    return _MD_SPECIAL.sub(r"\\\1", s)
