"""One writer for every file the product hands out (report/export.py): only it writes xlsx, and no page helper,
view or report module writes a table itself, so every download neutralises formula-leading text the same way."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRITER = Path("report/export.py")
# Fake office files for the demo and the benchmark, written as departments' own software would.
FAKE_OFFICE_FILES = {Path("demo/writer.py"), Path("bench/fixtures.py")}
SPREADSHEET_WRITERS = {"xlsxwriter", "openpyxl"}
TABLE_WRITING_CALLS = {"to_excel", "to_csv", "ExcelWriter", "writer", "DictWriter"}


def _sources() -> list[Path]:
    skip = {".venv", "tests", "__pycache__", "data"}
    return sorted(p.relative_to(ROOT) for p in ROOT.rglob("*.py") if not skip & set(p.relative_to(ROOT).parts))


def _imports(tree: ast.AST) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module.split(".")[0])
    return out


def _calls(tree: ast.AST) -> set[str]:
    return {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
            for n in ast.walk(tree) if isinstance(n, ast.Call)}


def test_only_the_writer_imports_a_spreadsheet_writer():
    found = [f"{p}: {sorted(_imports(ast.parse((ROOT / p).read_text(encoding='utf-8'))) & SPREADSHEET_WRITERS)}"
             for p in _sources() if p != WRITER and p not in FAKE_OFFICE_FILES
             and _imports(ast.parse((ROOT / p).read_text(encoding="utf-8"))) & SPREADSHEET_WRITERS]
    assert found == []


def test_no_page_or_report_module_writes_a_table_itself():
    found = []
    for p in _sources():
        if p.parts[0] in ("ui", "report", "views") and p != WRITER:
            calls = _calls(ast.parse((ROOT / p).read_text(encoding="utf-8"))) & TABLE_WRITING_CALLS
            found += [f"{p}: {c}" for c in sorted(calls)]
    assert found == []


def test_the_scans_see_a_writer(tmp_path):
    tree = ast.parse("import openpyxl\nfrom xlsxwriter import Workbook\ndf.to_csv(buf)\npd.ExcelWriter(b)\n")
    assert _imports(tree) & SPREADSHEET_WRITERS == SPREADSHEET_WRITERS
    assert _calls(tree) & TABLE_WRITING_CALLS == {"to_csv", "ExcelWriter"}
