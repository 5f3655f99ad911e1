"""数据质量 speaks Chinese: reasons by their text (no BAD_DATE), periods as 2026年上半年, whole counts, no None."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from etl.land import REASON_ZH
from settings import DATA_DIR_ENV
from tests.files import signed_in

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_data_quality_tables_have_no_codes_or_none(data_dir, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    at = signed_in(AppTest.from_file(APP, default_timeout=60)).run()
    at.switch_page("views/data_quality.py").run()
    assert not at.exception, [e.value for e in at.exception]
    tables = {tuple(d.value.columns): d.value for d in at.dataframe}
    cells = {str(v) for df in tables.values() for v in df.astype(str).to_numpy().ravel()}
    assert not cells & set(REASON_ZH), cells & set(REASON_ZH)
    assert not cells & {"None", "nan", "NaT", "<NA>", "month", "quarter", "half_year", "year"}
    by_source = next(df for cols, df in tables.items() if "最新期别" in cols and "重报次数" in cols)
    assert by_source["最新期别"].str.contains("年").all()
    for col in ("读取行数", "拒收行数", "重报次数"):
        assert by_source[col].dtype.kind == "i", col  # 245,889 rows, not 245889.0
    reasons = next(df for cols, df in tables.items() if "拒收原因" in cols)
    assert "原因代码" not in reasons.columns and reasons["拒收原因"].isin(set(REASON_ZH.values())).all()
