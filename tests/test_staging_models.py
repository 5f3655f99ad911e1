"""Staging models say only what they change: the rows in force and today's division codes come from two macros
(warehouse/sql/macros.sql), and the build orders a model after the marts those macros read."""
from __future__ import annotations

import duckdb
import pytest

from etl.contracts import sources
from etl.validate import accepted_schema
from warehouse import build as wb

MACROS = (wb.SQL_DIR / "macros.sql").read_text(encoding="utf-8")


def test_a_model_is_built_after_a_mart_it_reads_only_through_a_macro(tmp_path, monkeypatch):
    (tmp_path / "staging").mkdir()
    (tmp_path / "marts").mkdir()
    (tmp_path / "macros.sql").write_text(
        "create or replace macro outer_rows() as table select * from inner_rows();\n"
        "-- a macro no model calls: what it reads is nobody's dependency\n"
        "create or replace macro unused() as table select * from other_mart;\n"
        "create or replace macro inner_rows() as table select * from the_mart;\n", encoding="utf-8")
    (tmp_path / "staging" / "stg_a.sql").write_text("select * from outer_rows()\n", encoding="utf-8")
    (tmp_path / "marts" / "the_mart.sql").write_text("select 1 as x\n", encoding="utf-8")
    (tmp_path / "marts" / "other_mart.sql").write_text("select * from stg_a\n", encoding="utf-8")
    monkeypatch.setattr(wb, "SQL_DIR", tmp_path)
    assert [m.name for m in wb.load_models()] == ["the_mart", "stg_a", "other_mart"]


@pytest.fixture
def mem():
    con = duckdb.connect(config=wb.DUCKDB_CONFIG)
    con.execute("create table load_log (load_id varchar, source varchar, is_current boolean)")
    con.execute("insert into load_log values ('new', 'schools', true), ('old', 'schools', false), "
                "('x', 'other', true)")
    # Column names of the map itself (region_code, street_code) stand in the landed rows too.
    con.execute("create table region_current (region_code varchar, current_code varchar, street_code varchar, "
                "county_code varchar)")
    con.execute("insert into region_current values ('990102002000', '990102001000', '990102001000', "
                "'990102000000'), ('980421100001', '980412100001', '980412100000', '980412000000')")
    con.execute("create table raw_schools (street_code varchar, region_code varchar, places int, period varchar, "
                "load_id varchar, period_start date, period_end date)")
    con.execute("insert into raw_schools values "
                "('990102002000', '980421100001', 10, '2025', 'new', '2025-01-01', '2025-12-31'), "
                "('990181001000', '990181001001', 20, '2025', 'new', '2025-01-01', '2025-12-31'), "
                "('990102002000', '980421100001', 99, '2024', 'old', '2024-01-01', '2024-12-31')")
    con.execute(MACROS)
    yield con
    con.close()


def test_in_force_keeps_the_current_landings_period_first_landing_last(mem):
    rel = mem.sql("select * from in_force('raw_schools')")
    assert rel.columns == ["period", "period_start", "period_end", "street_code", "region_code", "places", "load_id"]
    assert sorted(r[5] for r in rel.fetchall()) == [10, 20]


@pytest.mark.parametrize("code, today", [
    ("street_code", [("990102001000", "990102001000", "990102000000"),   # a street merged into another
                     ("990181001000", "990181001000", "990181000000")]),  # not in the map: its own, by its digits
    ("region_code", [("980412100001", "980412100000", "980412000000"),   # a county renumbered
                     ("990181001001", "990181001000", "990181000000")]),
])
def test_in_force_today_counts_a_code_under_todays_division(mem, code, today):
    rows = mem.sql(f"select places, today.code, today.street, today.county "
                   f"from in_force_today('raw_schools', {code}) order by places").fetchall()
    assert [r[1:] for r in rows] == today and [r[0] for r in rows] == [10, 20]


def test_every_staging_model_keeps_the_contract_columns_in_order(con):
    """period first, the contract's columns (a division code replaced by today's), then what staging adds."""
    for name, src in sources().items():
        views = con.sql("select view_name from duckdb_views() where view_name = ?", params=[f"stg_{name}"]).fetchall()
        if not views or name == "population":  # population is one row per street of today: its own columns
            continue
        cols = [r[0] for r in con.sql(f"describe stg_{name}").fetchall()]
        contract = [c for c, _ in accepted_schema(src) if c not in ("period", "load_id")]
        assert cols[:3 + len(contract)] == ["period", "period_start", "period_end", *contract], name
        added = cols[3 + len(contract):]
        assert added[-1] == "load_id", name
        assert set(added) <= {"age_years", "age_band", "street_code", "county_code", "load_id"}, name
        assert ("age_years" in added) == ("birth_date" in contract), name
