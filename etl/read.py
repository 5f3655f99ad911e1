"""Readers: turn a department extract (CSV in UTF-8/GB18030/UTF-16, .xlsx, .xls, .xlsb, .ods, or an HTML table
saved as .xls by an office system's "导出Excel") into a table of text.

The format is detected from the file's bytes and the encoding from its content, never from the
file name. Title rows above the header (and a second header row under merged cells) and blank
trailing rows are skipped. Every cell comes back as text (codes and ID numbers are never turned into
numbers); typing happens in validate.py.

What cannot be read faithfully is refused with a bilingual reason rather than guessed at: images,
PDFs, archives and HTML pages named .csv/.xls, Big5 and mixed-encoding text, files cut short,
two columns meaning the same thing, data only on a hidden sheet, formulas never calculated
(tests/corpus/ holds one file for each case).

Workbooks are measured before a reader allocates anything: the zip's uncompressed sizes (a bomb is refused)
and each sheet's used range (a cell at XFD1048576 would make the Excel reader ask for 549 GB and abort the
whole process). etl/sandbox.py runs all of this in a child process with memory and time limits besides.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import html
import itertools
import os
import re
import sys
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from settings import open_private

from .contracts import Source
from .crash import checkpoint
from .errors import ExtractError

HEADER_SCAN_ROWS = 30
ROW_NO = "_row_no"  # 1-based row number in the original file/sheet, for messages to the data officer
EXTRA = "（多出的列）"  # CSV only: what a row holds beyond the header's last column (validate rejects it)
SQL_EXTRA = "_extra"  # EXTRA's name in SQL
REJECT_COLUMNS = ("行号 row_no", "原因代码 reason_code", "原因 reason")  # first columns of the rejected rows
# A file's header may not take these names: they are the reader's and the rejected-rows file's own.
RESERVED_HEADERS = frozenset({ROW_NO, EXTRA, *REJECT_COLUMNS})
MAX_COLUMNS = 1000  # filled cells in one row; extracts have tens of columns, 16,000 is an attack or junk
# A sheet's used range (rows x columns up to its last filled cell) is held in memory as Python values:
# 20 million cells is a 1,000,000-row extract of 20 columns, more than any department sends in one file.
MAX_CELLS = 20_000_000
MAX_UNZIPPED = 2 << 30  # bytes of XML in one workbook, all parts together
MAX_RATIO = 200  # uncompressed / compressed size of one part: spreadsheet XML compresses 5-30 times, bombs 1000
MAX_HTML_BYTES = 200 << 20  # an HTML table is parsed in memory
MAX_LINE_BYTES = 32 << 20  # one CSV line; a longer cell than MAX_TEXT_CHARS rejects its row, not the file
# DuckDB's CSV buffers: by default 16 x max_line_size (512 MB each), which with a few in flight took 2 GB of the
# sandbox's address space on a large file. Two lines' worth keeps every line readable.
CSV_BUFFER_BYTES = 2 * MAX_LINE_BYTES
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
# Files that are not tables at all, told apart by their first bytes (name, Chinese name).
_MAGIC = (
    (b"\x89PNG", "PNG", "PNG 图片"), (b"%PDF", "PDF", "PDF 文档"), (b"\xff\xd8\xff", "JPEG", "JPEG 图片"),
    (b"GIF8", "GIF", "GIF 图片"), (b"Rar!", "RAR archive", "RAR 压缩包"), (b"7z\xbc\xaf", "7z archive", "7z 压缩包"),
    (b"\x1f\x8b", "gzip archive", "gzip 压缩包"),
)
csv.field_size_limit(sys.maxsize)  # a 1 MB cell must reach validation (which rejects it), not crash the header scan


def sql_names(columns: list[str]) -> list[str]:
    """Generated SQL names for a raw table's columns: c0, c1, … by position, ROW_NO and SQL_EXTRA.

    A file's header text never becomes SQL (it could close a quoted identifier and run a statement of
    its own): every SQL over a raw table goes through `sql_table`, which renames the columns to these.
    The header text stays Python data, for messages and the rejected-rows file's column names.
    """
    return [ROW_NO if c == ROW_NO else SQL_EXTRA if c == EXTRA else f"c{j}" for j, c in enumerate(columns)]


def sql_table(table: pa.Table) -> pa.Table:
    """The raw table with generated column names (see sql_names): what DuckDB may see of it."""
    return table.rename_columns(sql_names(table.column_names))


@dataclass
class Extract:
    """What a reader hands to validation."""

    table: pa.Table | None  # original headers (made unique) as string columns, plus ROW_NO; never given to SQL as is
    mapping: dict[str, str]  # canonical column -> original header
    fmt: str  # csv | xlsx | xlsb | ods | xls | html
    encoding: str | None = None
    header_row: int = 1  # 1-based row of the header in the file
    ignored_headers: list[str] = field(default_factory=list)
    # A CSV or workbook read in the sandbox is not held in memory: its rows are table `raw` (generated names)
    # of this DuckDB database file in the work folder, and `table` is None; db_columns are the headers as above.
    db: Path | None = None
    db_columns: list[str] = field(default_factory=list)
    db_rows: int = 0

    @property
    def column_names(self) -> list[str]:
        return list(self.table.column_names) if self.table is not None else list(self.db_columns)

    @property
    def num_rows(self) -> int:
        return self.table.num_rows if self.table is not None else self.db_rows

    def sql_table(self) -> pa.Table:
        """The table as SQL may see it: columns c0, c1, … (see sql_names)."""
        return sql_table(self.table)

    def sql_name(self, canonical: str) -> str | None:
        """The generated SQL name of the column that holds a contract column (None if the file lacks it)."""
        header = self.mapping.get(canonical)
        if header is None:
            return None
        cols = self.column_names
        return sql_names(cols)[cols.index(header)]


def normalise_header(text: object) -> str:
    """Fold a header for matching: NFKC, no spaces, no required-field stars, lower case."""
    s = unicodedata.normalize("NFKC", str(text or ""))
    s = re.sub(r"[\s*＊:：\u200b\u200c\u200d\u2060\ufeff]+", "", s)
    s = re.sub(r"\((必填|必填项|选填|可选|非必填)\)$", "", s)  # 儿童类别（必填）
    return s.lower()


def header_index(source: Source) -> dict[str, str]:
    """Normalised header text -> canonical column name."""
    index: dict[str, str] = {}
    for col in source.columns:
        for h in col.headers:
            index.setdefault(normalise_header(h), col.name)
    return index


def _utf16_guess(head: bytes) -> str | None:
    """utf-16-le/-be for BOM-less UTF-16 text: NUL bytes on one side of every ASCII character."""
    if len(head) < 8:
        return None
    n = len(head) - len(head) % 2
    even, odd = head[0:n:2].count(0), head[1:n:2].count(0)
    if max(even, odd) < max(n // 32, 4) or min(even, odd) * 4 > max(even, odd):  # a few CJK code units hold a 00 byte
        return None
    enc = "utf-16-le" if odd else "utf-16-be"
    try:
        text = head[:n].decode(enc)
    except UnicodeDecodeError:
        return None
    return enc if not any(ord(c) < 32 and c not in "\t\r\n" for c in text) else None


def _too_large(zh: str, en: str) -> ExtractError:
    return ExtractError("FILE_TOO_LARGE", zh, en)


def _zip_kind(path: Path) -> str:
    """xlsx, xlsb or ods for a workbook; otherwise raise: a zip archive or another Office document is not a
    table, and neither is a workbook that unpacks to more than any extract (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            mimetype = z.read("mimetype")[:100] if "mimetype" in z.namelist() else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        return "xlsx"  # a damaged workbook: the Excel reader says so
    names = {i.filename for i in infos}
    _check_zip_sizes(infos)
    if "xl/workbook.bin" in names:
        return "xlsb"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if mimetype.strip() == b"application/vnd.oasis.opendocument.spreadsheet":
        return "ods"
    if any(n.startswith("word/") for n in names):
        zh, en = "Word 文档", "a Word document"
    elif any(n.startswith("ppt/") for n in names):
        zh, en = "PowerPoint 文档", "a PowerPoint document"
    else:
        zh, en = "zip 压缩包", "a zip archive"
    raise ExtractError("BINARY_FILE", f"文件是{zh}，不是表格；请解压或另存为 Excel 后再导入",
                       f"the file is {en}, not a spreadsheet; extract it or save it as Excel first")


def _check_zip_sizes(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a workbook whose parts unpack to more than MAX_UNZIPPED, or one part inflating like a bomb."""
    total = sum(i.file_size for i in infos)
    bomb = next((i for i in infos if i.file_size > 10 << 20 and i.file_size > MAX_RATIO * max(i.compress_size, 1)),
                None)
    if bomb is not None or total > MAX_UNZIPPED:
        size = (bomb.file_size if bomb is not None else total) / (1 << 20)
        raise _too_large(f"文件解压后有 {size:,.0f} MB（压缩包炸弹或异常文件），超出可导入的上限；请检查文件或分成几个文件",
                         f"the workbook unpacks to {size:,.0f} MB (a zip bomb or a damaged file), over the limit;"
                         " check the file or split it")


def _html_table(head: bytes) -> bool:
    """An HTML page that holds a table (a web system's "Excel export")."""
    low = head.lower()
    return b"<table" in low


def detect_format(path: Path) -> str:
    """csv, xlsx, xlsb, ods, xls or html from the file's first bytes; raises for binary junk and empty files."""
    size = path.stat().st_size
    if size == 0:
        raise ExtractError("EMPTY_FILE", "文件为空", "the file is empty")
    with path.open("rb") as f:
        head = f.read(8192)
    if head.startswith(_ZIP):
        return _zip_kind(path)
    if head.startswith(_OLE):
        return "xls"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_guess(head):
        return "csv"
    for magic, en, zh in _MAGIC:
        if head.startswith(magic):
            raise ExtractError("BINARY_FILE", f"文件是{zh}，不是表格", f"the file is a {en}, not a spreadsheet")
    # Control characters: binary content. One NUL pasted into a cell is not (its row is rejected instead).
    control = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13, 26))
    if control > len(head) // 100:
        raise ExtractError("BINARY_FILE", "文件不是表格（含二进制内容），无法读取",
                           "not a spreadsheet or CSV (binary content)")
    low = head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    if low.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")) or b"<table" in low[:2048]:
        if _html_table(head if len(head) < 8192 else _read_head(path, 1 << 20)):
            return "html"
        raise ExtractError("HTML_FILE", "文件是网页（HTML/XML）格式，其中没有表格，不是真正的 Excel 表格；请用 Excel 打开后另存为 .xlsx 再导入",
                           "the file is an HTML/XML page without a table, not a real Excel workbook; "
                           "open it in Excel and save as .xlsx")
    return "csv"


def _read_head(path: Path, n: int) -> bytes:
    with path.open("rb") as f:
        return f.read(n)


def _cjk(text: str) -> int:
    return sum(1 for c in text if "\u4e00" <= c <= "\u9fff")


def _scan(path: Path, enc: str) -> tuple[str, int, bool]:
    """Decode the whole file (streamed): ('ok'|'bad'|'truncated', line of the first bad byte, whether
    real text (a few Chinese characters, not a stray byte pair) decoded fine before it)."""
    dec = codecs.getincrementaldecoder(enc)()
    line, cjk = 1, 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            try:
                text = dec.decode(chunk)
            except UnicodeDecodeError as e:
                good = chunk[: e.start]
                cjk += _cjk(good.decode(enc, errors="ignore"))
                return "bad", line + good.count(b"\n"), cjk >= 4
            line += chunk.count(b"\n")
            if cjk < 4:
                cjk += _cjk(text)
    try:
        dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return "truncated", line, cjk >= 4
    return "ok", line, cjk >= 4


def _truncated(line: int) -> ExtractError:
    return ExtractError("TRUNCATED_FILE", f"文件不完整（第{line}行在一个字符中间结束，可能传输或复制时被截断），请重新导出",
                        f"the file is truncated (line {line} ends inside a character); export it again")


def detect_encoding(path: Path) -> str:
    """utf-8-sig, utf-8, utf-16 or gb18030, decided by decoding the whole file (streamed).

    A file that is UTF-8 up to some line and then not (two exports pasted together) is refused
    rather than guessed at, and so is a file that ends inside a character (cut short).
    """
    with path.open("rb") as f:
        head = f.read(8192)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        enc = "utf-16"
    else:
        enc = _utf16_guess(head)
    if enc:
        state, line, _ = _scan(path, enc)
        if state == "truncated":
            raise _truncated(line)
        if state == "ok":
            return enc
    state, line, non_ascii = _scan(path, "utf-8")
    if state == "ok":
        return "utf-8"
    if non_ascii and state == "truncated":
        raise _truncated(line)
    if non_ascii:
        raise ExtractError("MIXED_ENCODING",
                           f"文件中混有不同的编码：前面是 UTF-8，第{line}行起不是；请把整个文件统一另存为 UTF-8 后再导入",
                           f"mixed encodings: UTF-8 up to line {line}, then something else; save the whole file as UTF-8")
    state, line, _ = _scan(path, "gb18030")
    if state == "ok":
        return "gb18030"
    if state == "truncated":
        raise _truncated(line)
    raise ExtractError("BAD_ENCODING", f"文件编码无法识别（应为 UTF-8 或 GB18030，第{line}行有无法识别的字节）",
                       f"unreadable text encoding (expected UTF-8 or GB18030; bad bytes on line {line})")


def _big5_hint(path: Path, enc: str) -> ExtractError | None:
    """A Big5 (traditional Chinese) file decodes as GB18030 into rare characters: say so."""
    if enc != "gb18030":
        return None
    with path.open("rb") as f:
        head = f.read(1 << 16)
    try:
        codecs.getincrementaldecoder("big5")().decode(head)  # not final: the sample may end mid-character
    except UnicodeDecodeError:
        return None
    text = head.decode("gb18030", errors="ignore")
    cjk = [c for c in text if ord(c) >= 0x2E80]
    rare = 0
    for c in cjk:
        try:
            c.encode("gb2312")
        except UnicodeEncodeError:
            rare += 1
    if cjk and rare / len(cjk) > 0.3:
        return ExtractError("BAD_ENCODING", "文件似乎是繁体中文 Big5 编码；请另存为 UTF-8 或 GB18030（简体）后再导入",
                            "the file looks like Big5 (traditional Chinese); save it as UTF-8 or GB18030 first")
    return None


def _check_width(rows: list[list[object]]) -> None:
    """Refuse a file with more filled cells in a row than any extract has (before any work per column)."""
    widest = max((sum(1 for c in r if c is not None and c != "") for r in rows[:HEADER_SCAN_ROWS]), default=0)
    if widest > MAX_COLUMNS:
        raise ExtractError("TOO_MANY_COLUMNS", f"文件有一行填了{widest}列，超过上限{MAX_COLUMNS}列；请只保留本表需要的列",
                           f"a row fills {widest} columns, more than the limit of {MAX_COLUMNS}; keep only the table's columns")


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


def _header_rows(rows: list[list[object]], hdr: int, hits: dict[str, int], index: dict[str, str],
                 source: Source) -> tuple[list[object], dict[str, int], int]:
    """The header cells, column hits and number of header rows (1, or 2 for a two-level header).

    Government forms often have a two-level header: 现居住地 merged over 街道 | 社区 on the next row,
    the other headers merged down over both rows. The second row counts when every cell it holds is
    a header the contract knows, under a cell of the first row that is not itself a header. Two
    columns naming the same contract column are refused (which one holds the data?).
    """
    top = list(rows[hdr])
    n_rows = 1
    if hdr + 1 < len(rows):
        sub = rows[hdr + 1]
        filled = [(j, c) for j, c in enumerate(sub) if normalise_header(c)]
        names = [(j, index.get(normalise_header(c))) for j, c in filled]
        if names and all(n for _, n in names) and all(
                j >= len(top) or not index.get(normalise_header(top[j])) for j, _ in names):
            top += [None] * (len(sub) - len(top))
            for j, _ in names:
                top[j] = sub[j]
            n_rows = 2
    seen: dict[str, list[int]] = {}
    for j, cell in enumerate(top):
        name = index.get(normalise_header(cell))
        if name:
            seen.setdefault(name, []).append(j)
    dup = {n: js for n, js in seen.items() if len(js) > 1}
    if dup:
        n, js = next(iter(dup.items()))
        cols = "、".join(f"第{j + 1}列" for j in js)
        raise ExtractError("DUPLICATE_COLUMNS",
                           f"表头中有{len(js)}列都是“{source.column(n).label}”（{cols}），请删除或改名多余的列",
                           f"{len(js)} header columns all mean {n} (columns {', '.join(str(j + 1) for j in js)}); "
                           "delete or rename the extra ones")
    return top, {n: js[0] for n, js in seen.items()}, n_rows


def _check_required(source: Source, mapping: dict[str, str]) -> None:
    missing = [c for c in source.columns if c.required and c.name not in mapping]
    groups = [g for g in source.require_any if not any(n in mapping for n in g)]
    if missing or groups:
        zh = [c.label for c in missing] + ["或".join(source.column(n).label for n in g) for g in groups]
        en = [c.name for c in missing] + [" or ".join(g) for g in groups]
        raise ExtractError("MISSING_COLUMNS", "缺少必需的列：" + "、".join(zh),
                           "missing required columns: " + ", ".join(en))


def _unique_headers(header: list[object]) -> list[str]:
    """Header texts made unique (备注, 备注_2, …; a blank one is 列N), never one of RESERVED_HEADERS."""
    taken = set(RESERVED_HEADERS)
    out = []
    for j, h in enumerate(header):
        name = str(h).strip() if h not in (None, "") else ""
        name = name or f"列{j + 1}"
        base, n = name, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        out.append(name)
    return out


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def _to_utf8(path: Path, enc: str, work: Path | None) -> Path:
    """A UTF-8 copy of a GB18030/UTF-16 file for DuckDB's read_csv (the caller deletes it).

    It holds names and ID numbers: it goes into the private work folder the sandbox gives (under the data
    folder, swept after a crash), or, for a direct call without one, a 0600 file in the system temp folder.
    """
    if work is not None:
        tmp = Path(work) / f"utf8-{os.urandom(8).hex()}.csv"
        fd = open_private(tmp)
    else:
        fd, name = tempfile.mkstemp(suffix=".csv")
        tmp = Path(name)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out, path.open("r", encoding=enc, newline="") as src:
        while chunk := src.read(1 << 22):
            out.write(chunk)
    return tmp


def _last_line_short(path: Path, delim: str, width: int) -> int | None:
    """The line number of a last line cut short (no line ending, fewer fields than the header)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - (1 << 16)))
        tail = f.read()
    if not tail or tail.endswith((b"\n", b"\r")):
        return None
    last = re.split(rb"\r\n|\r|\n", tail)[-1].decode("utf-8", errors="replace")
    if not last.strip(" \t,;|") or last.count('"') % 2:
        return None
    fields = next(csv.reader([last], delimiter=delim), [])
    if len(fields) >= width:
        return None
    with path.open("rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    return lines + 1


DUCKDB_CONFIG: dict[str, object] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def duck(db: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB for reading and validation (etl/sandbox.py caps its memory in the child): in memory, or the
    database file `db` of a reading in the work folder, whose tables DuckDB keeps on disk beyond the limit."""
    return duckdb.connect(str(db) if db is not None else ":memory:", config=dict(DUCKDB_CONFIG))


def _csv_sql(width: int) -> tuple[str, dict[str, str]]:
    # One column more than the header catches rows with extra fields (an unquoted comma shifts a row).
    cols = {f"c{j}": "VARCHAR" for j in range(width + 1)}
    return ("read_csv(?, auto_detect=false, delim=?, header=false, skip=?, columns=?, quote='\"',"
            " escape='\"', null_padding=true, strict_mode=false, ignore_errors=false, encoding='utf-8', nullstr='',"
            " parallel=?, max_line_size=?, buffer_size=?)"), cols


def _duck_csv(path: Path, delim: str, skip: int, width: int, parallel: bool,
              db: Path | None = None) -> pa.Table | None:
    """The CSV's rows as text columns c0…c<width>: an Arrow table, or (db given) table `csv_rows` of that
    database file, in file order, so that a table's rowid is the row's position among the data lines."""
    sql, cols = _csv_sql(width)
    params = [str(path), delim, skip, cols, parallel, MAX_LINE_BYTES, CSV_BUFFER_BYTES]
    con = duck(db)
    try:
        if db is None:
            return con.sql(f"select * from {sql}", params=params).to_arrow_table()
        con.execute("set preserve_insertion_order = true")
        con.execute(f"create or replace table csv_rows as select * from {sql}", params)
        return None
    finally:
        con.close()


def _read_csv(path: Path, source: Source, work: Path | None) -> Extract:
    enc = detect_encoding(path)
    index = header_index(source)
    with path.open("r", encoding=enc, newline="") as f:
        head_lines = [f.readline(1 << 24) for _ in range(HEADER_SCAN_ROWS)]
    head_lines = [ln for ln in head_lines if ln != ""]
    if not any(ln.strip(" \t\r\n,;|\ufeff") for ln in head_lines):
        raise ExtractError("EMPTY_FILE", "文件没有内容", "the file has no content")
    delim = _sniff_delimiter(max(head_lines, key=lambda ln: sum(ln.count(d) for d in ",\t;|")))
    rows = list(csv.reader(head_lines, delimiter=delim))
    _check_width(rows)
    try:
        hdr, hits = _find_header(rows, index)
    except ExtractError:
        raise _big5_hint(path, enc) or ExtractError(
            "NO_HEADER", "在文件前30行中找不到可识别的表头", "no recognisable header row in the first 30 rows") from None
    top, hits, n_hdr = _header_rows(rows, hdr, hits, index, source)
    header = _unique_headers(top)
    skip = hdr + n_hdr  # title rows + header (multi-line cells above the data are not supported)
    if len(head_lines) < HEADER_SCAN_ROWS and not any(ln.strip(" \t\r\n,;|") for ln in head_lines[skip:]):
        raise ExtractError("EMPTY_FILE", "文件只有表头，没有数据行", "the file has a header but no data rows")
    utf8_path, tmp = path, None
    if enc not in ("utf-8", "utf-8-sig"):
        tmp = utf8_path = _to_utf8(path, enc, work)
        checkpoint("read:utf8_copy")  # a reader killed here leaves the copy behind: see etl/sandbox.py
    try:
        short = _last_line_short(utf8_path, delim, len(header))
        if short:
            raise ExtractError("TRUNCATED_FILE",
                               f"文件不完整：最后一行（第{short}行）只有部分列且没有换行，可能传输或复制时被截断，请重新导出",
                               f"the file looks truncated: the last line ({short}) stops part-way; export it again")
        db = Path(work) / "extract.duckdb" if work is not None else None
        try:
            try:
                table = _duck_csv(utf8_path, delim, skip, len(header), parallel=True, db=db)
            except duckdb.Error as e:
                if "parallel" not in str(e):
                    raise
                table = _duck_csv(utf8_path, delim, skip, len(header), parallel=False, db=db)  # quoted line breaks
        except duckdb.Error as e:
            if "Maximum line size" in str(e):  # no real table row is that long
                mb = MAX_LINE_BYTES >> 20
                raise ExtractError("LINE_TOO_LONG", f"文件中有一行超过 {mb}MB（可能整段文字或二进制内容粘进了单元格），无法读取",
                                   f"a line is longer than {mb} MB (text or binary content pasted into a cell)") from None
            first = " ".join(str(e).split())[:200]
            raise ExtractError("UNREADABLE_CSV", f"CSV 文件无法解析：{first}", f"cannot parse CSV: {first}") from None
    finally:
        if tmp:
            os.unlink(tmp)
    if db is not None:
        return _finish_db(db, header, hits, source, enc, hdr + 1, skip)
    table = table.rename_columns(header + [EXTRA])
    if table.column(EXTRA).null_count == table.num_rows:
        table = table.drop_columns([EXTRA])
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
        # Beyond 15 digits Excel has already lost precision: keep the E notation so validation can say so.
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _uncalculated_formulas(path: Path, sheet: str) -> dict[int, int]:
    """Formula cells with no calculated value in an xlsx sheet, per 0-based column.

    Workbooks written by programs (not saved by Excel/WPS) hold formulas without results; every
    reader then sees blank cells where the user sees values in Excel.
    """
    try:
        with zipfile.ZipFile(path) as z:
            wb = z.read("xl/workbook.xml").decode("utf-8", errors="replace")
            rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
            rid = next((m.group(2) for m in re.finditer(r'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', wb)
                        if m.group(1) == sheet), None)
            target = next((m.group(2) for m in re.finditer(r'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"',
                                                           rels) if m.group(1) == rid), None)
            if target is None:
                return {}
            name = target.lstrip("/") if target.startswith("/") else "xl/" + target
            pattern = re.compile(rb'<c r="([A-Z]+)[0-9]+"[^>]*>\s*<f[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v></v>)?\s*</c>')
            counts: dict[int, int] = {}
            carry = b""
            with z.open(name) as f:
                while chunk := f.read(1 << 22):
                    buf = carry + chunk
                    cut = buf.rfind(b"</c>") + 4 if b"</c>" in buf else 0
                    for m in pattern.finditer(buf, 0, cut):
                        j = _col_index(m.group(1).decode())
                        counts[j] = counts.get(j, 0) + 1
                    carry = buf[cut:]
            return counts
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}


