"""数据上传 with 导入方式 (AppTest, real jobs): what a partial sheet may replace, and that the page says so.

The story this guards against: a 3-row activities sheet for the latest month replaced the whole month for
the whole city. Every test works on a copy of the fixture data dir, lands through the page (the landing job
runs in a real worker process) and reads the published snapshot read-only afterwards.
"""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import xlsxwriter
from streamlit.testing.v1 import AppTest

from auth import audit
from etl import jobs
from etl.contracts import get_source
from etl.land import diff
from etl.landed import in_force, landed_dir, read_load_log
from tests.files import signed_in
from ui.format import md_escape
from warehouse import queries as q

APP = str(Path(__file__).resolve().parents[1] / "app.py")
EAST, WEST = "990102", "990121"  # the fixture's two counties: 东湖区 and 青石县
COLS = ["activity_id", "team_id", "activity_type", "activity_date", "region_code", "status", "participants",
        "person_times", "volunteer_hours"]




def _latest(root: Path) -> tuple[str, pd.DataFrame]:
    """The fixture's latest activities month and its rows in force (as landed)."""
    chains = in_force(read_load_log(root))
    period = max(p for s, p in chains if s == "activities")
    rows = pd.concat([pq.read_table(landed_dir(root) / e["accepted_path"]).to_pandas()
                      for e in chains[("activities", period)]])
    return period, rows.sort_values("activity_id").reset_index(drop=True)


def _sheet(rows: list[dict]) -> bytes:
    """An xlsx as a county office fills the template: a title row, the Chinese headers, the rows."""
    labels = {c.name: c.label for c in get_source("activities").columns}
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("活动")
    ws.write_string(0, 0, "志愿服务活动记录表")
    ws.write_row(1, 0, [labels[c] for c in COLS])
    for r, row in enumerate(rows, start=2):
        for j, c in enumerate(COLS):
            v = row[c]
            if c in ("participants", "person_times", "volunteer_hours"):
                ws.write_number(r, j, float(v))
            else:
                ws.write_string(r, j, str(v.date() if hasattr(v, "date") else v))
    wb.close()
    return out.getvalue()


def _row(base: pd.Series, **change) -> dict:
    return {**{c: base[c] for c in COLS}, **change}


def _in_force(root: Path, period: str) -> pd.DataFrame:
    """The published snapshot's activities of `period` (read-only), one row per activity."""
    con = q.connect(q.current_snapshot_path(root))
    try:
        df = con.execute("select activity_id, team_id, region_code, status, participants, person_times "
                         "from stg_activities where period = ? order by activity_id", [period]).df()
    finally:
        con.close()
    return df.reset_index(drop=True)


def _county(df: pd.DataFrame, county: str) -> pd.DataFrame:
    return df[df["region_code"].str.startswith(county)].reset_index(drop=True)


def _page(root: Path, role: str, scope: tuple[str, ...], period: str, data: bytes, name: str) -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=90), role=role, scope=scope).run()
    at.switch_page("views/upload.py").run()
    at.text_input(key="up_period_activities").set_value(period).run()
    at.file_uploader[0].upload(name, data).run()
    assert not at.exception, at.exception
    return at


