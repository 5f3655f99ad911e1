"""Comments and docstrings say why the code is as it is, never who asked or in which ticket: a reader of the
code has no access to the team's tracker or its roles, so "(issue 7)" or "helper B asked" tells them nothing."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".venv", "__pycache__", "corpus", "artifacts", "node_modules", ".git", "data"}
PROCESS = re.compile(
    r"(?i:\bissues?\s*#?\s*\d+\b)"                                   # issue 7, issue #7
    r"|\(#\d+\)|(?i:\b(?:see|in|fixes|fixed|closes|per)\s+#\d+\b)"  # (#12), fixed in #3 (a colour is no ticket)
    r"|(?i:\b(?:engineer|helper|reviewer|agent))\s+[A-Z]\b"          # engineer C, helper F
    r"|(?i:\bsession\s+\d+\b|\bin (?:this|the previous|an earlier) session\b)")


def _files(suffix: str) -> list[Path]:
    return sorted(p for p in ROOT.rglob(f"*{suffix}") if not SKIP & set(p.relative_to(ROOT).parts))


def _python_prose(path: Path) -> list[tuple[int, str]]:
    """Comments and docstrings of a Python file, with their line numbers."""
    src = path.read_text(encoding="utf-8")
    out = [(t.start[0], t.string) for t in tokenize.generate_tokens(io.StringIO(src).readline)
           if t.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                out.append((getattr(node, "lineno", 1), doc))
    return out


def _sql_prose(path: Path) -> list[tuple[int, str]]:
    """`--` comments and /* */ blocks of a SQL file."""
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if "--" in line:
            out.append((i, line.split("--", 1)[1]))
    text = path.read_text(encoding="utf-8")
    out += [(text[:m.start()].count("\n") + 1, m.group(0)) for m in re.finditer(r"/\*.*?\*/", text, re.DOTALL)]
    return out


def _offences() -> list[str]:
    found = []
    for path in (p for p in _files(".py") if p != Path(__file__).resolve()):
        found += [f"{path.relative_to(ROOT)}:{n}: {m.group(0).strip()}"
                  for n, text in _python_prose(path) for m in PROCESS.finditer(text)]
    for path in _files(".sql"):
        found += [f"{path.relative_to(ROOT)}:{n}: {m.group(0).strip()}"
                  for n, text in _sql_prose(path) for m in PROCESS.finditer(text)]
    return found


def test_no_comment_speaks_of_the_teams_process():
    assert _offences() == []


def test_the_scan_sees_what_it_forbids(tmp_path):
    """The pattern catches the usual ways of citing a ticket or a role, and leaves colours and product words."""
    for said in ("(issue 7)", "see issue #12", "fixed in #3", "helper F asked", "as engineer C wrote", "session 4"):
        assert PROCESS.search(said), said
    for fine in ("#000000", "#777", "the session cookie", "ui/ helpers take them", "an issue with GBK"):
        assert not PROCESS.search(fine), fine
