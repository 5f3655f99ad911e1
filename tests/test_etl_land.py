"""Landing: rejected rows with reasons, idempotence, supersession, nothing written on failure."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from etl.errors import ExtractError
from etl.land import land
from etl.landed import landed_dir, load_log_path, read_load_log
from tests.files import make_id, write_register_csv, write_register_xlsx
from warehouse.build import build, published

ROOT = Path(__file__).resolve().parents[1]



def tree_digest(root: Path) -> str:
    """A digest of every file under the data folder (names and bytes), but the audit log, which records
    every attempt (tests/test_landing_modes.py checks it)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != ".lock" and p.parent.name != "audit":
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def cli(*args, env_root: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "TONGXIN_DATA_DIR": str(env_root), "TONGXIN_SECRET": "unit-test-secret",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "etl", *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          check=False)


def test_bad_rows_are_rejected_with_reasons_and_good_rows_land(root, tmp_path):
    out = land("civil_register", write_register_csv(tmp_path / "台账.csv"), "2026H1", root=root)
    e = out.entry
    assert (e.rows_read, e.rows_accepted, e.rows_rejected) == (6, 3, 3)
    rej = pq.read_table(root / "landed" / e.rejected_path).to_pylist()
    by_row = {r["行号 row_no"]: r for r in rej}
    assert by_row[6]["原因代码 reason_code"] == "ID_CHECKSUM" and "校验位" in by_row[6]["原因 reason"]
    assert by_row[7]["原因代码 reason_code"] == "NOT_CHILD"
    assert by_row[8]["原因代码 reason_code"] == "UNRESOLVED_NAME"
    assert "工业园街道桃园社区" in by_row[8]["原因 reason"]  # the candidates are named
    assert by_row[6]["儿童姓名"] == "王五"  # original values kept for the data officer
    assert e.reasons == {"ID_CHECKSUM": 1, "NOT_CHILD": 1, "UNRESOLVED_NAME": 1}
    assert "身份证号校验位错误 ID_CHECKSUM ×1" in out.message
    acc = pq.read_table(root / "landed" / e.accepted_path)
    assert "child_name" not in acc.column_names and "id_number" not in acc.column_names
    codes = dict(zip(acc.column("person_key").to_pylist(), acc.column("community_code").to_pylist()))
    assert sorted(codes.values()) == ["990101001001", "990101001002", "990101002001"]  # full-width and names resolved


def test_landing_the_same_file_twice_changes_nothing(root, tmp_path):
    path = write_register_csv(tmp_path / "台账.csv")
    first = cli("land", "civil_register", str(path), "--period", "2026H1", env_root=root)
    assert first.returncode == 0, first.stderr
    build(root)
    before = tree_digest(root)
    second = cli("land", "civil_register", str(path), "--period", "2026H1", env_root=root)
    assert second.returncode == 0
    assert "already landed" in second.stdout and "已导入过" in second.stdout
    assert tree_digest(root) == before


def test_a_new_file_for_the_same_period_supersedes_and_history_stays(root, tmp_path):
    land("civil_register", write_register_csv(tmp_path / "a.csv"), "2026H1", root=root)
    with pytest.raises(ExtractError, match="REMOVAL_NOT_CONFIRMED"):  # takes 2 of 3 rows out of force
        land("civil_register", write_register_xlsx(tmp_path / "b.xlsx"), "2026H1", root=root, mode="period")
    land("civil_register", write_register_xlsx(tmp_path / "b.xlsx"), "2026H1", root=root, mode="period",
         allow_removal=True)
    log = [e for e in read_load_log(root) if e["source"] == "civil_register"]
    assert len(log) == 2
    assert all((landed_dir(root) / e["accepted_path"]).is_file() for e in log)  # history kept
    snap = build(root)
    con = duckdb.connect(str(snap), read_only=True)
    files = con.sql("select distinct l.file_name from stg_civil_register s join load_log l using (load_id)").fetchall()
    assert files == [("b.xlsx",)]
    assert con.sql("select count(*) from stg_civil_register").fetchall()[0][0] == 2
    assert con.sql("select count(*) from raw_civil_register").fetchall()[0][0] == 2
    assert con.sql("select count(*) from load_log where source = 'civil_register' and is_current").fetchall() == [(1,)]
    con.close()


@pytest.mark.parametrize("make", [
    lambda p: p.write_bytes(b""),
    lambda p: p.write_bytes(bytes(range(256)) * 50),
    lambda p: p.write_bytes("身份证号,姓名\n11010519491231002X,张三\n".encode("gb18030")),
], ids=["empty", "binary", "missing-column"])
def test_file_level_failure_exits_nonzero_and_writes_nothing(root, tmp_path, make):
    path = tmp_path / "坏文件.csv"
    make(path)
    before, log_before = tree_digest(root), load_log_path(root).read_bytes()
    r = cli("land", "civil_register", str(path), "--period", "2026H1", env_root=root)
    assert r.returncode == 1
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr and "错误" in lines[0]
    assert tree_digest(root) == before and load_log_path(root).read_bytes() == log_before


