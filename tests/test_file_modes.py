"""Files holding children's data are the service account's alone: 0600 files in 0700 folders, whatever
the umask (landed, rejected and person Parquet, load logs, boundaries, snapshots, demo extracts)."""
from __future__ import annotations

import json
import os
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest

from etl.__main__ import main as etl_main
from etl.boundaries import land_boundaries
from etl.land import land, preview
from tests.files import write_regions, write_register_csv
from warehouse.build import build, published


@contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def loose(folder: Path) -> list[str]:
    """Everything under folder (itself included) that group or others may read, write or enter."""
    out = []
    for p in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(p.lstat().st_mode)
        want = 0o700 if p.is_dir() else 0o600
        if mode & 0o077 or (p.is_dir() and mode != want):
            out.append(f"{p.relative_to(folder.parent)} {oct(mode)}")
    return out


def street_geojson(path: Path) -> Path:
    """Two square streets matching tests/files.py's region table."""
    def square(x0: float) -> dict:
        ring = [[x0, 30.0], [x0 + 0.01, 30.0], [x0 + 0.01, 30.01], [x0, 30.01], [x0, 30.0]]
        return {"type": "Polygon", "coordinates": [ring]}

    feats = [{"type": "Feature", "properties": {"code": code, "name": name}, "geometry": square(x0)}
             for code, name, x0 in (("990101001000", "滨江街道", 120.0), ("990101002000", "工业园街道", 120.01))]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def test_landing_and_building_leave_nothing_readable_by_others(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    root = tmp_path / "data"
    with umask(0o022):
        land("regions", write_regions(tmp_path / "区划.csv"), "2025", root=root)
        register = write_register_csv(tmp_path / "台账_2026年上半年.csv")  # has bad rows: a rejected file too
        preview("civil_register", register, "2026H1", root=root)
        out = land("civil_register", register, "2026H1", root=root)
        assert out.entry.rows_rejected and out.entry.person_path
        land_boundaries(street_geojson(tmp_path / "街道.geojson"), "street", "code", "name", root=root)
        build(root)
        build(root)  # a second build: a pointer replaced, an older snapshot kept
    assert published(root) is not None
    kinds = {p.name.split(".", 1)[-1] for p in root.rglob("*") if p.is_file()}
    assert {"parquet", "rejected.parquet", "person.parquet", "jsonl", "duckdb"} <= kinds, kinds
    assert loose(root) == []


def test_data_folder_made_earlier_becomes_private(tmp_path, monkeypatch):
    """A data folder (and landed/) created world-readable by an older version is narrowed on next use."""
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    root = tmp_path / "data"
    (root / "landed").mkdir(parents=True, mode=0o755)
    os.chmod(root, 0o755)
    os.chmod(root / "landed", 0o755)
    with umask(0o022):
        land("regions", write_regions(tmp_path / "区划.csv"), "2025", root=root)
    assert loose(root) == []


@pytest.mark.parametrize("existing", [False, True])
def test_demo_extracts_are_private(tmp_path, existing):
    """`etl demo --out` writes names and ID numbers: the folder is 0700 before the first file exists."""
    out = tmp_path / "extracts"
    if existing:
        out.mkdir(mode=0o755)
        os.chmod(out, 0o755)
    with umask(0o022):
        assert etl_main(["demo", "--out", str(out), "--scale", "tiny", "--seed", "3"]) == 0
    assert len(list(out.glob("*.csv"))) > 3
    assert loose(out) == []


def test_the_reading_sandbox_keeps_its_working_files_private_while_it_runs(tmp_path, monkeypatch):
    """A CSV's rows sit in a DuckDB database file (and its WAL, and DuckDB's spill files) in the sandbox's work
    folder while they are checked: those files hold names and ID numbers, so they are 0600 like the rest."""
    import threading

    from tests.files import write_big_register_csv

    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    root = tmp_path / "data"
    with umask(0o022):
        land("regions", write_regions(tmp_path / "区划.csv"), "2025", root=root)
        register = write_big_register_csv(tmp_path / "台账.csv", 200_000)
        seen: dict[str, int] = {}
        done = threading.Event()

        def watch():  # what the work folder holds at any moment of the landing
            while not done.is_set():
                for p in (root / "landed" / ".work").rglob("*"):
                    try:
                        seen[p.name] = stat.S_IMODE(p.lstat().st_mode)
                    except FileNotFoundError:
                        pass
                done.wait(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            land("civil_register", register, "2026H1", root=root)
        finally:
            done.set()
            watcher.join()
    assert "extract.duckdb" in seen  # the watch saw the reading, so what follows is not vacuous
    assert {name: oct(mode) for name, mode in seen.items() if mode & 0o077} == {}