def _col_letters(j: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 16383 -> XFD)."""
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _check_used_range(sheet: str, rows: int, cols: int) -> None:
    """Refuse a used range wider than MAX_COLUMNS or bigger than MAX_CELLS, before a reader allocates it."""
    if cols > MAX_COLUMNS:
        raise ExtractError("TOO_MANY_COLUMNS",
                           f"工作表“{sheet}”中远至第{cols}列（{_col_letters(cols - 1)}列）有内容，超过上限{MAX_COLUMNS}列；"
                           "请删除表格右侧多余的内容后再导入",
                           f"sheet {sheet!r} has content as far right as column {cols} ({_col_letters(cols - 1)}), "
                           f"more than the limit of {MAX_COLUMNS}; delete the stray cells on the right")
    if rows * cols > MAX_CELLS:
        raise _too_large(f"工作表“{sheet}”的使用范围有{rows:,}行×{cols}列，超过一次可导入的{MAX_CELLS:,}个单元格；"
                         "请删除多余的行列或分成几个文件",
                         f"sheet {sheet!r} spans {rows:,} rows x {cols} columns, more than the {MAX_CELLS:,} cells one "
                         "file may hold; delete stray rows and columns or split the file")


# A filled cell as Excel, WPS and most libraries write it: r first, not empty (`<c r="B2" s="1"/>` is only a style).
_XLSX_CELL = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(?<!/)>(?!</)')
_XLSX_OTHER_CELL = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c(?:>|\s+(?!r="))')  # a cell without r first
_XLSX_TAG = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?(row|c)\b([^>]*?)(/?)>(</)?')
_R_ATTR = re.compile(rb'\br="([A-Z]{0,3})([0-9]{0,7})"')


def _xlsx_extent(f) -> tuple[int, int]:
    """(rows, columns) up to the last filled cell of a worksheet's XML, read in chunks."""
    max_row = max_col = 0
    slow = False
    carry = b""
    while chunk := f.read(1 << 22):
        buf = carry + chunk
        cut = buf.rfind(b">") + 1
        part, carry = buf[:cut], buf[cut:]
        if len(carry) > 1 << 20:  # no tag ends in a megabyte: not spreadsheet XML
            raise ExtractError("UNREADABLE_EXCEL", "Excel 文件内容异常，无法读取", "the workbook's XML is malformed")
        found = _XLSX_CELL.findall(part)
        if found:
            letters, numbers = zip(*found)
            col = max(set(letters), key=lambda c: (len(c), c))
            max_col = max(max_col, _col_index(col.decode()) + 1)
            max_row = max(max_row, max(map(int, set(numbers))))
        if not slow and _XLSX_OTHER_CELL.search(part):
            slow = True
            break
    if not slow:
        return max_row, max_col
    f.seek(0)
    return _xlsx_extent_slow(f)


