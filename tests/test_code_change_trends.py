"""Trends across periods follow division changes (区划调整): a period landed before a change keeps its old codes
in the landed files, and the warehouse counts it under today's codes, so an area's figures run on across the change.

A fictional city (tests/realcity.py): the province's 2025 NBS table with the deployment's root 江清市, a 2025H2
register and key-children ledger on the old codes, then the change list (青溪县 980421 → 青溪区 980412, 南门/东塘
街道 merged into 澄江街道, 湖滨街道 split) and the 2026 table, and a 2026H1 register on the new codes.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from etl.deployment import set_root_code
from etl.land import land
from tests import realcity as rc
from tests.files import make_id, register_of, write_register_csv
from warehouse import queries as q
from warehouse.build import build

# (community code, children): 青溪县's communities (renumbered with the county), 南门 and 东塘 (streets merged into
# 澄江街道), 湖滨 (street split), 澄江 and 临川 (unchanged).
OLD = [("980421100001", 3), ("980421101201", 1), ("980402002001", 2), ("980402003001", 1), ("980411002001", 1),
       ("980402001001", 1), ("980481001001", 2)]
OLD_KEY = [("980421100001", 1), ("980402003001", 1)]
# 常住人口 by street in 2025: 澄江, 南门 and 东塘 (merged since), 青溪镇 (renumbered since).
POPULATION = [("980402001000", 100), ("980402002000", 50), ("980402003000", 40), ("980421100000", 30)]
NEW = [("980412100001", 2), ("980402001003", 1), ("980402001001", 1), ("980411003001", 1), ("980481001001", 1)]

QINGXI_OLD, QINGXI = "980421000000", "980412000000"
CHENGJIANG, HUBIN = "980402001000", "980411002000"
# Codes retired with their successor in today's table: no figure may stay under them.
GONE = ("980421", "980402002000", "980402003000")


def _register(path: Path, rows: list[tuple[str, int]], first: int) -> Path:
    return write_register_csv(path, rows=register_of(rows, first))


def _table(path: Path, rows: list[list[str]]) -> Path:
    """The NBS table (code, class, name) with a centre point for each community, as the map's points need."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([*rc.HEADER, "经度", "纬度"])
    for i, (code, kind, name) in enumerate(rows):
        point = [f"{118 + i / 100:.2f}", "31.50"] if not code.endswith("000") else ["", ""]
        w.writerow([code, kind, name, *point])
    path.write_bytes(buf.getvalue().encode("gb18030"))
    return path


def _plan(path: Path) -> Path:
    """A county's own target for a shipped plan indicator, set for 青溪县 under its old code in 2025."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["计划编号", "措施编号", "指标名称", "区县代码", "目标值", "截止日期", "牵头单位", "指标类型"])
    w.writerow(["yaodu_2025", "M1", "流动儿童信息半年更新率", "980421", "95", "2026-12-31", "区民政局", "填报"])
    path.write_bytes(buf.getvalue().encode("gb18030"))
    return path


def _key_children(path: Path, rows: list[tuple[str, int]]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["身份证号", "社区代码", "重点对象类型", "风险等级", "排查日期"])
    seq = 0
    for code, n in rows:
        for _ in range(n):
            seq += 1
            w.writerow([make_id("20150304", seq, prefix=code[:6]), code, "留守儿童", "红色", "2025-10-01"])
    path.write_bytes(buf.getvalue().encode("gb18030"))
    return path


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    """The city's snapshot after both periods and the change landed, open read-only."""
    tmp = tmp_path_factory.mktemp("trends")
    data = tmp / "data"
    data.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TONGXIN_DATA_DIR", str(data))
        mp.setenv("TONGXIN_SECRET", "unit-test-secret")
        set_root_code(data, "980400")
        steps = [("regions", _table(tmp / "江清省2025.csv", rc.nbs_rows()), "2025", len(rc.codes(rc.ROOT)) + 1),
                 ("civil_register", _register(tmp / "台账2025.csv", OLD, 0), "2025H2", sum(n for _, n in OLD)),
                 ("key_children", _key_children(tmp / "重点2025.csv", OLD_KEY), "2025H2", 2),
                 ("population", rc.population_csv(tmp / "常住人口2025.csv", POPULATION), "2025", len(POPULATION)),
                 ("plan_indicators", _plan(tmp / "计划2025.csv"), "2025", 1),
                 ("region_changes", rc.changes_csv(tmp / "区划变更.csv"), "2026", len(rc.CHANGES)),
                 ("regions", _table(tmp / "江清省2026.csv", rc.current_rows()), "2026", None),
                 ("civil_register", _register(tmp / "台账2026.csv", NEW, 50), "2026H1", sum(n for _, n in NEW))]
        for source, path, period, want in steps:
            out = land(source, path, period, root=data, isolate=False)
            assert out.entry.rows_rejected == 0 and want in (None, out.entry.rows_accepted), out.message
        con = duckdb.connect(str(build(data)), read_only=True)
    yield con
    con.close()


def _rows(con, sql: str) -> dict:
    return {r[:-1]: r[-1] for r in con.execute(sql).fetchall()}


