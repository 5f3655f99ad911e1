"""The one writer for every CSV and xlsx the product hands out (page downloads, the meeting pack, the audit log).

Text from data and users (names, file names, a user name typed at sign-in) must never become a spreadsheet
formula or link. Following OWASP's CSV-injection guidance, text that starts with = + - @, a tab or a carriage
return (also after leading blanks) gets a leading single quote, so a spreadsheet shows it as typed; text that
is a plain number ("-5") is left alone, since a spreadsheet reads it as that number and nothing else. In xlsx,
strings are written as strings only (xlsxwriter's write_string; formula, URL and number parsing off) and
numbers as numbers, so a negative number stays a number.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import xlsxwriter

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(text: str) -> str:
    """`text`, with a leading ' when a spreadsheet would read it as a formula."""
    s = str(text)
    first = s.lstrip(" \n\u3000")[:1]
    if (s.startswith(FORMULA_LEADS) or (first and first in "=+-@\t\r")) and not _PLAIN_NUMBER.fullmatch(s):
        return "'" + s
    return s


def safe_sheet_name(name: str, used: set[str] | None = None) -> str:
    """A valid, unique sheet name (≤31 characters, none of []:*?/\\, no leading quote or formula character)."""
    base = _SHEET_FORBIDDEN.sub("_", str(name)).strip("'")
    if base[:1] in ("=", "+", "-", "@") or base[:1].isspace():  # Excel forbids a leading quote, so "_" instead
        base = "_" + base
    base = base[:31] or "表"
    used = used if used is not None else set()
    out, i = base, 2
    while out.lower() in {u.lower() for u in used}:
        out = f"{base[:28]}_{i}"
        i += 1
    used.add(out)
    return out


def _missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def cell(v):
    """A value as written: None (empty), int, float, or text (dates as YYYY-MM-DD, flags as 是/否)."""
    if _missing(v):
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if hasattr(v, "item") and not isinstance(v, str | pd.Timestamp):  # numpy scalars
        return cell(v.item())
    if isinstance(v, int):
        return v
    if isinstance(v, decimal.Decimal):
        return cell(float(v))
    if isinstance(v, float):
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"  # U+2212: not a formula lead
        return int(v) if v.is_integer() and abs(v) < 2**53 else round(v, 10)
    if isinstance(v, pd.Timestamp | dt.datetime):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    return safe_text(v)


@dataclass
class Sheet:
    """One worksheet: optional lines above the table (the first in large bold), the table, notes below it."""

    name: str
    frame: pd.DataFrame
    above: Sequence[Sequence] = ()
    below: Sequence[str] = ()
    gap: int = 1  # blank rows between the lines above and the header
    width: float | Sequence[float] | None = None  # fixed width(s); None fits the content (CJK counts double)
    freeze: bool = True
    autofilter: bool = False
    number_formats: bool = False  # counts with thousands separators, decimals with two places
    percent: Sequence[str] = ()  # headers of columns holding shares (0.704): numbers shown as 70.4%
    header: bool = True
    key_column: bool = False  # first column of the lines above in bold (a 说明 sheet's items)


def _width(values: Iterable) -> float:
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(v)) for v in values if v is not None), default=4)
    return min(60, max(8, longest + 2))


def to_xlsx_bytes(sheets: Sequence[Sheet] | pd.DataFrame, sheet_name: str = "数据") -> bytes:
    """The .xlsx bytes of `sheets` (or of one frame), every string neutralised and written as a string."""
    if isinstance(sheets, pd.DataFrame):
        sheets = [Sheet(sheet_name, sheets)]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    title_fmt = wb.add_format({"bold": True, "font_size": 14})
    head_fmt = wb.add_format({"bold": True, "bg_color": "#E8EFF7", "border": 1, "text_wrap": True, "valign": "top"})
    wrap_fmt = wb.add_format({"text_wrap": True, "valign": "top"})
    whole_fmt = wb.add_format({"num_format": "#,##0"})
    decimal_fmt = wb.add_format({"num_format": "#,##0.00"})
    right_fmt = wb.add_format({"align": "right"})
    percent_fmt = wb.add_format({"num_format": "0.0%"})
    used: set[str] = set()

    def put(ws, r: int, c: int, v, fmt=None, numbers: bool = False) -> None:
        v = cell(v)
        if v is None:
            return
        if isinstance(v, int | float):
            ws.write_number(r, c, v, fmt or ((whole_fmt if isinstance(v, int) else decimal_fmt) if numbers else None))
        elif fmt is None and (v.startswith("<") or v == "*"):  # small-number marks sit where numbers would
            ws.write_string(r, c, v, right_fmt)
        else:
            ws.write_string(r, c, v, fmt)

    for sheet in sheets:
        ws = wb.add_worksheet(safe_sheet_name(sheet.name, used))
        row = 0
        for i, line in enumerate(sheet.above):
            for j, v in enumerate(line):
                fmt = title_fmt if i == 0 and j == 0 else (head_fmt if sheet.key_column and j == 0 else
                                                           (wrap_fmt if sheet.key_column else None))
                put(ws, row, j, v, fmt)
            row += 1
        if sheet.above:
            row += sheet.gap
        df = sheet.frame
        headers = [str(c) for c in df.columns]
        rows = [[cell(v) for v in rec] for rec in df.itertuples(index=False, name=None)]
        top = row
        if sheet.header:
            for j, h in enumerate(headers):
                put(ws, row, j, h, head_fmt)
            row += 1
        shares = {j for j, h in enumerate(headers) if h in set(sheet.percent)}
        for rec in rows:
            for j, v in enumerate(rec):
                share = j in shares and isinstance(v, int | float) and not isinstance(v, bool)
                put(ws, row, j, v, percent_fmt if share else None, numbers=sheet.number_formats)
            row += 1
        if sheet.below:
            row += 1
            for line in sheet.below:
                put(ws, row, 0, line)
                row += 1
        for j, h in enumerate(headers):
            w = sheet.width[j] if isinstance(sheet.width, Sequence) and j < len(sheet.width) else sheet.width
            ws.set_column(j, j, w if isinstance(w, int | float) else _width([h, *(r[j] for r in rows)]))
        if sheet.freeze and sheet.header:
            ws.freeze_panes(top + 1, 0)
        if sheet.autofilter and sheet.header and rows:
            ws.autofilter(top, 0, top + len(rows), max(0, len(headers) - 1))
    wb.close()
    return buf.getvalue()


def to_csv_bytes(df: pd.DataFrame, *, bom: bool = True) -> bytes:
    """UTF-8 CSV bytes (with a BOM so that Excel reads Chinese), headers and text cells neutralised."""
    out = pd.DataFrame({i: [safe_text(v) if isinstance(v, str) else v for v in df.iloc[:, i].tolist()]
                        for i in range(df.shape[1])}, index=range(len(df)))
    out.columns = [safe_text(c) for c in df.columns]
    text = out.to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig" if bom else "utf-8")
