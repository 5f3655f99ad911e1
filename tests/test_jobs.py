"""Background jobs (etl/jobs.py) with real worker processes: a landing published through a job, jobs queued
behind each other without overlapping builds, a worker killed mid-job and resumed, a failing build that
leaves the published snapshot in force, the job's copy of the file deleted, and the status block (ui/jobs.py)."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from etl import jobs
from etl import land as etl_land
from etl.contracts import get_source
from etl.landed import current_loads, landed_dir, read_load_log
from settings import CONFIG_DIR_ENV, DATA_DIR_ENV
from tests.files import make_id, write_register_csv
from warehouse.build import DUCKDB_CONFIG, REPO_DIR, published

ACTIVITY_COLS = ["activity_id", "team_id", "activity_type", "activity_date", "region_code", "status", "participants",
                 "person_times", "volunteer_hours"]




def _activities(root: Path, path: Path, period: str, tag: str, n: int = 3) -> Path:
    """A GB18030 activities sheet of n good rows for `period` (a team and street from the fixture)."""
    cur = current_loads(read_load_log(root))
    teams = pq.read_table(landed_dir(root) / cur[("volunteer_teams", max(p for s, p in cur if s == "volunteer_teams"))]
                          ["accepted_path"]).to_pandas().sort_values("team_id")
    team, street = teams.iloc[0]["team_id"], teams.iloc[0]["street_code"]
    labels = {c.name: c.label for c in get_source("activities").columns}
    rows = [[f"{tag}{i}", team, "作业辅导", f"{period}-0{i + 1}", street, "已开展", str(10 + i), str(20 + i), "3"]
            for i in range(n)]
    lines = ["示范市志愿服务活动记录", ",".join(labels[c] for c in ACTIVITY_COLS)] + [",".join(r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return path


def _activity_ids(root: Path, period: str) -> list[str]:
    """The activities of a period in the published snapshot, as the app reads it."""
    con = duckdb.connect(str(published(root)), read_only=True, config=DUCKDB_CONFIG)
    try:
        rows = con.execute("select activity_id from stg_activities where period = ? order by 1", [period]).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def _land_job(root: Path, tmp_path: Path, period: str, tag: str, **kw) -> tuple[str, Path]:
    src = _activities(root, tmp_path / f"活动_{tag}.csv", period, tag)
    job_id = jobs.submit("land", {"source": "activities", "path": str(src), "period": period,
                                  "file_name": f"志愿服务活动_{period}.csv"}, "test-officer", root,
                         role="data_officer", **kw)
    return job_id, src


@contextmanager
def _hold(lock: Path):
    """Hold a lock file the way the worker (or the landing) takes it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _events(root: Path, job_id: str) -> list[dict]:
    path = root / "audit" / "audit.jsonl"
    return [e for e in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if job_id in e["detail"]]


def test_land_job_publishes_and_deletes_its_copy(copy, tmp_path):
    before = published(copy)
    job_id, src = _land_job(copy, tmp_path, "2026-11", "JA")
    assert not src.exists()  # moved into the job's folder, out of the upload sweeper's reach
    job = jobs.wait(job_id, copy)
    assert job["state"] == "published", job
    assert job["progress"]["fraction"] == 1.0 and "path" not in job["params"]
    assert job["result"]["rows_accepted"] == 3 and "已导入" in job["message"]
    assert published(copy) != before and job["snapshot"] == published(copy).name
    assert _activity_ids(copy, "2026-11") == ["JA0", "JA1", "JA2"]
    assert not (copy / "jobs" / job_id).exists()
    assert not jobs.needs_build(copy)
    assert [e["action"] for e in _events(copy, job_id)] == ["job", "job"]  # submitted, ended
    assert _events(copy, job_id)[-1]["ok"] and _events(copy, job_id)[-1]["user"] == "test-officer"
    for p in [copy / "jobs", *(copy / "jobs").iterdir()]:
        assert (p.stat().st_mode & 0o077) == 0, p  # job files hold who landed what: the service account's only


