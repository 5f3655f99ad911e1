"""The one door to the data: typed, parameterised, scoped reads of a published snapshot.

Pages never hold SQL; they call these functions. Every function that returns figures takes a
`Scope`, which its catalogue entry applies through the scope macro (warehouse/sql/queries/scope.sql),
once, default-deny: an empty scope returns empty results, never everything. Functions read marts
already shaped for the pages (see warehouse/sql/marts/), never raw facts, and never the person table
(schema `pii`) except for one child's file (`ledger.child_file`, case access only); child lists read
the list_* marts, which carry names and ID numbers masked in the build (张*明, 3204**********1234).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

import settings
from warehouse.build import published
from warehouse.queries import catalogue, cube, privacy


class SnapshotNotFound(RuntimeError):
    """No snapshot has been published in the data folder yet."""


# --------------------------------------------------------------------------------------------
# Scope


_CODE = re.compile(r"^\d+$")


def _prefix_of(code: str) -> str:
    """Division code (2/4/6/9/12 digits, or 12 digits with trailing zeros) → its region prefix."""
    code = str(code).strip()
    if not _CODE.match(code) or len(code) not in (2, 4, 6, 9, 12):
        raise ValueError(f"无效的区划代码 invalid division code: {code!r}")
    # Drop all-zero trailing groups: community (3), street (3), county (2), city (2).
    for start, end in ((9, 12), (6, 9), (4, 6), (2, 4)):
        if len(code) == end and set(code[start:end]) == {"0"}:
            code = code[:start]
    return code


def _minimal(prefixes: set[str]) -> tuple[str, ...]:
    """Sorted prefixes without those already covered by a shorter one."""
    return tuple(sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)))


@dataclass(frozen=True)
class Scope:
    """The regions a user may see, as division-code prefixes ("" = everything), and how exactly.

    Build with `Scope.everything()` or `Scope.of(*codes)`; the empty scope `Scope()` sees nothing.
    `exact=False` (the default) means the door (`run`) applies the small-number rule to every
    declared count (see privacy.counts); only roles with case access get `exact=True`.
    """

    prefixes: tuple[str, ...] = ()
    exact: bool = False

    @classmethod
    def everything(cls, *, exact: bool = False) -> Scope:
        """All regions."""
        return cls(("",), exact)

    @classmethod
    def of(cls, *codes: str, exact: bool = False) -> Scope:
        """Scope of the given province/city/county/street/community codes (2, 4, 6, 9 or 12 digits)."""
        return cls(_minimal({_prefix_of(c) for c in codes}), exact)

    @property
    def is_empty(self) -> bool:
        return not self.prefixes

    @property
    def is_everything(self) -> bool:
        return "" in self.prefixes

    def covers(self, code: str | None) -> bool:
        """Whether the scope holds all of region `code` (None, a region not known by one code: only the scope of
        everything does)."""
        if self.is_everything:
            return True
        if code is None:
            return False
        inside = _prefix_of(code)
        return any(inside.startswith(p) for p in self.prefixes)

    def narrow(self, code: str | None) -> Scope:
        """Intersection with the region `code` (None = no narrowing); keeps `exact`."""
        if code is None:
            return self
        return Scope((self & Scope.of(code)).prefixes, self.exact)

    def __and__(self, other: Scope) -> Scope:
        out = set()
        for a in self.prefixes:
            for b in other.prefixes:
                if a.startswith(b):
                    out.add(a)
                elif b.startswith(a):
                    out.add(b)
        return Scope(_minimal(out), self.exact and other.exact)


# --------------------------------------------------------------------------------------------
# Snapshot and connection


def current_snapshot_path(data_dir: Path | str | None = None) -> Path:
    """Path of the published snapshot named by data/snapshots/CURRENT (see warehouse.build.published)."""
    hint = "请先运行 `make run` 或 `python -m etl init-demo`。"
    hint_en = "Run `make run` or `python -m etl init-demo` first."
    root = settings.data_dir(data_dir)
    path = published(root)
    if path is None:
        raise SnapshotNotFound(
            f"尚未发布数据快照（数据目录 {root}）。{hint}\n"
            f"No snapshot published yet (data folder {root}). {hint_en}"
        )
    if not path.is_file():
        raise SnapshotNotFound(
            f"数据快照指针无效：CURRENT → {path.name!r}。{hint}\n"
            f"CURRENT points to a missing snapshot: {path.name!r}. {hint_en}"
        )
    return path


def connect(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Read-only connection to a snapshot, with extension auto-install/auto-load off (offline).

    DuckDB's memory is capped by `duckdb_memory_limit` in config/settings.yaml (default 1GB): without a
    cap it takes up to 80 % of the server's RAM for caches, and the app shares the server.
    """
    limit = str(settings.settings().get("duckdb_memory_limit") or "1GB")
    return duckdb.connect(
        str(path),
        read_only=True,
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False, "memory_limit": limit},
    )


