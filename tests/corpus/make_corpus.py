"""Write the bad-input corpus (tests/corpus/files/) and its expected outcomes (tests/corpus/expected.yaml).

Synthetic data only: fake names (测试甲…), ID numbers with a valid GB 11643 check digit from
tests/files.py `make_id` or deliberately broken. Deterministic: running it twice writes the same bytes.

    .venv/bin/python tests/corpus/make_corpus.py

Each case is (file name, writer, expectation). Expectations are what a data officer should see, written
here by hand from the file's content, not from what the code does:
  outcome: landed   → rows_read / accepted / rejected and reasons {code: rows}; optionally
                      ids (the ID numbers whose linkage keys land), names (child names in the person
                      file), values {column: accepted values, any order}, reason_text {code: fragment},
                      overlap (rows already in the landing in force)
  outcome: error    → code, and fragments of the Chinese (zh) and English (en) message
  outcome: already  → the identical file was landed before (listed in `before`)
`before` lists corpus files landed first in the same data folder; `generated: at_test_time` marks a
case whose file is too big to commit (test_corpus.py writes it with the function named in `generator`).
"""
from __future__ import annotations

import codecs
import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import xlsxwriter
import yaml
from xlsxwriter.utility import xl_col_to_name as _col  # column letters: not etl.read's own code

from tests.files import make_id, wrong_check

OUT = HERE / "files"
PERIOD = "2026H1"
SOURCE = "civil_register"
HEADER = ["序号", "身份证号", "姓名", "性别", "出生日期", "社区代码", "儿童类别"]
FIXED_TIME = dt.datetime(2026, 1, 1, 8, 0, 0)

A = make_id("20150304", 1)
B = make_id("20120506", 2, male=False)
C = make_id("20180101", 3)
D = make_id("20160708", 4, male=False)
X = make_id("20150304", 19)  # ends in X
assert X.endswith("X")


def good_rows() -> list[list[str]]:
    """Three good rows (one per community of the small test region table)."""
    return [
        ["1", A, "测试甲", "男", "2015-03-04", "990101001001", "流动儿童"],
        ["2", B, "测试乙", "女", "2012-05-06", "990101001002", "留守儿童"],
        ["3", C, "测试丙", "男", "2018-01-01", "990101002001", "流动儿童"],
    ]


def text(header=HEADER, rows=None, sep=",", nl="\n", titles=()) -> str:
    rows = good_rows() if rows is None else rows
    lines = list(titles) + [sep.join(header)] + [sep.join(r) for r in rows]
    return nl.join(lines) + nl


def put(name: str, data: bytes | str, encoding: str = "utf-8") -> None:
    (OUT / name).write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def workbook(name: str) -> xlsxwriter.Workbook:
    wb = xlsxwriter.Workbook(str(OUT / name))
    wb.set_properties({"created": FIXED_TIME, "author": "测试"})
    return wb


def write_table(ws, header, rows, top: int = 0) -> None:
    for j, h in enumerate(header):
        ws.write_string(top, j, h)
    for i, r in enumerate(rows, start=top + 1):
        for j, v in enumerate(r):
            ws.write_string(i, j, v)


# ---- writers -------------------------------------------------------------------------------------
def w_utf8(n):
    put(n, text())


def w_utf8_bom(n):
    put(n, codecs.BOM_UTF8 + text().encode())


def w_gbk(n):
    put(n, text(titles=["示范市流动儿童台账（测试）"]), "gbk")


def w_gb18030_rare(n):
    rows = good_rows()
    rows[0][2] = "测试䶮"  # not in GBK
    put(n, text(rows=rows), "gb18030")


def w_big5(n):
    header = ["序號", "身份證號", "姓名", "性別", "出生日期", "社區代碼", "兒童類別"]
    rows = [[r[0], r[1], r[2].replace("测试", "測試"), r[3], r[4], r[5], r[6].replace("儿", "兒").replace("动", "動")] for r in good_rows()]
    put(n, text(header, rows), "big5")


def w_utf16le_bom_tab(n):  # Excel's "Unicode 文本" export: UTF-16LE with BOM, tab-separated, CRLF
    put(n, codecs.BOM_UTF16_LE + text(sep="\t", nl="\r\n").encode("utf-16-le"))


def w_utf16be_bom(n):
    put(n, codecs.BOM_UTF16_BE + text().encode("utf-16-be"))


def w_utf16le_nobom(n):
    put(n, text().encode("utf-16-le"))


def w_latin1(n):
    put(n, "Numéro;Nom;Prénom;Né le;Catégorie\n1;Dupré;Zoé;2015-03-04;é\n2;Lefèvre;Chloé;2012-05-06;è\n", "latin-1")


def w_mixed(n):
    head = text(rows=good_rows()[:2]).encode("utf-8")
    tail = f"3,{C},测试丙,男,2018-01-01,990101002001,流动儿童\n".encode("gbk")
    put(n, head + tail)


def w_trunc_row(n):
    data = text()
    put(n, data[: data.rindex(C) + len(C)])  # last row cut right after the ID


