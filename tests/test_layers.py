"""The packages import one another in one direction, and only through public names.

Every module of auth, etl, geo, loop, report, ui and warehouse is parsed (ast: nothing is imported or run), and
every import counts, at module level or inside a function: an import moved into a function to dodge a
circle is still a circle. `settings.py` at the repository root sits below them all and imports none.

A private name (`_x`) may not be imported, nor read as `module._x`, from another module: what one module
needs of another is that module's public interface.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("auth", "etl", "geo", "loop", "report", "ui", "warehouse")
PROJECT = (*PACKAGES, "settings", "demo", "views", "bench", "tests", "app", "server")


def modules(root: Path, packages=PACKAGES) -> dict[str, Path]:
    """Dotted module name → file, for every .py file of the packages (a package is its __init__)."""
    out = {}
    for pkg in packages:
        for f in sorted((root / pkg).rglob("*.py")):
            parts = f.relative_to(root).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def imports(name: str, path: Path, known) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import in the file, relative ones resolved.
    `from a.b import c` is an import of module a.b.c when that is a module, else of name c from a.b."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, "", node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([base] if base else [])])
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.append((sub, "", node.lineno) if sub in known else (base, a.name, node.lineno))
    return out


def graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module → the project modules it imports (itself excluded)."""
    return {m: {t for t, _, _ in imports(m, f, mods) if t in mods and t != m} for m, f in mods.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(mods: dict[str, Path]) -> list[str]:
    """`module:line imports/reads other._x` for each private name taken from another module of the project."""
    out = []
    for m, f in mods.items():
        found = imports(m, f, mods)
        for target, name, line in found:
            if name and _private(name) and target.split(".")[0] in PACKAGES and target != m:
                out.append(f"{m}:{line} imports {target}.{name}")
        aliases = {}  # a name bound to a module of another package, in this file
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for a in node.names:
                    aliases[a.asname or a.name] = a.name
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    hit = [t for t, n, _ in found if (t.endswith(f".{a.name}") and not n) and t in mods]
                    if hit:
                        aliases[a.asname or a.name] = hit[0]
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _private(node.attr):
                target = aliases.get(node.value.id, "")
                if target.split(".")[0] in PACKAGES and target != m:
                    out.append(f"{m}:{node.lineno} reads {target}.{node.attr}")
    return out


def test_no_import_circle():
    found = circles(graph(modules(ROOT)))
    assert not found, f"import circles (module-level or inside functions): {found}"


def test_no_private_name_from_another_module():
    found = private_uses(modules(ROOT))
    assert not found, "private names taken from another module:\n" + "\n".join(found)


def test_settings_imports_nothing_from_the_project():
    path = ROOT / "settings.py"
    found = [t for t, _, _ in imports("settings", path, {}) if t.split(".")[0] in PROJECT]
    assert not found, f"settings.py must sit below every package, but imports {found}"


def test_geo_imports_nothing_of_the_project_but_settings():
    """Geography sits low: etl lands boundaries by calling geo, the map draws them; geo calls neither."""
    mods = modules(ROOT)
    found = [f"{m}:{line} imports {t}" for m, f in mods.items() if m.split(".")[0] == "geo"
             for t, _, line in imports(m, f, mods) if t.split(".")[0] in PROJECT
             and t.split(".")[0] not in ("geo", "settings")]
    assert not found, "geo may import settings only:\n" + "\n".join(found)


# What the loop (sign-off, follow-up, instructions) may build on: the settings, the load log and the
# contracts, the audit log and the roles. Pages call the loop; the loop calls no page, widget or query.
LOOP_MAY_IMPORT = ("settings", "etl.landed", "etl.contracts", "auth.audit", "auth.roles")


def test_loop_imports_only_the_settings_load_log_contracts_audit_and_roles():
    mods = modules(ROOT)
    found = [f"{m}:{line} imports {t}" for m, f in mods.items() if m.split(".")[0] == "loop"
             for t, _, line in imports(m, f, mods) if t.split(".")[0] in PROJECT
             and t.split(".")[0] != "loop" and t not in LOOP_MAY_IMPORT]
    assert not found, f"loop may import {', '.join(LOOP_MAY_IMPORT)} only:\n" + "\n".join(found)


def test_the_checks_see_function_level_and_relative_imports_and_private_names(tmp_path):
    """The checker on a small tree of its own: what it must catch, it catches."""
    for rel, text in {
        "auth/__init__.py": "",
        "auth/a.py": "from etl.b import helper\n",
        "etl/__init__.py": "",
        "etl/b.py": "def helper():\n    from auth import a\n    return a\n",
        "etl/c.py": "from .d import _shared\n",  # within one package: not allowed either
        "etl/d.py": "_shared = 1\n",
        "geo/__init__.py": "",
        "geo/e.py": "from etl.d import _shared\nfrom etl import d as dd\nx = dd._shared\n",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    mods = modules(tmp_path, ("auth", "etl", "geo"))
    assert circles(graph(mods)) == [["auth.a", "etl.b"]]
    assert private_uses(mods) == ["etl.c:1 imports etl.d._shared", "geo.e:1 imports etl.d._shared",
                                  "geo.e:3 reads etl.d._shared"]