def _xlsx_extent_slow(f) -> tuple[int, int]:
    """The same for XML whose cells lack r (positions follow the previous cell), one tag at a time."""
    max_row = max_col = 0
    row = col = 0
    carry = b""
    while chunk := f.read(1 << 22):
        buf = carry + chunk
        cut = buf.rfind(b">") + 1
        part, carry = buf[:cut], buf[cut:]
        for m in _XLSX_TAG.finditer(part):
            tag, attrs, empty, closed = m.groups()
            r = _R_ATTR.search(attrs)
            if tag == b"row":
                row = int(r.group(2)) if r and r.group(2) else row + 1
                col = 0
                continue
            if r and r.group(1):
                col = _col_index(r.group(1).decode()) + 1
                row = int(r.group(2)) if r.group(2) else row
            else:
                col += 1
            if not empty and not closed:
                max_row, max_col = max(max_row, row), max(max_col, col)
    return max_row, max_col


def _ods_extent(f) -> dict[str, tuple[int, int]]:
    """(rows, columns) up to the last filled cell of each table of an OpenDocument content.xml.

    Repeated rows and cells (number-rows-repeated="1048576") are how LibreOffice writes blank space; filled
    ones repeated that way are what would make the reader allocate the whole sheet.
    """
    import xml.etree.ElementTree as ET

    t = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    o = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
    out: dict[str, tuple[int, int]] = {}
    name, row, extent = "", 0, (0, 0)
    try:
        for event, el in ET.iterparse(f, events=("start", "end")):
            if event == "start":
                if el.tag == t + "table":
                    name, row, extent = el.get(t + "name", ""), 0, (0, 0)
                continue
            if el.tag == t + "table-row":
                width = col = 0
                for cell in el:
                    n = _repeat(cell.get(t + "number-columns-repeated"))
                    col += n
                    if cell.get(o + "value-type") is not None or len(cell):
                        width = col
                reps = _repeat(el.get(t + "number-rows-repeated"))
                row += reps
                if width:
                    extent = (row, max(extent[1], width))
                el.clear()
            elif el.tag == t + "table":
                out[name] = extent
                el.clear()
    except ET.ParseError:
        return out  # the reader says what is wrong with it
    return out