def test_landed_but_unpublished_file_is_published_by_a_second_upload(copy, tmp_path):
    """A landing whose rebuild never ran (the page left mid-way): the same file again builds."""
    src = _activities(copy, tmp_path / "活动.csv", "2026-11", "JB")
    etl_land.land("activities", src, "2026-11", root=copy, user="test-officer")
    assert jobs.needs_build(copy) and _activity_ids(copy, "2026-11") == []
    job_id = jobs.submit("land", {"source": "activities", "path": str(src), "period": "2026-11"}, "test-officer", copy)
    job = jobs.wait(job_id, copy)
    assert job["state"] == "published", job
    assert _activity_ids(copy, "2026-11") == ["JB0", "JB1", "JB2"]
    snap = published(copy)
    # The same file a third time: nothing to land, nothing to publish.
    again = _activities(copy, tmp_path / "活动.csv", "2026-11", "JB")
    job = jobs.wait(jobs.submit("land", {"source": "activities", "path": str(again), "period": "2026-11"},
                                "test-officer", copy), copy)
    assert job["state"] == "unchanged" and "导入过" in job["message"]
    assert published(copy) == snap


def test_second_job_queues_and_builds_never_overlap(copy, tmp_path):
    with _hold(copy / "jobs" / ".worker.lock"):  # a worker busy elsewhere: both submits must wait
        first, _ = _land_job(copy, tmp_path, "2026-11", "JC")
        second, _ = _land_job(copy, tmp_path, "2026-12", "JD")
        assert [jobs.get(j, copy)["state"] for j in (first, second)] == ["queued", "queued"]
        assert jobs.active(copy)["id"] == first
        assert [j["id"] for j in jobs.recent(copy, user="test-officer")] == [second, first]
    done = [jobs.wait(j, copy) for j in (first, second)]
    assert [j["state"] for j in done] == ["published", "published"], done
    a, b = sorted(done, key=lambda j: j["started_at"])
    assert a["id"] == first  # oldest first
    assert datetime.fromisoformat(a["finished_at"]) <= datetime.fromisoformat(b["started_at"])
    assert _activity_ids(copy, "2026-11") == ["JC0", "JC1", "JC2"]
    assert _activity_ids(copy, "2026-12") == ["JD0", "JD1", "JD2"]
    assert jobs.active(copy) is None


def test_killed_worker_job_is_resumed(copy, tmp_path):
    with _hold(landed_dir(copy) / ".lock"):  # the worker blocks inside the landing: the job is running
        job_id, _ = _land_job(copy, tmp_path, "2026-11", "JE")
        deadline = time.monotonic() + 120  # a bound on a broken worker, not a timing assertion
        while (job := jobs.get(job_id, copy))["state"] != "running":
            assert job["state"] == "queued" and time.monotonic() < deadline
            time.sleep(0.05)
        pid = job["pid"]
        os.kill(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)  # the test started it: reap it, so its lock is surely gone
        except ChildProcessError:
            pass
    assert jobs.get(job_id, copy)["state"] == "running"  # left as it was
    assert not jobs.worker_running(copy)
    assert jobs.active(copy)["id"] == job_id
    r = subprocess.run([sys.executable, "-m", "etl", "worker"], cwd=REPO_DIR, capture_output=True, text=True,
                       env={**os.environ, DATA_DIR_ENV: str(copy)}, check=False)
    assert r.returncode == 0, r.stderr
    job = jobs.get(job_id, copy)
    assert job["state"] == "published" and job["attempts"] == 2, job
    assert _activity_ids(copy, "2026-11") == ["JE0", "JE1", "JE2"]
    assert sum(e["source"] == "activities" and e["period"] == "2026-11" for e in read_load_log(copy)) == 1
    assert not (copy / "jobs" / job_id).exists()
    assert f"job {job_id} was left running" in r.stderr and "(attempt 2)" in r.stderr


def test_failed_build_keeps_the_published_snapshot(copy, tmp_path, monkeypatch):
    cfg = tmp_path / "config"
    shutil.copytree(REPO_DIR / "config", cfg)
    (cfg / "broken.csv").write_text("region_code,value\n1,2,3,4,5\n", encoding="utf-8")  # rows wider than the header
    monkeypatch.setenv(CONFIG_DIR_ENV, str(cfg))
    before = published(copy)
    r = subprocess.run([sys.executable, "-m", "etl", "rebuild"], cwd=REPO_DIR, capture_output=True, text=True,
                       env={**os.environ, DATA_DIR_ENV: str(copy)}, check=False)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "失败" in r.stdout and "broken.csv" in r.stdout
    listed = json.loads(subprocess.run([sys.executable, "-m", "etl", "jobs", "--json"], cwd=REPO_DIR, check=True,
                                       capture_output=True, text=True,
                                       env={**os.environ, DATA_DIR_ENV: str(copy)}).stdout)
    job = listed[0]
    assert job["kind"] == "build" and job["state"] == "failed"
    assert "配置文件 broken.csv" in job["error"] and "unreadable config" in job["error"]
    assert published(copy) == before  # CURRENT still names the old snapshot
    assert [(e["action"], e["ok"]) for e in _events(copy, job["id"])] == [("rebuild", True), ("job", False)]


