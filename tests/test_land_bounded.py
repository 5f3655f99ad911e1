"""Landing in bounded memory: a CSV's rows are checked in a DuckDB database file in the sandbox's work folder and
written out a batch at a time, so a file far larger than the sandbox's memory limit lands, complete and the same.

Reading the whole file into memory, as landing once did, needs many times the file's size: a 1,000,000-row GB18030
register (75 MB) then ran out of a 2 GB sandbox, while the bounded path lands it in 1.2 GB. The comparison is with
the in-process path, which still reads into memory (only files this product wrote itself take it).
"""
from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from etl import sandbox
from etl.land import land
from etl.landed import landed_dir
from tests.files import write_big_register_csv, write_regions

ROWS = 1_000_000
LIMIT = "1500MB"  # the child's address space; its libraries alone reserve about 0.5 GB of it


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    return write_big_register_csv(tmp_path_factory.mktemp("big") / "台账.csv", ROWS, encoding="gb18030")


def _root(tmp_path, name):
    r = tmp_path / name
    land("regions", write_regions(tmp_path / f"{name}-区划.csv"), "2025", root=r)
    return r


def _landed(root, entry) -> dict:
    files = {"accepted": entry.accepted_path, "rejected": entry.rejected_path, "persons": entry.person_path}
    return {k: pq.read_table(landed_dir(root) / v) for k, v in files.items()}


def test_a_file_bigger_than_the_memory_limit_allows_in_memory_lands_whole_and_the_same(big_csv, tmp_path,
                                                                                        monkeypatch):
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    free = _root(tmp_path, "free")
    want = land("civil_register", big_csv, "2026H1", root=free, isolate=False).entry  # in process, no limit
    limited = _root(tmp_path, "limited")
    monkeypatch.setenv(sandbox.MEMORY_ENV, LIMIT)
    got = land("civil_register", big_csv, "2026H1", root=limited).entry
    assert (got.rows_read, got.rows_accepted, got.rows_rejected) == (ROWS, ROWS, 0)
    assert (got.fmt, got.encoding, got.reasons) == (want.fmt, want.encoding, want.reasons)
    a, b = _landed(limited, got), _landed(free, want)
    for k in a:
        assert a[k].equals(b[k]), k
    assert list(sandbox.work_root(limited).iterdir()) == []