def _repeat(text: str | None) -> int:
    try:
        return max(1, int(text or 1))
    except ValueError:
        return 1


def _xlsb_extent(f) -> tuple[int, int]:
    """(rows, columns) up to the last filled cell of an .xlsb worksheet (binary records: type, size, data)."""
    max_row = max_col = row = 0
    data = f.read()  # bounded by the zip check: at most MAX_UNZIPPED
    i, n = 0, len(data)
    while i < n:
        typ = data[i]
        i += 1
        if typ & 0x80:
            if i >= n:
                break
            typ = (typ & 0x7F) + ((data[i] & 0x7F) << 7)
            i += 1
        size, shift = 0, 0
        for _ in range(4):
            if i >= n:
                return max_row, max_col
            b = data[i]
            i += 1
            size += (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        rec = data[i:i + size]
        i += size
        if typ == 0x0000 and len(rec) >= 4:  # BrtRowHdr
            row = int.from_bytes(rec[:4], "little")
        elif 0x0002 <= typ <= 0x000B and len(rec) >= 4:  # filled cell records (0x0001 is a blank cell)
            max_row = max(max_row, row + 1)
            max_col = max(max_col, int.from_bytes(rec[:4], "little") + 1)
    return max_row, max_col


def _check_workbook_extent(path: Path, fmt: str) -> None:
    """Measure every worksheet of an xlsx/xlsb/ods before the reader builds it (see _check_used_range)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if fmt == "xlsx":
                shown = _xlsx_sheet_parts(z)
                for name in names:
                    if re.fullmatch(r"xl/worksheets/[^/]+\.xml", name):
                        with z.open(name) as f:
                            _check_used_range(shown.get(name, Path(name).stem), *_xlsx_extent(f))
            elif fmt == "xlsb":
                for name in names:
                    if re.fullmatch(r"xl/worksheets/[^/]+\.bin", name):
                        with z.open(name) as f:
                            _check_used_range(Path(name).stem, *_xlsb_extent(f))
            elif fmt == "ods" and "content.xml" in names:
                with z.open("content.xml") as f:
                    for sheet, extent in _ods_extent(f).items():
                        _check_used_range(sheet, *extent)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        return  # a damaged workbook: the reader says so


def _xlsx_sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part (xl/worksheets/sheet1.xml) -> the sheet's name as Excel shows it."""
    try:
        wb = z.read("xl/workbook.xml")[: 1 << 20].decode("utf-8", errors="replace")
        rels = z.read("xl/_rels/workbook.xml.rels")[: 1 << 20].decode("utf-8", errors="replace")
    except KeyError:
        return {}
    targets = {m.group(1): m.group(2) for m in
               re.finditer(r'<Relationship\b[^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"', rels)}
    out = {}
    for m in re.finditer(r'<sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"', wb):
        target = targets.get(m.group(2))
        if target:
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            out[part] = html.unescape(m.group(1))
    return out


def _calamine_sheets(path: Path, fmt: str):
    """(sheet name, visible, rows) for each sheet of a workbook, read by python-calamine. `rows` iterates the
    sheet's rows as lists of cells from its first row and column (as Excel numbers them), made one row at a
    time: a sheet's cells are never all Python objects at once (the reader itself holds the sheet, ~100 bytes a
    cell, which MAX_CELLS bounds)."""
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

    if fmt in ("xlsx", "xlsb", "ods"):
        _check_workbook_extent(path, fmt)
    broken = (CalamineError, XmlError, ZipError, OSError, ValueError)
    try:
        with path.open("rb") as f:  # by content: the reader would otherwise go by the file's name
            wb = CalamineWorkbook.from_filelike(f) if fmt != "xls" else CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise ExtractError("ENCRYPTED_EXCEL", "Excel 文件设有密码，请去除密码后再导入",
                           "the workbook is password-protected; remove the password first") from None
    except broken as e:
        raise ExtractError("UNREADABLE_EXCEL", f"Excel 文件已损坏或不完整，无法打开：{str(e)[:120]}",
                           f"cannot open Excel file (damaged or incomplete): {str(e)[:120]}") from None
    visible = {m.name: str(m.visible).rsplit(".", 1)[-1] == "Visible" for m in wb.sheets_metadata}
    for name in wb.sheet_names:
        try:
            sheet = wb.get_sheet_by_name(name)
        except broken as e:
            raise ExtractError("UNREADABLE_EXCEL", f"工作表“{name}”无法读取：{str(e)[:100]}",
                               f"cannot read sheet {name!r}: {str(e)[:100]}") from None
        yield name, visible.get(name, True), _sheet_rows(sheet)


def _sheet_rows(sheet):
    """A calamine sheet's rows as `to_python(skip_empty_area=False)` gives them, one at a time: iter_rows starts
    at the sheet's first row but at its first used column, so the columns left of it are put back (a cell's
    column index is the one the sheet's XML and the messages use)."""
    left = [""] * (sheet.start[1] if sheet.start else 0)
    for row in sheet.iter_rows():
        yield left + row if left else row


class _TableParser:
    """The cells of every <table> of an HTML page, merged cells (colspan/rowspan) kept at their top-left
    position as Excel keeps them. Nested tables are not a plain table: `nested` says so."""

    def __init__(self) -> None:
        from html.parser import HTMLParser

        outer = self

        class P(HTMLParser):
            def handle_starttag(self, tag, attrs):
                outer.start(tag, dict(attrs))

            def handle_endtag(self, tag):
                outer.end(tag)

            def handle_data(self, data):
                if outer.cell is not None:
                    outer.cell.append(data)

        self.parser = P(convert_charrefs=True)
        self.tables: list[list[list[str | None]]] = []
        self.depth = 0
        self.nested = False
        self.cell: list[str] | None = None
        self.rows: list[list[str | None]] = []
        self.taken: dict[tuple[int, int], bool] = {}
        self.span = (1, 1)

    def start(self, tag: str, attrs: dict) -> None:
        if tag == "table":
            self.depth += 1
            if self.depth > 1:
                self.nested = True
            else:
                self.rows, self.taken = [], {}
        elif self.depth == 1 and tag == "tr":
            self.close_cell()
            self.rows.append([])
        elif self.depth == 1 and tag in ("td", "th"):
            self.close_cell()
            if not self.rows:
                self.rows.append([])
            self.cell = []
            self.span = (min(_repeat(attrs.get("rowspan")), 1000), min(_repeat(attrs.get("colspan")), MAX_COLUMNS + 1))
        elif self.cell is not None and tag in ("br", "p", "div"):
            self.cell.append(" ")

    def end(self, tag: str) -> None:
        if tag == "table" and self.depth:
            if self.depth == 1:
                self.close_cell()
                self.tables.append(self.rows)
            self.depth -= 1
        elif self.depth == 1 and tag in ("td", "th", "tr"):
            self.close_cell()

    def close_cell(self) -> None:
        if self.cell is None:
            return
        text = " ".join("".join(self.cell).split()) or None
        self.cell = None
        i = len(self.rows) - 1
        row = self.rows[i]
        j = len(row)
        while self.taken.get((i, j)):
            row.append(None)
            j += 1
        row.append(text)
        rs, cs = self.span
        row.extend([None] * (cs - 1))
        if len(row) > MAX_COLUMNS + 1:
            raise ExtractError("TOO_MANY_COLUMNS", f"网页表格有一行超过{MAX_COLUMNS}列，请只保留本表需要的列",
                               f"an HTML table row has more than {MAX_COLUMNS} columns; keep only the table's columns")
        for di in range(1, rs):
            for dj in range(cs):
                self.taken[(i + di, j + dj)] = True

    def feed(self, text: str) -> None:
        self.parser.feed(text)
        self.parser.close()


def _html_sheets(path: Path):
    """An office system's "导出Excel": an HTML page holding one plain table, named .xls."""
    if path.stat().st_size > MAX_HTML_BYTES:
        raise _too_large(f"网页格式的表格超过 {MAX_HTML_BYTES >> 20}MB，请用 Excel 打开后另存为 .xlsx 再导入",
                         f"the HTML table is over {MAX_HTML_BYTES >> 20} MB; open it in Excel and save it as .xlsx")
    enc = detect_encoding(path)
    p = _TableParser()
    p.feed(path.read_text(encoding=enc))
    tables = [t for t in p.tables if any(any(c for c in r) for r in t)]
    if p.nested or len(tables) != 1:
        why_zh, why_en = ("表格里嵌套着表格", "tables nested in tables") if p.nested else \
            (f"有{len(tables)}个表格", f"{len(tables)} tables")
        raise ExtractError("HTML_FILE", f"文件是网页（HTML）格式，{why_zh}，不是一个简单的表格；请用 Excel 打开后另存为 .xlsx 再导入",
                           f"the file is an HTML page with {why_en}, not one plain table; "
                           "open it in Excel and save as .xlsx")
    yield "网页表格", True, iter(tables[0])


def _has_text(rows) -> bool:
    return any(_cell_text(v) for r in rows for v in r)


def _read_sheets(path: Path, source: Source, fmt: str, sheets, work: Path | None) -> Extract:
    """Pick the visible sheet whose header names the most contract columns, and read its rows: into memory, or
    (work given) a batch at a time into a DuckDB database file there, as a CSV is (see _rows_to_db)."""
    index = header_index(source)
    chosen = hidden = None
    any_rows = False
    for name, is_visible, rows in sheets:
        head = list(itertools.islice(rows, HEADER_SCAN_ROWS + 1))  # + 1: a two-level header's second row
        if not _has_text(head) and not any(_has_text((r,)) for r in rows):
            continue
        any_rows = True
        _check_width(head)
        try:
            hdr, hits = _find_header(head, index)
        except ExtractError:
            continue
        if not is_visible:  # data nobody sees in Excel does not land unannounced
            hidden = hidden or name
            continue
        if chosen is None or len(hits) > len(chosen[4]):
            chosen = (name, head, rows, hdr, hits)  # only the best sheet so far is kept open
    if chosen is None and hidden:
        raise ExtractError("HIDDEN_SHEET", f"数据在隐藏的工作表“{hidden}”中；请取消隐藏（或移到可见的工作表）后再导入",
                           f"the data is on the hidden sheet {hidden!r}; unhide it first")
    if chosen is None and not any_rows:
        raise ExtractError("EMPTY_FILE", "工作簿中的工作表都是空的", "every sheet of the workbook is empty")
    if chosen is None:
        raise ExtractError("NO_HEADER", "工作簿中没有找到可识别表头的工作表",
                           "no sheet with a recognisable header row")
    sheet, head, rest, hdr, hits = chosen
    top, hits, n_hdr = _header_rows(head, hdr, hits, index, source)
    header = _unique_headers(top)
    width, skip = len(header), hdr + n_hdr
    body = itertools.chain(head[skip:], rest)
    if work is not None:
        db = Path(work) / "extract.duckdb"
        blank = _rows_to_db(body, width, db)
        if fmt == "xlsx":
            _check_formulas(path, sheet, source, hits, blank)
        return _finish_db(db, header, hits, source, None, hdr + 1, skip, fmt)
    rows = list(body)
    arrays = dict(zip(header, _text_columns(rows, width)))
    arrays[ROW_NO] = pa.array(range(skip + 1, skip + 1 + len(rows)), pa.int64())
    if fmt == "xlsx":
        _check_formulas(path, sheet, source, hits, {j for j, h in enumerate(header) if arrays[h].null_count})
    return _finish(pa.table(arrays), header, hits, source, fmt, None, hdr + 1)


def _text_columns(rows: list[list[object]], width: int) -> list[pa.Array]:
    """Rows of cells as `width` text columns (_cell_text), each row cut or padded to the width."""
    if not rows:
        return [pa.array([], pa.string()) for _ in range(width)]
    if any(len(r) != width for r in rows):
        rows = [(r + [None] * width)[:width] for r in rows]
    # Most cells are text: those skip the call (the same result as _cell_text, a tenth of a landing's time).
    return [pa.array([v if v.__class__ is str and v.strip() else _cell_text(v) for v in col], pa.string())
            for col in zip(*rows)]


def _rows_to_db(rows, width: int, db: Path, batch: int = 65_536) -> set[int]:
    """Write a sheet's data rows as text into table `csv_rows` (c0…c<width>, the last one empty: a sheet has no
    cells beyond its header's width that a CSV's extra field would be) of the database file `db`, in order, so
    that a row's rowid is its place below the header; returns the columns with a blank cell."""
    names = [f"c{j}" for j in range(width)]
    con = duck(db)
    try:
        con.execute("set preserve_insertion_order = true")
        con.execute(f"create or replace table csv_rows ({', '.join(f'c{j} varchar' for j in range(width + 1))})")
        blank: set[int] = set()
        while chunk := list(itertools.islice(rows, batch)):
            arrays = _text_columns(chunk, width)
            blank |= {j for j, a in enumerate(arrays) if a.null_count}
            con.register("batch_rows", pa.table(arrays, names=names))
            con.execute("insert into csv_rows select *, null from batch_rows")
            con.unregister("batch_rows")
        return blank
    finally:
        con.close()


def _read_excel(path: Path, source: Source, fmt: str, work: Path | None) -> Extract:
    sheets = _html_sheets(path) if fmt == "html" else _calamine_sheets(path, fmt)
    return _read_sheets(path, source, fmt, sheets, work)


def _check_formulas(path: Path, sheet: str, source: Source, hits: dict[str, int], blank: set[int]) -> None:
    """Refuse a workbook whose required columns are blank because their formulas were never calculated.
    `blank`: the columns (0-based, as in the sheet) with a blank data cell."""
    required = [c for c in source.columns if c.required and c.name in hits]
    if not any(hits[c.name] in blank for c in required):
        return  # the usual case: nothing blank where it matters, no need to look at the XML
    counts = _uncalculated_formulas(path, sheet)
    bad = [(c, counts[hits[c.name]]) for c in required if counts.get(hits[c.name])]
    if bad:
        col, n = bad[0]
        raise ExtractError("FORMULA_NOT_CALCULATED",
                           f"“{col.label}”列有{n}个公式单元格没有计算结果（文件由程序生成、未经 Excel 保存）；"
                           "请用 Excel 或 WPS 打开并保存后再导入",
                           f"{n} formula cells in column {col.name} have no calculated value (never saved by Excel);"
                           " open and save the workbook in Excel or WPS first")


def _finish(table: pa.Table, header: list[str], hits: dict[str, int], source: Source, fmt: str,
            enc: str | None, header_row: int) -> Extract:
    mapping = {name: header[j] for name, j in hits.items()}
    _check_required(source, mapping)
    # Columns with neither a header nor a value (Excel's used range gone wide) are not data.
    used = set(mapping.values())
    phantom = {h for h in header if h not in used and re.fullmatch(r"列\d+", h)
               and table.column(h).null_count == table.num_rows}
    if phantom:
        table = table.drop_columns(list(phantom))
        header = [h for h in header if h not in phantom]
    # Drop blank rows (trailing or in between) and repeated header rows.
    con = duck()
    con.register("t", sql_table(table))
    names = dict(zip(table.column_names, sql_names(table.column_names)))
    blank = " and ".join(f"coalesce(trim({names[h]}), '') = ''" for h in header) or "false"
    first = mapping[next(iter(mapping))]
    table = con.sql(
        f"select * from t where not ({blank}) and coalesce({names[first]}, '') <> ? order by {ROW_NO}",
        params=[first]).to_arrow_table().rename_columns(table.column_names)
    con.close()
    if table.num_rows == 0:
        raise ExtractError("EMPTY_FILE", "文件只有表头，没有数据行", "the file has a header but no data rows")
    ignored = [h for h in header if h not in mapping.values()]
    return Extract(table, mapping, fmt, enc, header_row, ignored)


def _finish_db(db: Path, header: list[str], hits: dict[str, int], source: Source, enc: str | None,
               header_row: int, skip: int, fmt: str = "csv") -> Extract:
    """`_finish` for rows read into the database file `db` (table `csv_rows`, see _duck_csv and _rows_to_db): the
    same columns dropped and rows left out, into table `raw` with the generated names of what remains."""
    mapping = {name: header[j] for name, j in hits.items()}
    _check_required(source, mapping)
    width = len(header)
    con = duck(db)
    try:
        con.execute("set preserve_insertion_order = true")
        counts = con.execute(f"select {', '.join(f'count(c{j})' for j in range(width + 1))} from csv_rows"
                             ).fetchall()[0]
        used = set(mapping.values())
        kept = [j for j, h in enumerate(header)
                if not (h not in used and re.fullmatch(r"列\d+", h) and counts[j] == 0)]
        columns = [header[j] for j in kept] + ([EXTRA] if counts[width] else []) + [ROW_NO]
        names = sql_names(columns)
        src = [f"c{j}" for j in kept] + ([f"c{width}"] if counts[width] else [])
        select = [f"{a} as {b}" for a, b in zip(src, names)] + [f"rowid + {skip + 1} as {ROW_NO}"]
        blank = " and ".join(f"coalesce(trim(c{j}), '') = ''" for j in kept) or "false"
        first = mapping[next(iter(mapping))]
        # A table, not a view over csv_rows: the planner then knows how many rows there are. Over a view whose
        # filter compares with a value it cannot see, it guessed a few dozen, built its hash join for the
        # name lookup on the file's rows instead of the lookup's, and a 1M-row ledger ran out of memory.
        # The first header's text (a repeated header row is left out) is a parameter, never SQL text.
        con.execute(f"create or replace table raw as select {', '.join(select)} from csv_rows "
                    f"where not ({blank}) and coalesce(c{header.index(first)}, '') <> ?", [first])
        con.execute("drop table csv_rows")
        rows = con.execute("select count(*) from raw").fetchall()[0][0]
    finally:
        con.close()
    if rows == 0:
        raise ExtractError("EMPTY_FILE", "文件只有表头，没有数据行", "the file has a header but no data rows")
    ignored = [h for h in header if h not in mapping.values()]
    return Extract(None, mapping, fmt, enc, header_row, ignored, db=db, db_columns=columns, db_rows=rows)


def read_extract(path: Path, source: Source, work: Path | None = None) -> Extract:
    """Read any supported extract for a source; raises ExtractError for file-level problems.

    work: a private folder for the UTF-8 copy of a GB18030/UTF-16 file (etl/sandbox.py gives one under the
    data folder); without it the copy is a 0600 file in the system temp folder, deleted when done. With it, the
    rows of a CSV or a workbook go into a DuckDB database file there instead of memory (Extract.db), so that
    reading and validating a file of any length stays within the sandbox's memory limit (an HTML table, at
    most MAX_HTML_BYTES, is parsed whole first).
    """
    path = Path(path)
    if path.is_dir():
        raise ExtractError("NO_FILE", f"这是一个文件夹，不是文件：{path.name}", f"this is a folder, not a file: {path.name}")
    if not path.is_file():
        raise ExtractError("NO_FILE", f"找不到文件：{path}", f"file not found: {path}")
    try:
        fmt = detect_format(path)
        if fmt == "csv":
            return _read_csv(path, source, work)
        return _read_excel(path, source, fmt, work)
    except PermissionError:
        raise ExtractError("UNREADABLE_FILE", "没有读取该文件的权限，请检查文件权限后再导入",
                           "permission denied reading the file; check its permissions") from None
    except MemoryError:
        raise _too_large("文件太大，读取时内存不足；请分成几个文件再导入",
                         "the file is too large to read in the memory allowed; split it") from None
    except OSError as e:
        raise ExtractError("UNREADABLE_FILE", f"文件无法读取（{e.strerror or type(e).__name__}）",
                           f"the file cannot be read ({e.strerror or type(e).__name__})") from None
