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


# A ledger that names its streets and communities: the names are resolved over their distinct values and joined
# back to the file's rows. DuckDB must build that join's hash table on the (small) lookup, not on the file.
LEDGER_HEADER = ["序号", "公民身份号码", "儿童姓名", "村（社区）代码", "街道", "社区", "重点对象类型", "风险等级",
                 "责任儿童主任编号", "排查日期", "是否签订委托照护协议", "实际监护人", "监护人与儿童关系", "联系人电话",
                 "就读学校（幼儿园）"]
STREETS, COMMUNITIES = 100, 100  # per street


def _named_regions(path: Path) -> Path:
    lines = ["区划代码,名称,层级,上级代码,区域类型,面积（平方公里）", "990100000000,示范市,市,,,",
             "990101000000,东湖区,区县,990100000000,主城区,120.5"]
    for s in range(1, STREETS + 1):
        lines.append(f"990101{s:03d}000,第{s}街道,街道,990101000000,,")
        lines += [f"990101{s:03d}{c:03d},第{s}街道第{c}社区,社区,990101{s:03d}000,," for c in range(1, COMMUNITIES + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _named_ledger(path: Path, n: int) -> Path:
    """`n` good key-children rows, community and street by name only (the code column blank), every column filled
    as offices fill it."""
    types, levels = ["留守儿童", "困境儿童", "流动儿童"], ["红色", "橙色", "黄色", "绿色"]
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(",".join(LEDGER_HEADER) + "\r\n")
        for i, reg in enumerate(big_register_rows(n)):
            s, c = i % STREETS + 1, i // STREETS % COMMUNITIES + 1
            f.write(",".join([str(i + 1), reg[1], reg[2], "", f"第{s}街道", f"第{s}街道第{c}社区", types[i % 3],
                              levels[i % 4], f"ZR990101{s:03d}{c:03d}1", "2025-03-30", "是", f"监护人{i}", "祖父母",
                              f"139{i:08d}", f"第{s}街道中心小学"]) + "\r\n")
    return path


def test_a_ledger_naming_its_areas_lands_within_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    rows = 340_000
    path = _named_ledger(tmp_path / "重点对象台账.csv", rows)
    root = tmp_path / "data"
    land("regions", _named_regions(tmp_path / "区划.csv"), "2025", root=root)
    monkeypatch.setenv(sandbox.MEMORY_ENV, LIMIT)
    got = land("key_children", path, "2025H1", root=root).entry
    assert (got.rows_read, got.rows_accepted, got.rows_rejected) == (rows, rows, 0)
    accepted = pq.read_table(landed_dir(root) / got.accepted_path, columns=["community_code"]).column(0)
    assert accepted.null_count == 0 and len(set(accepted.to_pylist())) == STREETS * COMMUNITIES


def test_the_rows_read_for_validation_show_the_planner_their_number(tmp_path):
    """The table validation reads is a table, not a filtering view: DuckDB's estimate of its rows is their
    number (over the view it was a few dozen, whatever the file)."""
    import re

    ext = read.read_extract(_named_ledger(tmp_path / "台账.csv", 5000), get_source("key_children"), work=tmp_path)
    con = read.duck(ext.db)
    try:
        plan = con.execute("explain select * from raw").fetchall()[0][1]
    finally:
        con.close()
    assert re.findall(r"~([\d,]+) rows", plan)[0].replace(",", "") == "5000"
