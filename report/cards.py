"""A headline card's figure and its change since the previous period, in words and colour: the overview
page's cards (ui/overview.py) and the meeting pack (report/pack.py) say them alike.

A row is one of queries.meeting.headline's: metric, value, unit, change, and the door's
`people_*`/`previous_people_*` suppression flags and labels.
"""
from __future__ import annotations

import pandas as pd

from ui import format as fmt
from ui import theme

# Metrics where a rise is good news (green), bad news (red); others neutral (grey).
RISE_IS_GOOD = {"visit_compliance", "public_school_share", "health_record_rate", "volunteer_person_times"}
RISE_IS_BAD = {"targets_off_track"}


def _suppressed(row: dict, col: str) -> str | None:
    """The label ("<5", "*") of a suppressed count, else None."""
    return row.get(f"{col}_label") if row.get(f"{col}_suppressed") is True else None


def value_text(row: dict) -> str:
    """The card's figure: the suppression label, or the number in the unit's style."""
    label = _suppressed(row, "people")
    if label:
        return label
    v = row.get("value")
    if v is None or pd.isna(v):
        return fmt.NONE
    if row.get("unit") == "%":
        return fmt.decimal(v)  # the card prints the % beside it
    return fmt.count(float(v), card=True)  # a card: 万 from 10,000 on, as the pack


def change_text(row: dict, previous_period: str | None) -> tuple[str, str]:
    """("↑ 30 较上期", colour) — a suppressed previous count shows no change, never the difference."""
    c = row.get("change")
    if _suppressed(row, "previous_people") or _suppressed(row, "people"):
        return "较上期：—（人数过少不显示）", theme.MUTED_TEXT
    if c is None or pd.isna(c):
        return ("无上期数据可比" if previous_period is None else "上期无数据"), theme.MUTED_TEXT
    c = float(c)
    unit = "个百分点" if row.get("unit") == "%" else ""
    text = ("→ 持平" if c == 0 else
            f"{'↑' if c > 0 else '↓'} {fmt.decimal(abs(c))}{unit}" if unit else fmt.arrow(c)) + " 较上期"
    metric = row.get("metric")
    good = (c > 0 and metric in RISE_IS_GOOD) or (c < 0 and metric in RISE_IS_BAD)
    bad = (c < 0 and metric in RISE_IS_GOOD) or (c > 0 and metric in RISE_IS_BAD)
    return text, theme.GOOD_TEXT if good else (theme.BAD_TEXT if bad else theme.NEUTRAL_TEXT)
