"""The meeting pack's workbook (xlsxwriter): a 说明 sheet, then every table behind the pack with Chinese
headers. Suppressed counts are written as their label ("<5", "*"), never as a number."""
from __future__ import annotations

import datetime as dt
import io
import math
import re

import pandas as pd
import xlsxwriter

SUFFIXES = ("_suppressed", "_label")


def _missing(v) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def cells(df: pd.DataFrame) -> tuple[list[str], list[list]]:
    """Headers and cell values of a (suppressed) frame: `<c>_label` replaces `c` where `<c>_suppressed`;
    the helper columns are dropped; numbers stay numbers (int when whole), missing values stay empty."""
    cols = [c for c in df.columns if not (isinstance(c, str) and c.endswith(SUFFIXES)
                                          and c.rsplit("_", 1)[0] in df.columns)]
    rows = []
    for rec in df.to_dict("records"):
        row = []
        for c in cols:
            v = rec[c]
            if bool(rec.get(f"{c}_suppressed", False) is True):
                v = str(rec[f"{c}_label"])
            row.append(_value(v))
        rows.append(row)
    return [str(c) for c in cols], rows


def _value(v):
    if _missing(v):
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, int | float):
        f = float(v)
        return int(f) if f.is_integer() else round(f, 6)  # no binary noise such as -9.150000000000006
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalars
        return _value(v.item())
    if isinstance(v, pd.Timestamp | dt.datetime):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    return str(v)


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "表"
    out, i = base, 2
    while out in used:
        out = f"{base[:28]}_{i}"
        i += 1
    used.add(out)
    return out


def _width(values) -> float:
    """Column width in Excel units: CJK characters count double."""
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(v)) for v in values if v is not None), default=4)
    return min(60, max(6, longest + 2))


def workbook(about: list[tuple[str, str]], tables: dict[str, pd.DataFrame],
             extra: dict[str, pd.DataFrame] | None = None) -> bytes:
    """The .xlsx bytes: 说明 (about: [(item, text)]) then one sheet per table."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    bold = wb.add_format({"bold": True, "bg_color": "#E8EFF7", "border": 1, "text_wrap": True, "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    title = wb.add_format({"bold": True, "font_size": 14})
    whole = wb.add_format({"num_format": "#,##0"})
    decimal = wb.add_format({"num_format": "#,##0.00"})
    right = wb.add_format({"align": "right"})
    used: set[str] = set()

    ws = wb.add_worksheet(_sheet_name("说明", used))
    ws.write(0, 0, "说明", title)
    for i, (k, v) in enumerate(about, start=2):
        ws.write(i, 0, k, bold)
        ws.write(i, 1, v, wrap)
    n = len(about) + 3
    ws.write(n, 0, "工作表", bold)
    ws.write(n, 1, "内容", bold)
    for i, name in enumerate([*tables, *(extra or {})], start=n + 1):
        ws.write(i, 0, name)
        ws.write(i, 1, f"{len((tables | (extra or {}))[name])} 行")
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 90)

    for name, df in [*tables.items(), *(extra or {}).items()]:
        headers, rows = cells(df)
        ws = wb.add_worksheet(_sheet_name(name, used))
        for j, h in enumerate(headers):
            ws.write(0, j, h, bold)
        for i, row in enumerate(rows, start=1):
            for j, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, int):
                    ws.write_number(i, j, v, whole)
                elif isinstance(v, float):
                    ws.write_number(i, j, v, decimal)
                elif isinstance(v, str) and (v.startswith("<") or v == "*"):
                    ws.write_string(i, j, v, right)
                else:
                    ws.write_string(i, j, str(v))
        for j, h in enumerate(headers):
            ws.set_column(j, j, _width([h, *(r[j] for r in rows)]))
        ws.freeze_panes(1, 0)
        if rows:
            ws.autofilter(0, 0, len(rows), max(0, len(headers) - 1))
    wb.close()
    return buf.getvalue()
