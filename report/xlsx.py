"""The meeting pack's workbook (written by report.export): a 说明 sheet, then every table behind the pack with Chinese
headers. Suppressed counts are written as their label ("<5", "*"), never as a number."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from report import export

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


def workbook(about: list[tuple[str, str]], tables: dict[str, pd.DataFrame],
             extra: dict[str, pd.DataFrame] | None = None, percent: tuple[str, ...] = ()) -> bytes:
    """The .xlsx bytes: 说明 (about: [(item, text)]) then one sheet per table; columns named in `percent` hold
    shares (0.704) shown as 70.4%."""
    everything = tables | (extra or {})
    index = pd.DataFrame({"工作表": list(everything), "内容": [f"{len(df)} 行" for df in everything.values()]})
    sheets = [export.Sheet("说明", index, above=[("说明",), *about], key_column=True, freeze=False, width=(14, 90))]
    for name, df in everything.items():
        headers, rows = cells(df)
        frame = pd.DataFrame(rows, columns=headers, dtype=object) if headers else pd.DataFrame()
        sheets.append(export.Sheet(name, frame, freeze=True, autofilter=True, number_formats=True,
                                   percent=percent))
    return export.to_xlsx_bytes(sheets)
