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
