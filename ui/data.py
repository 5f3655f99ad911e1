"""Streamlit-side access to the warehouse: one cached connection per snapshot, cached query results.

This is the only place that caches. The connection is keyed by the snapshot file that
data/snapshots/CURRENT names at the start of each rerun, so a newly published snapshot is picked up
on the next rerun (never reopen the same path: DuckDB would hand back the old data). Query results
are keyed by snapshot id + arguments. Pages call `warehouse()` and the `Warehouse` methods.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass

import duckdb
import pandas as pd
import streamlit as st

from loop import store
from settings import data_dir
from warehouse import queries as q
from warehouse.queries import catalogue


def _close(con: duckdb.DuckDBPyConnection) -> None:
    con.close()


@st.cache_resource(max_entries=3, on_release=_close, show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return q.connect(path)


@st.cache_data(max_entries=8, show_spinner=False)
def _snapshot_info(_con: duckdb.DuckDBPyConnection, path: str) -> q.SnapshotInfo:
    return q.snapshot_info(_con)


@st.cache_data(max_entries=64, show_spinner=False)
def _periods(_con: duckdb.DuckDBPyConnection, snapshot_id: str) -> pd.DataFrame:
    return q.periods(_con)


@st.cache_data(max_entries=256, show_spinner=False)
def _previous_period(_con: duckdb.DuckDBPyConnection, snapshot_id: str, period: str) -> str | None:
    return q.previous_period(_con, period)


def _resolve(path: str):
    """A query by its cache key: a catalogue name ("matching/by_street") or "module:function"."""
    if ":" not in path:
        return catalogue.load(path)
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


@st.cache_data(max_entries=4096, show_spinner=False)
def _query(_con: duckdb.DuckDBPyConnection, snapshot_id: str, fn_path: str, prefixes: tuple[str, ...],
           exact: bool, args: tuple, kwargs: tuple) -> object:
    return q.run(_resolve(fn_path), _con, q.Scope(prefixes, exact), *args, **dict(kwargs))


# 督办's figures fold the loop's events over the snapshot's worklists (ui.followup): cached under the snapshot,
# the day (overdue is against today) and the event file's version, so an action shows on the next rerun.
@st.cache_data(max_entries=64, show_spinner=False)
def _followup_state(_con: duckdb.DuckDBPyConnection, snapshot_id: str, prefixes: tuple[str, ...], exact: bool,
                    today: str, loop_version: tuple[int, int]) -> pd.DataFrame:
    from ui import followup

    return followup.state(_con, q.Scope(prefixes, exact), dt.date.fromisoformat(today))


@st.cache_data(max_entries=256, show_spinner=False)
def _followup_counts(_con: duckdb.DuckDBPyConnection, snapshot_id: str, by: str, prefixes: tuple[str, ...],
                     exact: bool, today: str, loop_version: tuple[int, int]) -> pd.DataFrame:
    from ui import followup

    df = _followup_state(_con, snapshot_id, prefixes, exact, today, loop_version)
    scope, day = q.Scope(prefixes, exact), dt.date.fromisoformat(today)
    if by == "county":
        return followup.county_counts(_con, scope, df, day)
    return {"street": followup.by_street, "department": followup.by_department}[by](_con, scope, df)


@dataclass(frozen=True)
class Warehouse:
    """The published snapshot as seen by one rerun; methods return cached query results."""

    con: duckdb.DuckDBPyConnection
    info: q.SnapshotInfo

    @property
    def _id(self) -> str:
        return self.info.snapshot_id

    def query(self, fn, scope: q.Scope, *args, **kwargs):
        """Call a scoped query function of warehouse.queries through the door (`queries.run`).

        Cached by snapshot id + scope + arguments. `fn` takes (con, scope, *args, **kwargs); the
        door applies the small-number rule unless `scope.exact`.
        """
        if isinstance(fn, catalogue.Query):
            path = fn.name
        elif fn.__module__.startswith("warehouse.queries"):
            path = f"{fn.__module__}:{fn.__qualname__}"
        else:
            raise ValueError(f"{fn.__qualname__} is not a warehouse.queries function")
        return _query(self.con, self._id, path, scope.prefixes, scope.exact, tuple(args),
                      tuple(sorted(kwargs.items())))

    def uncached(self, fn, scope: q.Scope, *args, **kwargs):
        """Through the door without the cache: for a child's file, which must not sit in a shared cache."""
        return q.run(fn, self.con, scope, *args, **kwargs)

    def periods(self) -> pd.DataFrame:
        return _periods(self.con, self._id)

    def previous_period(self, period: str) -> str | None:
        return _previous_period(self.con, self._id, period)

    def followup_state(self, scope: q.Scope, today: dt.date) -> pd.DataFrame:
        """Every follow-up item in the scope with its status (ui.followup.state; keys only, never shown)."""
        return _followup_state(self.con, self._id, scope.prefixes, scope.exact, today.isoformat(), store.version())

    def followup_counts(self, by: str, scope: q.Scope, today: dt.date) -> pd.DataFrame:
        """Follow-up counts through the door by "county" (ui.followup.county_counts), "street" or "department"."""
        return _followup_counts(self.con, self._id, by, scope.prefixes, scope.exact, today.isoformat(),
                                store.version())

    def counties(self, scope: q.Scope) -> pd.DataFrame:
        """The areas a region selector offers: counties, or a county deployment's streets (queries.areas)."""
        return self.query(q.areas, scope, _root())

    def deployment(self, scope: q.Scope) -> q.Deployment:
        """The deployment's root region: its name (示范市), level and whole-area word (queries.deployment)."""
        return self.query(q.deployment, scope, _root())


def _root() -> str | None:
    """The configured root region of the data folder (etl/deployment.py), if any."""
    from etl import deployment

    return deployment.root_code(data_dir())


def warehouse() -> Warehouse:
    """The currently published snapshot (raises queries.SnapshotNotFound if there is none)."""
    path = str(q.current_snapshot_path())
    con = _connection(path)
    return Warehouse(con, _snapshot_info(con, path))


def user_scope() -> q.Scope:
    """The signed-in user's scope (regions; exact figures only with case access). See ui.auth."""
    from ui import auth

    return auth.user_scope()
