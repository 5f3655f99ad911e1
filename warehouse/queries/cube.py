"""Suppression over a whole published cube, so that no small number can be recovered by differencing.

Suppressing each query result on its own is not enough: a street's "<5" for one age band is recovered as
全部 minus the other bands on another request, a county's figure minus its visible streets, and so on.
So a query's counts name the cube they belong to (`privacy.counts(..., cube=...)`): every cell any page
can request, for the whole published area, with its additive relations (bands → all, communities →
street → county → city → province, and any other total a page shows). The door computes the suppression
pattern once per (cube, snapshot, threshold) with `privacy.suppress` — primary cells below the threshold,
then complementary cells until no relation has exactly one hidden member — and marks every query result
from it. A cell therefore has the same mark on every page, filter, level and export, whatever the user's
scope, and no single relation (total = sum of parts) has exactly one hidden member.

A cube is a long frame: its key columns, `n` (the count) and, for the area hierarchy, `area` (a region
prefix: "" everything, 2 province, 4 city, 6 county, 9 street, 12 community), `parent` and `depth`.
"""
from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from warehouse.queries import catalogue, privacy

ROOT = "^"  # the group key of the top of the hierarchy, which has no parent
VISIBLE, PRIMARY, HIDDEN = 0, 1, 2  # a cell's mark: shown, below the threshold ("<5"), hidden to protect one ("*")


@dataclass(frozen=True)
class Cube:
    """A published cube: `cells(con)` returns every cell (keys, n, area, parent, depth); `relations` are
    column lists whose groups are additive relations (a total and its parts) besides the area hierarchy,
    which is added from `area`/`parent`/`depth` within `within` (the keys other than the area)."""

    name: str
    cells: Callable
    keys: tuple[str, ...]
    within: tuple[str, ...]
    relations: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Const:
    """A constant key value in a column's mapping (e.g. the measure a column holds)."""

    value: str


@dataclass(frozen=True)
class In:
    """Where a query's count columns sit in a cube: {count column: {cube key: result column or Const}}.

    A result column holding several areas joined by "|" (a total over a scope of several regions) is
    hidden when any of those areas is hidden."""

    cube: Cube
    columns: Mapping[str, Mapping[str, str | Const]] = field(default_factory=dict)
    rows: tuple[str, tuple[str, ...]] | None = None  # (column, values): only these rows are cube cells


_LOCK = threading.Lock()
_MARKS: dict[tuple, pd.DataFrame] = {}
# A connection opens one snapshot file, read-only, for its whole life: its id is read once, not on every
# guarded query (reading it cost ~2 ms, a tenth of a typical page query).
_IDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _snapshot_id(con) -> str:
    got = _IDS.get(con)
    if got is None:
        meta = catalogue.execute(con, "snapshot/info", None)
        got = _IDS[con] = str(meta["snapshot_id"].iloc[0]) if len(meta) else ""
    return got


def _hierarchy(cells: pd.DataFrame) -> pd.DataFrame:
    """Two partitions that together hold every parent-with-its-children relation of the area tree.

    rel_even groups each node of even depth with its children, rel_odd each node of odd depth with
    its children (a node is the total in one partition and a part in the other)."""
    depth = cells["depth"].to_numpy()
    area = cells["area"].astype(str).to_numpy()
    parent = cells["parent"].fillna(ROOT).astype(str).to_numpy()
    parent = np.where(cells["parent"].isna().to_numpy(), ROOT + area, parent)
    even = depth % 2 == 0
    return cells.assign(rel_even=np.where(even, area, parent), rel_odd=np.where(even, parent, area))


@dataclass(frozen=True)
class Pattern:
    """A cube's suppression pattern: the hidden cells ({key: PRIMARY or HIDDEN}; every other cell is
    shown) and the values each key column takes (a key outside them is not a cell of the cube). Only the
    hidden cells are kept: a province's cube has about a million cells."""

    hidden: dict[tuple, int]
    values: tuple[frozenset, ...]

    def get(self, key: tuple, unknown: int) -> int:
        code = self.hidden.get(key)
        if code is not None:
            return code
        return VISIBLE if all(v in known for v, known in zip(key, self.values)) else unknown


def compute(cube: Cube, con, t: int) -> Pattern:
    """The suppression pattern of the whole cube."""
    # The complementary pass breaks ties by row order: sorted by key, the pattern is the same in every process
    # whatever order the cells' query returns them in (two patterns could be differenced against each other).
    cells = cube.cells(con).sort_values(list(cube.keys), kind="stable").reset_index(drop=True)
    groups: list[list[str]] = [list(r) for r in cube.relations]
    if "area" in cells.columns:
        cells = _hierarchy(cells)
        groups += [[*cube.within, "rel_even"], [*cube.within, "rel_odd"]]
    out = privacy.suppress(cells[[*cube.keys, "n", *{c for g in groups for c in g} - set(cube.keys)]],
                           ["n"], groups=groups, t=t)
    hidden = out["n_suppressed"].to_numpy(dtype=bool)
    primary = (out["n_label"] == privacy.mark(t)).to_numpy(dtype=bool)
    keys = {k: out[k].astype(str) for k in cube.keys}
    shown = zip(*[keys[k][hidden].map(sys.intern).tolist() for k in cube.keys])
    return Pattern(dict(zip(shown, np.where(primary[hidden], PRIMARY, HIDDEN).tolist())),
                   tuple(frozenset(keys[k].unique().tolist()) for k in cube.keys))


