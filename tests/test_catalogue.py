"""The query catalogue holds together, and the door is the only way through it.

- every .sql under warehouse/sql/queries/<page>/ has its .yaml, and each entry's parameters are the ones its
  SQL uses; a scoped entry limits its rows with the scope macro;
- every entry runs on the fixture warehouse with the arguments a page would pass and returns the columns it
  declares, and nothing at all for the empty scope (default deny);
- no module but catalogue.py executes SQL text, and no code outside it reads the catalogue's files;
- the small-number rule is applied by the door's `guard` alone: nothing else calls privacy.suppress.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest

from warehouse import queries as q
from warehouse.queries import catalogue, privacy

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "warehouse" / "queries"



def test_every_sql_file_has_its_entry_and_they_agree():
    sql = {p.relative_to(catalogue.ROOT).with_suffix("").as_posix() for p in catalogue.ROOT.glob("*/*.sql")}
    spec = {p.relative_to(catalogue.ROOT).with_suffix("").as_posix() for p in catalogue.ROOT.glob("*/*.yaml")}
    assert sql == spec, f"a .sql without its .yaml or the reverse: {sorted(sql ^ spec)}"
    assert sql, "the catalogue is empty"
    for name in sorted(sql):
        entry = catalogue.load(name)  # raises when parameters and SQL disagree
        assert entry.doc, f"{name}: no doc"
        assert entry.columns, f"{name}: no columns declared"
        body = re.sub(r"--[^\n]*", "", entry.sql)
        if entry.scoped:
            assert re.search(r"\bin_scope(_or_above)?\s*\(", body), f"{name}: scoped but never calls in_scope"
        assert "{" not in body, f"{name}: a template placeholder; nothing is spliced into catalogue SQL"


def test_load_rejects_an_entry_whose_parameters_do_not_match(tmp_path, monkeypatch):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "y.sql").write_text("select $period as p where in_scope('1', $scope)")
    (tmp_path / "x" / "y.yaml").write_text("doc: d\ncolumns: {p: }\n")
    monkeypatch.setattr(catalogue, "ROOT", tmp_path)
    catalogue.load.cache_clear()
    try:
        with pytest.raises(catalogue.CatalogueError, match="period"):
            catalogue.load("x/y")
        (tmp_path / "x" / "y.yaml").write_text("doc: d\nparams: {period: varchar}\ncolumns: {p: }\n")
        catalogue.load.cache_clear()
        entry = catalogue.load("x/y")
        with pytest.raises(catalogue.CatalogueError, match="missing"):
            catalogue.bind(entry, q.Scope.everything(), (), {})
        with pytest.raises(catalogue.CatalogueError, match="unexpected"):
            catalogue.bind(entry, q.Scope.everything(), ("2025H1",), {"periods": 1})
    finally:
        catalogue.load.cache_clear()


def _arguments(con) -> dict:
    """A value for every parameter name an entry may take, as a page would pass it, from the fixture."""
    periods = q.periods(con)
    latest = str(periods["period"].iloc[0])
    county = str(q.counties(con, q.Scope.everything())["county_code"].iloc[0])
    check = str(con.execute("select min(check_code) from match_rates").fetchone()[0])
    return {"period": latest, "previous": q.previous_period(con, latest), "check_code": check,
            "county_code": county, "region": county, "code": county}


def _kwargs(entry, args) -> dict:
    """The arguments of one entry: the fixture's value for a common name, else the entry's `example`."""
    out = {p.name: args.get(p.name, p.example) for p in entry.params
           if p.name in args or p.example is not None}
    missing = [p.name for p in entry.params if p.required and p.name not in out]
    assert not missing, f"{entry.name}: give {missing} an `example:` in its .yaml (or a fixture value here)"
    return out


def test_every_entry_runs_on_the_fixture_and_denies_the_empty_scope(con):
    args = _arguments(con)
    for name in catalogue.names():
        entry = catalogue.load(name)
        kwargs = _kwargs(entry, args)
        if not entry.scoped:
            df = entry(con, **kwargs)
            assert list(df.columns) == list(entry.columns)
            continue
        scope = q.Scope.everything(exact=True)
        df = entry(con, scope, **kwargs)
        assert list(df.columns) == list(entry.columns), name
        assert entry(con, q.Scope(), **kwargs).empty, f"{name}: the empty scope sees rows"
        if not entry.child_list:
            shown = q.run(entry, con, q.Scope.everything(), **kwargs)
            for c in (entry.privacy or {}).get("counts", []):
                assert f"{c}_label" in shown, f"{name}: the door did not mark {c}"


def test_a_child_list_entry_needs_case_access(con):
    lists = [catalogue.load(n) for n in catalogue.names() if catalogue.load(n).child_list]
    args = _arguments(con)
    for entry in lists:
        kwargs = _kwargs(entry, args)
        with pytest.raises(privacy.CaseAccessRequired):
            q.run(entry, con, q.Scope.everything(), **kwargs)


def test_a_scope_of_many_regions_is_the_union_of_its_regions(con):
    # Beyond one prefix the scope macro takes its slower path; both must agree with one region at a time.
    entry = catalogue.load("matching/by_street")
    streets = sorted(set(entry(con, q.Scope.everything(exact=True))["street_code"].dropna()))
    assert len(streets) > 3
    absent = [f"{streets[0][:6]}{900 + i}000" for i in range(9 - len(streets) + 1)]  # pads the scope past 8
    scope = q.Scope.of(*streets, *absent, exact=True)
    assert len(scope.prefixes) > 8
    union = entry(con, scope)
    one_by_one = pd.concat([entry(con, q.Scope.of(s, exact=True)) for s in streets])
    key = ["check_code", "street_code"]
    assert union.sort_values(key).reset_index(drop=True).equals(one_by_one.sort_values(key).reset_index(drop=True))


def _calls(path: Path, *, owner: bool = False) -> list[tuple[str, int]]:
    """(function or method name, line) of every call in a file; with `owner`, a method called on a plain name
    keeps it ("catalogue.execute")."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if owner and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                name = f"{f.value.id}.{name}"
            out.append((name, node.lineno))
    return out


