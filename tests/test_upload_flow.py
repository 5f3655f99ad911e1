"""数据上传: template → validation report (reasons in Chinese) → confirm hands the file to a landing job that
lands the good rows and publishes, and the figures change; cancel writes nothing; the same sheet twice lands
nothing the second time (AppTest; the Chromium walk-through is tests/test_upload_browser.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import xlsxwriter
from streamlit.testing.v1 import AppTest

from etl import jobs
from etl.contracts import get_source
from etl.landed import current_loads, landed_dir, read_load_log
from tests.files import signed_in
from ui import format as fmt
from ui import upload as up
from warehouse import queries as q
from warehouse.queries import volunteers as v

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PERIOD = "2026-11"
BAD = {"REQUIRED_MISSING": 1, "BAD_ENUM": 1, "BAD_DATE": 1, "OUT_OF_RANGE": 1, "UNKNOWN_DIVISION": 1}


def _sheet(root: Path) -> tuple[bytes, int, int]:
    """An activities sheet with the template's Chinese headers: 3 good rows and one bad row per reason in BAD.

    Returns (xlsx bytes, good rows, person-times of the good rows)."""
    cur = current_loads(read_load_log(root))
    teams = pq.read_table(landed_dir(root) / cur[("volunteer_teams", max(p for s, p in cur if s == "volunteer_teams"))]
                          ["accepted_path"]).to_pandas().sort_values("team_id")
    team, street = teams.iloc[0]["team_id"], teams.iloc[0]["street_code"]
    labels = {c.name: c.label for c in get_source("activities").columns}
    cols = ["activity_id", "team_id", "activity_type", "activity_date", "region_code", "status", "participants",
            "person_times", "volunteer_hours"]
    good = [[f"UP{i}", team, "作业辅导", f"2026-11-0{i + 1}", street, "已开展", 10 + i, 20 + i, 3] for i in range(3)]
    bad = [
        ["", team, "作业辅导", "2026-11-05", street, "已开展", 5, 5, 1],             # REQUIRED_MISSING
        ["UPB2", team, "广场舞", "2026-11-05", street, "已开展", 5, 5, 1],          # BAD_ENUM
        ["UPB3", team, "作业辅导", "不是日期", street, "已开展", 5, 5, 1],           # BAD_DATE
        ["UPB4", team, "作业辅导", "2026-11-05", street, "已开展", 5, -3, 1],       # OUT_OF_RANGE
        ["UPB5", team, "作业辅导", "2026-11-05", "999999999999", "已开展", 5, 5, 1],  # UNKNOWN_DIVISION
    ]
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("活动")
    ws.write_row(0, 0, [labels[c] for c in cols])
    for r, row in enumerate(good + bad, start=1):
        ws.write_row(r, 0, [str(x) if i in (0, 1, 3, 4) else x for i, x in enumerate(row)])
    wb.close()
    return out.getvalue(), len(good), sum(r[7] for r in good)




def _person_times(root: Path) -> int:
    con = q.connect(q.current_snapshot_path(root))
    try:
        return int(v.kpis(con, q.Scope.everything()).iloc[0]["person_times"])
    finally:
        con.close()


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _upload_page(at: AppTest, data: bytes) -> AppTest:
    at.switch_page("views/upload.py").run()
    at.text_input[0].set_value(PERIOD).run()
    at.file_uploader[0].upload(f"志愿服务活动_{PERIOD}.xlsx", data).run()
    assert not at.exception
    return at


def test_template_has_the_contract_headers():
    df = pd.read_excel(io.BytesIO(up.template("pairings")), engine="calamine")
    assert list(df.columns) == [c.label for c in get_source("pairings").columns]


def test_upload_flow_in_apptest(copy):
    data, good, good_pt = _sheet(copy)
    before_log, before_pt = read_load_log(copy), _person_times(copy)
    at = _upload_page(signed_in(AppTest.from_file(APP, default_timeout=60)).run(), data)
    m = _metrics(at)
    assert m["读取行数"] == str(good + sum(BAD.values()))
    assert m["可接收"] == str(good) and m["被拒绝"] == str(sum(BAD.values()))
    reasons = at.dataframe[0].value
    assert dict(zip(reasons["原因代码"], reasons["行数"])) == BAD
    assert all(reasons["原因"].str.contains(r"[\u4e00-\u9fff]"))  # every code with its Chinese text
    rejected = up.rejected_frame(at.session_state["up_preview"])
    assert list(rejected.columns[:4]) == ["行号", "原因", "原因代码", "原因说明"]
    assert read_load_log(copy) == before_log  # the preview wrote nothing

    # Cancel: nothing written, the uploader is cleared, and the uploaded sheet (names, IDs) is deleted.
    uploaded = Path(at.session_state["up_path"])
    assert uploaded.exists()
    at.button(key="up_cancel").click().run()
    assert read_load_log(copy) == before_log
    assert not uploaded.parent.exists()
    assert any("已取消" in s.value for s in at.info)

    # Confirm: the sheet goes to a job, which lands the good rows, rebuilds and publishes.
    _upload_page(at, data)
    uploaded = Path(at.session_state["up_path"])
    at.button(key="up_confirm").click().run()
    assert not at.exception
    assert not uploaded.parent.exists()  # moved into the job's folder, deleted when the job ends
    job = jobs.wait(at.session_state["up_job"]["job"], copy, timeout=300)
    assert job["state"] == "published"
    at.run()
    assert any(f"接收 {good} 行，拒绝 {sum(BAD.values())} 行" in s.value for s in at.success)
    log = read_load_log(copy)
    assert len(log) == len(before_log) + 1 and log[-1]["rows_accepted"] == good
    assert _person_times(copy) == before_pt + good_pt
    at.switch_page("views/volunteers.py").run()
    card = next(m for m in at.metric if m.label == "服务人次（本年）")
    # 万 on the card, the exact figure (which a 3-row upload moves) in its (?)
    assert card.value == fmt.count(before_pt + good_pt, card=True)
    assert f"{before_pt + good_pt:,}" in card.proto.help

    # The same sheet again: the preview says so and confirming lands nothing.
    _upload_page(at, data)
    assert any("已于" in w.value for w in at.warning)
    at.button(key="up_confirm").click().run()
    assert jobs.wait(at.session_state["up_job"]["job"], copy, timeout=300)["state"] == "unchanged"
    at.run()
    assert len(read_load_log(copy)) == len(before_log) + 1
    assert any("数据未更改" in s.value for s in at.info)