def test_unknown_source_and_missing_period_are_user_errors(root, tmp_path):
    path = write_register_csv(tmp_path / "无期间.csv")
    r = cli("land", "civil_register", str(path), env_root=root)
    assert r.returncode == 1 and "--period" in r.stderr
    r = cli("land", "no_such_source", str(path), "--period", "2026H1", env_root=root)
    assert r.returncode == 1 and "unknown source" in r.stderr


def test_division_codes_need_the_region_table_first(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    with pytest.raises(ExtractError) as e:
        land("civil_register", write_register_csv(tmp_path / "a.csv"), "2026H1", root=tmp_path / "empty")
    assert e.value.code == "NO_REGIONS"


def test_person_key_is_a_keyed_hash_and_the_person_table_holds_names(root, tmp_path, monkeypatch):
    out = land("civil_register", write_register_xlsx(tmp_path / "b.xlsx"), "2026H1", root=root)
    persons = pq.read_table(root / "landed" / out.entry.person_path).to_pylist()
    p = next(x for x in persons if x["child_name"] == "张小明")
    assert p["id_number"] == make_id("20150304", 1)
    assert len(p["person_key"]) == 32 and make_id("20150304", 1) not in p["person_key"]
    # Another deployment secret gives another key: the hash is keyed, not a plain digest.
    monkeypatch.setenv("TONGXIN_SECRET", "another-secret")
    other = land("civil_register", write_register_csv(tmp_path / "c.csv"), "2026H2", root=root)
    keys = pq.read_table(root / "landed" / other.entry.accepted_path).column("person_key").to_pylist()
    assert p["person_key"] not in keys


def test_sources_command_lists_every_contract(tmp_path):
    r = cli("sources", env_root=tmp_path)
    assert r.returncode == 0
    assert "civil_register" in r.stdout and "流动儿童监测摸排台账" in r.stdout and "residence_permits" in r.stdout


def test_published_pointer_moves_only_after_a_successful_build(root, tmp_path):
    land("civil_register", write_register_csv(tmp_path / "a.csv"), "2026H1", root=root)
    first = build(root)
    assert published(root) == first


def test_demo_bad_rows_are_exactly_the_rows_landing_rejects(data_dir, demo_extracts):
    """Every deliberately bad row of the demo (wrong check digit, impossible date, unknown code, too old,
    duplicate, unknown name, enum outside the list, negative count) is rejected, and no good row is."""
    import json

    manifest = json.loads((demo_extracts / "manifest.json").read_text(encoding="utf-8"))["files"]
    log = {(e["source"], e["period"], e["file_name"]): e for e in read_load_log(data_dir)}
    assert len(manifest) >= 21
    for f in manifest:
        e = log[(f["source"], f["period"], f["file"])]
        assert (e["rows_read"], e["rows_rejected"]) == (f["rows"], f["bad_rows"]), f["file"]
    assert sum(f["bad_rows"] for f in manifest) > 100


def test_demo_gb18030_names_reach_the_warehouse_intact(data_dir, demo_extracts, snapshot_path):
    """Names read from a GB18030 extract arrive in the person table exactly as written."""
    import json

    from etl.contracts import get_source
    from etl.read import read_extract
    from warehouse.queries import connect

    manifest = json.loads((demo_extracts / "manifest.json").read_text(encoding="utf-8"))["files"]
    gb = next(f for f in manifest if f.get("encoding") == "gb18030" and f["source"] == "civil_register")
    src = get_source(gb["source"])
    ext = read_extract(demo_extracts / gb["file"], src)
    assert ext.encoding == "gb18030"
    names = {n for n in ext.table.column(ext.mapping["child_name"]).to_pylist() if n}
    con = connect(snapshot_path)
    landed = {r[0] for r in con.sql("select name from pii.person").fetchall()}
    assert len(names & landed) > 0.9 * len(names)
    assert any(ord(ch) > 0x4E00 for n in names & landed for ch in n)


def test_preview_reports_what_landing_would_do_and_writes_nothing(root, tmp_path):
    from etl.land import preview

    path = write_register_csv(tmp_path / "台账.csv")
    before = tree_digest(root)
    p = preview("civil_register", path, "2026H1", root=root)
    assert tree_digest(root) == before  # nothing written
    assert (p.rows_read, p.rows_accepted, p.rows_rejected) == (6, 3, 3)
    assert p.reasons == {"ID_CHECKSUM": 1, "NOT_CHILD": 1, "UNRESOLVED_NAME": 1}
    assert p.already is None and p.supersedes is None and p.overlap == 0
    landed = land("civil_register", path, "2026H1", root=root)
    again = preview("civil_register", path, "2026H1", root=root)
    assert again.already["sha256"] == landed.entry.sha256
    # A corrected resubmission for the same period: its rows overlap the landing in force, which it replaces.
    other = preview("civil_register", write_register_xlsx(tmp_path / "b.xlsx"), "2026H1", root=root)
    assert other.already is None and other.supersedes["load_id"] == landed.entry.load_id
    assert other.overlap == 1  # 张小明 is in both files
