"""The query catalogue: every query a page runs is one .sql file with a .yaml beside it.

    warehouse/sql/queries/<page>/<name>.sql   DuckDB SQL with named parameters ($period) and the scope
                                              macro `in_scope(<code column>, $scope)` (see scope.sql);
                                              nothing is spliced into it from Python.
    warehouse/sql/queries/<page>/<name>.yaml  what it takes and returns, and what the door needs:

        doc: Match rates per street (one line, for the newcomer).
        params:                       # in call order; a positional call follows this order
          period: varchar             # a type alone: required
          check_code: {type: varchar, default: null}
          days: {type: integer, example: 30}   # example: what the catalogue's test passes
        columns:                      # the result's columns in order, each with a pandas dtype or nothing
          street_code:
          children: Int64
        scope: true                   # default; false = reads no figures by region (periods, a cube's cells)
        counts: [children]            # the small-number rule, as privacy.counts declares it
        derived: {rate: [children]}
        groups: [[county_code], null] # default [null]: the whole result is one group
        where: {value: [unit, [人]]}
        cube: warehouse.queries.matching:BY_CHECK   # a cube.In object: marks come from a published cube
        child_list: true              # one row per child: case roles only

A newcomer's path from a page to its SQL: the view calls `wh.query(matching.by_street, ...)`; the module
binds `by_street = catalogue.query("matching/by_street")`; the two files above say the rest.

Only this module executes SQL text against a snapshot, and only `execute` binds the scope. The door
(`warehouse.queries.run`) is the only caller that adds suppression; calling a `Query` directly returns
unsuppressed figures and is for composition inside warehouse/queries only (tests/test_catalogue.py holds
both rules).
"""
from __future__ import annotations

import datetime as dt
import functools
import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1] / "sql" / "queries"
SCOPE_MACROS = ROOT / "scope.sql"
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NAME = re.compile(r"^[a-z0-9_]+/[a-z0-9_]+$")
_TYPES = {
    "varchar": str, "integer": int, "bigint": int, "double": float, "boolean": bool,
    "date": dt.date, "varchar[]": list,
}
_NO_DEFAULT = object()


