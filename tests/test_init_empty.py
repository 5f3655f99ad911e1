"""A real deployment from an empty data folder: `etl init`, keyless landing of sources without ID numbers,
and builds on no data or on any part of it (the app opens on such a snapshot)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from auth import users
from etl import deployment
from etl.contracts import sources
from etl.errors import ExtractError
from etl.land import land
from tests.files import write_regions, write_register_csv
from warehouse.build import build, published

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "init-test-password-1"


def _env(root: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh server: no key in the environment (the shared fixture sets one)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TONGXIN_SECRET", "TONGXIN_ADMIN_PASSWORD")}
    return env | {"TONGXIN_DATA_DIR": str(root)} | extra


def _etl(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl", *args], check=False, cwd=REPO, env=_env(root, **extra),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)


@pytest.fixture
def keyless(monkeypatch, tmp_path) -> Path:
    """An empty data folder, named by TONGXIN_DATA_DIR, with no key anywhere."""
    root = tmp_path / "data"
    monkeypatch.delenv("TONGXIN_SECRET", raising=False)
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(root))
    return root


def test_init_makes_folder_key_root_and_admin_and_a_second_run_changes_nothing(tmp_path):
    root = tmp_path / "data"
    first = _etl(root, "init", "--root", "990100", "--admin", "管理员", TONGXIN_ADMIN_PASSWORD=PASSWORD)
    assert first.returncode == 0, first.stderr
    key = root / "secret.key"
    assert key.is_file() and key.stat().st_mode & 0o777 == 0o600
    assert root.stat().st_mode & 0o777 == 0o700
    assert "备份" in first.stdout and "Back up" in first.stdout  # the key's backup warning, in both languages
    assert deployment.root_code(root) == "990100000000"
    admin = users.load(root)["管理员"]
    assert (admin.role, admin.scope, admin.disabled) == ("admin", ["9901"], False)
    assert users.authenticate("管理员", PASSWORD, root=root).username == "管理员"
    before = (key.read_bytes(), users.users_path(root).read_bytes(), (root / deployment.FILE).read_bytes())

    # No password this time: an existing administrator is kept without asking (stdin is empty).
    second = _etl(root, "init", "--root", "990100", "--admin", "管理员")
    assert second.returncode == 0, second.stderr
    assert "nothing changed" in second.stdout
    assert (key.read_bytes(), users.users_path(root).read_bytes(), (root / deployment.FILE).read_bytes()) == before

    # The first administrator exists: init makes no other (more users: python -m auth add).
    third = _etl(root, "init", "--admin", "someone-else", TONGXIN_ADMIN_PASSWORD=PASSWORD)
    assert third.returncode == 0 and set(users.load(root)) == {"管理员"}

    other = _etl(root, "init", "--root", "990200")  # another root is refused, nothing touched
    assert other.returncode == 1 and "ROOT_DIFFERS" in other.stderr
    assert deployment.root_code(root) == "990100000000"


def test_init_without_a_root_gives_the_admin_the_whole_deployment_and_keeps_an_environment_key(tmp_path):
    root = tmp_path / "data"
    out = _etl(root, "init", TONGXIN_ADMIN_PASSWORD=PASSWORD, TONGXIN_SECRET="kept-outside")
    assert out.returncode == 0, out.stderr
    assert not (root / "secret.key").exists()  # the deployment keeps its key elsewhere
    assert users.load(root)["admin"].scope == [users.EVERYWHERE]
    assert deployment.root_code(root) is None


def test_init_without_a_password_says_so_and_a_rerun_finishes(tmp_path):
    root = tmp_path / "data"
    out = _etl(root, "init")
    assert out.returncode == 1 and "ADMIN_NOT_CREATED" in out.stderr
    assert "Back up" in out.stdout  # the key made by this run is still announced
    key = (root / "secret.key").read_bytes()
    again = _etl(root, "init", TONGXIN_ADMIN_PASSWORD=PASSWORD)
    assert again.returncode == 0, again.stderr
    assert (root / "secret.key").read_bytes() == key and "admin" in users.load(root)


def _latest_ended(today: date, months: int) -> date:
    """Start of the latest period of `months` months (calendar-aligned) that has ended by `today`."""
    start = date(today.year, ((today.month - 1) // months) * months + 1, 1)  # the running period
    total = start.year * 12 + start.month - 1 - months
    return date(total // 12, total % 12 + 1, 1)


def test_build_on_an_empty_folder_lists_every_extract_as_never_sent(tmp_path):
    root = tmp_path / "data"
    assert _etl(root, "init", TONGXIN_ADMIN_PASSWORD=PASSWORD).returncode == 0
    out = _etl(root, "build", "--quiet")
    assert out.returncode == 0, out.stderr
    from warehouse.queries import connect, current_snapshot_path, snapshot_info

    con = connect(current_snapshot_path(root))
    try:
        info = snapshot_info(con)
        assert pd.isna(info.data_date) and info.is_demo is False  # no data yet, and none pretended
        today = con.execute("select build_date from meta").fetchall()[0][0]
        rows = con.execute("select source, cadence, expected_period_start, periods_landed, is_late, latest_period "
                           "from dq_sources order by source").fetchall()
        with pytest.raises(duckdb.Error):
            con.execute("create table x (a int)")
    finally:
        con.close()
    assert [r[0] for r in rows] == sorted(sources())
    months = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
    for source, cadence, expected, landed, late, latest in rows:
        assert cadence == sources()[source].period
        assert expected == _latest_ended(today, months[cadence]), source
        # A list sent only when divisions change (on_demand) is never late; every other extract is.
        assert (landed, late, latest) == (0, not sources()[source].on_demand, None), source


def test_sources_without_id_numbers_land_without_a_key_and_registers_are_refused(keyless, tmp_path):
    regions = write_regions(tmp_path / "区划2026.csv")
    out = land("regions", regions, "2026", root=keyless, isolate=False)
    assert out.entry.rows_accepted == 7
    with pytest.raises(ExtractError) as e:
        land("civil_register", write_register_csv(tmp_path / "台账.csv"), "2026H1", root=keyless, isolate=False)
    assert e.value.code == "NO_SECRET"


def test_the_cli_lands_a_region_table_without_a_key_and_refuses_a_register(tmp_path):
    root = tmp_path / "data"
    regions = write_regions(tmp_path / "区划2026.csv")
    out = _etl(root, "land", "regions", str(regions), "--period", "2026")
    assert out.returncode == 0, out.stderr
    assert json.loads((root / "landed" / "load_log.jsonl").read_text(encoding="utf-8"))["rows_accepted"] == 7
    refused = _etl(root, "land", "civil_register", str(write_register_csv(tmp_path / "台账.csv")), "--period", "2026H1")
    assert refused.returncode == 1 and "NO_SECRET" in refused.stderr
    assert not (root / "landed" / "civil_register").exists() or not any((root / "landed" / "civil_register").rglob("*"))


def test_builds_on_regions_alone_then_regions_and_one_register(keyless, tmp_path, monkeypatch):
    land("regions", write_regions(tmp_path / "区划2026.csv"), "2026", root=keyless, isolate=False)  # a city's table
    assert _etl(keyless, "build", "--quiet").returncode == 0
    con = duckdb.connect(str(published(keyless)), read_only=True)
    try:
        assert con.execute("select count(*) from regions").fetchall()[0][0] == 7
        assert con.execute("select count(*) from raw_civil_register").fetchall()[0][0] == 0
    finally:
        con.close()
    monkeypatch.setenv("TONGXIN_SECRET", "a-deployment-key")
    land("civil_register", write_register_csv(tmp_path / "台账.csv"), "2026H1", root=keyless, isolate=False)
    out = _etl(keyless, "build", "--quiet", TONGXIN_SECRET="a-deployment-key")
    assert out.returncode == 0, out.stderr
    con = duckdb.connect(str(published(keyless)), read_only=True)
    try:
        assert con.execute("select count(*) from stg_civil_register").fetchall()[0][0] == 3
        assert con.execute("select data_date from meta").fetchall()[0][0] is not None
    finally:
        con.close()


@pytest.mark.parametrize("subset", [("plan_indicators",), ("volunteers",), ("regions", "boundaries")])
def test_builds_on_other_parts_of_the_demo(subset, demo_extracts, keyless):
    manifest = json.loads((demo_extracts / "manifest.json").read_text(encoding="utf-8"))
    for name in subset:
        if name == "boundaries":
            from etl.__main__ import land_demo_boundaries

            land_demo_boundaries(demo_extracts, keyless)
            continue
        f = next(f for f in manifest["files"] if f["source"] == name)
        land(name, demo_extracts / f["file"], f["period"], root=keyless, isolate=False)
    path = build(keyless)
    con = duckdb.connect(str(path), read_only=True)
    try:
        landed = {r[0] for r in con.execute("select source from dq_sources where periods_landed > 0").fetchall()}
        assert landed == set(subset) - {"boundaries"}
        assert con.execute("select bool_or(is_demo) from meta").fetchall()[0][0] is False  # landed as real data
    finally:
        con.close()


def test_the_app_opens_every_page_on_an_empty_snapshot(tmp_path, monkeypatch):
    """The administrator `etl init` made (the whole deployment, no root given) signs in and opens every page:
    pages may say there is no data, none may fail."""
    from streamlit.testing.v1 import AppTest

    from auth.roles import PAGES, pages_for
    from tests.files import signed_in

    root = tmp_path / "data"
    assert _etl(root, "init", TONGXIN_ADMIN_PASSWORD=PASSWORD).returncode == 0
    assert _etl(root, "build", "--quiet").returncode == 0
    monkeypatch.delenv("TONGXIN_SECRET", raising=False)
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(root))
    at = signed_in(AppTest.from_file(str(REPO / "app.py"), default_timeout=120), "admin", (users.EVERYWHERE,),
                   "admin").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(str(e.value) for e in [*at.error, *at.markdown, *at.info])
    assert "init-demo" not in shown  # not the no-snapshot message
    assert not any("密钥" in str(e.value) for e in at.error)  # the key init made is found
    failed = {}
    for page in pages_for("admin"):
        at.switch_page(PAGES[page][2]).run()
        if at.exception:
            failed[page] = [e.message for e in at.exception]
    assert not failed


def test_boundaries_needs_neither_level_nor_code_field(monkeypatch, tmp_path):
    """`etl boundaries FILE` alone: level and code field are left to the boundary loader to infer."""
    import etl.boundaries
    from etl.__main__ import main

    seen = {}

    class Outcome:
        message = "ok"

    def fake(path, level=None, code_field=None, name_field=None, **kw):
        seen.update(path=path, level=level, code_field=code_field, name_field=name_field)
        return Outcome()

    monkeypatch.setattr(etl.boundaries, "land_boundaries", fake)
    assert main(["boundaries", str(tmp_path / "县界.geojson")]) == 0
    assert seen == {"path": tmp_path / "县界.geojson", "level": None, "code_field": None, "name_field": None}
    assert main(["boundaries", "b.shp.zip", "--level", "street", "--code-field", "CODE"]) == 0
    assert (seen["level"], seen["code_field"]) == ("street", "CODE")
