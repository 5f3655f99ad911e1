"""Every CSV and xlsx the product writes keeps hostile text as text: no cell is a formula or a link, each
formula-leading string reads back with a leading quote, and numbers (negative ones too) stay numbers."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pyarrow as pa
import pytest
from python_calamine import CalamineWorkbook

ROOT = Path(__file__).resolve().parents[1]

# OWASP's formula-leading characters, a leading space before one, and a real formula and link.
HOSTILE = ['=HYPERLINK("http://x","点我")', "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", " =1+1",
           "=cmd|' /C calc'!A0", "-"]
LEADS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _frame() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame({"area_name": HOSTILE, "=HEADER()": HOSTILE[::-1],
                         "shortfall": [-5] * n, "ratio": [-2.5] * n, "plain": ["城关镇"] * n})


def _xml_parts(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xml", ".rels"))}


def _assert_no_formula_or_link(data: bytes) -> None:
    for name, xml in _xml_parts(data).items():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            assert not re.search(r"<f[\s>/]", xml), f"formula cell in {name}"
            assert "<hyperlink" not in xml, f"hyperlink in {name}"
        assert "externalLink" not in name


def _cells(data: bytes) -> list:
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return [v for s in wb.sheet_names for row in wb.get_sheet_by_name(s).to_python() for v in row], wb.sheet_names


def _assert_neutralised(data: bytes, expect: list[str] = HOSTILE) -> None:
    """No formula, each hostile string read back as text behind a quote, no other cell starts a formula."""
    _assert_no_formula_or_link(data)
    values, sheets = _cells(data)
    texts = [v for v in values if isinstance(v, str)]
    for h in expect:
        assert "'" + h.replace("\r", "\n") in [t.replace("\r", "\n") for t in texts], f"{h!r} not kept as text"
    for t in texts:
        assert not t.startswith(LEADS) or PLAIN_NUMBER.fullmatch(t), f"cell {t!r} would start a formula"
    for s in sheets:
        assert not s.startswith(LEADS + ("'",)), f"sheet name {s!r}"


def _assert_numbers_kept(data: bytes) -> None:
    values, _ = _cells(data)
    assert -5 in values and -2.5 in values, "negative numbers must stay numbers"


def test_gaps_and_volunteers_table_export():
    from ui import gaps

    df = _frame()
    data = gaps.excel(df, list(df.columns), "=SUM(A1)")
    _assert_neutralised(data, HOSTILE + ["=HEADER()"])
    _assert_numbers_kept(data)


def test_map_export_with_title_and_notes():
    from ui import map as mp

    data = mp.excel(_frame(), HOSTILE[0], HOSTILE[1:3])
    _assert_neutralised(data)
    _assert_numbers_kept(data)


def test_targets_export():
    from ui import targets as ut

    data = ut.excel_bytes(_frame(), "+目标")
    _assert_neutralised(data)
    _assert_numbers_kept(data)


def test_worklist_export():
    from ui import ledger

    data = ledger.excel(_frame(), HOSTILE[0], HOSTILE[3])
    _assert_neutralised(data)
    _assert_numbers_kept(data)


def test_upload_rejected_rows_and_template():
    from ui import upload as up

    rejected = pd.DataFrame({"活动名称": HOSTILE, "原因": HOSTILE[::-1], "行号": list(range(2, 2 + len(HOSTILE)))})
    data = up.rejected_excel(SimpleNamespace(rejected=pa.Table.from_pandas(rejected, preserve_index=False)))
    _assert_neutralised(data)
    for source in up.UPLOAD_SOURCES:
        _assert_no_formula_or_link(up.template(source))


def test_meeting_pack_workbook():
    from report import xlsx

    df = _frame().assign(children=[3] * len(HOSTILE), children_suppressed=True, children_label="<5")
    data = xlsx.workbook([("材料", HOSTILE[0]), (HOSTILE[2], "说明")], {"=表": df}, extra={"@图例": df})
    _assert_neutralised(data)
    _assert_numbers_kept(data)
    values, _ = _cells(data)
    assert "<5" in values and 3 not in values


# --------------------------------------------------------------------------------------------
# The audit log's CSV (审计日志 page and `python -m auth audit --csv`)


def _assert_csv_safe(raw: bytes, hostile_user: str) -> None:
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    fields = [f for r in rows for f in r]
    for f in fields:
        assert not f.startswith(LEADS) or PLAIN_NUMBER.fullmatch(f), f"CSV field {f!r} would start a formula"
    users = [r[header.index("user")] for r in body]
    assert "'" + hostile_user in users


@pytest.fixture
def audit_root(tmp_path, monkeypatch) -> tuple[Path, str]:
    from auth import audit

    monkeypatch.setenv("TONGXIN_DATA_DIR", str(tmp_path))
    hostile = '=HYPERLINK("http://x")'
    audit.record("login_failed", user=hostile, what="-1+1", detail="@SUM(1)", root=tmp_path)
    audit.record("login", user="leader", role="leader", scope=["990100"], root=tmp_path)
    return tmp_path, hostile


def test_audit_cli_csv(audit_root, tmp_path):
    from auth.__main__ import main

    _, hostile = audit_root
    out = tmp_path / "audit.csv"
    assert main(["audit", "--csv", str(out)]) == 0
    _assert_csv_safe(out.read_bytes(), hostile)


def test_audit_page_csv(audit_root, monkeypatch):
    """The bytes behind the 审计日志 page's download button."""
    from streamlit.testing.v1 import AppTest

    from tests.files import signed_in
    from ui import auth as ui_auth

    _, hostile = audit_root
    captured = {}

    def capture(label, data, *args, **kwargs):
        captured[kwargs.get("key")] = data

    monkeypatch.setattr(ui_auth, "download_button", capture)
    at = signed_in(AppTest.from_file(str(ROOT / "views" / "audit.py"), default_timeout=60)).run()
    assert not at.exception, [e.value for e in at.exception]
    _assert_csv_safe(captured["audit_csv"], hostile)


# --------------------------------------------------------------------------------------------
# One writer


def test_no_other_module_writes_spreadsheets():
    """Every CSV and xlsx goes through report/export.py: nothing else calls a spreadsheet writer."""
    pattern = re.compile(r"\.to_csv\(|\.to_excel\(|ExcelWriter|xlsxwriter|csv\.writer|Workbook\(")
    # demo/ writes the demo's department extracts (the input side) and is not among the folders scanned.
    allowed = {ROOT / "report" / "export.py"}
    offenders = []
    for folder in ("ui", "views", "report", "auth", "etl", "geo", "warehouse"):
        for path in (ROOT / folder).rglob("*.py"):
            if path in allowed:
                continue
            for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
