"""Queries for 上线检查 (the setup page): what a deployment has landed so far — the region table, boundary
coverage, each extract against its cadence and by county — scoped like every other read.

None of these returns counts of people: regions, polygons, periods and whether a county has rows at all.
The page is for administrators and data officers, who land the data city-wide. The SQL and each query's
declaration are in warehouse/sql/queries/setup/ (see catalogue.py).
"""

from __future__ import annotations

import ast
import importlib
import re
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from etl import deployment, force
from etl.contracts import sources as contracts
from etl.deployment import LEVEL_ZH, LEVELS
from warehouse.queries import Scope, catalogue, quality

# Levels a page draws as polygons (the map's street choropleth and its county outlines); communities are points.
POLYGON_LEVELS = ("county", "street")

region_problems = catalogue.query("setup/region_problems")
boundaries_missing = catalogue.query("setup/boundaries_missing")
boundaries_unmatched = catalogue.query("setup/boundaries_unmatched")
_extract_standing = catalogue.query("setup/extract_standing")
_counties = catalogue.query("setup/counties")


def regions_by_level(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Regions of the landed table per level, every level listed (0 where none): level, level_zh, regions.
    A region above the scope (a city user's province) is counted: it is part of the table they work from."""
    got = catalogue.query("setup/region_counts")(con, scope)
    n = dict(zip(got["level"], got["regions"]))
    return pd.DataFrame({"level": LEVELS, "level_zh": [LEVEL_ZH[x] for x in LEVELS],
                         "regions": [int(n.get(x, 0)) for x in LEVELS]})


def root(con: duckdb.DuckDBPyConnection, scope: Scope, configured: str | None = None) -> pd.DataFrame:
    """The deployment's root region, one row (region_code, region_name, level) or none when no table landed.

    The configured root (etl.deployment.root_code) when the table holds it; else the table's top, followed
    down while it has a single child (a city's table that keeps its province names the city), never below
    a county.
    """
    top = catalogue.query("setup/top_regions")(con, scope)
    cols = ["region_code", "region_name", "level"]
    if configured is not None and configured in set(top["region_code"]):
        return top.loc[top["region_code"] == configured, cols].reset_index(drop=True)
    codes = set(top["region_code"])
    heads = top[~top["parent_code"].isin(codes)]
    if len(heads) != 1:  # nothing landed, or several unrelated tops: no single root to name
        return top.iloc[0:0][cols]
    row = heads.iloc[0]
    while row["level"] != "county":
        children = top[top["parent_code"] == row["region_code"]]
        if len(children) != 1:
            break
        row = children.iloc[0]
    return pd.DataFrame([row[cols]]).reset_index(drop=True)


def boundary_coverage(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per level below the city: level, level_zh, regions, with_polygon, without_polygon (current boundaries)."""
    got = catalogue.query("setup/boundary_counts")(con, scope).set_index("level")
    rows = []
    for level in ("county", "street", "community"):
        n = int(got.at[level, "regions"]) if level in got.index else 0
        w = int(got.at[level, "with_polygon"]) if level in got.index else 0
        rows.append({"level": level, "level_zh": LEVEL_ZH[level], "regions": n, "with_polygon": w,
                     "without_polygon": n - w})
    return pd.DataFrame(rows)


EXTRACT_COLUMNS = ["source", "title", "department", "cadence", "latest_period", "expected_period", "periods_behind",
                   "is_late", "periods_landed", "never_sent", "by_county"]


def extracts(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Every contract, landed or not, against its cadence (dq_sources): source, title, department, cadence,
    latest_period, expected_period, periods_behind, is_late, periods_landed, never_sent, by_county (whether
    its rows carry a division code), in the contracts' order."""
    if scope.is_empty:
        return pd.DataFrame(columns=EXTRACT_COLUMNS)
    # The contracts, not the snapshot's `sources` table: a contract added since the last build is listed too.
    base = pd.DataFrame([{"source": n, "title": s.title, "department": s.department, "grain": s.period,
                          "by_county": force.area_column(s) is not None} for n, s in contracts().items()])
    df = base.merge(_extract_standing(con, scope), on="source", how="left")
    df["cadence"] = df["cadence"].fillna(df["grain"])
    df["expected_period"] = df["expected_period"].astype(object).where(df["expected_period"].notna(), None)
    df["periods_behind"] = df["periods_behind"].fillna(0).astype(int)
    df["periods_landed"] = df["periods_landed"].fillna(0).astype(int)
    df["is_late"] = df["is_late"].astype("boolean").fillna(True).astype(bool)
    df["never_sent"] = df["latest_period"].isna()
    return df[EXTRACT_COLUMNS]


def extract_counties(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """For each extract with a division code and a landed period: which counties in scope have rows in its
    latest period: source, latest_period, county_code, county_name, has_rows.

    Read from raw_<source> (quality.rows_under), not from the load log: the log records the areas of a landing
    by county or street only, while a whole-period landing (most first landings) records none, so it cannot
    answer. One period's rows per source, grouped by the county prefix, is one pass a snapshot (the page
    caches it per snapshot): about 2 s on a shared two-core machine for 4.8M rows of latest periods among 20M.
    """
    cols = ["source", "latest_period", "county_code", "county_name", "has_rows"]
    counties = _counties(con, scope)
    latest = _extract_standing(con, scope).dropna(subset=["latest_period"])
    included = [(s, p) for s, p in zip(latest["source"], latest["latest_period"])
                if s in contracts() and force.area_column(contracts()[s]) is not None]
    if not included or counties.empty:
        return pd.DataFrame(columns=cols)
    present = quality.rows_under(con, sorted({c[:6] for c in counties["county_code"]}), latest_only=True)
    have = set(zip(present["source"], present["prefix"]))
    rows = [{"source": s, "latest_period": p, "county_code": c, "county_name": n, "has_rows": (s, c[:6]) in have}
            for s, p in included for c, n in zip(counties["county_code"], counties["county_name"])]
    return pd.DataFrame(rows, columns=cols)


def region_names(con: duckdb.DuckDBPyConnection, scope: Scope, codes: tuple[str, ...]) -> pd.DataFrame:
    """Names of the given 12-digit codes found in the region table: region_code, region_name."""
    return catalogue.query("setup/region_names")(con, scope, list(codes))


RETIRED_COLUMNS = ["old_code", "old_name", "successor_codes", "successor_names", "effective_date", "change_type",
                   "is_split", "rows_in_use", "usage", "in_region_table"]


def retired_codes(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The division codes the landed change tables retire, in scope (the old code's region or its successor's),
    as the lists give them (not the streets and communities that follow a renumbered county by prefix):
    old_code, old_name, successor_codes and successor_names (、-joined; several for a split), effective_date,
    change_type, is_split, rows_in_use (rows in force of the landed extracts whose code is the old one or lies
    under it), usage ("流动儿童监测摸排台账 4 行；…", by extract), in_region_table. Most rows first.

    Rows of files, as the load log counts them, not people by area: not suppressed (the page is for those who
    land the data)."""
    if scope.is_empty or not quality.has_table(con, "region_changes_report"):
        return pd.DataFrame(columns=RETIRED_COLUMNS)
    rep = catalogue.query("setup/retired_report")(con, scope)
    if rep.empty:
        return pd.DataFrame(columns=RETIRED_COLUMNS)
    codes = sorted({c for s in rep["successor_codes"] for c in str(s).split("、") if c})
    names = catalogue.query("setup/successor_names")(con, codes)
    name = dict(zip(names["code"], names["name"]))
    rep["successor_names"] = ["、".join(name.get(c) or "" for c in str(s).split("、")) for s in rep["successor_codes"]]
    rep["prefix"] = [deployment.prefix(c) for c in rep["old_code"]]
    used = quality.rows_under(con, sorted(set(rep["prefix"])))
    titles = {n: s.title for n, s in contracts().items()}
    usage, total = {}, {}
    for p, g in used.sort_values(["rows", "source"], ascending=[False, True]).groupby("prefix", sort=False):
        usage[p] = "；".join(f"{titles.get(s, s)} {int(n):,} 行" for s, n in zip(g["source"], g["rows"]))
        total[p] = int(g["rows"].sum())
    rep["rows_in_use"] = [total.get(p, 0) for p in rep["prefix"]]
    rep["usage"] = [usage.get(p, "") for p in rep["prefix"]]
    rep = rep.sort_values(["rows_in_use", "old_code"], ascending=[False, True], ignore_index=True)
    return rep[RETIRED_COLUMNS]


_REPO = Path(__file__).resolve().parents[2]
_SQL_WORDS = re.compile(r"\b(from|join)\b", re.IGNORECASE)


def _sql_of(path: Path) -> str:
    """The SQL a query module runs: its catalogue entries' (bound to a name, or named by a string such as a
    cube's cells), and any string literal of its own that reads a table; without comments and docstrings
    (which name marts in prose)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and n.body and isinstance(n.body[0], ast.Expr)}
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
               and id(n) not in docs]
    module = importlib.import_module(f"warehouse.queries.{path.stem}")
    entries = {v for v in vars(module).values() if isinstance(v, catalogue.Query)}
    entries |= {catalogue.load(t) for t in set(strings) & set(catalogue.names())}
    sql = [re.sub(r"--[^\n]*", "", e.sql) for e in sorted(entries, key=lambda e: e.name)]
    return "\n".join(sql + [t for t in strings if _SQL_WORDS.search(t)])


@cache
def pages_fed() -> dict[str, tuple[str, ...]]:
    """source → the pages (auth.roles.PAGES keys) whose figures it feeds, read from the code itself: the query
    modules a page imports, the marts their SQL names, and the staging and raw tables those reach (a page
    that imports only `warehouse.queries` itself, or reads a mart through ui/, is not seen: none does today). Kept this
    way so that a new mart or source is placed without a list to update."""
    from auth.roles import PAGES
    from warehouse.build import load_models

    models = {m.name: re.sub(r"--[^\n]*", "", m.sql) for m in load_models()}
    names = set(contracts())

    def mentioned(text: str) -> set[str]:
        return {m for m in models if re.search(rf"\b{m}\b", text)}

    reached: dict[str, set[str]] = {}

    def sources_of(model: str, path: tuple[str, ...] = ()) -> set[str]:
        if model not in reached:
            text = models[model]
            out = {s for s in names if re.search(rf"\b(raw|stg)_{s}\b", text)}
            for other in mentioned(text) - {model} - set(path):
                out |= sources_of(other, (*path, model))
            reached[model] = out
        return reached[model]

    here = Path(__file__).parent

    def imported(text: str) -> set[str]:
        """Query modules a file imports (from warehouse.queries import a, b as c; from warehouse.queries.x import y)."""
        out = {m.strip().split(" as ")[0] for g in re.findall(r"from warehouse\.queries import ([\w, ]+)", text)
               for m in g.split(",")}
        out |= set(re.findall(r"from warehouse\.queries\.(\w+) import", text))
        return {m for m in out if (here / f"{m}.py").is_file()}

    fed: dict[str, list[str]] = {s: [] for s in names}
    for page, (_, _, file) in PAGES.items():
        todo, seen = imported((_REPO / file).read_text(encoding="utf-8")), set()
        while todo:  # the modules those modules read through (the overview's meeting module reads gaps, ...)
            m = todo.pop()
            seen.add(m)
            todo |= imported((here / f"{m}.py").read_text(encoding="utf-8")) - seen
        query_text = "\n".join(_sql_of(here / f"{m}.py") for m in sorted(seen))
        for model in mentioned(query_text):
            for s in sources_of(model):
                fed[s].append(page)
    return {s: tuple(dict.fromkeys(p)) for s, p in fed.items()}
