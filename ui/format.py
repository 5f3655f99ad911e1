"""The one formatter: numbers, percentages, times, roles and reason codes written the Chinese way
(7.9万 on cards, 78,654 in tables, 70.4%, Beijing time, 领导, 日期无法识别, — for nothing).
Pages, the meeting pack and exports all write figures through here so that one figure reads the same
everywhere."""

from __future__ import annotations

import datetime as _dt
import math
import re

import pandas as pd

NONE = "—"

# Users read times as Beijing time; the audit log, load log and snapshots store UTC.
BEIJING = _dt.timezone(_dt.timedelta(hours=8), "UTC+8")


def _missing(x: object) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, float):
        return math.isnan(x)
    try:  # numpy scalars (float32 NaN, datetime64 NaT) are not Python floats
        return bool(pd.isna(x)) if pd.api.types.is_scalar(x) else False
    except (TypeError, ValueError):
        return False


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


def count(n: float | None, card: bool = False) -> str:
    """A count of children, people or visits. On a card (and in the meeting pack) 万/亿 from 10,000 on
    (78,654 → 7.9万); everywhere else (tables, Excel) the exact value with separators (78,654); None → —."""
    if _missing(n):
        return NONE
    if card:
        return number(n)
    if float(n).is_integer():
        return f"{int(n):,}"
    return f"{n:,.1f}"


def decimal(x: float | None, digits: int = 1) -> str:
    """A measured value that is neither a count nor a share (an index, a ratio per 1,000): 12.6, 1,234.5; None → —."""
    if _missing(x):
        return NONE
    return f"{float(x):,.{digits}f}"


def percent(x: float | None, digits: int = 1, *, points: bool = False) -> str:
    """A share, always with its sign: 0.704 → 70.4%; with points=True the value is already in
    percentage points (70.4 → 70.4%); None/NaN → —."""
    if _missing(x):
        return NONE
    return f"{float(x) * (1 if points else 100):.{digits}f}%"


def beijing(ts: object) -> str:
    """A stored time (UTC, or naive meaning UTC; datetime, pandas Timestamp or ISO text) as Beijing time
    to the minute: 2026-12-02T06:53:00Z → 2026-12-02 14:53; None/unparseable → —."""
    if _missing(ts) or (isinstance(ts, str) and not ts.strip()):
        return NONE
    try:
        t = pd.Timestamp(ts)
    except (TypeError, ValueError):
        return NONE
    if _missing(t):
        return NONE
    t = t.tz_localize("UTC") if t.tzinfo is None else t
    return t.tz_convert(BEIJING).strftime("%Y-%m-%d %H:%M")


def role_zh(key: object) -> str:
    """A role key as its Chinese name (leader → 领导); an unknown key stays as written; None → —."""
    if _missing(key) or key == "":
        return NONE
    from auth.roles import ROLES  # here, not at the top: auth imports ui in places

    r = ROLES.get(str(key))
    return r.label if r else str(key)


def reason_zh(code: object) -> str:
    """A rejection reason code as its Chinese text (BAD_DATE → 日期无法识别); an unknown code stays as
    written; None → —."""
    if _missing(code) or code == "":
        return NONE
    # Imported here: etl.land pulls in pyarrow and duckdb, which pages that never show a reason need not.
    from etl.land import REASON_ZH

    return REASON_ZH.get(str(code), str(code))


def dash(v: object) -> str:
    """Any value for display: None/NaN/NA/NaT → —, never "None" or "nan"; other values as text."""
    if _missing(v):
        return NONE
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


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
