"""Indicator values and status: computed values equal an independent count from the landed extracts;
status follows `today` across the pace line; owed reports count as overdue."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from etl.contracts import parse_period, sources
from etl.landed import current_loads, landed_dir, read_load_log
from tests.files import read_sql
from warehouse import queries as q
from warehouse.queries import targets as tq

EVERYTHING = q.Scope.everything()


def _landed(data_dir, source: str) -> dict[str, pd.DataFrame]:
    """Accepted rows of the current landing of each period of a source, from the load log."""
    cur = current_loads(read_load_log(data_dir))
    return {p: pd.read_parquet(landed_dir(data_dir) / e["accepted_path"])
            for (s, p), e in cur.items() if s == source}


def _age(birth: pd.Series, at: dt.date) -> pd.Series:
    b = pd.to_datetime(birth)
    return at.year - b.dt.year - ((b.dt.month * 100 + b.dt.day) > (at.month * 100 + at.day)).astype(int)


def independent_health_record_rate(data_dir) -> tuple[float, dt.date, pd.DataFrame, set]:
    """0–6 migrant children on the latest register before the last health-record quarter with a record, in %."""
    register = _landed(data_dir, "civil_register")
    health = _landed(data_dir, "health_records")
    hp = max(health, key=lambda p: parse_period(p, "quarter")[1])
    h_end = parse_period(hp, "quarter")[1]
    rp = max((p for p in register if parse_period(p, "half_year")[1] <= h_end),
             key=lambda p: parse_period(p, "half_year")[1])
    reg = register[rp]
    r_end = parse_period(rp, "half_year")[1]
    kids = reg[(reg["category"] == "流动儿童") & _age(reg["birth_date"], r_end).between(0, 6)
               & reg["community_code"].notna()]
    recorded = set(health[hp]["person_key"])
    den = kids["person_key"].nunique()
    num = kids["person_key"][kids["person_key"].isin(recorded)].nunique()
    return round(100 * num / den, 2), h_end, kids, recorded


def test_health_record_rate_equals_independent_count(con, data_dir):
    expected, h_end, kids, recorded = independent_health_record_rate(data_dir)
    st = tq.indicator_status(con, EVERYTHING, "city_list_2025").set_index("indicator")
    row = st.loc["0—6岁流动儿童健康档案建档率（系统计算）"]
    assert row["current_value"] == pytest.approx(expected, abs=0.005)
    assert row["value_date"] == h_end

    # per county too
    county = kids.assign(county=kids["community_code"].str[:6] + "000000")
    by = county.groupby("county")["person_key"].agg(lambda s: round(100 * s.isin(recorded).sum()
                                                                    / s.nunique(), 2))
    got = tq.indicator_by_county(con, EVERYTHING, "city_list_2025", "A2", "0—6岁流动儿童健康档案建档率（系统计算）")
    assert dict(zip(got["county_code"], got["value"])) == pytest.approx(by.to_dict(), abs=0.005)


def test_expected_value_is_the_straight_path():
    e = tq.expected_value(60, dt.date(2026, 1, 1), 100, dt.date(2026, 12, 31), dt.date(2026, 7, 2))
    assert e == pytest.approx(60 + 40 * 182 / 364)
    assert tq.expected_value(60, dt.date(2026, 1, 1), 100, dt.date(2026, 12, 31), dt.date(2025, 1, 1)) == 60
    assert tq.expected_value(60, dt.date(2026, 1, 1), 100, dt.date(2026, 12, 31), dt.date(2027, 1, 1)) == 100


def test_status_changes_as_today_crosses_the_pace_line(con):
    """Find a computed indicator whose value, held between two of its dates, is crossed by the pace line."""
    st = tq.indicator_status(con, EVERYTHING)
    found = None
    for r in st[st["kind"] == "computed"].itertuples():
        s = tq.indicator_series(con, EVERYTHING, r.plan_id, r.measure_no, r.indicator)
        dates = [pd.Timestamp(d).date() for d in s["value_date"]] + [r.deadline]
        for (d0, v), d1 in zip(zip(dates, s["value"]), dates[1:]):
            if v >= r.target or d0 < r.baseline_date:
                continue
            # day the straight path reaches v
            frac = (v - r.baseline) / (r.target - r.baseline)
            cross = r.baseline_date + dt.timedelta(days=frac * (r.deadline - r.baseline_date).days)
            if d0 < cross - dt.timedelta(days=2) and cross + dt.timedelta(days=2) < min(d1, r.deadline):
                found = (r, d0, cross)
                break
        if found:
            break
    assert found, "no computed indicator crosses the pace line in the fixture"
    r, d0, cross = found
    before = tq.indicator_status(con, EVERYTHING, r.plan_id, cross - dt.timedelta(days=2)).set_index("indicator")
    after = tq.indicator_status(con, EVERYTHING, r.plan_id, cross + dt.timedelta(days=2)).set_index("indicator")
    assert before.at[r.indicator, "status"] == "正常"
    assert after.at[r.indicator, "status"] == "滞后"
    assert before.at[r.indicator, "current_value"] == after.at[r.indicator, "current_value"]


def test_default_today_is_the_data_date(con):
    info = q.snapshot_info(con)
    st = tq.indicator_status(con, EVERYTHING)
    assert set(st["today"]) == {pd.Timestamp(info.data_date).date()}


def test_missing_reports_flag_report_overdue_not_the_status(con, data_dir):
    """Reports owed (each county, each quarter from the reporting start, due 15 days after) but absent: they
    set 报告逾期 beside the status, which still judges only the value against the target's path."""
    st = tq.indicator_status(con, EVERYTHING)
    today = st["today"].iloc[0]
    reports = pd.concat(_landed(data_dir, "progress_reports").values())
    reports["plan_id"] = reports["plan_id"].str.lower()
    counties = {c[:6] + "000000" for c in pd.concat(_landed(data_dir, "regions").values())
                .query("level == 'county'")["region_code"]}
    quarters = [q_ for q_ in ("2026Q1", "2026Q2", "2026Q3", "2026Q4")
                if parse_period(q_, "quarter")[1] + dt.timedelta(days=15) < today]
    rep = st[st["kind"] == "reported"]
    for r in rep.itertuples():
        mine = reports[(reports["plan_id"] == r.plan_id) & (reports["measure_no"] == r.measure_no)
                       & (reports["indicator"] == r.indicator)]
        missing = 0
        for qq in quarters:
            a, b = parse_period(qq, "quarter")
            got = {c for c, d in zip(mine["region_code"], mine["report_date"])
                   if a <= pd.Timestamp(d).date() <= b + dt.timedelta(days=15)}
            missing += len(counties - got)
        assert r.missing_reports == missing, r.indicator
        assert r.report_overdue == (missing > 0), r.indicator
        judged = tq._status({"current_value": r.current_value, "target": r.target, "expected_today": r.expected_today,
                             "direction": r.direction, "today": r.today, "deadline": r.deadline})
        assert r.status == judged, r.indicator
    assert (rep["missing_reports"] > 0).any()
    assert not set(st["status"]) & {"逾期", "有风险", "正常推进"}
    assert "progress_reports" in sources()


