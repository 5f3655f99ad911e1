"""No text from data or users renders as Markdown or HTML: a child's, street's, indicator's or file's name that
is an image, a link, HTML or a Streamlit directive shows as the characters it is, on every page that shows it.

The pages run in AppTest on the fixture warehouse, with every name the queries return made hostile (the
query results are rewritten on their way to the page), and every element that Streamlit renders as Markdown
(markdown, captions, alerts, headings, labels, help) is checked for unescaped syntax."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from settings import DATA_DIR_ENV
from tests.files import signed_in

APP = str(Path(__file__).resolve().parents[1] / "app.py")
MARK = "PWN"  # plain letters: proves the hostile text reached the page at all
HOSTILE = f"![x](http://h.invalid/p.png)<img src=x>[z](javascript:alert(1)) :rainbow[{MARK}] **b** # h"
# Unescaped: an image or a link, HTML tags, a URL scheme, a Streamlit colour directive from the data.
HAZARD = re.compile(r"(?<!\\)(?:!\[|\]\(|<(?:img|script|a\s|iframe)|://|javascript:|:rainbow\[)", re.IGNORECASE)
# Columns of query results that hold names and labels from data (department files and catalogues).
TAINTED = {"indicator", "measure", "area", "department", "lead_department", "lead_departments", "rule_text",
           "basis", "source", "supply_name", "demand_name", "measure_label", "service_type", "sex",
           "detail", "file_name", "source_label"}
MARKDOWN_KINDS = {"markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader",
                  "toast", "exception"}


def _taint(value):
    if isinstance(value, pd.DataFrame):
        out = value.copy()
        for c in out.columns:
            if isinstance(c, str) and (c.endswith("name") or c in TAINTED) and not pd.api.types.is_numeric_dtype(out[c]):
                out[c] = [f"{v}{HOSTILE}" if isinstance(v, str) and v else v for v in out[c]]
        return out
    if isinstance(value, dict):
        return {k: _taint(v) for k, v in value.items()}
    return value


@pytest.fixture
def hostile_data(data_dir, monkeypatch):
    """Every name a query returns ends with HOSTILE; one street loses its boundary (the map then lists it)."""
    from ui import data

    query, uncached = data.Warehouse.query, data.Warehouse.uncached

    def tainted_query(self, fn, scope, *args, **kwargs):
        out = query(self, fn, scope, *args, **kwargs)
        if fn.__name__ == "shapes" and args[:1] == ("street",) and len(out):
            out = out.iloc[1:]
        return _taint(out)

    monkeypatch.setattr(data.Warehouse, "query", tainted_query)
    monkeypatch.setattr(data.Warehouse, "uncached", lambda self, fn, scope, *a, **k: _taint(uncached(self, fn, scope, *a, **k)))
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    return data_dir


def _texts(at: AppTest) -> list[str]:
    """What Streamlit renders as Markdown: bodies of markdown-like elements, and every label and help text."""
    out = []
    for node in at._tree:
        kind = getattr(node, "type", "")
        if kind in MARKDOWN_KINDS:
            out.append(str(getattr(node, "value", "") or ""))
        for attr in ("label", "help"):
            v = getattr(node, attr, None)
            if isinstance(v, str):
                out.append(v)
    return out


HTML_HAZARD = re.compile(r"<(?:img|script|a\s|iframe)", re.IGNORECASE)


def _assert_safe(at: AppTest, reached: bool = True) -> None:
    assert not at.exception, [e.value for e in at.exception]
    texts = _texts(at)
    html = [str(n.proto.body) for n in at._tree if getattr(n, "type", "") == "html"]
    if reached:
        assert any(MARK in t for t in texts + html), "the hostile names did not reach any Markdown element"
    bad = [t for t in texts if HAZARD.search(t)] + [h for h in html if HTML_HAZARD.search(h)]
    assert not bad, bad


def _page(page: str) -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=90)).run()
    at.switch_page(f"views/{page}.py").run()
    return at


def test_md_escape_renders_text_as_written():
    from ui.format import md_escape

    for text in (HOSTILE, "\\" + HOSTILE, "a\n\n# b\r\n- c", "<script>alert(1)</script>", "$x$ ~~y~~ | z |",
                 ":material/home: :rainbow[x]", "www.h.invalid a@b.cn", "张*明_1"):
        escaped = md_escape(text)
        assert not HAZARD.search(escaped) and "\n" not in escaped
        # Markdown turns each backslash escape back into the character: the reader sees the text as written.
        assert re.sub(r"\\(.)", r"\1", escaped) == re.sub(r"[\r\n]+", " ", text)
    assert md_escape(None) == "" and md_escape("城关镇") == "城关镇"


def test_child_file_view(hostile_data):
    at = _page("key_children")
    at.selectbox(key="kc_pick").select_index(0).run()
    at.text_input(key="kc_reason").input("入户走访前核对").run()
    at.button(key="kc_open").click().run()
    assert any(MARK in t for t in _texts(at) if "身份证号" in t), "the child's file was not shown"
    _assert_safe(at)


def test_map_page(hostile_data):
    at = _page("map")
    assert any("没有边界" in w.value for w in at.warning)
    _assert_safe(at)


def test_targets_page(hostile_data):
    at = _page("targets")
    _assert_safe(at)


def test_gaps_page(hostile_data):
    at = _page("gaps")
    _assert_safe(at)
    at.selectbox(key="gap").select("childcare_places").run()
    _assert_safe(at)


def test_upload_page_file_names_and_errors(hostile_data, monkeypatch):
    from etl.errors import ExtractError
    from etl.land import Diff, Preview
    from ui import upload as up

    name = f"{HOSTILE.replace('/', '_')}.xlsx"
    preview = Preview(source="activities", period="2026-10", file_name=name, rows_read=2, rows_accepted=1,
                      rows_rejected=1, reasons={"BAD_ENUM": 1},
                      rejected=pa.table({"活动类型": [HOSTILE], "原因": ["不在可选值中"]}),
                      already={"landed_at": "2026-10-31", "file_name": name},
                      overlap=0, supersedes={"file_name": name, "rows_accepted": 3},
                      modes=("county", "period"), default_mode="county")
    areas = pd.DataFrame({"area_code": ["990102001000"], "area_name": [HOSTILE], "rows_before": [3], "kept": [0],
                          "added": [1], "changed": [0], "removed": [3], "rows_after": [1], "figure_before": [30.0],
                          "figure_after": [5.0]})
    changes = Diff(mode="county", level="street", table=areas, rows_before=3, kept=0, added=1, changed=0,
                   removed=3, rows_after=1, figure="服务人次", figure_before=30.0, figure_after=5.0,
                   removed_share=1.0, needs_confirmation=True, removed_text=f"{HOSTILE} 3 行")
    monkeypatch.setattr(up, "preview", lambda *a, **k: preview)
    monkeypatch.setattr(up, "diff", lambda *a, **k: changes)
    at = _page("upload")
    at.file_uploader[0].upload(name, b"not read: preview is replaced").run()
    assert any(MARK in t for t in _texts(at) if t.startswith("我已知晓并确认删除"))  # the area's name reached the label
    _assert_safe(at)

    def refuse(*a, **k):
        raise ExtractError("BAD_HEADER", f"表头“{HOSTILE}”无法识别", f"header {HOSTILE} not recognised")

    monkeypatch.setattr(up, "preview", refuse)
    at.file_uploader[0].upload("x" + name, b"other bytes").run()
    assert at.error, "the file-level error was not shown"
    _assert_safe(at)


@pytest.mark.parametrize("page", ["overview", "key_children", "matching", "data_quality", "volunteers"])
def test_other_pages(page, hostile_data):
    """The remaining pages: whatever names they show, none renders as Markdown or HTML."""
    _assert_safe(_page(page), reached=False)