def w_trunc_char(n):
    data = text().encode()
    cut = data.rindex("测试丙".encode()) + 4  # inside the second character's three bytes
    put(n, data[:cut])


def w_trunc_xlsx(n):
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"created": FIXED_TIME})
    ws = wb.add_worksheet("台账")
    write_table(ws, HEADER, good_rows() * 20)
    wb.close()
    data = buf.getvalue()
    put(n, data[: len(data) // 2])


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201e226059b0000000049454e44ae426082")


def w_png(n):
    put(n, PNG)


def w_pdf(n):
    put(n, b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] "
           b"/Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def w_zip(n):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        zi = zipfile.ZipInfo("台账.csv", date_time=(2026, 1, 1, 0, 0, 0))
        z.writestr(zi, text())
    put(n, buf.getvalue())


def w_html_xls(n):  # a web system's "Excel export": an HTML table named .xls
    cells = "".join(f"<td>{h}</td>" for h in HEADER)
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for r in good_rows())
    put(n, f"<html><head><meta charset='utf-8'></head><body><table><tr>{cells}</tr>{body}</table></body></html>")


def w_empty(n):
    put(n, b"")


def w_blank_lines(n):
    put(n, "\r\n  \r\n,,,\r\n\r\n")


def w_header_only(n):
    put(n, ",".join(HEADER) + "\n")


def w_header_only_xlsx(n):
    wb = workbook(n)
    write_table(wb.add_worksheet("台账"), HEADER, [])
    wb.close()


def w_dup_headers(n):
    header = HEADER + ["身份证号"]
    rows = [r + [make_id("20150304", 30 + i)] for i, r in enumerate(good_rows())]
    put(n, text(header, rows))


def w_dup_unmapped(n):
    header = HEADER + ["备注", "备注"]
    rows = [r + ["测试备注一", "测试备注二"] for r in good_rows()]
    put(n, text(header, rows))


def w_missing_required(n):
    put(n, text(HEADER[:-1], [r[:-1] for r in good_rows()]))


def w_no_header(n):
    put(n, "测试表\n甲,乙,丙\n1,2,3\n4,5,6\n")


def w_merged_header(n):
    wb = workbook(n)
    ws = wb.add_worksheet("台账")
    ws.merge_range(0, 0, 0, 7, "示范市流动儿童监测摸排台账（测试）")
    for j, h in enumerate(["序号", "身份证号", "姓名", "性别", "出生日期"]):
        ws.merge_range(1, j, 2, j, h)
    ws.merge_range(1, 5, 1, 6, "现居住地")
    ws.write_string(2, 5, "街道")
    ws.write_string(2, 6, "社区")
    ws.merge_range(1, 7, 2, 7, "儿童类别")
    rows = [[r[0], r[1], r[2], r[3], r[4], s, c, r[6]]
            for r, (s, c) in zip(good_rows(), [("滨江街道", "桃园社区"), ("滨江街道", "柳岸社区"), ("工业园街道", "桃园社区")])]
    for i, r in enumerate(rows, start=3):
        for j, v in enumerate(r):
            ws.write_string(i, j, v)
    wb.close()


def w_title_rows_csv(n):
    put(n, text(titles=["示范市流动儿童监测摸排台账（测试）", "填报单位：测试街道,,,,,,", "填报日期：2026年6月30日,,,,,,"]),
        "gb18030")


def w_header_row5(n):
    wb = workbook(n)
    ws = wb.add_worksheet("台账")
    ws.merge_range(0, 0, 0, 6, "示范市流动儿童监测摸排台账（测试）")
    ws.write_string(1, 0, "填报单位：测试街道")
    ws.write_string(2, 0, "填报人：测试丁")
    write_table(ws, HEADER, good_rows(), top=4)
    wb.close()


def w_xls_title(n):
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("台账")
    ws.write(0, 0, "示范市流动儿童监测摸排台账（测试）")
    for j, h in enumerate(HEADER):
        ws.write(1, j, h)
    for i, r in enumerate(good_rows(), start=2):
        for j, v in enumerate(r):
            ws.write(i, j, int(v) if j == 0 else v)
    wb.save(str(OUT / n))


def _formula_book(n, cached: bool, column: str):
    wb = workbook(n)
    ws = wb.add_worksheet("台账")
    write_table(ws, HEADER, good_rows())
    for i, r in enumerate(good_rows(), start=1):
        if column == "序号":
            ws.write_formula(i, 0, "=ROW()-1", None, int(r[0]) if cached else "")
        else:  # 儿童类别 worked out from a code column by formula
            ws.write_formula(i, 6, f'=IF(LEFT(F{i + 1},1)="9","{r[6]}","")', None, r[6] if cached else "")
    wb.close()


def w_formula_cached(n):
    _formula_book(n, cached=True, column="儿童类别")


def w_formula_nocache(n):
    _formula_book(n, cached=False, column="儿童类别")


def w_formula_nocache_ignored(n):
    _formula_book(n, cached=False, column="序号")


def _sheet(wb, name: str, fill, *, hide: bool = False, active: bool = False) -> None:
    ws = wb.add_worksheet(name)
    fill(ws)
    if hide:
        ws.hide()
    if active:
        ws.activate()


def w_hidden_first(n):
    wb = workbook(n)
    old = [["1", D, "测试丁", "女", "2016-07-08", "990101001001", "留守儿童"]]
    _sheet(wb, "旧数据", lambda ws: write_table(ws, HEADER, old), hide=True)
    _sheet(wb, "台账", lambda ws: write_table(ws, HEADER, good_rows()), active=True)
    wb.close()


def w_hidden_only(n):
    wb = workbook(n)
    _sheet(wb, "说明", lambda ws: ws.write_string(0, 0, "本表数据见附表（测试）"), active=True)
    _sheet(wb, "数据", lambda ws: write_table(ws, HEADER, good_rows()), hide=True)
    wb.close()


def w_first_sheet_empty(n):
    wb = workbook(n)
    wb.add_worksheet("Sheet1")
    write_table(wb.add_worksheet("台账"), HEADER, good_rows())
    wb.close()


def w_all_sheets_empty(n):
    wb = workbook(n)
    wb.add_worksheet("Sheet1")
    wb.add_worksheet("Sheet2")
    wb.close()


def w_phantom_columns(n):  # Excel "used range" gone wild: thousands of empty trailing columns
    pad = "," * 3000
    put(n, text(HEADER, good_rows(), nl=pad + "\n"))


def huge_cell(path: Path) -> Path:
    """A 1 MB name cell (generated at test time, not committed)."""
    rows = good_rows()
    rows[1][2] = "测" * ((1 << 20) // 3 + 1)
    path.write_text(text(rows=rows), encoding="utf-8")
    return path


def line_too_long(path: Path) -> Path:
    """A 3 MB line (generated at test time, not committed)."""
    rows = good_rows()
    rows[1][2] = "测" * (1 << 20)
    path.write_text(text(rows=rows), encoding="utf-8")
    return path


def w_long_text(n):  # a long but legitimate line: a 3,000-character household address
    header = HEADER + ["户籍地"]
    rows = [r + ["测试省测试县" + "测试路" * 1000] for r in good_rows()]
    put(n, text(header, rows))


def w_id_sci_csv(n):
    rows = good_rows()
    rows[2][1] = "9.80102E+17"
    put(n, text(rows=rows), "gb18030")


def w_id_sci_xlsx(n):
    wb = workbook(n)
    ws = wb.add_worksheet("台账")
    write_table(ws, HEADER, good_rows())
    ws.write_number(3, 1, float(C))  # Excel keeps 15 significant digits of a number
    wb.close()


def w_id_float(n):
    rows = good_rows()
    rows[0][1] = A + ".0"
    put(n, text(rows=rows))


def w_dates_serial_xlsx(n):
    wb = workbook(n)
    ws = wb.add_worksheet("台账")
    write_table(ws, HEADER, good_rows())
    ws.write_number(1, 4, (dt.date(2015, 3, 4) - dt.date(1899, 12, 30)).days)  # numeric serial, no date format
    ws.write_string(2, 4, str((dt.date(2012, 5, 6) - dt.date(1899, 12, 30)).days))  # "41035" as text
    ws.write_datetime(3, 4, dt.datetime(2018, 1, 1), wb.add_format({"num_format": "yyyy年m月d日"}))
    wb.close()


DATE_FORMS = [("2026-03-04", True), ("2026/3/4", True), ("2026.3.4", True), ("2026年3月4日", True),
              ("20260304", True), ("2026-03-04 00:00:00", True), ("46085", True),
              ("2026-13-01", False), ("04/03/2026", False), ("2026年3月", False)]


def w_dates_formats(n):
    header = HEADER + ["登记日期"]
    rows = [[str(i + 1), make_id("20150304", 40 + i), f"测试{i + 1}", "男", "", "990101001001", "流动儿童", d]
            for i, (d, _) in enumerate(DATE_FORMS)]
    put(n, text(header, rows))


def w_fullwidth(n):
    fw = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    rows = good_rows()
    rows[0][1] = A.translate(fw)
    rows[1][5] = rows[1][5].translate(fw)
    rows.append(["４", X.translate(fw).replace("Ｘ", "ｘ"), "测试丁", "男", "２０１５－０３－０４", "990101001001", "流动儿童"])
    put(n, text(rows=rows))


def w_spaces(n):
    rows = good_rows()
    rows[0][1] = "  " + A + " "
    rows[0][6] = " 流动儿童\u00a0"
    rows[1][1] = "\u00a0" + B[:6] + "\u200b" + B[6:]
    rows[1][2] = "测试乙\u200b"
    rows[2][5] = "\ufeff990101002001\u3000"
    rows[2][1] = C[:9] + " " + C[9:]
    put(n, text(rows=rows))


def w_dup_rows(n):
    rows = good_rows()
    rows.append(["4"] + rows[0][1:])
    put(n, text(rows=rows))


def w_resubmit_overlap(n):
    rows = good_rows()[:2] + [["4", D, "测试丁", "女", "2016-07-08", "990101001001", "留守儿童"],
                              ["5", X, "测试戊", "男", "2015-03-04", "990101002001", "流动儿童"]]
    put(n, text(rows=rows))


def w_crlf(n):
    put(n, text(nl="\r\n"), "gb18030")


def w_cr(n):
    put(n, text(nl="\r"))


def w_semicolon(n):
    put(n, text(sep=";"))


def w_tab(n):
    put(n, text(sep="\t"), "gb18030")


def w_quoted_newline(n):
    header = HEADER + ["户籍地"]
    rows = [r + [f'"测试省\n测试县{i}号,{i}室"'] for i, r in enumerate(good_rows())]
    put(n, text(header, rows))


def w_xlsx_as_csv(n):
    wb = workbook(n)
    write_table(wb.add_worksheet("台账"), HEADER, good_rows())
    wb.close()


def w_total_row(n):
    put(n, text(rows=good_rows() + [["合计", "", "", "", "", "", "3人"]]))


def w_repeated_header(n):
    rows = good_rows()
    rows = rows[:2] + [[""] * 7, HEADER, ["4", D, "测试丁", "女", "2016-07-08", "990101001001", "留守儿童"], [""] * 7] + rows[2:]
    put(n, text(rows=rows))


def w_bad_values(n):
    rows = [
        ["1", A, "测试甲", "男", "2015-03-04", "990101001001", "流动儿童"],
        ["2", wrong_check(B), "测试乙", "女", "2012-05-06", "990101001002", "留守儿童"],  # ID_CHECKSUM
        ["3", "980102150304011", "测试丙", "男", "", "990101002001", "流动儿童"],  # 15-digit ID: ID_FORMAT
        ["4", make_id("20050101", 5), "测试丁", "男", "2005-01-01", "990101001001", "流动儿童"],  # NOT_CHILD
        ["5", D, "测试戊", "男", "2016-07-08", "990101001001", "留守儿童"],  # SEX_MISMATCH
        ["6", make_id("20170101", 6), "测试己", "男", "2017-01-01", "990101009009", "流动儿童"],  # UNKNOWN_DIVISION
        ["7", make_id("20170202", 7), "测试庚", "男", "2017-02-02", "990101001001", "困境儿童"],  # BAD_ENUM
        ["8", make_id("20170303", 8), "测试辛", "男", "2017-03-04", "990101001001", "流动儿童"],  # BIRTH_MISMATCH
    ]
    put(n, text(rows=rows))


def w_extra_fields(n):
    rows = good_rows()
    rows[1] = rows[1][:5] + ["测试街道", "990101001002", "留守儿童"]  # an unquoted comma shifted the row
    put(n, text(rows=rows))


def w_star_headers(n):
    header = ["序号", "*身份证号码", "* 儿童姓名", "性别", "出生日期", "村（社区）代码", "儿童类别（必填）"]
    put(n, text(header), "gb18030")


# ---- hostile workbooks and other office formats -------------------------------------------------------
def _zip(n_or_path, parts: dict[str, bytes | str], stored: tuple[str, ...] = ()) -> None:
    """A zip written entry by entry with fixed times (deterministic bytes)."""
    target = n_or_path if isinstance(n_or_path, Path) else OUT / n_or_path
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            zi = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            z.writestr(zi, data)


def _xlsx_parts(sheet_xml: str) -> dict[str, str]:
    """The smallest workbook Excel and python-calamine open, around one worksheet's XML (inline strings)."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    return {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets>'
        '<sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet_xml,
    }


def _sheet_xml(rows: list[list[str]], extra_cells: str = "", tail_rows: str = "") -> str:
    def cell(i, j, v):
        v = v.replace("&", "&amp;").replace("<", "&lt;")
        return f'<c r="{_col(j)}{i + 1}" t="inlineStr"><is><t>{v}</t></is></c>'
    body = "".join(f'<row r="{i + 1}">' + "".join(cell(i, j, v) for j, v in enumerate(r))
                   + (extra_cells if i == 0 else "") + "</row>" for i, r in enumerate(rows))
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{body}{tail_rows}</sheetData></worksheet>')


def w_zip_bomb(n):  # one inline-string cell that inflates to 100 MB (about 100 KB on disk)
    rows = [HEADER] + good_rows()
    sheet = _sheet_xml(rows).replace("</sheetData>", '<row r="9"><c r="B9" t="inlineStr"><is><t>'
                                     + "0" * (100 << 20) + "</t></is></c></row></sheetData>")
    _zip(n, _xlsx_parts(sheet))


def w_xfd1(n):  # 100 rows and one stray cell at XFD1: the reader would build 100 x 16,384 cells
    rows = [HEADER] + [[str(i + 1), make_id("20150304", 100 + i), f"测试{i}", "男", "2015-03-04", "990101001001",
                        "流动儿童"] for i in range(99)]
    _zip(n, _xlsx_parts(_sheet_xml(rows, extra_cells='<c r="XFD1" t="inlineStr"><is><t>x</t></is></c>')))


def w_xfd1048576(n):  # one cell at the sheet's last corner: the reader would ask for 549 GB and abort the process
    tail = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    _zip(n, _xlsx_parts(_sheet_xml([HEADER] + good_rows(), tail_rows=tail)))


def million_styled_rows(path: Path) -> Path:
    """A million empty rows with a style after the data, as Excel writes a formatted column (2.5 MB: generated
    at test time, not committed)."""
    tail = "".join(f'<row r="{i}" s="1" customFormat="1" ht="15"/>' for i in range(5, 1_000_001))
    _zip(path, _xlsx_parts(_sheet_xml([HEADER] + good_rows(), tail_rows=tail)))
    return path


def w_ods(n):  # LibreOffice / WPS OpenDocument spreadsheet, with the blank space LibreOffice writes
    def cell(v):
        v = v.replace("&", "&amp;").replace("<", "&lt;")
        return f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
    rows = [["示范市流动儿童台账（测试）"], HEADER] + good_rows()
    body = "".join("<table:table-row>" + "".join(cell(v) for v in r)
                   + '<table:table-cell table:number-columns-repeated="1017"/></table:table-row>' for r in rows)
    body += ('<table:table-row table:number-rows-repeated="1048571"><table:table-cell '
             'table:number-columns-repeated="1024"/></table:table-row>')
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="台账">{body}</table:table></office:spreadsheet>'
               '</office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
                'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    _zip(n, {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "META-INF/manifest.xml": manifest,
             "content.xml": content}, stored=("mimetype",))


def _record(typ: int, data: bytes = b"") -> bytes:
    """One BIFF12 record of an .xlsb part: type and size as 7-bit varints, then the data."""
    head = bytes([typ]) if typ < 0x80 else bytes([(typ & 0x7F) | 0x80, typ >> 7])
    size, n = b"", len(data)
    while True:
        size += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
        n >>= 7
        if not n:
            break
    return head + size + data


def _wide(text: str) -> bytes:
    return len(text).to_bytes(4, "little") + text.encode("utf-16-le")


def w_xlsb(n):  # Excel's binary workbook (.xlsb), strings written inline in the cells
    u32 = lambda v: v.to_bytes(4, "little")
    rows = [HEADER] + good_rows()
    sheet = _record(0x81) + _record(0x94, u32(0) + u32(len(rows) - 1) + u32(0) + u32(len(HEADER) - 1))
    sheet += _record(0x91)
    for i, r in enumerate(rows):
        sheet += _record(0x00, u32(i) + u32(0) + (300).to_bytes(2, "little") + bytes(3) + u32(0))  # BrtRowHdr
        sheet += b"".join(_record(0x06, u32(j) + u32(0) + _wide(v)) for j, v in enumerate(r))  # BrtCellSt
    sheet += _record(0x92) + _record(0x82)
    book = _record(0x83) + _record(0x8F) + _record(0x9C, u32(0) + u32(1) + _wide("rId1") + _wide("台账"))
    book += _record(0x90) + _record(0x9D, bytes(12)) + _record(0x84)
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    _zip(n, {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.'
        'macroEnabled.main"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.bin"/>'
        '</Relationships>',
        "xl/workbook.bin": book,
        "xl/_rels/workbook.bin.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
        'Target="worksheets/sheet1.bin"/></Relationships>',
        "xl/worksheets/sheet1.bin": sheet,
    })


def w_html_page(n):  # a login page saved under the export's name: no table at all
    put(n, "<html><head><meta charset='utf-8'><title>登录</title></head><body><p>会话已过期，请重新登录</p></body></html>")


def w_html_title_colspan(n):  # an office system's export: a title row merged across the table, GB18030
    cells = "".join(f"<th>{h}</th>" for h in HEADER)
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for r in good_rows())
    put(n, "<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'></head><body>"
           f"<table border='1'><tr><td colspan='7'>示范市流动儿童台账（测试）</td></tr><tr>{cells}</tr>{body}"
           "</table></body></html>", "gb18030")


def w_bom_middle(n):  # two UTF-8 exports pasted together: the second one's BOM and header sit mid-file
    first = text(rows=good_rows()[:2])
    second = text(rows=[good_rows()[2], ["4", D, "测试丁", "女", "2016-07-08", "990101001001", "留守儿童"]])
    put(n, codecs.BOM_UTF8 + first.encode() + codecs.BOM_UTF8 + second.encode())


def w_id_sci_long(n):
    rows = good_rows()
    rows[1][1] = "3.2040219E+17"
    put(n, text(rows=rows))


def w_nul_cell(n):  # one NUL pasted into a name: that row is rejected, the file lands
    rows = good_rows()
    rows[1][2] = "测试\x00乙"
    put(n, text(rows=rows))


def directory_named_csv(path: Path) -> Path:
    """A folder named like an extract (made at test time)."""
    path.mkdir()
    return path


def symlink_to_device(path: Path) -> Path:
    """A link to /dev/zero named like an extract: reading it would never end (made at test time)."""
    path.symlink_to("/dev/zero")
    return path


def land_ok(read, acc=None, reasons=None, **kw):
    reasons = reasons or {}
    rej = sum(reasons.values())
    return {"outcome": "landed", "rows_read": read, "accepted": read - rej if acc is None else acc,
            "rejected": rej, "reasons": reasons, **kw}


def err(code, zh, en, **kw):
    return {"outcome": "error", "code": code, "zh": zh, "en": en, **kw}


# (file, category, what it is, writer, expectation)
CASES = [
    ("enc_utf8.csv", "encoding", "UTF-8 without BOM", w_utf8, land_ok(3)),
    ("enc_utf8_bom.csv", "encoding", "UTF-8 with BOM", w_utf8_bom, land_ok(3)),
    ("enc_gbk_undeclared.csv", "encoding", "GBK bytes, nothing declared, a title row", w_gbk,
     land_ok(3, names=["测试丙", "测试乙", "测试甲"])),
    ("enc_gb18030_rare.csv", "encoding", "GB18030 with 䶮 (not in GBK)", w_gb18030_rare,
     land_ok(3, names=["测试䶮", "测试丙", "测试乙"])),
    ("enc_big5.csv", "encoding", "Big5 (traditional) file", w_big5, err("BAD_ENCODING", "Big5", "Big5")),
    ("enc_utf16le_bom_tab.csv", "encoding", "Excel 'Unicode text': UTF-16LE + BOM, tabs, CRLF", w_utf16le_bom_tab,
     land_ok(3, ids=[A, B, C], names=["测试丙", "测试乙", "测试甲"])),
    ("enc_utf16be_bom.csv", "encoding", "UTF-16BE with BOM", w_utf16be_bom, land_ok(3)),
    ("enc_utf16le_nobom.csv", "encoding", "UTF-16LE without BOM", w_utf16le_nobom, land_ok(3)),
    ("enc_latin1.csv", "encoding", "Latin-1 (French) garbage", w_latin1, err("BAD_ENCODING", "编码", "encoding")),
    ("enc_mixed.csv", "encoding", "UTF-8 rows then a GBK row in one file", w_mixed,
     err("MIXED_ENCODING", "第4行", "line 4")),
    ("trunc_mid_row.csv", "truncated", "CSV cut in the middle of the last row", w_trunc_row,
     err("TRUNCATED_FILE", "不完整", "truncated")),
    ("trunc_mid_char.csv", "truncated", "CSV cut inside a multibyte character", w_trunc_char,
     err("TRUNCATED_FILE", "不完整", "truncated")),
    ("trunc_half.xlsx", "truncated", "xlsx cut in half (corrupt zip)", w_trunc_xlsx,
     err("UNREADABLE_EXCEL", "Excel", "Excel")),
    ("bin_png.csv", "binary", "PNG image renamed .csv", w_png, err("BINARY_FILE", "PNG", "PNG")),
    ("bin_pdf.csv", "binary", "PDF renamed .csv", w_pdf, err("BINARY_FILE", "PDF", "PDF")),
    ("bin_zip.csv", "binary", "zip archive renamed .csv", w_zip, err("BINARY_FILE", "压缩包", "zip")),
    ("html_export.xls", "office", "HTML table named .xls (web system export)", w_html_xls, land_ok(3, ids=[A, B, C])),
    ("html_title_colspan.xls", "office", "HTML export in GB18030 with a title row merged across (colspan)",
     w_html_title_colspan, land_ok(3, names=["测试丙", "测试乙", "测试甲"])),
    ("html_page.xls", "binary", "an HTML page without a table named .xls", w_html_page,
     err("HTML_FILE", "网页", "HTML")),
    ("ods_table.ods", "office", "OpenDocument spreadsheet (LibreOffice/WPS) with a title row and blank space",
     w_ods, land_ok(3, ids=[A, B, C])),
    ("xlsb_table.xlsb", "office", "Excel binary workbook (.xlsb)", w_xlsb, land_ok(3, ids=[A, B, C])),
    ("zip_bomb.xlsx", "hostile", "one cell that inflates to 100 MB (a zip bomb)", w_zip_bomb,
     err("FILE_TOO_LARGE", "解压", "unpacks")),
    ("xfd1.xlsx", "hostile", "100 rows and one stray cell at XFD1", w_xfd1, err("TOO_MANY_COLUMNS", "XFD", "XFD")),
    ("xfd1048576.xlsx", "hostile", "one cell at XFD1048576 (the reader would ask for 549 GB and abort)",
     w_xfd1048576, err("TOO_MANY_COLUMNS", "XFD", "XFD")),
    ("million_styled_rows.xlsx", "hostile", "a million empty styled rows after the data", None,
     land_ok(3, generated="at_test_time", generator="million_styled_rows")),
    ("x.csv", "hostile", "a folder named x.csv", None,
     err("NO_FILE", "文件", "file", generated="at_test_time", generator="directory_named_csv")),
    ("zero.csv", "hostile", "a link to /dev/zero named zero.csv", None,
     err("NO_FILE", "文件", "file", generated="at_test_time", generator="symlink_to_device")),
    ("nul_cell.csv", "rows", "a NUL pasted into one name", w_nul_cell,
     land_ok(3, reasons={"BAD_CHARACTER": 1}, reason_text={"BAD_CHARACTER": "NUL"}, ids=[A, C])),
    ("empty.csv", "structure", "zero bytes", w_empty, err("EMPTY_FILE", "空", "empty")),
    ("blank_lines.csv", "structure", "only blank lines and commas", w_blank_lines, err("EMPTY_FILE", "没有", "no")),
    ("header_only.csv", "structure", "header, no rows", w_header_only, err("EMPTY_FILE", "只有表头", "no data rows")),
    ("header_only.xlsx", "structure", "xlsx header, no rows", w_header_only_xlsx,
     err("EMPTY_FILE", "只有表头", "no data rows")),
    ("dup_headers.csv", "structure", "身份证号 twice with different data", w_dup_headers,
     err("DUPLICATE_COLUMNS", "身份证号", "id_number")),
    ("dup_unmapped_headers.csv", "structure", "备注 twice (a column the contract ignores)", w_dup_unmapped, land_ok(3)),
    ("missing_required.csv", "structure", "no 儿童类别 column", w_missing_required,
     err("MISSING_COLUMNS", "儿童类别", "category")),
    ("no_header.csv", "structure", "no recognisable header", w_no_header, err("NO_HEADER", "表头", "header")),
    ("star_headers.csv", "structure", "headers with required stars and notes (*身份证号码, 儿童类别（必填）)",
     w_star_headers, land_ok(3)),
    ("merged_header.xlsx", "structure", "two-row header with merged cells (现居住地 over 街道/社区)", w_merged_header,
     land_ok(3, values={"community_code": ["990101001001", "990101001002", "990101002001"]})),
    ("title_rows.csv", "structure", "three title rows above the header", w_title_rows_csv, land_ok(3)),
    ("header_row5.xlsx", "structure", "xlsx whose header is on row 5", w_header_row5, land_ok(3)),
    ("xls_title.xls", "structure", "legacy .xls (xlwt) with a title row", w_xls_title, land_ok(3)),
    ("repeated_header.csv", "structure", "header repeated mid-file, blank rows between", w_repeated_header,
     land_ok(4)),
    ("total_row.csv", "structure", "a 合计 row at the bottom", w_total_row, land_ok(4, reasons={"REQUIRED_MISSING": 1})),
    ("extra_fields.csv", "structure", "a row with more fields than the header (unquoted comma)", w_extra_fields,
     land_ok(3, reasons={"EXTRA_FIELDS": 1}, reason_text={"EXTRA_FIELDS": "列数多于表头"}, ids=[A, C])),
    ("xlsx_as.csv", "structure", "an xlsx renamed .csv", w_xlsx_as_csv, land_ok(3)),
    ("formula_cached.xlsx", "excel", "儿童类别 by formula, cached values present", w_formula_cached,
     land_ok(3, values={"category": ["流动儿童", "流动儿童", "留守儿童"]})),
    ("formula_nocache.xlsx", "excel", "儿童类别 by formula, never calculated (no cached values)", w_formula_nocache,
     err("FORMULA_NOT_CALCULATED", "公式", "formula")),
    ("formula_nocache_ignored.xlsx", "excel", "uncalculated formulas only in 序号 (ignored column)",
     w_formula_nocache_ignored, land_ok(3)),
    ("hidden_sheet_first.xlsx", "excel", "hidden old sheet first, data on the visible sheet", w_hidden_first,
     land_ok(3, ids=[A, B, C])),
    ("hidden_sheet_only.xlsx", "excel", "data only on a hidden sheet", w_hidden_only,
     err("HIDDEN_SHEET", "隐藏", "hidden")),
    ("first_sheet_empty.xlsx", "excel", "first sheet empty, data on the second", w_first_sheet_empty, land_ok(3)),
    ("all_sheets_empty.xlsx", "excel", "every sheet empty", w_all_sheets_empty, err("EMPTY_FILE", "空", "empty")),
    ("phantom_columns.csv", "size", "3,000 empty trailing columns on every line", w_phantom_columns, land_ok(3)),
    ("long_text.csv", "size", "a 3,000-character address on every row", w_long_text, land_ok(3)),
    ("huge_cell.csv", "size", "a 1 MB name cell", None,
     land_ok(3, reasons={"CELL_TOO_LONG": 1}, reason_text={"CELL_TOO_LONG": "过长"}, generated="at_test_time",
             generator="huge_cell")),
    ("line_too_long.csv", "size", "a 3 MB line (one cell of a million characters)", None,
     land_ok(3, reasons={"CELL_TOO_LONG": 1}, reason_text={"CELL_TOO_LONG": "过长"}, ids=[A, C],
             generated="at_test_time", generator="line_too_long")),
    ("id_sci_notation.csv", "id", "ID as Excel wrote it: 9.80102E+17", w_id_sci_csv,
     land_ok(3, reasons={"ID_PRECISION": 1}, reason_text={"ID_PRECISION": "后几位已丢失"}, ids=[A, B])),
    ("id_sci_number.xlsx", "id", "ID stored as an Excel number (digits lost)", w_id_sci_xlsx,
     land_ok(3, reasons={"ID_PRECISION": 1}, reason_text={"ID_PRECISION": "后几位已丢失"}, ids=[A, B])),
    ("id_sci_long.csv", "id", "ID as Excel shows a long number: 3.2040219E+17", w_id_sci_long,
     land_ok(3, reasons={"ID_PRECISION": 1}, reason_text={"ID_PRECISION": "3.2040219E+17"}, ids=[A, C])),
    ("id_float.csv", "id", "ID with a trailing .0 (all 18 digits intact)", w_id_float, land_ok(3, ids=[A, B, C])),
    ("fullwidth.csv", "id", "full-width digits, Ｘ and ｘ, a full-width date", w_fullwidth,
     land_ok(4, ids=[A, B, C, X], values={"community_code": ["990101001001", "990101001001", "990101001002",
                                                              "990101002001"]})),
    ("spaces_nbsp_zw.csv", "id", "leading/trailing spaces, NBSP, zero-width space, BOM char, ideographic space",
     w_spaces, land_ok(3, ids=[A, B, C], names=["测试丙", "测试乙", "测试甲"],
                       values={"category": ["流动儿童", "流动儿童", "留守儿童"],
                               "community_code": ["990101001001", "990101001002", "990101002001"]})),
    ("bad_values.csv", "rows", "one good row and seven each wrong in one way", w_bad_values,
     land_ok(8, reasons={"ID_CHECKSUM": 1, "ID_FORMAT": 1, "NOT_CHILD": 1, "SEX_MISMATCH": 1,
                         "UNKNOWN_DIVISION": 1, "BAD_ENUM": 1, "BIRTH_MISMATCH": 1})),
    ("dates_serial.xlsx", "dates", "birth dates as a numeric serial, a serial as text, a date cell",
     w_dates_serial_xlsx, land_ok(3, values={"birth_date": ["2012-05-06", "2015-03-04", "2018-01-01"]})),
    ("dates_formats.csv", "dates", "登记日期 in ten forms, three unreadable", w_dates_formats,
     land_ok(10, reasons={"BAD_DATE": 3}, values={"registered_date": ["2026-03-04"] * 7})),
    ("dup_rows.csv", "duplicates", "the same child twice in one file", w_dup_rows,
     land_ok(4, reasons={"DUPLICATE_KEY": 1}, reason_text={"DUPLICATE_KEY": "与第2行重复"})),
    ("enc_utf8.csv", "duplicates", "the same file landed a second time", None,
     {"outcome": "already", "before": ["enc_utf8.csv"], "case": "same_file_twice"}),
    ("resubmit_overlap.csv", "duplicates", "a resubmission sharing two rows with the landed file", w_resubmit_overlap,
     land_ok(4, before=["enc_utf8.csv"], overlap=2)),
    ("enc_bom_middle.csv", "encoding", "two UTF-8 exports pasted together (a BOM and a header mid-file)",
     w_bom_middle, land_ok(4, ids=[A, B, C, D])),
    ("crlf.csv", "layout", "CRLF line endings (GB18030)", w_crlf, land_ok(3)),
    ("cr_only.csv", "layout", "old-Mac CR line endings", w_cr, land_ok(3, ids=[A, B, C])),
    ("semicolon.csv", "layout", "semicolon-separated", w_semicolon, land_ok(3, ids=[A, B, C])),
    ("tab.csv", "layout", "tab-separated (GB18030)", w_tab, land_ok(3)),
    ("quoted_newline.csv", "layout", "quoted fields with embedded newlines and commas", w_quoted_newline,
     land_ok(3, values={"hukou_region": [f"测试省 测试县{i}号,{i}室" for i in range(3)]})),  # line break → space
]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    expected = []
    for name, cat, about, writer, exp in CASES:
        if writer is not None:
            writer(name)
        expected.append({"file": name, "source": SOURCE, "period": PERIOD, "category": cat, "about": about, **exp})
    text_out = ("# Generated by tests/corpus/make_corpus.py — edit the cases there, then re-run it.\n"
                + yaml.safe_dump(expected, allow_unicode=True, sort_keys=False, width=120))
    (HERE / "expected.yaml").write_text(text_out, encoding="utf-8")
    size = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(expected)} cases, {len(list(OUT.iterdir()))} files, {size:,} bytes")


if __name__ == "__main__":
    main()