def marks(cube: Cube, con, t: int | None = None) -> Pattern:
    """The cube's pattern for the published snapshot, computed once per (snapshot id, threshold)."""
    t = t or privacy.threshold()
    key = (cube.name, _snapshot_id(con), t)
    with _LOCK:
        got = _MARKS.get(key)
        if got is None:
            got = compute(cube, con, t)
            for old in [k for k in _MARKS if k[0] == cube.name]:
                del _MARKS[old]  # one snapshot at a time per cube: the app serves the published one
            _MARKS[key] = got
    return got


def flags(spec: In, df: pd.DataFrame, con, t: int | None = None) -> dict[str, tuple[np.ndarray, ...]]:
    """{count column: (hidden, primary, is a cell)} for the rows of a query result, from the cube's pattern.

    A row whose key is not in the cube (a total the cube does not know) is hidden unless its value is
    missing or zero (a cube holds every non-zero cell): the door cannot vouch for it. Rows outside
    `spec.rows` are not cells of this cube."""
    m = marks(spec.cube, con, t)
    keys = spec.cube.keys
    area = keys.index("area") if "area" in keys else None
    out = {}
    for col, mapping in spec.columns.items():
        if col not in df.columns:
            continue
        columns = [[src.value] * len(df) if isinstance(src, Const) else df[src].tolist()
                   for src in (mapping[k] for k in keys)]
        values = pd.to_numeric(df[col], errors="coerce")
        missing = pd.isna(values).to_numpy()
        zero = (values == 0).fillna(False).to_numpy(dtype=bool)
        hidden = np.zeros(len(df), dtype=bool)
        primary = np.zeros(len(df), dtype=bool)
        cells = (np.ones(len(df), dtype=bool) if spec.rows is None
                 else df[spec.rows[0]].isin(spec.rows[1]).to_numpy(dtype=bool))
        for i, key in enumerate(zip(*columns)):
            if missing[i] or not cells[i]:
                continue
            if any(v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) for v in key):
                hidden[i] = True
                continue
            key = tuple(str(v) for v in key)
            if area is not None and "|" in key[area]:  # a total over several regions: hidden when any is
                hidden[i] = any(m.get(key[:area] + (a,) + key[area + 1:], unknown=HIDDEN) != VISIBLE
                                for a in key[area].split("|"))
                continue
            code = m.get(key, unknown=VISIBLE if zero[i] else HIDDEN)
            hidden[i], primary[i] = code != VISIBLE, code == PRIMARY
        out[col] = (hidden, primary, cells)
    return out


def mark_frame(specs: In | Sequence[In], df: pd.DataFrame, con, t: int | None = None) -> pd.DataFrame:
    """`df` with `<count>_suppressed` and `<count>_label` set from the cube(s), ready for privacy.suppress.

    Several `In`s (each for its rows) mark rows of different cubes in one frame (the overview's headline)."""
    t = t or privacy.threshold()
    # Columns as a dict, the frame built once (as privacy.suppress does): setting them one by one on a copy
    # cost more than the marking. Marking reads only key and count columns, which it never changes.
    if not df.columns.is_unique:
        raise ValueError(f"duplicate column names: {list(df.columns)} / 列名重复")
    index = df.index
    cols = {c: df[c] for c in df.columns}
    for spec in [specs] if isinstance(specs, In) else list(specs):
        for col, (hidden, primary, cells) in flags(spec, df, con, t).items():
            values = df[col].tolist()
            if f"{col}_suppressed" in cols:
                sup = cols[f"{col}_suppressed"].to_numpy(dtype=bool).copy()
                labels = cols[f"{col}_label"].tolist()
            else:
                sup = np.zeros(len(index), dtype=bool)
                labels = [privacy.count_label(v) for v in values]
            for i in np.flatnonzero(cells):
                sup[i] = hidden[i]
                labels[i] = ((privacy.mark(t) if primary[i] else privacy.COMPLEMENT_MARK) if hidden[i]
                             else privacy.count_label(values[i]))
            cols[f"{col}_suppressed"] = pd.Series(sup, index=index)
            cols[f"{col}_label"] = pd.Series(labels, index=index)
    return pd.DataFrame(cols, index=index, copy=False)


def scope_area(scope) -> str:
    """The cube area of a scope's total: its prefix, or its prefixes joined by "|"."""
    return "|".join(scope.prefixes)
