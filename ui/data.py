"""Streamlit-side access to the warehouse: one cached connection per snapshot, cached query results.

This is the only place that caches. The connection is keyed by the snapshot file that
data/snapshots/CURRENT names at the start of each rerun, so a newly published snapshot is picked up
on the next rerun (never reopen the same path: DuckDB would hand back the old data). Query results
are keyed by snapshot id + arguments. Pages call `warehouse()` and the `Warehouse` methods.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import duckdb
import pandas as pd
import streamlit as st

from warehouse import queries as q


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


@st.cache_data(max_entries=256, show_spinner=False)
def _counties(_con: duckdb.DuckDBPyConnection, snapshot_id: str, prefixes: tuple[str, ...]) -> pd.DataFrame:
    return q.counties(_con, q.Scope(prefixes))


@st.cache_data(max_entries=1024, show_spinner=False)
def _headline(_con: duckdb.DuckDBPyConnection, snapshot_id: str, prefixes: tuple[str, ...], period: str):
    return q.headline(_con, q.Scope(prefixes), period)


@st.cache_data(max_entries=1024, show_spinner=False)
def _children_by_age(
    _con: duckdb.DuckDBPyConnection, snapshot_id: str, prefixes: tuple[str, ...], period: str, by: str
) -> pd.DataFrame:
    return q.children_by_county_age(_con, q.Scope(prefixes), period, by=by)


@st.cache_data(max_entries=1024, show_spinner=False)
def _key_children_by_risk(
    _con: duckdb.DuckDBPyConnection, snapshot_id: str, prefixes: tuple[str, ...], period: str
) -> pd.DataFrame:
    return q.key_children_by_risk(_con, q.Scope(prefixes), period)


@st.cache_data(max_entries=1024, show_spinner=False)
def _county_summary(
    _con: duckdb.DuckDBPyConnection, snapshot_id: str, prefixes: tuple[str, ...], period: str
) -> pd.DataFrame:
    return q.county_summary(_con, q.Scope(prefixes), period)


def _resolve(path: str):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


@st.cache_data(max_entries=4096, show_spinner=False)
def _query(_con: duckdb.DuckDBPyConnection, snapshot_id: str, fn_path: str, prefixes: tuple[str, ...],
           args: tuple, kwargs: tuple) -> object:
    return _resolve(fn_path)(_con, q.Scope(prefixes), *args, **dict(kwargs))


@dataclass(frozen=True)
class Warehouse:
    """The published snapshot as seen by one rerun; methods return cached query results."""

    con: duckdb.DuckDBPyConnection
    info: q.SnapshotInfo

    @property
    def _id(self) -> str:
        return self.info.snapshot_id

    def query(self, fn, scope: q.Scope, *args, **kwargs):
        """Call a scoped query function of warehouse.queries, cached by snapshot id + arguments.

        `fn` takes (con, scope, *args, **kwargs); pages use this for every query that has no method here.
        """
        if not fn.__module__.startswith("warehouse.queries"):
            raise ValueError(f"{fn.__qualname__} is not a warehouse.queries function")
        path = f"{fn.__module__}:{fn.__qualname__}"
        return _query(self.con, self._id, path, scope.prefixes, tuple(args), tuple(sorted(kwargs.items())))

    def periods(self) -> pd.DataFrame:
        return _periods(self.con, self._id)

    def previous_period(self, period: str) -> str | None:
        return _previous_period(self.con, self._id, period)

    def counties(self, scope: q.Scope) -> pd.DataFrame:
        return _counties(self.con, self._id, scope.prefixes)

    def headline(self, scope: q.Scope, period: str) -> pd.DataFrame:
        return _headline(self.con, self._id, scope.prefixes, period)

    def children_by_age(self, scope: q.Scope, period: str, by: str = "county") -> pd.DataFrame:
        return _children_by_age(self.con, self._id, scope.prefixes, period, by)

    def key_children_by_risk(self, scope: q.Scope, period: str) -> pd.DataFrame:
        return _key_children_by_risk(self.con, self._id, scope.prefixes, period)

    def county_summary(self, scope: q.Scope, period: str) -> pd.DataFrame:
        return _county_summary(self.con, self._id, scope.prefixes, period)


def warehouse() -> Warehouse:
    """The currently published snapshot (raises queries.SnapshotNotFound if there is none)."""
    path = str(q.current_snapshot_path())
    con = _connection(path)
    return Warehouse(con, _snapshot_info(con, path))


def user_scope() -> q.Scope:
    """The signed-in user's region scope. Everything until the access-control issue lands."""
    return q.Scope.everything()
