"""Landing in bounded memory: a CSV's or a workbook's rows are checked in a DuckDB database file in the sandbox's work folder and
written out a batch at a time, so a file far larger than the sandbox's memory limit lands, complete and the same.

Reading the whole file into memory, as landing once did, needs many times the file's size: a 1,000,000-row GB18030
register (75 MB) then ran out of a 2 GB sandbox, while the bounded path lands it in 1.2 GB. The comparison is with
the in-process path, which still reads into memory (only files this product wrote itself take it).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import xlsxwriter
import yaml

from etl import read, sandbox
from etl.contracts import get_source
from etl.errors import ExtractError
from etl.land import land
from etl.landed import landed_dir
from tests.files import REGISTER_HEADER, big_register_rows, write_big_register_csv, write_regions

CORPUS = Path(__file__).parent / "corpus"

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


# Workbooks: in the sandbox a sheet's rows go into the work folder's database a batch at a time, as a CSV's do,
# and read exactly as the in-memory path reads them.
CORPUS_CASES = {c["file"]: c for c in yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))}
WORKBOOKS = sorted(f for f, c in CORPUS_CASES.items() if f.endswith((".xlsx", ".xls", ".xlsb", ".ods"))
                   and c.get("generated") != "at_test_time")


def _rows(ext) -> list[dict]:
    if ext.db is None:
        return ext.sql_table().to_pylist()
    con = read.duck(ext.db)
    try:
        return con.sql(f"select * from raw order by {read.ROW_NO}").to_arrow_table().to_pylist()
    finally:
        con.close()


@pytest.mark.parametrize("name", WORKBOOKS)
def test_a_workbook_read_for_landing_is_on_disk_and_reads_as_in_memory(name, tmp_path):
    source = get_source(CORPUS_CASES[name]["source"])
    path = CORPUS / "files" / name
    try:
        mem = read.read_extract(path, source)
    except ExtractError as e:
        with pytest.raises(ExtractError) as got:
            read.read_extract(path, source, work=tmp_path)
        assert got.value.code == e.code
        return
    disk = read.read_extract(path, source, work=tmp_path)
    assert disk.table is None and disk.db == tmp_path / "extract.duckdb"
    assert (disk.fmt, disk.header_row, disk.mapping, disk.ignored_headers, disk.column_names, disk.num_rows) == \
        (mem.fmt, mem.header_row, mem.mapping, mem.ignored_headers, mem.column_names, mem.num_rows)
    assert _rows(disk) == _rows(mem)


def _offset_workbook(path: Path) -> Path:
    """Title in C2, header in C4 (nothing in columns A and B), a date, a number and a blank row in between."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("台账")
    ws.write_string(1, 2, "示范市流动儿童台账")
    for j, h in enumerate(REGISTER_HEADER):
        ws.write_string(3, 2 + j, h)
    for i, row in enumerate(big_register_rows(3)):
        r = 4 + i + (i == 2)
        for j, v in enumerate(row):
            ws.write_string(r, 2 + j, v)
    ws.write_datetime(4, 2 + REGISTER_HEADER.index("出生日期"), dt.datetime(2012, 1, 1),  # the first row's, as a date
                      wb.add_format({"num_format": "yyyy-mm-dd"}))
    wb.close()
    return path


def test_a_sheets_rows_stream_as_the_whole_sheet_reads(tmp_path):
    """Row by row, a sheet gives the cells the whole-sheet read gives, at the same row and column: the streamed
    rows start at the first used column, and the columns to its left are put back."""
    from python_calamine import CalamineWorkbook

    files = [_offset_workbook(tmp_path / "offset.xlsx")] + [CORPUS / "files" / n for n in WORKBOOKS
                                                            if n.endswith((".ods", ".xlsb", "title.xls"))]
    for path in files:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            whole = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            assert list(read._sheet_rows(wb.get_sheet_by_name(name))) == whole, (path.name, name)
    wb = CalamineWorkbook.from_path(str(files[0]))
    assert wb.get_sheet_by_name("台账").start == (1, 2)  # the case the padding is for


def test_an_offset_workbook_lands_through_the_sandbox_as_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    path = _offset_workbook(tmp_path / "台账.xlsx")
    a, b = _root(tmp_path, "sandbox"), _root(tmp_path, "process")
    got = land("civil_register", path, "2026H1", root=a).entry
    want = land("civil_register", path, "2026H1", root=b, isolate=False).entry
    assert (got.rows_read, got.rows_accepted, got.fmt) == (3, 3, "xlsx")
    x, y = _landed(a, got), _landed(b, want)
    for k in x:
        assert x[k].equals(y[k]), k
    assert x["accepted"].column("birth_date").to_pylist()[0] == dt.date(2012, 1, 1)
    assert list(sandbox.work_root(a).iterdir()) == []