def test_children_by_area_counts_both_periods_under_the_new_county(snap):
    got = _rows(snap, "select period, county_code, sum(children)::int from children_by_area group by all")
    assert got[("2025H2", QINGXI)] == 4 and got[("2026H1", QINGXI)] == 2
    assert not [k for k in got if k[1] == QINGXI_OLD]
    streets = _rows(snap, "select period, street_code, sum(children)::int from children_by_area group by all")
    assert streets[("2025H2", CHENGJIANG)] == 4  # 澄江 1 + 南门 2 + 东塘 1, merged
    assert streets[("2025H2", HUBIN)] == 1  # split: no single successor, stays under its own code
    assert streets[("2025H2", "980412100000")] == 3 and streets[("2026H1", "980412100000")] == 2


def test_the_overview_counts_older_key_children_under_todays_streets(snap):
    got = {r[0:2]: r[2:] for r in snap.execute(
        "select period, street_code, children::int, key_children::int from overview_by_street").fetchall()}
    assert got[("2025H2", "980412100000")] == (3, 1)
    assert got[("2025H2", CHENGJIANG)] == (4, 1)
    assert got[("2026H1", "980412100000")] == (2, 0)
    assert not [k for k in got if k[1].startswith(GONE)]


def test_the_map_runs_the_trend_on_across_the_change(snap):
    got = {r[0:2]: r[2:] for r in snap.execute(
        "select period, street_code, children::int, previous_children::int from geo_street_density "
        "where age_band = 'all' and category = '流动儿童'").fetchall()}
    assert got[("2025H2", "980412100000")][0] == 3 and got[("2025H2", "980412101000")][0] == 1
    assert got[("2026H1", "980412100000")] == (2, 3)  # the change between periods, on one street
    assert got[("2026H1", CHENGJIANG)] == (2, 4)
    residents = _rows(snap, "select period, street_code, residents::int from geo_street_density "
                            "where age_band = 'all' and category = '流动儿童'")
    assert residents[("2025H2", CHENGJIANG)] == residents[("2026H1", CHENGJIANG)] == 190  # the merged streets' sum
    assert residents[("2026H1", "980412100000")] == 30
    assert got[("2025H2", HUBIN)][0] == 1 and got[("2026H1", "980411003000")] == (1, 0)
    assert not [k for k in got if k[1].startswith(GONE)]  # a street drawn once, under its code of today
    points = _rows(snap, "select period, community_code, children::int from geo_community_points "
                         "where age_band = 'all' and category = '流动儿童'")
    assert points[("2025H2", "980412100001")] == 3 and points[("2026H1", "980412100001")] == 2
    assert not [k for k in points if k[1].startswith("980421")]


def test_the_gaps_count_older_rows_under_todays_areas(snap):
    got = _rows(snap, "select period, level, area_code, value::int from gap_measures "
                      "where measure = 'register_children'")
    assert got[("2025H2", "street", "980412100000")] == 3 and got[("2025H2", "county", QINGXI)] == 4
    assert got[("2025H2", "street", CHENGJIANG)] == 4
    assert not [k for k in got if k[2].startswith(GONE)]
    streets = _rows(snap, "select period, level, area_code, value::int from gap_measures where measure = 'streets'")
    assert streets[("2026H1", "county", QINGXI)] == 4  # 青溪区's four streets, not 青溪县's as well
    assert streets[("2026H1", "county", "980402000000")] == 1  # 澄江街道 alone after the merger


def test_no_figure_stays_under_a_code_retired_for_one_in_the_table(snap):
    """Every table the pages read: no area column holds a code whose successor the region table has."""
    retired = {r[0] for r in snap.execute(
        "select region_code from regions where current_code <> region_code").fetchall()}
    assert QINGXI_OLD in retired and "980402002000" in retired and HUBIN not in retired
    skip = {"regions", "region_current", "region_code_map", "region_changes_report", "boundaries", "load_log"}
    cols = snap.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'main' "
        "and (column_name like '%county_code' or column_name like '%street_code' "
        "or column_name like '%community_code' or column_name in ('area_code', 'region_code')) "
        "and table_name in (select table_name from information_schema.tables where table_type = 'BASE TABLE')"
    ).fetchall()
    found = []
    for table, col in cols:
        if table in skip or table.startswith(("raw_", "cfg_", "ref_")):
            continue
        n = snap.execute(f'select count(*) from "{table}" where "{col}" in (select unnest(?))',
                         [sorted(retired)]).fetchall()[0][0]
        if n:
            found.append(f"{table}.{col}")
    assert not found, found


def test_a_countys_own_target_set_under_the_old_code_is_the_new_countys(snap):
    got = snap.execute("select county_code, target from plan_county_targets").fetchall()
    assert got == [(QINGXI, 95.0)]


def test_the_selector_offers_the_new_county_not_the_old(snap):
    names = set(q.counties(snap, q.Scope.of("980400"))["county_name"])
    assert "青溪区" in names and "青溪县" not in names
    assert {"澄江区", "白沙区", "临川市"} <= names