def test_failed_land_job_deletes_the_file_and_logs_no_names(copy, tmp_path):
    """A register (names, ID numbers) whose landing fails, and one whose rows are all rejected."""
    before = published(copy)
    bad = write_register_csv(tmp_path / "台账.csv")
    failed = jobs.wait(jobs.submit("land", {"source": "civil_register", "path": str(bad), "period": "2026-13"},
                                   "test-officer", copy), copy)
    assert failed["state"] == "failed" and "BAD_PERIOD" in failed["error"]
    rejected = write_register_csv(tmp_path / "台账.csv")  # codes of another city: every row refused
    job = jobs.wait(jobs.submit("land", {"source": "civil_register", "path": str(rejected), "period": "2026H1"},
                                "test-officer", copy), copy)
    assert job["state"] == "unchanged" and "全部" in job["message"], job
    assert published(copy) == before
    for j in (failed, job):
        assert not (copy / "jobs" / j["id"]).exists()
    assert not list((copy / "jobs").glob("*/*"))  # no copy of the register anywhere under jobs/
    log = (copy / "jobs" / "worker.log").read_text(encoding="utf-8")
    assert failed["id"] in log and "BAD_PERIOD" in log
    for secret in ("张小明", "李䶮", "钱七", make_id("20150304", 1), "台账"):
        assert secret not in log


@pytest.mark.skipif(not hasattr(etl_land, "withdraw"), reason="etl.land.withdraw not there yet")
def test_withdraw_job_takes_the_landing_out(copy, tmp_path):
    job = jobs.wait(_land_job(copy, tmp_path, "2026-11", "JW")[0], copy)
    assert job["state"] == "published" and _activity_ids(copy, "2026-11") == ["JW0", "JW1", "JW2"]
    params = {"load_id": job["result"]["load_id"], "source": "activities", "period": "2026-11", "reason": "重复报送"}
    w = jobs.wait(jobs.submit("withdraw", params, "test-officer", copy), copy)
    assert w["state"] == "published", w
    assert _activity_ids(copy, "2026-11") == []
    again = jobs.wait(jobs.submit("withdraw", params, "test-officer", copy), copy)
    assert again["state"] == "failed" and "NO_LANDING" in again["error"]


def _panel_script(root: str) -> None:
    from ui.jobs import status_panel

    status_panel(root, {"username": "test-admin", "role": "admin", "scope": [""]}, can_rebuild=True)


def test_status_panel_shows_jobs_and_queues_a_rebuild(copy, tmp_path):
    with _hold(copy / "jobs" / ".worker.lock"):  # no worker may start the queued jobs meanwhile
        mine, _ = _land_job(copy, tmp_path, "2026-11", "JP", start_worker=False)
        at = AppTest.from_function(_panel_script, args=(str(copy),), default_timeout=30).run()
        assert not at.exception
        assert any("排队中" in c.value for c in at.caption)
        df = at.dataframe[0].value
        assert list(df.columns) == ["时间", "类型", "数据源", "统计期", "状态", "说明"]
        assert df.iloc[0].tolist()[1:5] == ["导入", "志愿服务活动记录", "2026-11", "排队中"]
        assert df.iloc[0]["时间"] == jobs_local(jobs.get(mine, copy)["created_at"])
        at.button(key="jobs_rebuild").click().run()
        assert not at.exception
        queued = jobs.recent(copy)
        assert [j["kind"] for j in queued] == ["build", "land"] and queued[0]["user"] == "test-admin"
        assert at.button(key="jobs_rebuild").disabled  # a rebuild already waits
        assert _events(copy, queued[0]["id"])[0]["action"] == "rebuild"
    done = [jobs.wait(j["id"], copy) for j in queued]
    assert [j["state"] for j in done] == ["published", "published"]
    at.run()
    assert not at.exception
    assert any("数据仓库已重建" in s.value for s in at.success)
    assert list(at.dataframe[0].value["状态"]) == ["已发布", "已发布"]


def jobs_local(ts: str) -> str:
    from ui.jobs import local_time

    return local_time(ts)
