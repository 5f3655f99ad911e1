"""Readers: turn a department extract (CSV in UTF-8/GB18030, .xlsx, .xls) into a table of text.

The format is detected from the file's bytes and the encoding from its content, never from the
file name. Title rows above the header and blank trailing rows are skipped. Every cell comes back
as text (codes and ID numbers are never turned into numbers); typing happens in validate.py.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from .contracts import Source
from .errors import ExtractError

HEADER_SCAN_ROWS = 30
ROW_NO = "_row_no"  # 1-based row number in the original file/sheet, for messages to the data officer
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"


@dataclass
class Extract:
    """What a reader hands to validation."""

    table: pa.Table  # original headers (made unique) as string columns, plus ROW_NO
    mapping: dict[str, str]  # canonical column -> original header
    fmt: str  # csv | xlsx | xls
    encoding: str | None = None
    header_row: int = 1  # 1-based row of the header in the file
    ignored_headers: list[str] = field(default_factory=list)


def normalise_header(text: object) -> str:
    """Fold a header for matching: NFKC, no spaces, no required-field stars, lower case."""
    s = unicodedata.normalize("NFKC", str(text or ""))
    s = re.sub(r"[\s*＊:：]+", "", s)
    return s.lower()


def header_index(source: Source) -> dict[str, str]:
    """Normalised header text -> canonical column name."""
    index: dict[str, str] = {}
    for col in source.columns:
        for h in col.headers:
            index.setdefault(normalise_header(h), col.name)
    return index


def detect_format(path: Path) -> str:
    """csv, xlsx or xls from the file's first bytes; raises for binary junk and empty files."""
    size = path.stat().st_size
    if size == 0:
        raise ExtractError("EMPTY_FILE", "文件为空", "the file is empty")
    with path.open("rb") as f:
        head = f.read(8192)
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_OLE):
        return "xls"
    if b"\x00" in head:
        raise ExtractError("BINARY_FILE", "文件不是表格（含二进制内容），无法读取",
                           "not a spreadsheet or CSV (binary content)")
    return "csv"


def detect_encoding(path: Path) -> str:
    """utf-8-sig, utf-8 or gb18030, decided by decoding the whole file (streamed)."""
    with path.open("rb") as f:
        if f.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
    for enc in ("utf-8", "gb18030"):
        dec = codecs.getincrementaldecoder(enc)()
        try:
            with path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    dec.decode(chunk)
                dec.decode(b"", final=True)
            return enc
        except UnicodeDecodeError:
            continue
    raise ExtractError("BAD_ENCODING", "文件编码无法识别（应为 UTF-8 或 GB18030）",
                       "unreadable text encoding (expected UTF-8 or GB18030)")


def _find_header(rows: list[list[object]], index: dict[str, str]) -> tuple[int, dict[str, int]]:
    """Pick the row among the first few that names the most contract columns."""
    best, best_hits = -1, {}
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits: dict[str, int] = {}
        for j, cell in enumerate(row):
            name = index.get(normalise_header(cell))
            if name and name not in hits:
                hits[name] = j
        if len(hits) > len(best_hits):
            best, best_hits = i, hits
    if best < 0:
        raise ExtractError("NO_HEADER", "在文件前30行中找不到可识别的表头",
                           "no recognisable header row in the first 30 rows")
    return best, best_hits


def _check_required(source: Source, mapping: dict[str, str]) -> None:
    missing = [c for c in source.columns if c.required and c.name not in mapping]
    groups = [g for g in source.require_any if not any(n in mapping for n in g)]
    if missing or groups:
        zh = [c.label for c in missing] + ["或".join(source.column(n).label for n in g) for g in groups]
        en = [c.name for c in missing] + [" or ".join(g) for g in groups]
        raise ExtractError("MISSING_COLUMNS", "缺少必需的列：" + "、".join(zh),
                           "missing required columns: " + ", ".join(en))


