"""Crash safety: `python -m etl land|build` killed (SIGKILL) at named checkpoints and at seeded random
moments never damages what is published or landed, and the next run completes and publishes.

Checkpoints are `etl.crash.checkpoint(name)` calls in etl/land.py and warehouse/build.py; the env var
TONGXIN_CRASH_AT makes the process kill itself there. Each test works on its own copy of the shared
fixture warehouse (only the published snapshot is copied).
"""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from etl.crash import CRASH_ENV
from etl.landed import landed_dir, load_log_path, read_load_log
from settings import DATA_DIR_ENV
from warehouse.build import DUCKDB_CONFIG, list_snapshots, publish, published

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261122
# What a snapshot must hold for the app to open it (a few tables every page relies on).
EXPECTED_TABLES = {"meta", "load_log", "sources", "regions", "boundaries"}


@pytest.fixture
def work(data_dir, tmp_path) -> Path:
    """A copy of the fixture data folder with only its published snapshot."""
    cur = published(data_dir).name
    root = tmp_path / "data"
    shutil.copytree(data_dir, root, ignore=lambda d, names: [
        n for n in names if Path(d).name == "snapshots" and n.endswith(".duckdb") and n != cur])
    return root


def etl(root: Path, *args: str, crash: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    env.update({DATA_DIR_ENV: str(root), "TONGXIN_SECRET": os.environ.get("TONGXIN_SECRET", "test-secret-not-for-production"),
                "PYTHONPATH": str(ROOT)})
    if crash:
        env[CRASH_ENV] = crash
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def resubmission(demo_extracts: Path, tmp_path: Path, n: int) -> tuple[str, str, Path]:
    """The fixture's last monthly visits file with n blank lines added: same rows, a new file (sha)."""
    files = json.loads((demo_extracts / "manifest.json").read_text(encoding="utf-8"))["files"]
    f = [f for f in files if f["source"] == "visits" and f["file"].endswith(".csv")][-1]
    out = tmp_path / f"resubmitted_{n}_{f['file']}"
    out.write_bytes((demo_extracts / f["file"]).read_bytes() + b"\r\n" * n)
    return f["source"], f["period"], out


def assert_intact(root: Path) -> str:
    """The published snapshot opens read-only with its tables; every landed file the log names reads;
    no parquet under its final name is half-written. Returns the published snapshot's name."""
    cur = published(root)
    assert cur is not None and cur.is_file(), cur
    con = duckdb.connect(str(cur), read_only=True, config=DUCKDB_CONFIG)
    try:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        assert EXPECTED_TABLES <= tables, EXPECTED_TABLES - tables
        assert con.execute("select count(*) from meta").fetchall()[0][0] == 1
        assert con.execute("select count(*) from load_log").fetchall()[0][0] > 0
    finally:
        con.close()
    for e in read_load_log(root):
        for key in ("accepted_path", "rejected_path", "person_path"):
            if e.get(key):
                pq.read_metadata(landed_dir(root) / e[key])
    for p in landed_dir(root).rglob("*.parquet"):
        pq.read_metadata(p)  # a torn file under a final name would fail here
    return cur.name


def killed(r: subprocess.CompletedProcess) -> bool:
    return r.returncode == -signal.SIGKILL


def test_land_killed_at_every_checkpoint_then_lands(work, demo_extracts, tmp_path):
    before = assert_intact(work)
    log0 = load_log_path(work).read_bytes()
    source, period, path = resubmission(demo_extracts, tmp_path, 1)
    for point in ("land:validated", "land:parquet_tmp_written", "land:accepted_written", "land:before_log"):
        r = etl(work, "land", source, str(path), "--period", period, "--mode", "period", crash=point)
        assert killed(r), (point, r.returncode, r.stderr[-500:])
        assert load_log_path(work).read_bytes() == log0, point  # the landing never happened
        assert assert_intact(work) == before
    # A crash mid-append (power cut) leaves a torn last line: readers skip it, the next append heals it.
    with load_log_path(work).open("ab") as f:
        f.write(b'{"load_id": "torn-by-a-crash", "source": "vis')
    assert len(read_load_log(work)) == len(log0.splitlines())
    r = etl(work, "land", source, str(path), "--period", period, "--mode", "period")
    assert r.returncode == 0, r.stderr[-1000:]
    assert "已导入" in r.stdout
    assert not list(landed_dir(work).rglob("*.tmp"))  # leftovers of the killed runs are cleaned
    named = {e[k] for e in read_load_log(work) for k in ("accepted_path", "rejected_path", "person_path") if e[k]}
    on_disk = {str(p.relative_to(landed_dir(work))) for p in landed_dir(work).glob("*/*/*.parquet")}
    assert on_disk == named  # nothing a killed landing wrote (names, ID numbers) is left unreferenced
    # Killed right after the log line: the landing counts; the build picks it up.
    source, period, path2 = resubmission(demo_extracts, tmp_path, 2)
    assert killed(etl(work, "land", source, str(path2), "--period", period, "--mode", "period",
                      crash="land:after_log"))
    log = read_load_log(work)
    assert [e["file_name"] for e in log[-2:]] == [path.name, path2.name]
    r = etl(work, "build", "--quiet")
    assert r.returncode == 0, r.stderr[-1000:]
    after = assert_intact(work)
    assert after != before
    con = duckdb.connect(str(published(work)), read_only=True, config=DUCKDB_CONFIG)
    try:
        cur = con.execute("select file_name from load_log where source = ? and period = ? and is_current",
                          [source, period]).fetchall()
    finally:
        con.close()
    assert cur == [(path2.name,)]


def test_build_killed_at_checkpoints_and_random_moments_then_publishes(work):
    before = assert_intact(work)
    rng = random.Random(SEED)
    # Named points: early, after the new file is complete, between rename and publish, mid-publish.
    points = ["build:loaded", "build:before_publish", "publish:pointer_tmp_written"]
    for point in points:
        r = etl(work, "build", "--quiet", crash=point)
        assert killed(r), (point, r.returncode, r.stderr[-500:])
        assert assert_intact(work) == before, point  # still the old snapshot, whole
    # Seeded random moments: SIGKILL from outside after a delay.
    for delay in sorted(rng.uniform(0.5, 6.0) for _ in range(2)):
        env = {**os.environ, DATA_DIR_ENV: str(work), "PYTHONPATH": str(ROOT)}
        env.pop(CRASH_ENV, None)
        proc = subprocess.Popen([sys.executable, "-m", "etl", "build", "--quiet"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        now = assert_intact(work)
        assert now == before or now > before  # old, or a complete newer one if the build got there
    leftovers = [p.name for p in (work / "snapshots").iterdir() if p.name.endswith((".building", ".tmp"))]
    assert leftovers  # the killed builds left temp files…
    assert all(not n.endswith(".duckdb") for n in leftovers)  # …that no reader takes for a snapshot
    r = etl(work, "build", "--quiet")
    assert r.returncode == 0, r.stderr[-1000:]
    after = assert_intact(work)
    assert after > before and after == list_snapshots(work)[-1].name



def test_a_build_never_replaces_a_newer_published_snapshot(work):
    """Two builds racing (CLI and upload page): the one that started first must not publish over the other."""
    cur = published(work)
    newer = cur.parent / "99991231T000000000000.duckdb"  # as if a build that started later published first
    shutil.copy(cur, newer)
    publish(work, newer.name)
    r = etl(work, "build", "--quiet")
    assert r.returncode == 0, r.stderr[-1000:]
    assert "newer build already published" in r.stdout and "较新的构建已发布" in r.stdout
    assert published(work) == newer
    assert assert_intact(work) == newer.name
    assert len(list_snapshots(work)) == 3  # the fresh build stays on disk for rollback