def test_every_demo_report_matches_a_catalogue_indicator(con, data_dir):
    reports = pd.concat(_landed(data_dir, "progress_reports").values())
    keys = {(p.lower(), m, i) for p, m, i in zip(reports["plan_id"], reports["measure_no"], reports["indicator"])}
    cat = read_sql(con, "select plan_id, measure_no, indicator from plan_indicators where kind = 'reported'")
    assert keys == set(zip(cat["plan_id"], cat["measure_no"], cat["indicator"]))
    measures = read_sql(con, "select plan_id, measure_no from plan_measures")
    assert {(p, m) for p, m, _ in keys} <= set(zip(measures["plan_id"], measures["measure_no"]))
    st = tq.indicator_status(con, EVERYTHING)
    assert {"已达标", "未达标", "滞后"} <= set(st["status"])


def test_a_target_met_but_reported_late_is_achieved_and_flagged(con):
    """已达标 + 报告逾期, never 逾期 alone: the met indicators of the fixture judged on a day after one more
    quarter's reports fell due (none of which were sent) keep 已达标 and gain the flag."""
    st = tq.indicator_status(con, EVERYTHING)
    met = st[(st["status"] == "已达标") & (st["kind"] == "reported") & (st["deadline"] > st["today"])]
    assert len(met), "the fixture has a reported indicator already met"
    later = pd.Timestamp(st["today"].iloc[0]).date() + dt.timedelta(days=110)
    again = tq.indicator_status(con, EVERYTHING, None, later).set_index(["plan_id", "measure_no", "indicator"])
    for r in met.itertuples():
        row = again.loc[(r.plan_id, r.measure_no, r.indicator)]
        assert row["status"] == "已达标" and bool(row["report_overdue"]), r.indicator


def test_a_county_is_not_judged_by_a_city_target(con):
    """Plan targets are city-wide: a county's view shows them as 全市目标 for reference and judges nothing;
    the city's view judges every indicator."""
    county = q.Scope.of(str(q.counties(con, EVERYTHING)["county_code"].iloc[0]))
    st = tq.indicator_status(con, county)
    assert set(st["status"]) == {tq.NO_COUNTY_TARGET} and set(st["target_scope"]) == {tq.CITY_TARGET}
    assert tq.NO_COUNTY_TARGET not in set(tq.indicator_status(con, EVERYTHING)["status"])


def test_indicators_carry_their_catalogue_name_and_definition(con):
    """Computed and reported values of one indicator are told apart by name: （计算值） / （部门报送）."""
    st = tq.indicator_status(con, EVERYTHING).set_index("indicator")
    assert st.at["0—6岁流动儿童健康档案建档率（系统计算）", "name"] == "0—6岁流动儿童健康档案建档率（计算值）"
    assert st.at["0—6岁流动儿童健康档案建档率", "name"] == "0—6岁流动儿童健康档案建档率（部门报送）"
    assert st.at["0—6岁流动儿童疫苗接种率", "metric_id"] == "vaccination_rate_reported"
    assert all(isinstance(h, str) and h for h in st["help"])
