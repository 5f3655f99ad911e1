"""目标进展's catalogue entries say the same thing wherever the same figure appears twice.

The overall values (indicator_series.sql) and the owed reports (owed_reports.sql) are also computed inside
status_rows.sql, which judges every indicator in one round trip: the status table's current value must be the
series' last value on or before the day, and its count of missing reports the owed-report list's, in every
scope. A list of reporting departments reads the same in every result (name order), and the owed-report list
has the same columns whether or not anything is owed.
"""
from __future__ import annotations

import pandas as pd
import pytest

from warehouse import queries as q
from warehouse.queries import targets as tq

KEYS = ["plan_id", "measure_no", "indicator"]


def _scopes(con) -> list[q.Scope]:
    counties = list(q.counties(con, q.Scope.everything())["county_code"])
    street = con.execute("select min(region_code) from regions where level = 'street' and region_code like ?",
                         [counties[0][:6] + "%"]).fetchone()[0]
    return [q.Scope.everything(exact=True), q.Scope.of(counties[0], exact=True), q.Scope.of(street, exact=True),
            q.Scope.of(*counties[:2], exact=True)]


def _days(con) -> list:
    data_date = pd.Timestamp(q.snapshot_info(con).data_date).date()
    return [None, data_date - pd.Timedelta(days=200), data_date + pd.Timedelta(days=200)]


@pytest.mark.parametrize("day", [0, 1, 2])
def test_the_status_table_agrees_with_the_series_and_the_owed_reports(con, day):
    today = _days(con)[day]
    seen_value = seen_owed = False
    for scope in _scopes(con):
        status = tq.indicator_status(con, scope, None, today)
        judged_on = status["today"].iloc[0]
        owed = tq.owed_reports(con, scope, today)
        per_indicator = owed.groupby(KEYS).size()
        for r in status.itertuples():
            series = tq.indicator_series(con, scope, r.plan_id, r.measure_no, r.indicator)
            before = series[pd.to_datetime(series["value_date"]).dt.date <= judged_on]
            if before.empty:
                assert pd.isna(r.current_value), (scope, r.indicator)
            else:
                last = before.iloc[-1]
                assert r.current_value == pytest.approx(last["value"], nan_ok=True), (scope, r.indicator)
                assert r.value_period == last["value_period"], (scope, r.indicator)
                assert r.reported_by == last["departments"] or (pd.isna(r.reported_by) and pd.isna(last["departments"]))
                seen_value = True
            want = int(per_indicator.get((r.plan_id, r.measure_no, r.indicator), 0))
            assert r.missing_reports == want, (scope, r.indicator)
            seen_owed = seen_owed or want > 0
    assert seen_value
    if today is None:
        assert seen_owed, "the fixture owes no report on its data date: the comparison tests nothing"


def test_reporting_departments_are_listed_in_name_order(con):
    # Several counties' departments report the same indicator: the list must not depend on the order the
    # aggregate met them, or the same figure reads differently from one page load to the next.
    status = tq.indicator_status(con, q.Scope.everything(exact=True))
    listed = [v for v in status["reported_by"].dropna() if "、" in v]
    assert listed, "no indicator reported by more than one department in the fixture"
    assert all(v == "、".join(sorted(v.split("、"))) for v in listed), listed
    for r in status[status["kind"] == "reported"].itertuples():
        series = tq.indicator_series(con, q.Scope.everything(exact=True), r.plan_id, r.measure_no, r.indicator)
        for v in series["departments"].dropna():
            assert v == "、".join(sorted(v.split("、")))


def test_the_owed_report_list_has_its_columns_when_nothing_is_owed(con):
    owed = tq.owed_reports(con, q.Scope.everything(exact=True))
    assert len(owed), "the fixture owes no report on its data date"
    nothing = tq.owed_reports(con, q.Scope.everything(exact=True), "2000-01-01")
    assert nothing.empty
    assert list(nothing.columns) == list(owed.columns)
    assert list(tq.owed_reports(con, q.Scope()).columns) == list(owed.columns)
