"""etl/validate.py reads as what it does: its views and tables are named for what they hold (typed, checked,
deduplicated…), not s1/s2/s3, its joins for what they join, and each stage is a function saying which
columns its view or table has."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "etl" / "validate.py"
CREATED = re.compile(r"create (?:or replace )?(?:temp )?(?:view|table) (\w+)", re.IGNORECASE)
ALIAS = re.compile(r"\bjoin (\w+) (\w+?)(?:\{|\s+on\b)", re.IGNORECASE)
REGISTERED = re.compile(r"""\.register\(f?["'](\w+)""")


def _sql_names(text: str) -> set[str]:
    return set(CREATED.findall(text)) | set(REGISTERED.findall(text))


def test_views_and_tables_are_named_for_what_they_hold():
    names = _sql_names(SOURCE.read_text(encoding="utf-8"))
    assert {"typed", "normalised", "checked", "deduplicated"} <= names
    assert [n for n in names if len(n) <= 2 or re.fullmatch(r"[a-z]\d*s?", n)] == []


def test_joins_have_no_single_letter_aliases():
    text = SOURCE.read_text(encoding="utf-8")
    short = [(table, alias) for table, alias in ALIAS.findall(text) if len(alias.rstrip("_")) <= 2]
    assert short == []


def test_stages_are_small_documented_functions():
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
    for stage in ("_typed_view", "_normalised_view", "_row_checks", "_checked_table", "_deduplicated_view",
                  "_rejected_rows", "_accepted_and_persons"):
        assert ast.get_docstring(functions[stage]), stage
    body = functions["validate"]
    assert body.end_lineno - body.lineno < 50


def test_the_scans_see_the_old_names():
    old = 'con.execute(f"create view s1 as {typed}")\n" left join regions g_x on g_x.region_code = s1.v_x"'
    assert "s1" in _sql_names(old)
    assert ALIAS.findall(" left join names n on x = y") == [("names", "n")]
