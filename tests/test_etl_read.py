"""Readers and validation on real files: GB18030 CSV, xlsx and xls with title rows, ID check digits."""
from __future__ import annotations

import pytest

from etl.contracts import get_source, parse_period, period_from_filename, sources
from etl.errors import ExtractError
from etl.read import detect_encoding, detect_format, read_extract
from etl.validate import id_check_digit, is_valid_id
from tests.files import (
    REGISTER_HEADER,
    make_id,
    write_register_csv,
    write_register_xls,
    write_register_xlsx,
    wrong_check,
)

REGISTER = get_source("civil_register")


def test_every_department_of_the_domain_has_a_contract():
    names = set(sources())
    for required in ("civil_register", "key_children", "visits", "directors", "children_homes", "students",
                     "school_places", "health_records", "vaccinations", "childcare", "residence_permits",
                     "medical_insurance", "disabled_children", "volunteer_teams", "volunteers", "activities",
                     "pairings", "progress_reports", "population", "regions"):
        assert required in names
    for s in sources().values():
        assert s.key and all(k in {c.name for c in s.columns} for k in s.key)
        assert s.kind in ("snapshot", "events")


@pytest.mark.parametrize("id18, ok", [
    ("11010519491231002X", True),      # the standard's own example, check character X
    ("11010519491231002x", True),      # lower-case x is accepted
    ("110105194912310021", False),     # wrong check digit
    ("11010519491331002X", False),     # month 13
    ("1101051949123100", False),       # too short
    ("110105491231002", False),        # 15-digit old format
])
def test_resident_id_check_digit(id18, ok):
    assert is_valid_id(id18) is ok


def test_id_check_digit_matches_standard_algorithm():
    # ISO 7064 MOD 11-2 by hand for one number: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2.
    body = "34052419800101001"
    s = sum(int(d) * w for d, w in zip(body, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
    assert id_check_digit(body) == "10X98765432"[s % 11]


def test_gb18030_csv_with_title_rows_is_detected_and_read(tmp_path):
    path = write_register_csv(tmp_path / "台账.csv", encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert detect_encoding(path) == "gb18030"
    ext = read_extract(path, REGISTER)
    assert ext.fmt == "csv" and ext.header_row == 3
    assert ext.mapping["id_number"] == "身份证号码" and ext.mapping["child_name"] == "儿童姓名"
    assert ext.table.num_rows == 6  # blank trailing rows dropped
    assert ext.table.column("儿童姓名").to_pylist()[1] == "李䶮"  # a character GBK cannot encode
    assert ext.table.column("_row_no").to_pylist()[0] == 4
    assert "序号" in ext.ignored_headers


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig")])
def test_utf8_with_and_without_bom(tmp_path, encoding, expected):
    path = write_register_csv(tmp_path / "r.csv", encoding=encoding)
    assert detect_encoding(path) == expected
    ext = read_extract(path, REGISTER)
    assert ext.table.column("儿童姓名").to_pylist()[0] == "张小明"
    assert list(ext.table.column_names[:10]) == REGISTER_HEADER


def test_format_is_detected_from_bytes_not_name(tmp_path):
    xlsx = write_register_xlsx(tmp_path / "looks_like.csv")  # an xlsx with a misleading name
    assert detect_format(xlsx) == "xlsx"
    ext = read_extract(xlsx, REGISTER)
    assert ext.fmt == "xlsx" and ext.header_row == 3


def test_xlsx_title_row_excel_dates_and_numeric_codes_become_text(tmp_path):
    ext = read_extract(write_register_xlsx(tmp_path / "台账.xlsx"), REGISTER)
    rows = ext.table.to_pylist()
    assert [r["出生日期"] for r in rows] == ["2015-03-04", "41765"]  # a real date cell, and a bare serial
    assert rows[0]["社区代码"] == "990101001001"  # a numeric cell, not 990101001001.0 or 9.9e11
    assert rows[0]["身份证号"] == make_id("20150304", 1)


def test_legacy_xls_is_read(tmp_path):
    ext = read_extract(write_register_xls(tmp_path / "旧格式.xls"), REGISTER)
    assert ext.fmt == "xls"
    assert ext.table.column("姓名").to_pylist() == ["周明"]


@pytest.mark.parametrize("content, code", [
    (b"", "EMPTY_FILE"),
    (bytes(range(256)) * 4, "BINARY_FILE"),
    ("身份证号,姓名\n".encode(), "EMPTY_FILE"),
    ("完全无关的表格\n甲,乙\n1,2\n".encode(), "NO_HEADER"),
    ("身份证号,姓名\n11010519491231002X,张三\n".encode(), "MISSING_COLUMNS"),
])
def test_file_level_failures_have_a_clear_bilingual_message(tmp_path, content, code):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ExtractError) as e:
        read_extract(path, REGISTER)
    assert e.value.code == code
    assert e.value.zh and e.value.en and "\n" not in str(e.value)


def test_corrupt_xlsx_is_a_file_level_failure(tmp_path):
    path = tmp_path / "坏.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 100)
    with pytest.raises(ExtractError) as e:
        read_extract(path, REGISTER)
    assert e.value.code in ("UNREADABLE_EXCEL", "BINARY_FILE")


def test_periods():
    assert parse_period("2025H2", "half_year")[1].isoformat() == "2025-12-31"
    assert parse_period("2024-02", "month")[1].isoformat() == "2024-02-29"
    assert period_from_filename("台账_2026年上半年.xlsx", "half_year") == "2026H1"
    assert period_from_filename("走访记录2026-03.csv", "month") == "2026-03"
    with pytest.raises(ValueError):
        parse_period("2025-13", "month")


def test_wrong_check_digit_helper_really_breaks_the_id():
    good = make_id("20150304", 1)
    assert is_valid_id(good) and not is_valid_id(wrong_check(good))