def _unique_headers(header: list[object]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for j, h in enumerate(header):
        name = str(h).strip() if h not in (None, "") else f"列{j + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def _read_csv(path: Path, source: Source) -> Extract:
    enc = detect_encoding(path)
    index = header_index(source)
    with path.open("r", encoding=enc, newline="") as f:
        head_lines = [f.readline() for _ in range(HEADER_SCAN_ROWS)]
    head_lines = [ln for ln in head_lines if ln != ""]
    if not any(ln.strip() for ln in head_lines):
        raise ExtractError("EMPTY_FILE", "文件没有内容", "the file has no content")
    delim = _sniff_delimiter(max(head_lines, key=lambda ln: sum(ln.count(d) for d in ",\t;|")))
    rows = list(csv.reader(io.StringIO("".join(head_lines)), delimiter=delim))
    hdr, hits = _find_header(rows, index)
    header = _unique_headers(rows[hdr])
    skip = hdr + 1  # title rows + header (multi-line cells above the data are not supported)
    if len(head_lines) < HEADER_SCAN_ROWS and not any(ln.strip(" \t\r\n,;|") for ln in head_lines[skip:]):
        raise ExtractError("EMPTY_FILE", "文件只有表头，没有数据行", "the file has a header but no data rows")
    utf8_path, tmp = path, None
    if enc == "gb18030":
        fd, tmp = tempfile.mkstemp(suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out, path.open("r", encoding=enc, newline="") as src:
            while chunk := src.read(1 << 22):
                out.write(chunk)
        utf8_path = Path(tmp)
    try:
        con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
        cols = {f"c{j}": "VARCHAR" for j in range(len(header))}
        try:
            table = con.sql(
                "select * from read_csv(?, delim=?, header=false, skip=?, columns=?, quote='\"', escape='\"',"
                " null_padding=true, strict_mode=false, ignore_errors=false, encoding='utf-8', nullstr='')",
                params=[str(utf8_path), delim, skip, cols],
            ).to_arrow_table()
        except duckdb.Error as e:
            first = str(e).splitlines()[0][:200]
            raise ExtractError("UNREADABLE_CSV", f"CSV 文件无法解析：{first}", f"cannot parse CSV: {first}") from None
        finally:
            con.close()
    finally:
        if tmp:
            os.unlink(tmp)
    table = table.rename_columns(header)
    row_no = pa.array(range(skip + 1, skip + 1 + table.num_rows), pa.int64())
    table = table.append_column(ROW_NO, row_no)
    return _finish(table, header, hits, source, "csv", enc, hdr + 1)


def _cell_text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v if v.strip() else None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _read_excel(path: Path, source: Source, fmt: str) -> Extract:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

    index = header_index(source)
    broken = (CalamineError, XmlError, ZipError, OSError, ValueError)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise ExtractError("ENCRYPTED_EXCEL", "Excel 文件设有密码，请去除密码后再导入",
                           "the workbook is password-protected; remove the password first") from None
    except broken as e:
        raise ExtractError("UNREADABLE_EXCEL", f"Excel 文件无法打开：{str(e)[:120]}",
                           f"cannot open Excel file: {str(e)[:120]}") from None
    chosen = None
    for name in wb.sheet_names:
        try:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except broken as e:
            raise ExtractError("UNREADABLE_EXCEL", f"工作表“{name}”无法读取：{str(e)[:100]}",
                               f"cannot read sheet {name!r}: {str(e)[:100]}") from None
        if not rows:
            continue
        try:
            hdr, hits = _find_header(rows, index)
        except ExtractError:
            continue
        if chosen is None or len(hits) > len(chosen[2]):
            chosen = (rows, hdr, hits)
    if chosen is None:
        raise ExtractError("NO_HEADER", "工作簿中没有找到可识别表头的工作表",
                           "no sheet with a recognisable header row")
    rows, hdr, hits = chosen
    header = _unique_headers(rows[hdr])
    width = len(header)
    body = rows[hdr + 1:]
    columns = list(zip(*[(r + [None] * width)[:width] for r in body])) if body else [()] * width
    arrays = {h: pa.array([_cell_text(v) for v in col], pa.string()) for h, col in zip(header, columns)}
    arrays[ROW_NO] = pa.array(range(hdr + 2, hdr + 2 + len(body)), pa.int64())
    return _finish(pa.table(arrays), header, hits, source, fmt, None, hdr + 1)


def _finish(table: pa.Table, header: list[str], hits: dict[str, int], source: Source, fmt: str,
            enc: str | None, header_row: int) -> Extract:
    mapping = {name: header[j] for name, j in hits.items()}
    _check_required(source, mapping)
    # Drop blank rows (trailing or in between) and repeated header rows.
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.register("t", table)
    blank = " and ".join(f"coalesce(trim(\"{h}\"), '') = ''" for h in header) or "false"
    first = mapping[next(iter(mapping))]
    table = con.sql(
        f"select * from t where not ({blank}) and coalesce(\"{first}\", '') <> ? order by {ROW_NO}", params=[first]
    ).to_arrow_table()
    con.close()
    if table.num_rows == 0:
        raise ExtractError("EMPTY_FILE", "文件只有表头，没有数据行", "the file has a header but no data rows")
    ignored = [h for h in header if h not in mapping.values()]
    return Extract(table, mapping, fmt, enc, header_row, ignored)


def read_extract(path: Path, source: Source) -> Extract:
    """Read any supported extract for a source; raises ExtractError for file-level problems."""
    path = Path(path)
    if not path.is_file():
        raise ExtractError("NO_FILE", f"找不到文件：{path}", f"file not found: {path}")
    fmt = detect_format(path)
    if fmt == "csv":
        return _read_csv(path, source)
    return _read_excel(path, source, fmt)