# --------------------------------------------------------------------------------------------
# The door


def run(fn, con: duckdb.DuckDBPyConnection, scope: Scope, *args, **kwargs):
    """Call the query `fn(con, scope, ...)` and apply the small-number rule to its result.

    `fn` is a catalogue entry (catalogue.Query, or its name "matching/by_street") or a function of
    warehouse.queries that composes entries (declaring its counts with `privacy.counts`).

    Every page and export reads through here (ui.data.Warehouse.query). The region scope is applied
    inside `fn` (its SQL); the counts it declares with `privacy.counts` are suppressed here unless
    `scope.exact` (roles with case access). A child list (`privacy.child_list`) is refused without
    `scope.exact` (privacy.CaseAccessRequired).
    """
    if isinstance(fn, str):
        fn = catalogue.load(fn)
    if isinstance(fn, catalogue.Query):
        if not fn.scoped:
            raise ValueError(f"{fn.name} reads no figures by region: call it directly, not through the door")
    elif not getattr(fn, "__module__", "").startswith("warehouse.queries"):
        raise ValueError(f"{getattr(fn, '__qualname__', fn)!r} is not a warehouse.queries function")
    privacy.refuse_list(fn, scope)
    return guard(fn, fn(con, scope, *args, **kwargs), scope, con)


def guard(fn, result, scope, con=None):
    """Apply `fn`'s declared suppression (`privacy.counts`) to `result` unless `scope.exact` (see `run`).

    `con` (the snapshot) is needed for counts declared in a cube, whose pattern is read from it."""
    spec = getattr(fn, "__privacy__", None)
    if spec is None or getattr(scope, "exact", False):
        return result
    if "frames" in spec:
        return {k: (_suppress_declared(v, spec["frames"][k], con) if k in spec["frames"] else v)
                for k, v in result.items()}
    return _suppress_declared(result, spec, con)


def _suppress_declared(df, spec, con=None):
    """`df` with the small-number rule applied as `spec` (a query's `privacy.counts`) declares."""
    if not isinstance(df, pd.DataFrame) or df.empty:
        return df
    if spec.get("cube") is not None:  # marks from the whole cube's pattern, no view-local complements
        if con is None:
            raise ValueError("a cube's counts need the snapshot connection (queries.guard(..., con))")
        df = cube.mark_frame(spec["cube"], df, con)
        present = [c for c in spec["counts"] if c in df.columns]
        derived = {k: v for k, v in spec["derived"].items() if k in df.columns}
        only = {c: df[col].isin(values) for c, (col, values) in spec.get("where", {}).items()
                if c in df.columns and col in df.columns}  # a rate in a column of mixed units is no count
        return privacy.suppress(df, present, derived=derived, groups=[], only=only)
    present = [c for c in spec["counts"] if c in df.columns]
    derived = {k: v for k, v in spec["derived"].items() if k in df.columns}
    groups = [g for g in spec["groups"] if g is None or all(c in df.columns for c in g)]
    if spec["groups"] and not groups:
        groups = [None]  # declared groups whose columns are missing: the whole frame, to be safe
    only = {c: df[col].isin(values) for c, (col, values) in spec.get("where", {}).items()
            if c in df.columns and col in df.columns}
    return privacy.suppress(df, present, derived=derived, groups=groups, only=only)


# --------------------------------------------------------------------------------------------
# Queries


# The SQL of each query below is in warehouse/sql/queries/<folder>/<name>.sql, its declaration beside it
# (catalogue.py); what stays here turns an entry's rows into the value a caller expects.


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    built_at: object
    data_date: object
    is_demo: bool


