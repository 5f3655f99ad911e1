"""Small-number suppression (小数保护), once for every page and download.

A count of people below the threshold (config/settings.yaml `small_number_threshold`, default 5,
read at run time) is shown as "<5" — never its exact value — and so is anything derived from it
(rates, changes). Complementary suppression: where a group has a visible total (a county's streets, the
whole view), one suppressed cell could be recovered as total − the others, so the smallest other
non-zero cell of that group is suppressed too. Zero is shown: it discloses nobody.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

import settings

DEFAULT_THRESHOLD = 5
COMPLEMENT_MARK = "*"  # a cell hidden only so that a total cannot reveal a small one


def threshold() -> int:
    """The small-number threshold in force (default 5)."""
    try:
        return max(1, int(settings.settings().get("small_number_threshold", DEFAULT_THRESHOLD)))
    except (TypeError, ValueError):
        return DEFAULT_THRESHOLD


def mark(t: int | None = None) -> str:
    """The text shown instead of a suppressed value: "<5"."""
    return f"<{t or threshold()}"


def suppress(
    df: pd.DataFrame,
    counts: Iterable[str],
    *,
    derived: Mapping[str, str | Iterable[str]] | None = None,
    groups: Iterable[Iterable[str] | None] = (None,),
    t: int | None = None,
    only: Mapping[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """A copy of `df` where small counts and everything derived from them are hidden.

    only: {count column: boolean Series} — the rows where that column is a count of people (a value
        column of mixed indicators holds people only where the unit is 人); other rows are left alone.

    counts: count columns (people). A cell with 0 < value < t is suppressed.
    derived: {column: count column(s)} — a rate or change is hidden when any of its counts is.
    groups: column lists whose groups have totals visible in the same view (None = the whole frame);
        in each group where exactly one cell of a count column is suppressed, the smallest other
        non-zero cell is suppressed too, so the total cannot reveal it.
    Adds `<count>_suppressed` (bool) and `<count>_label` (text: "<5", "*" for a complementary
    suppression, or the number) for each count,
    and sets suppressed counts and derived values to <NA>.
    """
    t = t or threshold()
    # The columns are worked on as a dict and the frame is built once at the end: setting columns on a
    # copied frame one by one cost ~0.3 ms each, most of the door's time on a page's small results.
    if not df.columns.is_unique:
        raise ValueError(f"duplicate column names: {list(df.columns)} / 列名重复")
    cols = {c: df[c] for c in df.columns}
    index = df.index
    counts = list(counts)
    groups = list(groups)
    partitions = None  # the groups' row numbers, computed once, only when something is small
    flags, primary = {}, {}
    for c in counts:
        arr = pd.to_numeric(cols[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        small = (arr > 0) & (arr < t)  # numpy: a NaN compares False
        if only and c in only:  # a column that holds counts of people only on some rows (e.g. unit 人)
            small &= only[c].reindex(index).fillna(False).to_numpy(dtype=bool)
        if f"{c}_suppressed" in cols:  # suppressed before (by the query door): stays suppressed, same label
            small |= cols[f"{c}_suppressed"].fillna(False).to_numpy(dtype=bool)
        primary[c] = small.copy()
        if small.any():  # nothing small: nothing to protect, no complementary pass
            if partitions is None:
                partitions = [_group_ids(df, g) for g in groups]
            small = _complement(small, arr, partitions)
        flags[c] = small
    small_mark = mark(t)
    for c in counts:
        s = flags[c]
        before = cols.get(f"{c}_label")
        olds = before.tolist() if before is not None else [None] * len(index)
        cols[f"{c}_suppressed"] = pd.Series(s, index=index)
        cols[f"{c}_label"] = pd.Series([
            (old if isinstance(old, str) and old in (small_mark, COMPLEMENT_MARK) else
             small_mark if first else COMPLEMENT_MARK) if hide else count_label(x)
            for x, hide, first, old in zip(cols[c].tolist(), s, primary[c], olds)
        ], index=index)
        col = cols[c]
        if pd.api.types.is_integer_dtype(col):
            col = col if col.dtype == "Int64" else col.astype("Int64")
        elif _is_int(col):  # whole numbers in a float column (DuckDB gives a sum with nulls as float)
            col = col.astype("Float64").astype("Int64")
        cols[c] = col.mask(s) if s.any() else col
    for col, src in (derived or {}).items():
        hide = np.zeros(len(index), dtype=bool)
        for s in [src] if isinstance(src, str) else list(src):
            hide |= flags[s]
        if col in flags:  # a count hidden because another count would reveal it (e.g. unmatched = all − matched)
            positive = (pd.to_numeric(cols[col], errors="coerce") > 0)
            extra = pd.Series(hide & ~flags[col], index=index)
            cols[f"{col}_suppressed"] = pd.Series(flags[col], index=index) | (extra & positive)
            cols[f"{col}_label"] = cols[f"{col}_label"].mask(extra & positive, COMPLEMENT_MARK)
            hide = extra & positive
            cols[col] = (cols[col].astype("Float64").mask(hide).astype("Int64") if _is_int(cols[col])
                         else cols[col].mask(hide))
            continue
        cols[col] = cols[col].astype("Float64").mask(hide)
    return pd.DataFrame(cols, index=index, copy=False)  # every column is on `index`: nothing to align


def _group_ids(df: pd.DataFrame, g: Iterable[str] | None) -> np.ndarray:
    """Group number of each row for the column list `g` (None or [] = one group, the whole frame)."""
    g = list(g or [])
    if not g:
        return np.zeros(len(df), dtype=np.int64)
    return df.groupby(g, dropna=False, sort=False).ngroup().to_numpy(dtype=np.int64)


def _complement(small: np.ndarray, values: np.ndarray, partitions: list[np.ndarray]) -> np.ndarray:
    """Complementary suppression to a fixpoint: in every group of every partition holding exactly one
    hidden cell, hide its smallest other non-zero cell (the first such in row order on a tie); repeat
    until no group changes (one extra suppression in one grouping can leave a single one in another)."""
    small = small.copy()
    positive = values > 0  # numpy: a NaN compares False
    changed = True
    while changed:
        changed = False
        for ids in partitions:
            hidden_in_group = np.bincount(ids, weights=small, minlength=int(ids.max(initial=-1)) + 1)
            cand = np.flatnonzero((hidden_in_group[ids] == 1) & ~small & positive)
            if not len(cand):
                continue
            order = np.lexsort((cand, values[cand], ids[cand]))  # by group, then value, then row
            ranked = cand[order]
            first = np.r_[True, ids[ranked][1:] != ids[ranked][:-1]]
            small[ranked[first]] = True
            changed = True
    return small


def counts(*columns: str, derived: Mapping[str, str | Iterable[str]] | None = None,
           groups: Iterable[Iterable[str] | None] = (None,),
           where: Mapping[str, tuple[str, Iterable]] | None = None, cube=None):
    """Declare the counts of people a query function returns, for the door (`queries.run`).

    Same meaning as `suppress`'s arguments. Every query whose result holds counts of children (or of
    people in general) carries this decorator; a test checks it by scanning the results.
        @privacy.counts("children", "prev_children", derived={"change": ["children", "prev_children"]},
                        groups=[["county_code"], None])
        def street_density(con, scope, period): ...
    Functions that return a dict of frames declare {frame_key: (columns, derived, groups)} through
    `frames=` instead: @privacy.counts(frames={"streets": (["children"], {}, [None])}).
    where={column: (other column, values)}: the column counts people only on rows whose other column is
    one of the values, e.g. where={"current_value": ("unit", ["人"])} for a table of mixed indicators.
    cube=cube.In(...): the counts are cells of a published cube (warehouse/queries/cube.py); their marks
    come from the cube's pattern, the same on every page and filter, and `groups` are not used.
    """

    def mark(fn):
        fn.__privacy__ = {"counts": list(columns), "derived": dict(derived or {}), "groups": list(groups),
                          "where": {k: (v[0], list(v[1])) for k, v in (where or {}).items()}, "cube": cube}
        return fn

    return mark


def counts_in_frames(frames: Mapping[str, tuple]):
    """`counts` for functions returning {name: DataFrame}: frames={name: (counts, derived, groups)}."""

    def mark(fn):
        fn.__privacy__ = {"frames": {k: {"counts": list(v[0]), "derived": dict(v[1] if len(v) > 1 else {}),
                                         "groups": list(v[2] if len(v) > 2 else [None]),
                                         "where": {c: (w[0], list(w[1])) for c, w in (v[3] if len(v) > 3 else {}).items()}}
                                     for k, v in frames.items()}}
        return fn

    return mark


def _is_int(s: pd.Series) -> bool:
    if pd.api.types.is_integer_dtype(s):
        return True
    if not pd.api.types.is_float_dtype(s):
        return False
    arr = s.to_numpy(dtype=float, na_value=np.nan)
    return bool((np.mod(arr[~np.isnan(arr)], 1) == 0).all())


def count_label(x) -> str:
    """A count as shown when it is not suppressed: "1,234"; "—" when there is none."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):  # pd.isna is ~10× slower
        return "—"
    return f"{int(x):,}"


# --------------------------------------------------------------------------------------------
# Child lists: case access only


class CaseAccessRequired(PermissionError):
    """A child list (one row per child) asked for by a scope without case access (`exact`)."""


def child_list(fn):
    """Declare a query that returns one row per child (a masked list), for the door (`queries.run`).

    A list of an area's children reveals its exact count, so lists and exact figures go together: the
    door serves such a function only to a scope with `exact` (roles with case access, auth/roles.py).
    """
    fn.__child_list__ = True
    return fn


def is_child_list(fn) -> bool:
    return bool(getattr(fn, "__child_list__", False))


def refuse_list(fn, scope) -> None:
    """Raise CaseAccessRequired if `fn` is a child list and `scope` has no case access."""
    if is_child_list(fn) and not getattr(scope, "exact", False):
        raise CaseAccessRequired(
            "名单仅向有个案权限的角色提供 / child lists are for roles with case access only "
            f"({getattr(fn, '__qualname__', fn)})")
