"""Hostile files: no text from a file (header, cell, sheet name) ever becomes SQL.

Each file goes through `etl.land.preview` (the upload page) and `etl.land.land` (the CLI and the upload
page's confirm). Either it lands with the hostile text kept as data (a column name or a value of the
rejected-rows file) or it fails with one bilingual line and writes nothing; never a traceback, never a
file outside the data folder, never a statement of the file's choosing.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import xlsxwriter

from etl.errors import ExtractError
from etl.land import land, preview
from etl.landed import landed_dir, load_log_path, read_load_log
from tests.corpus.make_corpus import HEADER, good_rows

SOURCE, PERIOD = "civil_register", "2026H1"
BAD_ID = "12345"  # one row rejected, so the rejected-rows file holds the hostile columns


def _escape(stmt: str) -> str:
    """A header that closes the identifier and expression the reader used to splice it into, runs stmt,
    and reopens them so the rest of the generated statement still parses."""
    return f"""x"), '') = '') ; {stmt}; SELECT * FROM t WHERE (not (coalesce(trim("x"""


def hostile_texts(tmp: Path) -> dict[str, str]:
    """Name → hostile text; statements that would leave a trace write under tmp (outside the data folder)."""
    return {
        "copy": _escape(f"COPY (SELECT 42 AS pwned) TO '{tmp / 'pwned.csv'}'"),
        "attach": _escape(f"ATTACH '{tmp / 'pwned.duckdb'}' AS pwned"),
        "read_text": _escape("SELECT * FROM read_text('/etc/passwd')"),
        "read_csv": "x\") from read_csv('/etc/passwd') --",
        "lone_double_quote": '备注"说明',
        "single_quote": "备注'说明",
        "semicolon": "a; DROP TABLE raw; --",
        "comment": "备注 /* note */ -- tail",
        "backslash": "备注\\'",
        # headers equal to internal column names
        "extra": "（多出的列）",
        "row_no": "_row_no",
        "reason_code_zh": "原因代码 reason_code",
        "row_no_zh": "行号 row_no",
        "reason_zh": "原因 reason",
        "reason_code": "reason_code",
        "positional": "c0",
        "typed": "v_child_name",
        "code": "_code",
        "names": "res_msg",
    }


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def register_rows(extra: list[str]) -> list[list[str]]:
    """Three good rows and one with a bad ID, each with the extra cells."""
    rows = [r + extra for r in good_rows()]
    bad = good_rows()[0]
    bad[0], bad[1] = "4", BAD_ID
    return rows + [bad + extra]


def xlsx_file(path: Path, header: list[str], rows: list[list[str]], sheet: str = "台账") -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet(sheet)
    ws.write_string(0, 0, "示范市流动儿童台账（测试）")  # a title row above the header
    for j, h in enumerate(header):
        ws.write_string(1, j, h)
    for i, r in enumerate(rows, start=2):
        for j, v in enumerate(r):
            ws.write_string(i, j, v)
    wb.close()
    return path


def outside(tmp: Path, root: Path) -> set[Path]:
    """Every file under tmp that is not in the data folder."""
    return {p for p in tmp.rglob("*") if p.is_file() and root not in p.parents}


def landed_state(root: Path) -> tuple[list[str], str]:
    files = sorted(str(p.relative_to(root)) for p in landed_dir(root).rglob("*") if p.is_file() and p.name != ".lock")
    log = load_log_path(root).read_bytes().decode() if load_log_path(root).exists() else ""
    return files, log


def one_line(e: ExtractError) -> None:
    assert e.zh and e.en and "\n" not in str(e) and "Traceback" not in str(e)


def land_both(source: str, path: Path, root: Path, tmp: Path):
    """Preview, then land; returns the landing (or the ExtractError). Asserts the shared promises."""
    before_out, before_landed = outside(tmp, root), landed_state(root)
    try:
        p = preview(source, path, PERIOD if source == SOURCE else "2025", root=root)
    except ExtractError as e:
        one_line(e)
        p = e
    assert landed_state(root) == before_landed, "preview wrote something"
    try:
        out = land(source, path, PERIOD if source == SOURCE else "2025", root=root, user="hostile")
    except ExtractError as e:
        one_line(e)
        assert isinstance(p, ExtractError) and p.code == e.code
        assert landed_state(root) == before_landed, "a failed landing wrote something"
        out = e
    else:
        assert not isinstance(p, ExtractError), f"preview failed ({p}) where landing succeeded"
        assert (p.rows_accepted, p.rows_rejected) == (out.entry.rows_accepted, out.entry.rows_rejected)
    assert outside(tmp, root) == before_out, "a file was written outside the data folder"
    return out


def rejected_table(root: Path, out):
    return pq.read_table(landed_dir(root) / out.entry.rejected_path)


def assert_kept_as_data(root: Path, out, header: str, value: str, row: int = 5) -> None:
    """The landing took the three good rows, and the rejected-rows file holds the hostile header (as a
    column name, made unique if it equals one of the file's own reason columns) and the hostile value."""
    assert out.entry is not None and (out.entry.rows_accepted, out.entry.rows_rejected) == (3, 1)
    rej = rejected_table(root, out)
    names = rej.column_names
    assert names[:3] == ["行号 row_no", "原因代码 reason_code", "原因 reason"]
    assert rej.column("原因代码 reason_code").to_pylist() == ["ID_FORMAT"]
    assert rej.column("行号 row_no").to_pylist() == [row]  # the bad row's line in the file
    cols = [n for n in names[3:] if n == header or n.startswith(header + "_")]
    assert cols, f"{header!r} not among {names}"
    assert rej.column(cols[0]).to_pylist() == [value]
    assert rej.column("身份证号").to_pylist() == [BAD_ID]


CSV_CASES = [(n, "utf-8") for n in hostile_texts(Path("/x"))] + \
    [(n, "gb18030") for n in ("copy", "lone_double_quote", "extra", "reason_code_zh")]


@pytest.mark.parametrize("name, encoding", CSV_CASES)
def test_hostile_header_in_csv_lands_as_data(root, tmp_path, name, encoding):
    text = hostile_texts(tmp_path)[name]
    path = tmp_path / "台账.csv"
    # A column headed x too, so a spliced statement would bind and run.
    path.write_bytes(csv_bytes(HEADER + ["x", text], register_rows(["1", text]), encoding))
    out = land_both(SOURCE, path, root, tmp_path)
    assert not isinstance(out, ExtractError), out
    assert_kept_as_data(root, out, text, text)
    assert not (tmp_path / "pwned.csv").exists() and not (tmp_path / "pwned.duckdb").exists()
    e = next(e for e in read_load_log(root) if e["source"] == SOURCE)
    assert e["rows_read"] == 4


@pytest.mark.parametrize("name", list(hostile_texts(Path("/x"))))
def test_hostile_header_in_xlsx_with_title_row_lands_as_data(root, tmp_path, name):
    text = hostile_texts(tmp_path)[name]
    path = xlsx_file(tmp_path / "台账.xlsx", HEADER + ["x", text], register_rows(["1", text]))
    out = land_both(SOURCE, path, root, tmp_path)
    assert_kept_as_data(root, out, text, text, row=6)  # under a title row
    assert not (tmp_path / "pwned.csv").exists() and not (tmp_path / "pwned.duckdb").exists()


def test_hostile_values_in_mapped_columns_are_data(root, tmp_path):
    """Names, codes and categories that look like SQL are values: rejected or kept, never run."""
    evil = hostile_texts(tmp_path)["copy"]
    rows = good_rows()
    rows[0][2] = evil  # child name: text, lands as a value of the person file
    rows[1][5] = "990101001002'; " + evil  # community code: unknown division, rejected with the value
    rows[2][6] = "流动儿童' or '1'='1"  # category: not in the enumeration
    path = tmp_path / "台账.csv"
    path.write_bytes(csv_bytes(HEADER, rows))
    out = land_both(SOURCE, path, root, tmp_path)
    assert (out.entry.rows_accepted, out.entry.rows_rejected) == (1, 2)
    rej = rejected_table(root, out)
    assert sorted(rej.column("原因代码 reason_code").to_pylist()) == ["BAD_ENUM", "UNKNOWN_DIVISION"]
    assert rows[1][5] in rej.column("社区代码").to_pylist()
    assert any("990101001002';" in m for m in rej.column("原因 reason").to_pylist())  # cleaned: no spaces
    person = pq.read_table(landed_dir(root) / out.entry.person_path)
    assert person.column("child_name").to_pylist() == [evil]
    assert not (tmp_path / "pwned.csv").exists()


def test_hostile_department_names_are_data(root, tmp_path):
    """Values checked against the department list (a lookup) go in as a registered table, not as text."""
    evil = "区教体局'); " + hostile_texts(tmp_path)["copy"]
    header = ["计划编号", "措施编号", "指标名称", "目标值", "截止日期", "牵头单位", "指标类型"]
    rows = [["P1", "1", "指标甲", "90", "2026-12-31", "区教体局", "填报"],
            ["P1", "2", "指标乙", "90", "2026-12-31", evil, "填报"]]
    path = tmp_path / "计划指标表_2025.csv"
    path.write_bytes(csv_bytes(header, rows))
    out = land_both("plan_indicators", path, root, tmp_path)
    assert (out.entry.rows_accepted, out.entry.rows_rejected) == (1, 1)
    rej = rejected_table(root, out)
    assert rej.column("原因代码 reason_code").to_pylist() == ["UNKNOWN_DEPARTMENT"]
    assert rej.column("牵头单位").to_pylist() == [evil]
    assert not (tmp_path / "pwned.csv").exists()


def test_duplicate_and_generated_looking_headers_stay_apart(root, tmp_path):
    """备注, 备注_2, 备注 and a blank header: four columns, four distinct names, each with its own value."""
    extra_h = ["备注", "备注_2", "备注", "", "列10"]
    path = tmp_path / "台账.csv"
    path.write_bytes(csv_bytes(HEADER + extra_h, register_rows(["a", "b", "c", "d", "e"])))
    out = land_both(SOURCE, path, root, tmp_path)
    rej = rejected_table(root, out)
    names = rej.column_names
    assert len(names) == len(set(names)) == 3 + len(HEADER) + len(extra_h)
    values = {n: rej.column(n).to_pylist()[0] for n in names[3 + len(HEADER):]}
    assert sorted(values.values()) == ["a", "b", "c", "d", "e"]
    assert values["备注"] == "a" and values["备注_2"] == "b"


def test_nul_bytes_fail_cleanly_or_land_as_data(root, tmp_path):
    for i, (header, cell) in enumerate([("备注\x00", "v"), ("备注", "值\x00'); --")]):
        path = tmp_path / f"nul{i}.csv"
        path.write_bytes(csv_bytes(HEADER + [header], register_rows([cell])))
        out = land_both(SOURCE, path, root, tmp_path)
        if isinstance(out, ExtractError):
            assert out.code == "BINARY_FILE"
        else:
            assert_kept_as_data(root, out, header, cell)
    path = xlsx_file(tmp_path / "nul.xlsx", HEADER + ["备注"], register_rows(["值\x00'); --"]))
    out = land_both(SOURCE, path, root, tmp_path)
    assert isinstance(out, ExtractError) or out.entry.rows_accepted == 3


def test_sheet_name_with_quotes_is_only_data(root, tmp_path):
    sheet = "台账\"x'; COPY --1"
    path = xlsx_file(tmp_path / "台账.xlsx", HEADER + ["备注"], register_rows(["v"]), sheet=sheet)
    out = land_both(SOURCE, path, root, tmp_path)
    assert_kept_as_data(root, out, "备注", "v", row=6)


def test_sixteen_thousand_columns_fail_fast_with_one_line(root, tmp_path):
    extra = [f"备注{j}" for j in range(16_000 - len(HEADER))]
    path = tmp_path / "宽表.csv"
    path.write_bytes(csv_bytes(HEADER + extra, register_rows(["v"] * len(extra))))
    out = land_both(SOURCE, path, root, tmp_path)
    assert isinstance(out, ExtractError) and out.code == "TOO_MANY_COLUMNS"
    assert "16000" in out.zh and "16000" in out.en


def test_a_360_byte_file_name_lands_under_its_hash(root, tmp_path):
    """A name longer than the file system allows (120 Chinese characters, 360 bytes) comes with an upload as
    data: the period is guessed from it, the load log keeps it (shortened), nothing on disk is named after it."""
    long_name = "示范市流动儿童台账" * 13 + "_2026年上半年.csv"
    assert len(long_name.encode()) > 255
    path = tmp_path / "upload"
    path.write_bytes(csv_bytes(HEADER, good_rows()))
    p = preview(SOURCE, path, root=root, file_name=long_name)
    assert (p.period, p.rows_accepted) == (PERIOD, 3) and p.file_name == long_name
    out = land(SOURCE, path, root=root, file_name=long_name)
    assert out.entry.period == PERIOD and out.entry.rows_accepted == 3
    logged = read_load_log(root)[-1]["file_name"]
    assert logged.startswith("示范市流动儿童台账") and logged.endswith(".csv") and len(logged) <= 120
    for p in root.rglob("*"):
        assert len(p.name.encode()) < 100 and "示范市" not in p.name
    assert land(SOURCE, path, root=root, file_name=long_name).already is not None


def test_file_name_is_only_a_name(root, tmp_path):
    """A name with folders, control characters or quotes is kept as a plain name, never a path."""
    path = tmp_path / "upload"
    path.write_bytes(csv_bytes(HEADER, good_rows()))
    out = land(SOURCE, path, PERIOD, root=root, file_name="../../etc/x'\n\x00\"台账.csv")
    assert out.entry.file_name == "x' \"台账.csv"
