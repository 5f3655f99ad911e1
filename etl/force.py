"""Which landed rows are in force: the one place for the rule of supersession.

Every landing of a source and period is kept (content-addressed Parquet, listed in the load log). A
landing says how it supersedes the landings before it for the same source and period (its *mode*):

- period: every earlier row of the period goes out of force (the whole period is replaced);
- county / street: earlier rows in the counties (streets) present in the new file go out of force, the
  rest stay (a county's sheet, a late street);
- key: earlier rows with the same natural key go out of force, the rest stay (a corrected batch).

A landing made by a user with a limited area (its *scope*, region-code prefixes) never takes a row out
of force outside that area, whatever its mode. A withdrawn landing counts as never made. The build
(warehouse/build.py) and the upload preview's diff (etl/land.py) both call `load_in_force`, so what a
preview promises is what the next build publishes.
"""
from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa

from .contracts import Source

MODES = {
    "period": "整期替换：替换该期全部数据",
    "county": "按区县替换：只替换文件中出现的区县",
    "street": "按街道替换：只替换文件中出现的街道（乡镇）",
    "key": "按主键合并：更正或补充同一主键的记录，其余保留",
}
MODES_EN = {"period": "replace the whole period", "county": "replace the counties in the file",
            "street": "replace the streets in the file", "key": "merge by natural key"}
# Digits of a division code that name its county and its street (12-digit statistical codes).
AREA_DIGITS = {"county": 6, "street": 9}


def area_column(source: Source) -> str | None:
    """The column that places a row in a county and street: the source's first division code column."""
    return next((c.name for c in source.columns if c.type == "division"), None)


def key_columns(source: Source) -> list[str]:
    """The natural key as landed: an ID-number column is landed as its keyed hash, person_key."""
    return ["person_key" if source.column(k).type == "id_card" else k for k in source.key]


def modes(source: Source) -> tuple[str, ...]:
    """The modes a source offers, the default first: by area where rows carry a division code, else by key."""
    if area_column(source) is None:
        return ("key", "period")
    return ("county", "street", "key", "period")


def default_mode(source: Source) -> str:
    return modes(source)[0]


def clean_scope(scope: Iterable[str] | None) -> list[str] | None:
    """Region prefixes as stored in the load log: None when the scope is everything (or not given)."""
    prefixes = sorted({str(p) for p in (scope or ())})
    return None if not prefixes or "" in prefixes else prefixes


def areas_of(table: pa.Table, source: Source, mode: str) -> list[str] | None:
    """The region prefixes a county/street landing replaces: those of the rows it brings."""
    col = area_column(source)
    if mode not in AREA_DIGITS or col is None:
        return None
    n = AREA_DIGITS[mode]
    codes = {c[:n] for c in table.column(col).to_pylist() if c and len(c) >= n}
    return sorted(codes)


def entry_mode(entry: dict) -> str:
    """A load-log entry's mode (entries written before modes existed replaced the whole period)."""
    return entry.get("mode") or "period"


def chain(entries: list[dict]) -> list[dict]:
    """The landings of one source and period that can still hold rows in force, oldest first.

    `entries`: that source and period's landings in log order, withdrawn ones already left out. Nothing
    before the last unscoped whole-period replacement can hold a row in force.
    """
    landed = [e for e in entries if e.get("status") == "landed"]
    start = 0
    for i, e in enumerate(landed):
        if entry_mode(e) == "period" and not e.get("scope"):
            start = i
    return landed[start:]


def in_area(column: str, list_sql: str) -> str:
    return f"len(list_filter({list_sql}, lambda a: starts_with(coalesce({column}, ''), a))) > 0"


def load_in_force(con: duckdb.DuckDBPyConnection, table: str, source: Source, landings: list[dict],
                  scan) -> None:
    """Insert into `table` (which exists) the rows in force of one source and period.

    landings: `chain(...)` of that source and period; scan(entry) → (SQL select text, parameters) reading
    that landing's accepted rows (a Parquet file, or the rows of a file not landed yet, for the preview).
    """
    if not landings:
        return
    if len(landings) == 1:  # the usual case: one landing per period, no work
        sql, params = scan(landings[0])
        con.execute(f"insert into {table} by name {sql}", params)
        return
    keys = key_columns(source)
    area = area_column(source)
    con.execute(f"create or replace temp table _chain as select *, 0 as _seq from {table} limit 0")
    con.execute("create or replace temp table _modes (_seq integer, mode varchar, areas varchar[], scope varchar[])")
    for seq, e in enumerate(landings):
        sql, params = scan(e)
        con.execute(f"insert into _chain by name select *, {seq} as _seq from ({sql})", params)
        con.execute("insert into _modes values (?, ?, ?, ?)", [seq, entry_mode(e), e.get("areas"), e.get("scope")])
    row_area = f"r.{area}" if area else "null::varchar"
    same_key = " and ".join(f"n.{k} is not distinct from r.{k}" for k in keys)  # a key part may be blank
    con.execute(f"""
        insert into {table} by name
        select * exclude (_seq) from _chain r
        where not exists (
            select 1 from _modes m
            where m._seq > r._seq
              and (m.scope is null or {in_area(row_area, 'm.scope')})
              and (m.mode = 'period'
                   or (m.mode in ('county', 'street') and {in_area(row_area, 'm.areas')})
                   or (m.mode = 'key' and exists (select 1 from _chain n where n._seq = m._seq and {same_key}))))
    """)
    con.execute("drop table _chain")
    con.execute("drop table _modes")


# What the pages count for a source, shown before → after in the upload preview: (label, SQL aggregate
# over the accepted columns). Sources not listed count children (where rows carry an ID number) or rows.
FIGURES = {
    "activities": ("服务人次", "coalesce(sum(person_times), 0)"),
    "volunteers": ("志愿者人数", "count(*)"),
    "volunteer_teams": ("志愿服务队伍数", "count(*)"),
    "pairings": ("结对数", "count(*)"),
    "population": ("常住人口", "coalesce(sum(residents), 0)"),
    "school_places": ("核定学位数", "coalesce(sum(places), 0)"),
}


def figure(source: Source) -> tuple[str, str]:
    if source.name in FIGURES:
        return FIGURES[source.name]
    if source.id_column is not None:
        return ("儿童人数" if source.about_children else "人数", "count(distinct person_key)")
    return ("记录数", "count(*)")
