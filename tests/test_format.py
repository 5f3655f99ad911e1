"""ui.format: Chinese number style."""

import pandas as pd
import pytest

from ui import format as fmt


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0"), (7, "7"), (9_999, "9,999"), (10_000, "1万"), (12_345, "1.2万"), (123_456, "12.3万"),
     (99_960, "10万"), (120_000_000, "1.2亿"), (-12_345, "-1.2万"), (None, "—"), (pd.NA, "—"), (2.5, "2.5")],
)
def test_number(n, text):
    assert fmt.number(n) == text


def test_delta_and_arrow():
    assert fmt.delta(1234) == "+1,234"
    assert fmt.delta(-56) == "-56"
    assert fmt.delta(0) == "0"
    assert fmt.delta(None) is None and fmt.delta(pd.NA) is None
    assert fmt.arrow(12) == "↑ 12" and fmt.arrow(-3) == "↓ 3"
    assert fmt.arrow(0) == "→ 0" and fmt.arrow(None) == "—"


def test_percent_and_period_label():
    assert fmt.percent(0.1234) == "12.3%" and fmt.percent(None) == "—"
    assert fmt.period_label("2025H1") == "2025年上半年"
    assert fmt.period_label("2025H2") == "2025年下半年"
    assert fmt.period_label("2025Q3") == "2025年第3季度"
    assert fmt.period_label("2025-06") == "2025年6月"
    assert fmt.period_label("2025") == "2025年"


@pytest.mark.parametrize(
    ("n", "card", "text"),
    [(78_654, False, "78,654"), (78_654, True, "7.9万"), (181_443, False, "181,443"), (181_443, True, "18.1万"),
     (9_999, True, "9,999"), (16_000, True, "1.6万"), (1_522_000, True, "152.2万"), (0, True, "0"),
     (None, False, "—"), (pd.NA, True, "—"), (float("nan"), False, "—")],
)
def test_count_exact_in_tables_wan_on_cards(n, card, text):
    assert fmt.count(n, card=card) == text


def test_count_takes_numpy_and_pandas_scalars():
    import numpy as np

    assert fmt.count(np.int64(78_654)) == "78,654"
    assert fmt.count(np.float64(78_654.0), card=True) == "7.9万"
    assert fmt.count(pd.Series([np.nan])[0]) == "—"


def test_percent_always_carries_its_sign():
    assert fmt.percent(0.704) == "70.4%"
    assert fmt.percent(0.7043, 2) == "70.43%"
    assert fmt.percent(1) == "100.0%"
    assert fmt.percent(70.4, points=True) == "70.4%"
    assert fmt.percent(float("nan")) == "—" and fmt.percent(pd.NA) == "—"


@pytest.mark.parametrize(
    "ts",
    ["2026-12-02T06:53:00Z", "2026-12-02T06:53:41+00:00", "2026-12-02 06:53:41", "2026-12-02T14:53:00+08:00",
     pd.Timestamp("2026-12-02 06:53:41", tz="UTC"), pd.Timestamp("2026-12-02 06:53:41")],
)
def test_beijing_time_is_utc_plus_8(ts):
    import datetime as dt

    assert fmt.beijing(ts) == "2026-12-02 14:53"
    assert fmt.beijing(dt.datetime(2026, 12, 2, 6, 53, tzinfo=dt.UTC)) == "2026-12-02 14:53"
    assert fmt.beijing(dt.datetime(2026, 12, 2, 6, 53)) == "2026-12-02 14:53"  # naive means UTC


def test_beijing_crosses_midnight_and_handles_nothing():
    assert fmt.beijing("2026-12-31T20:30:00Z") == "2027-01-01 04:30"
    for nothing in (None, pd.NaT, "", "not a time", float("nan")):
        assert fmt.beijing(nothing) == "—"


def test_role_zh_uses_the_role_catalogue():
    from auth.roles import ROLES

    for key, r in ROLES.items():
        assert fmt.role_zh(key) == r.label
    assert fmt.role_zh("leader") == "领导"
    assert fmt.role_zh("someone_else") == "someone_else" and fmt.role_zh(None) == "—"


def test_reason_zh_uses_the_landing_reasons():
    from etl.land import REASON_ZH

    for code, text in REASON_ZH.items():
        assert fmt.reason_zh(code) == text
    assert fmt.reason_zh("BAD_DATE") == "日期无法识别"
    assert fmt.reason_zh("NEW_CODE") == "NEW_CODE" and fmt.reason_zh(None) == "—"


@pytest.mark.parametrize(
    ("v", "text"),
    [(None, "—"), (float("nan"), "—"), (pd.NA, "—"), (pd.NaT, "—"), ("东湖区", "东湖区"), (3, "3"), (3.0, "3"),
     (2.5, "2.5"), (0, "0")],
)
def test_dash_never_writes_none(v, text):
    assert fmt.dash(v) == text


def test_decimal():
    assert fmt.decimal(12.6) == "12.6" and fmt.decimal(1234.56) == "1,234.6" and fmt.decimal(19) == "19.0"
    assert fmt.decimal(None) == "—" and fmt.decimal(float("nan")) == "—" and fmt.decimal(pd.NA) == "—"


def test_pack_gaps_and_charts_format_through_the_formatter():
    """The meeting pack, the gaps page's helpers and the chart builders write no number by hand (f"{x:,}",
    f"{x:.1f}", f"{x:.1f}%"): every count, share and value goes through ui.format, so one figure reads the
    same on a page, in the pack and in an export."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = [*sorted((root / "report").glob("*.py")), root / "ui" / "gaps.py", root / "ui" / "charts.py"]
    by_hand = re.compile(r"\{[^{}\"']*:,?\.?\d*[fd%]?,?\}|\{[^{}\"']*:,\}")
    found = []
    for f in files:
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            if "rgba(" in line or "%{" in line:  # colours and plotly's own hover templates are not figures
                continue
            found += [f"{f.name}:{i}: {m.group()}" for m in by_hand.finditer(line) if re.search(r":,|\.\d+f", m.group())]
    assert not found, found
