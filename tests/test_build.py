"""Build: constraints fail loudly, the pointer swap is atomic, snapshots are read-only and PII-free."""
from __future__ import annotations

import re

import duckdb
import pytest

from etl.land import land
from tests.files import REGIONS_CSV, write_register_csv, write_register_xlsx
from warehouse.build import BuildError, build, list_snapshots, published
from warehouse.queries import connect


def test_constraint_failure_fails_the_build_and_keeps_the_published_snapshot(root, tmp_path):
    good = build(root)
    # A region whose parent is nowhere in the table breaks regions.parent_code → regions.region_code.
    orphan = REGIONS_CSV + "990102003000,孤儿街道,街道,990102000000,城区,3\n"
    (tmp_path / "区划2026.csv").write_text(orphan, encoding="utf-8")
    land("regions", tmp_path / "区划2026.csv", "2026", root=root)
    with pytest.raises(BuildError) as e:
        build(root)
    assert "regions.parent_code" in str(e.value) and "约束检查失败" in str(e.value)
    assert published(root) == good
    assert not list((root / "snapshots").glob("*.building"))


def test_swap_while_a_read_only_connection_is_open(root, tmp_path):
    land("civil_register", write_register_csv(tmp_path / "a.csv"), "2026H1", root=root)
    first = build(root)
    old = duckdb.connect(str(first), read_only=True)
    assert old.sql("select count(*) from stg_civil_register").fetchall()[0][0] == 3
    land("civil_register", write_register_xlsx(tmp_path / "b.xlsx"), "2026H2", root=root)
    second = build(root)  # must not need to write the file the reader holds
    assert second != first and published(root) == second
    assert old.sql("select count(*) from stg_civil_register").fetchall()[0][0] == 3  # the old, consistent view
    new = duckdb.connect(str(published(root)), read_only=True)
    assert new.sql("select count(*) from stg_civil_register").fetchall()[0][0] == 5
    with pytest.raises(duckdb.Error):
        new.execute("create table x (a int)")  # snapshots are opened read-only
    old.close()
    new.close()


def test_old_snapshots_are_pruned_but_a_few_kept(root):
    for _ in range(7):
        build(root)
    snaps = list_snapshots(root)
    assert len(snaps) == 5 and published(root) in snaps


def _string_cells(con, table: str) -> list[str]:
    cols = [r[0] for r in con.sql(f"describe {table}").fetchall()
            if r[1] == "VARCHAR"]
    return cols


def test_no_mart_or_staging_model_holds_a_name_or_raw_id(snapshot_path):
    """Names and ID numbers live only in schema pii; marts hold masked ones (list_*) at most."""
    con = connect(snapshot_path)  # the same read-only configuration the app uses
    names = {r[0] for r in con.sql("select name from pii.person where name is not null").fetchall()}
    ids = {r[0] for r in con.sql("select id_number from pii.person").fetchall()}
    assert names and ids
    tables = [r[0] for r in con.sql(
        "select table_name from duckdb_tables() where schema_name = 'main' union all "
        "select view_name from duckdb_views() where schema_name = 'main' and not internal").fetchall()]
    assert "children_by_area" in tables and "stg_civil_register" in tables
    # The child lists carry masked identity only; the masking table used by the build is gone.
    assert "person_masked" not in tables and {"list_due", "list_unmatched", "list_unpaired"} <= set(tables)
    for t in ("list_due", "list_unmatched", "list_unpaired"):
        masked = con.sql(f"select masked_name, masked_id from {t}").fetchall()
        assert masked and all("*" in n and "*" in i for n, i in masked if n and i), t
    for t in tables:
        cols = [r[0] for r in con.sql(f"describe {t}").fetchall()]
        assert not {"child_name", "id_number", "name", "staff_name", "volunteer_name"} & set(cols), t
        for c in _string_cells(con, t):
            values = {r[0] for r in con.sql(f'select distinct "{c}" from {t} where "{c}" is not null').fetchall()}
            assert not values & ids, f"{t}.{c} holds raw ID numbers"
            assert not any(re.fullmatch(r"\d{17}[\dXx]", v) for v in values), f"{t}.{c} looks like IDs"
            assert not values & names, f"{t}.{c} holds children's names"


def test_fixture_snapshot_is_marked_demo_and_dated(snapshot_path):
    con = connect(snapshot_path)
    is_demo, data_date = con.sql("select is_demo, data_date from meta").fetchall()[0]
    assert is_demo is True and data_date is not None


def test_rollback_publishes_the_previous_snapshot(root, tmp_path):
    from tests.test_etl_land import cli

    first = build(root)
    second = build(root)
    r = cli("rollback", env_root=root)
    assert r.returncode == 0, r.stderr
    assert published(root) == first and second.exists()
    r = cli("rollback", "no-such-snapshot", env_root=root)
    assert r.returncode == 1 and "no such snapshot" in r.stderr


def test_data_date_is_never_later_than_the_landing(root, tmp_path):
    from datetime import date

    land("civil_register", write_register_csv(tmp_path / "a.csv"), "2026H2", root=root)  # ends 2026-12-31
    con = connect(build(root))
    assert con.sql("select data_date from meta").fetchall()[0][0] <= date.today()
    con.close()