def snapshot_info(con: duckdb.DuckDBPyConnection) -> SnapshotInfo:
    """The snapshot's meta row."""
    df = _info(con)
    if df.empty:
        raise SnapshotNotFound("快照缺少 meta 信息 / snapshot has no meta row")
    r = df.iloc[0]
    data_date = None if pd.isna(r.data_date) else r.data_date  # no extract landed yet: no data date
    return SnapshotInfo(str(r.snapshot_id), r.built_at, data_date, bool(r.is_demo))


_info = catalogue.query("snapshot/info")
periods = catalogue.query("periods/list")
counties = catalogue.query("regions/counties")
region_levels = catalogue.query("regions/levels")
key_children_by_risk = catalogue.query("key_children/by_risk")
_streets = catalogue.query("regions/streets")
_above_community = catalogue.query("regions/above_community")
_previous = catalogue.query("periods/previous")


def previous_period(con: duckdb.DuckDBPyConnection, period: str) -> str | None:
    """The reporting period before `period` (None for the first one)."""
    df = _previous(con, period)
    if df.empty or pd.isna(df.iloc[0, 0]):
        return None
    return str(df.iloc[0, 0])


_LEVEL_ORDER = ("province", "city", "county", "street", "community")
# The deployment's whole area as a page names it: 全省, 全市, 全县 (a district 全区, a county-level city 全市).
WHOLE_WORD = {"province": "全省", "city": "全市", "county": "全县", "street": "全街道"}


@dataclass(frozen=True)
class Deployment:
    """The place the deployment serves: the regions table's root (code, name, level), and what a page calls
    one level down (区县 under a city or a province, 街道（乡镇） under a county)."""

    code: str | None
    name: str | None
    level: str | None

    @property
    def whole(self) -> str:
        """全市 / 全省 / 全县 (全区 for a district, 全市 for a county-level city)."""
        if self.level == "county" and self.name and self.name[-1] in "区市":
            return "全" + self.name[-1]
        return WHOLE_WORD.get(self.level or "", "全部")

    @property
    def parts(self) -> str:
        """What the areas one level down are called."""
        return "街道（乡镇）" if self.level in ("county", "street") else "区县"

    @property
    def label(self) -> str:
        """"示范市（全市）": the root's name and its whole-area word; the word alone without a name."""
        return f"{self.name}（{self.whole}）" if self.name else self.whole


def deployment(con: duckdb.DuckDBPyConnection, scope: Scope, root: str | None = None) -> Deployment:
    """The deployment's root region: `root` (the configured root, etl.deployment.root_code) when the regions
    table holds it, else the top level present (a province, a city, a county). Several regions at the top (a
    province's cities without the province's own row) are named together (甲市、乙市). A region's name is not a
    figure, so any signed-in scope may read it; the empty scope reads nothing (default deny)."""
    if scope.is_empty:
        return Deployment(None, None, None)
    df = _above_community(con)
    if root is not None and root in set(df["region_code"]):
        inside = _prefix_of(root)
        # The configured root names the deployment only if the table holds nothing beside it (its ancestors
        # aside): figures over a wider table must not go under the root's name.
        beside = [c for c in df["region_code"] if not c.startswith(inside) and not inside.startswith(_prefix_of(c))]
        if not beside:
            r = df[df["region_code"] == root].iloc[0]
            return Deployment(str(r.region_code), str(r.region_name), str(r.level))
    if df.empty:
        return Deployment(None, None, None)
    top = min(df["level"], key=_LEVEL_ORDER.index)
    rows = df[df["level"] == top].sort_values("region_code")
    code = str(rows["region_code"].iloc[0]) if len(rows) == 1 else None
    return Deployment(code, "、".join(dict.fromkeys(str(n) for n in rows["region_name"])), top)


def deployment_name(con: duckdb.DuckDBPyConnection, scope: Scope, root: str | None = None) -> str | None:
    """The deployment's own name (示范市, 某某县, 某省); None before a region table has landed."""
    return deployment(con, scope, root).name


def areas(con: duckdb.DuckDBPyConnection, scope: Scope, root: str | None = None) -> pd.DataFrame:
    """The areas a page's region selector offers, one level below the deployment: counties (as `counties`),
    or in a county deployment its streets, in the same columns (county_code then holds a street's code)."""
    if deployment(con, scope, root).level not in ("county", "street"):
        return counties(con, scope)
    return _streets(con, scope)