def sql_outside_catalogue(*modules: str) -> list[str]:
    """Calls that run SQL in the given modules of warehouse/queries (file names), other than the catalogue's."""
    offenders = []
    for name in modules:
        path = QUERIES / name
        offenders += [f"{path.name}:{line} {call}()" for call, line in _calls(path, owner=True)
                      if call.rpartition(".")[2] in ("execute", "sql", "query_df", "_df", "fetchall", "fetchone",
                                                     "df", "_scope_predicate") and not call.startswith("catalogue.")]
    return offenders


def test_only_the_catalogue_executes_sql():
    modules = [p.name for p in sorted(QUERIES.glob("*.py")) if p.name != "catalogue.py"]
    offenders = sql_outside_catalogue(*modules)
    assert not offenders, f"SQL run outside the catalogue: {offenders}"


def test_nothing_outside_the_catalogue_reads_its_files():
    readers = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        if ".venv" in path.parts or path == QUERIES / "catalogue.py" or path.parent.name == "tests":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}  # docstrings may name the folder
        strings = [n.value for n in ast.walk(tree)
                   if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]
        if any("sql/queries" in t for t in strings) or re.search(
                r"[\"']sql[\"']\s*/\s*[\"']queries", path.read_text(encoding="utf-8")):
            readers.append(str(path.relative_to(ROOT)))
    assert not readers, f"catalogue files read past the loader: {readers}"


def test_only_the_door_applies_the_small_number_rule():
    callers = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        if ".venv" in path.parts or path.parent.name == "tests":
            continue
        for name, line in _calls(path):
            if name == "suppress":
                callers.append(f"{path.relative_to(ROOT)}:{line}")
    # guard's two calls (a cube's marks, a query's own groups) and the cube's pattern over its whole cells.
    allowed = {"warehouse/queries/__init__.py", "warehouse/queries/cube.py"}
    assert {c.split(":")[0] for c in callers} <= allowed, callers


def test_the_whole_holds_rows_of_unknown_region_and_no_part_does(con):
    # A row whose code is unknown counts in the deployment's total (as it always did) but in no county's.
    cur = con.cursor()
    try:
        got = cur.execute("select in_scope(null, ['']), in_scope(null, ['99']), in_scope('990102', []),"
                          " in_scope('990102001000', ['9901']), in_scope_or_above('990100000000', ['990102'])"
                          ).fetchone()
    finally:
        cur.close()
    assert got == (True, False, False, True, False)


def test_a_cubes_pattern_does_not_depend_on_the_order_of_its_cells(con):
    # The complementary pass breaks ties by row order; the pattern must not follow the query's row order.
    from warehouse.queries import cube, key_counts

    source = key_counts.KEY_CHILDREN_CUBE
    cells = source.cells(con)
    patterns = set()
    for seed in range(4):
        shuffled = cells.sample(frac=1, random_state=seed)
        c = cube.Cube("shuffled", lambda _con, s=shuffled: s, source.keys, source.within, source.relations)
        patterns.add(frozenset(cube.compute(c, con, 5).hidden.items()))
    assert len(patterns) == 1


def test_a_snapshot_built_before_the_stored_scope_macros_still_answers(con, snapshot_path, tmp_path):
    # The build stores the scope macros (no cost per read); an older snapshot gets them per cursor.
    import shutil

    import duckdb

    old = tmp_path / "old.duckdb"
    shutil.copy(snapshot_path, old)
    with duckdb.connect(str(old)) as w:
        w.execute("drop macro in_scope_or_above; drop macro in_scope")
    entry = catalogue.load("matching/by_street")
    before = q.connect(old)
    try:
        assert not before.execute("select 1 from duckdb_functions() where function_name = 'in_scope'").fetchall()
        for scope in (q.Scope.everything(exact=True), q.Scope.of("990102", exact=True), q.Scope()):
            assert entry(before, scope).equals(entry(con, scope))
    finally:
        before.close()