def _frame(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _mode(at: AppTest, mode: str) -> AppTest:
    at.radio(key=f"up_mode_activities_{at.session_state['up_nonce']}").set_value(mode).run()
    assert not at.exception, at.exception
    return at


def _confirm(at: AppTest) -> str:
    """Tick the second confirmation when asked, press 确认导入; returns the job id the page submitted."""
    for box in at.checkbox:
        if box.key and box.key.startswith("up_allow_"):
            box.check().run()
    at.button(key="up_confirm").click().run()
    assert not at.exception, at.exception
    return at.session_state["up_job"]["job"]


def test_three_rows_by_county_keep_the_other_county_and_a_left_page_still_publishes(copy):
    period, rows = _latest(copy)
    east = rows[rows["region_code"].str.startswith(EAST)]
    new = [_row(east.iloc[i], activity_id=f"UPNEW{i}", person_times=10 + i) for i in range(3)]
    before = _in_force(copy, period)
    at = _page(copy, "data_officer", ("990100000000",), period, _sheet(new), f"活动_{period}.xlsx")

    # Default mode: by county. The diff names only 东湖区's streets, and says what the month's figure becomes.
    assert at.radio(key="up_mode_activities_0").value == "county"
    table = _frame(at, "原有行数")
    assert list(table.columns)[:7] == ["街道", "原有行数", "保留", "新增", "更改", "删除", "导入后行数"]
    assert table["新增"].sum() == 3 and table["删除"].sum() == len(east)
    figure = next(m for m in at.metric if m.label.startswith(f"{period} 服务人次"))
    after_pt = int(before["person_times"].sum() - east["person_times"].sum() + 33)
    assert figure.value == f"{int(before['person_times'].sum()):,} → {after_pt:,}"
    assert any("将删除" in w.value for w in at.warning)

    # Whole period: the other county would go too, so 确认导入 waits for the explicit second confirmation.
    _mode(at, "period")
    whole = diff(at.session_state["up_preview"], "period", copy)
    assert whole.needs_confirmation and whole.table.loc[whole.table["removed"] > 0, "area_code"].str.startswith(WEST).any()
    boxes = [b for b in at.checkbox if b.key and b.key.startswith("up_allow_")]
    assert [b.label for b in boxes] == [f"我已知晓并确认删除：{md_escape(whole.removed_text)}"]
    assert at.button(key="up_confirm").disabled
    boxes[0].check().run()
    assert not at.button(key="up_confirm").disabled

    _mode(at, "county")
    job = _confirm(at)
    del at  # the page is left right after submitting: the job goes on in its own process
    done = jobs.wait(job, copy, timeout=300)
    assert done["state"] == "published", done

    after = _in_force(copy, period)
    pd.testing.assert_frame_equal(_county(after, WEST), _county(before, WEST))  # every row, every figure
    assert sorted(_county(after, EAST)["activity_id"]) == ["UPNEW0", "UPNEW1", "UPNEW2"]
    assert int(after["person_times"].sum()) == after_pt
    log = audit.events(copy)
    landed = log[(log.action == "land") & (log.user == "test-data_officer")]
    assert len(landed) == 1 and landed.iloc[0]["ok"] and "mode=county" in landed.iloc[0]["detail"]
    assert (log.action == "job").any()
    assert not any((copy / "jobs").glob(f"{job}/*"))  # the uploaded copy (names, IDs) went with the job


def test_a_county_officer_cannot_touch_another_county(copy):
    period, rows = _latest(copy)
    east, west = rows[rows["region_code"].str.startswith(EAST)], rows[rows["region_code"].str.startswith(WEST)]
    sheet = [_row(east.iloc[0], activity_id="CTY1"), _row(east.iloc[1], activity_id="CTY2"),
             _row(west.iloc[0], activity_id="CTY3")]
    before = _in_force(copy, period)
    at = _page(copy, "county_officer", ("990102000000",), period, _sheet(sheet), f"东湖区活动_{period}.xlsx")

    reasons = _frame(at, "行数")
    assert dict(zip(reasons["原因代码"], reasons["原因"])) == {"OUT_OF_SCOPE": "不在本人管辖区域"}
    assert {m.label: m.value for m in at.metric}["被拒绝"] == "1"
    assert any("本区域以外的已有数据都不会被删除" in c.value for c in at.caption)
    p = at.session_state["up_preview"]
    for mode in p.modes:  # whatever the officer picks, nothing outside the county is touched
        d = diff(p, mode, copy)
        assert d.table["area_code"].str.startswith(EAST).all() and d.removed <= len(east), mode

    _mode(at, "period")
    job = _confirm(at)
    assert jobs.wait(job, copy, timeout=300)["state"] == "published"
    after = _in_force(copy, period)
    pd.testing.assert_frame_equal(_county(after, WEST), _county(before, WEST))
    assert sorted(_county(after, EAST)["activity_id"]) == ["CTY1", "CTY2"]
    entry = read_load_log(copy)[-1]
    assert entry["scope"] == [EAST] and entry["rows_rejected"] == 1


def test_merge_by_key_corrects_two_rows_and_withdraw_restores_them(copy):
    period, rows = _latest(copy)
    fixed = [_row(rows.iloc[i], person_times=int(rows.iloc[i]["person_times"]) + 1000) for i in (0, 1)]
    before = _in_force(copy, period)
    at = _page(copy, "data_officer", ("990100000000",), period, _sheet(fixed), f"更正_{period}.xlsx")
    _mode(at, "key")
    table = _frame(at, "原有行数")
    assert (table["更改"].sum(), table["新增"].sum(), table["删除"].sum()) == (2, 0, 0)
    assert not any(b.key and b.key.startswith("up_allow_") for b in at.checkbox)
    assert jobs.wait(_confirm(at), copy, timeout=300)["state"] == "published"
    at.run()  # the page after the job: the result line
    assert any("接收 2 行，拒绝 0 行" in s.value and "发布" in s.value for s in at.success)

    after = _in_force(copy, period)
    changed = after["activity_id"].isin([r["activity_id"] for r in fixed])
    assert changed.sum() == 2
    assert (after.loc[changed, "person_times"].to_numpy() == before.loc[changed, "person_times"].to_numpy() + 1000).all()
    pd.testing.assert_frame_equal(after[~changed], before[~changed])

    # 最近导入 lists the landing as 在用; its uploader withdraws it with a reason.
    landings = _frame(at, "导入人")
    assert landings.iloc[0][["统计期", "方式", "接收行数", "状态"]].tolist() == [period, "按主键合并", 2, "在用"]
    at.button(key="up_landings_go").click().run()
    assert any("原因" in e.value for e in at.error)  # no reason, no withdrawal
    at.text_input(key="up_landings_reason").set_value("数值填错，撤回").run()
    at.button(key="up_landings_go").click().run()
    assert not at.exception, at.exception
    assert jobs.wait(at.session_state["up_landings_job"], copy, timeout=300)["state"] == "published"
    pd.testing.assert_frame_equal(_in_force(copy, period), before)
    at.run()
    assert _frame(at, "导入人").iloc[0]["状态"] == "已撤回"

    # 数据质量: an admin sees every landing, the withdrawn one marked so, and the rebuild button.
    admin = signed_in(AppTest.from_file(APP, default_timeout=90), role="admin").run()
    admin.switch_page("views/data_quality.py").run()
    assert not admin.exception, admin.exception
    everyone = _frame(admin, "导入人")
    assert everyone.iloc[0]["状态"] == "已撤回" and "fixture" in set(everyone["导入人"])
    assert admin.button(key="jobs_rebuild")