class CatalogueError(ValueError):
    """A catalogue entry that does not hold together, or a call that does not match its entry."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: object = _NO_DEFAULT
    example: object = None  # a value the catalogue's test passes when the fixture has no better one

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT


@dataclass(frozen=True, eq=False)
class Query:
    """One catalogue entry. Call it as `q(con, scope, *args, **kwargs)` (scoped) or `q(con, *args, **kwargs)`
    (scope: false); the door (`queries.run`) calls it the same way and then applies the small-number rule."""

    name: str
    sql: str
    doc: str
    params: tuple[Param, ...]
    columns: dict[str, str | None]
    scoped: bool
    privacy: dict | None = None
    child_list: bool = False
    uses: frozenset[str] = field(default_factory=frozenset)

    # What the door reads from a query function, so an entry stands wherever a function did.
    @property
    def __name__(self) -> str:  # "by_street" of "matching/by_street", as a function is named
        return self.name.rpartition("/")[2]

    @property
    def __privacy__(self) -> dict | None:
        return self.privacy

    @property
    def __child_list__(self) -> bool:
        return self.child_list

    def __repr__(self) -> str:
        return f"Query({self.name!r})"

    def __call__(self, con: duckdb.DuckDBPyConnection, *args, **kwargs) -> pd.DataFrame:
        if self.scoped:
            if not args and "scope" not in kwargs:
                raise CatalogueError(f"{self.name}: needs a scope / 需要范围")
            scope = kwargs.pop("scope") if "scope" in kwargs else args[0]
            args = args if "scope" in kwargs else args[1:]
            return execute(con, self, scope, *args, **kwargs)
        return execute(con, self, None, *args, **kwargs)


def _param(name: str, spec) -> Param:
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, dict) or spec.get("type") not in _TYPES:
        raise CatalogueError(f"parameter {name}: type must be one of {sorted(_TYPES)}, not {spec!r}")
    return Param(name, spec["type"], spec.get("default", _NO_DEFAULT), spec.get("example"))


def _cube(ref: str | None):
    if ref is None:
        return None
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def _privacy(spec: dict) -> dict | None:
    if "counts" not in spec:
        return None
    groups = spec.get("groups", [None])
    return {
        "counts": list(spec["counts"]),
        "derived": {k: ([v] if isinstance(v, str) else list(v)) for k, v in (spec.get("derived") or {}).items()},
        "groups": [None if g is None else list(g) for g in groups],
        "where": {k: (v[0], list(v[1])) for k, v in (spec.get("where") or {}).items()},
        "cube": _cube(spec.get("cube")),
    }


@functools.cache
def load(name: str) -> Query:
    """The catalogue entry `<page>/<name>` (cached for the life of the process: the files ship with the code)."""
    if not _NAME.match(name):
        raise CatalogueError(f"no such query name: {name!r}")
    sql_path, spec_path = ROOT / f"{name}.sql", ROOT / f"{name}.yaml"
    if not sql_path.is_file() or not spec_path.is_file():
        raise CatalogueError(f"{name}: needs both {sql_path.name} and {spec_path.name} under {ROOT}")
    sql = sql_path.read_text(encoding="utf-8")
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}
    params = tuple(_param(k, v) for k, v in (spec.get("params") or {}).items())
    scoped = bool(spec.get("scope", True))
    uses = frozenset(_PARAM.findall(_strip_comments(sql)))
    declared = {p.name for p in params} | ({"scope"} if scoped else set())
    if uses != declared:
        raise CatalogueError(f"{name}: the SQL uses {sorted(uses)} but the entry declares {sorted(declared)}")
    privacy = _privacy(spec)
    if privacy and not scoped:
        raise CatalogueError(f"{name}: counts are declared on a query without scope")
    return Query(name, sql, str(spec.get("doc", "")).strip(), params, dict(spec.get("columns") or {}), scoped,
                 privacy, bool(spec.get("child_list", False)), uses)


def query(name: str) -> Query:
    """The entry a queries module binds to a name: `by_street = catalogue.query("matching/by_street")`."""
    return load(name)


def names() -> list[str]:
    """Every entry in the catalogue, as <page>/<name>."""
    return sorted(p.relative_to(ROOT).with_suffix("").as_posix() for p in ROOT.glob("*/*.sql"))


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def _coerce(q: Query, p: Param, value):
    if value is None:
        return None
    want = _TYPES[p.type]
    if want is list:
        if isinstance(value, str | bytes) or not hasattr(value, "__iter__"):
            raise CatalogueError(f"{q.name}: {p.name} must be a list / 应为列表")
        return [str(v) for v in value]
    if want is dt.date:
        return pd.Timestamp(value).date()
    if want is bool:
        return bool(value)
    try:
        return want(value)
    except (TypeError, ValueError) as e:
        raise CatalogueError(f"{q.name}: {p.name}={value!r} is not {p.type} / 参数类型不符") from e


def bind(q: Query, scope, args: tuple, kwargs: dict) -> dict:
    """The named parameters of one call: positional arguments in declared order, then keywords, then
    defaults; the scope's prefixes as $scope. Unknown or missing arguments are errors."""
    if len(args) > len(q.params):
        raise CatalogueError(f"{q.name}: takes {len(q.params)} arguments, got {len(args)}")
    values = {p.name: a for p, a in zip(q.params, args)}
    for k, v in kwargs.items():
        if k in values or k not in {p.name for p in q.params}:
            raise CatalogueError(f"{q.name}: unexpected or repeated argument {k!r}")
        values[k] = v
    out = {}
    for p in q.params:
        if p.name in values:
            out[p.name] = _coerce(q, p, values[p.name])
        elif p.required:
            raise CatalogueError(f"{q.name}: missing argument {p.name!r}")
        else:
            out[p.name] = p.default
    if q.scoped:
        prefixes = getattr(scope, "prefixes", None)
        if prefixes is None:
            raise CatalogueError(f"{q.name}: needs a Scope, not {scope!r}")
        out["scope"] = list(prefixes)  # empty: the macro matches nothing (default deny)
    return out


@functools.cache
def temp_macros() -> str:
    """The scope macros as temp macros, for a snapshot built before the build stored them (read-only: a
    connection may add temp objects only, and only for itself)."""
    return SCOPE_MACROS.read_text(encoding="utf-8").replace("create or replace macro", "create or replace temp macro")


def execute(con: duckdb.DuckDBPyConnection, q: Query | str, scope, *args, **kwargs) -> pd.DataFrame:
    """Run entry `q` on a fresh cursor (thread safety) with the scope bound; unsuppressed (see `run`).

    The scope macros are stored in the snapshot by the build; an older snapshot gets them as temp macros on
    the cursor. The result's columns must be the declared ones, in order; declared dtypes are applied."""
    q = load(q) if isinstance(q, str) else q
    params = bind(q, scope, args, kwargs)
    cur = con.cursor()
    try:
        try:
            df = cur.execute(q.sql, params).df()
        except duckdb.CatalogException:
            if not q.scoped:
                raise
            cur.execute(temp_macros())  # an older snapshot: no stored scope macros (a real error raises again)
            df = cur.execute(q.sql, params).df()
    finally:
        cur.close()
    if q.columns and list(df.columns) != list(q.columns):
        raise CatalogueError(f"{q.name}: returned {list(df.columns)}, declared {list(q.columns)}")
    # Column by column: DataFrame.astype(dict) copies every column, ~0.4 ms on a page query's result.
    for c, t in q.columns.items():
        if t and df[c].dtype != t:
            df[c] = df[c].astype(t)
    return df
