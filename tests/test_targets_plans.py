"""Plan catalogues: every reference measure with its lead departments; plan files land, override, or are rejected."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pyarrow.parquet as pq
import pytest

from etl.land import land
from etl.landed import landed_dir
from tests.files import read_sql
from ui import targets as ut
from warehouse import queries as q
from warehouse.build import build
from warehouse.queries import targets as tq

REF = Path(__file__).resolve().parents[1] / "reference"
EVERYTHING = q.Scope.everything()
HEADERS = {"plan_id": "计划编号", "measure_no": "措施编号", "measure": "措施名称", "area": "领域",
           "indicator": "指标名称", "unit": "单位", "direction": "方向", "baseline": "基线值",
           "baseline_date": "基线日期", "target": "目标值", "deadline": "截止日期", "lead_department": "牵头单位",
           "kind": "指标类型", "cadence": "报送频次", "reporting_start": "报送起始日期", "county_code": "区县代码"}


def _ref(name: str) -> list[dict]:
    with (REF / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("file, no, name", [
    ("yaodu_2025_measures.csv", "measure_no", "measure"),
    ("changzhou_2024_tasks.csv", "task_no", "task"),
    ("city_list_2025_measures.csv", "measure_no", "measure"),
])
def test_every_reference_measure_in_its_plan_with_lead_departments(con, file, no, name):
    rows = _ref(file)
    plan = rows[0]["plan_id"]
    got = tq.measures(con, EVERYTHING, plan).set_index("measure_no")
    for r in rows:
        assert r[no] in got.index, (plan, r[no])
        m = got.loc[r[no]]
        assert m["measure"] == r[name]
        assert set(m["lead_departments"].split(";")) == set(r["lead_departments"].split(";"))
    assert len(got) == len(rows)


def test_every_city_list_area_has_a_measure(con):
    areas = {r["area"] for r in _ref("city_list_2025_areas.csv")}
    assert areas <= set(tq.measures(con, EVERYTHING, "city_list_2025")["area"])


def test_empty_scope_sees_no_plan(con):
    assert tq.plans(con, q.Scope()).empty
    assert tq.indicator_status(con, q.Scope()).empty


def _plan_file(path: Path, rows: list[dict]) -> Path:
    df = pd.DataFrame(rows)[list(HEADERS)].rename(columns=HEADERS)
    with pd.ExcelWriter(path, engine="xlsxwriter") as xw:
        pd.DataFrame([["示范市行动计划指标表（修订）"]]).to_excel(xw, index=False, header=False, startrow=0)
        df.to_excel(xw, index=False, startrow=2)
    return path


def _row(**kw) -> dict:
    base = {"plan_id": "yaodu_2025", "measure_no": "M1", "measure": "", "area": "一、监测摸排建立台账",
            "indicator": "流动儿童信息半年更新率", "unit": "%", "direction": "越高越好", "baseline": 80,
            "baseline_date": "2025-06-30", "target": 100, "deadline": "2026-12-31", "lead_department": "区民政局",
            "kind": "部门报送", "cadence": "季度", "reporting_start": "2026-01-01", "county_code": ""}
    return base | kw


def test_landing_an_edited_plan_changes_targets_after_rebuild(data_dir, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(data_dir, root)
    rows = [
        _row(target=96, deadline="2027-06-30"),  # edits a shipped reference row
        _row(plan_id="local_2026", measure_no="1", measure="新增：四点半课堂覆盖", area="本地加项",
             indicator="四点半课堂覆盖社区数", unit="个", baseline=10, baseline_date="2026-01-01", target=50,
             deadline="2026-12-31", lead_department="区教体局"),
    ]
    out = land("plan_indicators", _plan_file(tmp_path / "计划指标表_2025.xlsx", rows), "2025", root=root)
    assert out.entry.rows_accepted == 2 and out.entry.rows_rejected == 0
    con = q.connect(build(root))
    try:
        st = tq.indicator_status(con, EVERYTHING).set_index(["plan_id", "measure_no", "indicator"])
        m1 = st.loc[("yaodu_2025", "M1", "流动儿童信息半年更新率")]
        assert m1["target"] == 96 and str(m1["deadline"]) == "2027-06-30" and m1["origin"] == "导入计划表"
        new = st.loc[("local_2026", "1", "四点半课堂覆盖社区数")]
        assert new["target"] == 50 and new["department"] == "教育局"
        assert "local_2026" in set(tq.plans(con, EVERYTHING)["plan_id"])
        m = tq.measures(con, EVERYTHING, "local_2026")
        assert list(m["measure"]) == ["新增：四点半课堂覆盖"] and list(m["lead_departments"]) == ["区教体局"]
    finally:
        con.close()


def test_plan_file_with_unknown_department_or_deadline_before_baseline_is_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    root = tmp_path / "data"
    rows = [
        _row(),
        _row(measure_no="M2", indicator="重点对象每月联系率", lead_department="区宣传部"),
        _row(measure_no="M3", indicator="乡镇街道月度信息比对完成率", baseline_date="2026-06-30", deadline="2025-12-31"),
    ]
    out = land("plan_indicators", _plan_file(tmp_path / "计划指标表_2025.xlsx", rows), "2025", root=root)
    assert out.entry.rows_accepted == 1 and out.entry.rows_rejected == 2
    rej = pq.read_table(landed_dir(root) / out.entry.rejected_path).to_pandas()
    by_code = dict(zip(rej["原因代码 reason_code"], rej["原因 reason"]))
    assert set(by_code) == {"UNKNOWN_DEPARTMENT", "DATE_ORDER"}
    assert "区宣传部" in by_code["UNKNOWN_DEPARTMENT"] and "不在部门名录" in by_code["UNKNOWN_DEPARTMENT"]
    assert by_code["DATE_ORDER"] == "“截止日期”（2025-12-31）早于“基线日期”（2026-06-30）"


def test_every_reference_lead_department_is_in_the_department_list(con):
    from etl.contracts import department_of
    for file in ("yaodu_2025_measures.csv", "changzhou_2024_tasks.csv", "city_list_2025_measures.csv"):
        for r in _ref(file):
            for d in r["lead_departments"].split(";"):
                assert department_of(d) is not None, (file, d)
    assert read_sql(con, "select count(*) as n from plan_departments where not is_known")["n"].iloc[0] == 0


def test_a_county_is_judged_against_its_own_target_where_the_plan_file_gives_one(data_dir, tmp_path):
    """A plan-file row naming a county is that county's target: its view is judged by it (区县目标); a county
    without one sees the city's target for reference (未设区县目标), and the city view keeps the city's."""
    root = tmp_path / "data"
    shutil.copytree(data_dir, root)
    con = q.connect(q.current_snapshot_path(root))
    try:
        first, second = list(q.counties(con, EVERYTHING)["county_code"])[:2]
    finally:
        con.close()
    key = ("yaodu_2025", "M2", "重点对象近30天走访率（系统计算）")
    city = {"plan_id": key[0], "measure_no": key[1], "indicator": key[2], "baseline": 60,
            "baseline_date": "2025-06-30", "target": 100, "deadline": "2026-12-31", "kind": "系统计算",
            "cadence": "", "reporting_start": ""}
    rows = [_row(**city), _row(**city | {"target": 40, "county_code": first[:6]})]
    out = land("plan_indicators", _plan_file(tmp_path / "计划指标表_区县目标.xlsx", rows), "2025", root=root)
    assert out.entry.rows_accepted == 2, out.entry.reasons
    con = q.connect(build(root))
    try:
        mine = tq.indicator_status(con, q.Scope.of(first[:6], exact=True)).set_index(
            ["plan_id", "measure_no", "indicator"]).loc[key]
        other = tq.indicator_status(con, q.Scope.of(second[:6], exact=True)).set_index(
            ["plan_id", "measure_no", "indicator"]).loc[key]
        whole = tq.indicator_status(con, q.Scope.of("99", exact=True)).set_index(
            ["plan_id", "measure_no", "indicator"]).loc[key]
    finally:
        con.close()
    assert (mine["target"], mine["target_scope"]) == (40, tq.COUNTY_TARGET)
    value = float(mine["current_value"])
    assert mine["status"] == ("已达标" if value >= 40 else tq._status(mine.to_dict()))  # judged, by its own path
    assert mine["status"] != tq.NO_COUNTY_TARGET
    assert (other["target"], other["target_scope"], other["status"]) == (100, tq.CITY_TARGET, tq.NO_COUNTY_TARGET)
    assert (whole["target"], whole["target_scope"]) == (100, tq.CITY_TARGET)
    assert ut.target_label(SimpleNamespace(**mine.to_dict())).startswith("区县目标 40")
