"""The 目标进展 page in AppTest and in a real browser."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from report import labels
from settings import DATA_DIR_ENV
from tests.files import signed_in
from tests.test_targets_progress import independent_health_record_rate
from warehouse import queries as q
from warehouse.queries import targets as tq

APP = str(Path(__file__).resolve().parents[1] / "app.py")
EVERYTHING = q.Scope.everything()


@pytest.fixture
def at(data_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    a = signed_in(AppTest.from_file(APP, default_timeout=60)).run()
    a.switch_page("views/targets.py").run()
    return a


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The last table on the page with that column (keys of dataframes are not visible to AppTest)."""
    return [d.value for d in at.dataframe if column in d.value.columns][-1]


def test_page_shows_status_and_the_computed_value(at, snapshot_path, data_dir):
    assert not at.exception
    assert at.title[0].value == "目标进展"
    at.selectbox(key="plan").select("city_list_2025").run()
    assert not at.exception
    con = q.connect(snapshot_path)
    try:
        want = tq.indicator_status(con, EVERYTHING, "city_list_2025")
    finally:
        con.close()
    table = _table(at, "今日应达值")
    assert list(table["指标名称"]) == list(want["name"])  # the catalogue's names, the plan's wording beside
    assert list(table["计划原文指标"]) == list(want["indicator"])
    got = table.set_index("指标名称").at["0—6岁流动儿童健康档案建档率（计算值）", "当前值"]
    assert got == pytest.approx(independent_health_record_rate(data_dir)[0], abs=0.005)
    counts = {m.label: int(m.value) for m in at.metric if m.label in tq.STATUS_ORDER}
    assert set(want["status"]) <= set(counts)
    assert counts == {s: int((want["status"] == s).sum()) for s in counts}
    late = [int(m.value) for m in at.metric if m.label == tq.REPORT_OVERDUE]
    assert late == [int(want["report_overdue"].sum())]
    # The chart of the first indicator: actuals, pace line and target.
    names = {t.get("name") for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]}
    assert {"实际值", "应达进度线", "目标"} <= names


def test_phases_department_view_and_excel(at):
    at.selectbox(key="plan").select("changzhou_2024").run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2  # indicator chart + phases timeline
    at.selectbox(key="department").select("教育局").run()
    assert not at.exception
    measures = _table(at, "计划")
    assert measures["牵头单位"].str.contains("教").all() and len(measures) > 0
    dl = at.get("download_button")[0]
    assert "Excel" in dl.proto.label


def test_excel_has_chinese_headers():
    from ui import targets as ut
    df = pd.DataFrame([dict.fromkeys(tq.STATUS_COLUMNS, None) | {"kind": "computed", "status": "滞后"}])
    raw = ut.excel_bytes(ut.status_table(df))
    back = pd.read_excel(io.BytesIO(raw), engine="calamine")
    assert list(back.columns) == [labels.label(c) for c in ut.EXPORT_COLUMNS] and back.at[0, "指标类型"] == "系统计算"


def test_county_filter_narrows_the_status(at, snapshot_path):
    con = q.connect(snapshot_path)
    try:
        county = q.counties(con, EVERYTHING)["county_code"].iloc[-1]
        want = tq.indicator_status(con, q.Scope.of(county), "city_list_2025")
    finally:
        con.close()
    at.selectbox(key="plan").select("city_list_2025").run()
    at.selectbox(key="county").select(county).run()
    assert not at.exception
    table = _table(at, "今日应达值")
    assert list(table["状态"]) == list(want["status"])
    assert table["当前值"].tolist() == pytest.approx(want["current_value"].tolist(), nan_ok=True)
