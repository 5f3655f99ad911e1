"""No small number can be recovered by differencing what one user sees (小数保护：防差分反推).

For a role without case access (the city, and one county), every page query of the map (流动儿童分布),
the overview's map and key-children figures, 志愿服务's migrant and key children and the matching page
(数据比对) is called through the door for every filter the page offers (periods, age bands, categories,
the county selector, checks), as the page shows it; every visible cell is collected by its identity (what
it counts, where, when). Then each additive relation — bands → 全部, communities → street, streets →
county → city, risk levels → 重点对象, matched + unmatched = children, checks → department pair — is
tried: where exactly one member is hidden, total − visible parts (or the sum of the parts) must not
equal that member's true value when it is below the threshold. True values come from the same queries
with exact figures (case access), not from the suppression under test.
"""
from __future__ import annotations

from collections import defaultdict

import pandas as pd
import pytest

from ui import map as mp
from warehouse import queries as q
from warehouse.queries import geo, matching, meeting, privacy, volunteers

T = privacy.threshold()
BANDS = ("0-3", "3-6", "6-12", "12-16")
SCOPES = {"city": "990100", "county": "990102"}


class Seen:
    """Every cell a user saw: identity → the values and marks shown for it, across all views."""

    def __init__(self) -> None:
        self.values: dict[tuple, set] = defaultdict(set)  # visible values (a hidden cell adds nothing)
        self.marks: dict[tuple, set] = defaultdict(set)   # (hidden?, label) per view
        self.truth: dict[tuple, float] = {}

    def add(self, ident: tuple, value, hidden: bool, label: str | None, truth) -> None:
        if truth is None or pd.isna(truth):
            return
        self.truth[ident] = float(truth)
        self.marks[ident].add((bool(hidden), None if not hidden else label))
        if not hidden and value is not None and not pd.isna(value):
            self.values[ident].add(float(value))

    def visible(self, ident: tuple) -> float | None:
        v = self.values.get(ident)
        return next(iter(v)) if v else None


class Col(str):
    """A part of a cell's identity read from the row (a street code is cut to its 9-digit prefix)."""


class Pair(Col):
    """A department pair's identity: "pair:" + the pair read from the row."""


def _cells(seen: Seen, shown: pd.DataFrame, exact: pd.DataFrame, col: str, *ident) -> None:
    """Add `col` of every row of a page frame (as shown) with its exact value (same row order); the cell's
    identity is `ident`, with each Col read from the row."""
    assert len(shown) == len(exact)
    for (_, r), (_, x) in zip(shown.iterrows(), exact.iterrows()):
        hidden = bool(r.get(f"{col}_suppressed", False)) or pd.isna(r[col])
        key = tuple(("pair:" + r[p] if isinstance(p, Pair) else r[p][:9] if p == "street_code" else r[p])
                    if isinstance(p, Col) else p for p in ident)
        seen.add(key, r[col], hidden, r.get(f"{col}_label"), x[col])


def _both(con, fn, code: str, county: str | None, *args):
    """A query as a non-case user sees it, and the same with exact figures."""
    scope = q.Scope.of(code).narrow(county)
    return q.run(fn, con, scope, *args), q.run(fn, con, q.Scope(scope.prefixes, exact=True), *args)


def _area(code: str, county: str | None) -> str:
    return "|".join(q.Scope.of(code).narrow(county).prefixes)


def _map_total(con, code: str, county: str | None, period: str, band: str, category: str):
    """The map page's 合计 as the page shows it."""
    if hasattr(geo, "total"):
        shown, exact = _both(con, geo.total, code, county, period, band, category)
        shown = mp.marked(shown, ["children"])
        return shown.iloc[0]["children"], bool(shown.iloc[0]["children_suppressed"]), exact.iloc[0]["children"]
    raw = q.run(geo.street_metrics, con, q.Scope.of(code).narrow(county), period, band, category)
    total = int(raw["children"].sum())  # the page summed the door's street rows
    return total, 0 < total < T, total


def _collect(con, code: str) -> tuple[Seen, list]:
    seen, relations = Seen(), []
    periods = q.periods(con)
    prev_of = dict(zip(periods["period"], periods["previous_period"]))
    counties = [None, *q.counties(con, q.Scope.of(code))["county_code"]]
    for period in periods["period"]:
        prev = prev_of[period]
        for band in geo.MAP_AGE_BANDS:
            for cat in geo.MAP_CATEGORIES:
                for county in counties:
                    raw, exact = _both(con, geo.street_metrics, code, county, period, band, cat)
                    shown = mp.suppressed_streets(raw, "children", prev is not None and not pd.isna(prev), T)
                    _cells(seen, shown, exact, "children", "geo", period, band, cat, Col("street_code"))
                    if prev is not None and not pd.isna(prev):
                        _cells(seen, shown, exact, "prev_children",
                               "geo", prev, band, cat, Col("street_code"))
                    pts, pts_exact = _both(con, geo.community_points, code, county, period, band, cat)
                    _cells(seen, mp.suppressed_points(pts, T), pts_exact, "children",
                           "geo", period, band, cat, Col("community_code"))
                    value, hidden, truth = _map_total(con, code, county, period, band, cat)
                    area = _area(code, county)
                    seen.add(("geo", period, band, cat, area), value, hidden, None, truth)
                    relations.append((("geo", period, band, cat, area),
                                      [("geo", period, band, cat, s[:9]) for s in exact["street_code"]]))
                    for s in exact["street_code"]:
                        relations.append((("geo", period, band, cat, s[:9]),
                                          [("geo", period, band, cat, c) for c in
                                           pts_exact.loc[pts_exact["street_code"] == s, "community_code"]]))
            for cat in geo.MAP_CATEGORIES:
                for area in {i[4] for i in seen.truth if i[0] == "geo" and i[1] == period}:
                    relations.append((("geo", period, "all", cat, area),
                                      [("geo", period, b, cat, area) for b in BANDS]))
        for county in counties:  # the overview: the map's streets at its defaults, and the headline
            raw, exact = _both(con, meeting.street_density, code, county, period)
            _cells(seen, raw, exact, "children",
                   "geo", period, meeting.MAP_AGE_BAND, meeting.MAP_CATEGORY, Col("street_code"))
            head, head_exact = _both(con, meeting.headline, code, county, period)
            h, hx = head.set_index("metric").loc["migrant"], head_exact.set_index("metric").loc["migrant"]
            seen.add(("geo", period, meeting.MAP_AGE_BAND, meeting.MAP_CATEGORY, _area(code, county)),
                     h["value"], bool(h.get("people_suppressed", False)) or pd.isna(h["value"]),
                     h.get("people_label"), hx["value"])
        for county in counties:  # the overview's key children: per risk level, and the headline's total
            area = _area(code, county)
            risk, risk_exact = _both(con, meeting.risk_levels, code, county, period)
            _cells(seen, risk, risk_exact, "children", "key", period, Col("risk_level"), area)
            if prev is not None and not pd.isna(prev):
                _cells(seen, risk, risk_exact, "previous_children", "key", prev, Col("risk_level"), area)
            head, head_exact = _both(con, meeting.headline, code, county, period)
            h, hx = head.set_index("metric").loc["key_children"], head_exact.set_index("metric").loc["key_children"]
            seen.add(("key", period, "*", area), h["value"], bool(h.get("people_suppressed", False)) or pd.isna(h["value"]),
                     h.get("people_label"), hx["value"])
            relations.append((("key", period, "*", area), [("key", period, lv, area) for lv in risk_exact["risk_level"]]))
    latest = periods["period"].iloc[0]
    for county in counties:  # 志愿服务: migrant children per street (the latest register, all ages) ...
        streets, streets_exact = _both(con, volunteers.by_street, code, county)
        _cells(seen, streets, streets_exact, "migrant", "geo", latest, "all", "流动儿童", Col("street_code"))
        # ... and key children and the paired among them, for the scope and per community (all of them:
        # the page shows the first 15, the download no more)
        area = _area(code, county)
        kpis, kpis_exact = _both(con, volunteers.kpis, code, county)
        comm, comm_exact = _both(con, volunteers.low_activity_communities, code, county)
        key_period = str(kpis_exact["key_period"].iloc[0]) if "key_period" in kpis_exact else latest
        for m, level in (("key_children", "*"), ("paired", "paired")):
            _cells(seen, kpis, kpis_exact, m, "key", key_period, level, area)
            _cells(seen, comm, comm_exact, m, "key", key_period, level, Col("community_code"))
            relations.append((("key", key_period, level, area),
                              [("key", key_period, level, c) for c in comm_exact["community_code"]]))
    city = _area(code, None)
    county_areas = [_area(code, c) for c in counties[1:]]
    for key in {i[:3] for i in seen.truth if i[0] == "key"}:
        relations.append(((*key, city), [(*key, a) for a in county_areas]))
    for period in periods["period"]:
        for band in geo.MAP_AGE_BANDS:
            for cat in geo.MAP_CATEGORIES:
                relations.append((("geo", period, band, cat, city), [("geo", period, band, cat, a) for a in county_areas]))

    # matching: per check and department pair, for the scope and each county; streets per check
    for county in counties:
        area = _area(code, county)
        checks, checks_exact = _both(con, matching.checks, code, county)
        pairs, pairs_exact = _both(con, matching.by_department_pair, code, county)
        for m in ("children", "matched", "unmatched"):
            _cells(seen, checks, checks_exact, m, "match", Col("check_code"), m, area)
            _cells(seen, pairs, pairs_exact, m, "match", Pair("department_pair"), m, area)
        for check in checks_exact["check_code"]:
            streets, streets_exact = _both(con, matching.by_street, code, county, check)
            for m in ("children", "matched", "unmatched"):
                _cells(seen, streets, streets_exact, m, "match", Col("check_code"), m, Col("street_code"))
                relations.append((("match", check, m, area),
                                  [("match", check, m, s[:9]) for s in streets_exact["street_code"]]))
        for pair, group in checks_exact.groupby("department_pair"):
            for m in ("children", "matched", "unmatched"):
                relations.append((("match", "pair:" + pair, m, area), [("match", c, m, area) for c in group["check_code"]]))
    for check in {i[1] for i in seen.truth if i[0] == "match"}:
        for m in ("children", "matched", "unmatched"):
            relations.append((("match", check, m, city), [("match", check, m, a) for a in county_areas]))
    for i in [i for i in seen.truth if i[0] == "match" and i[2] == "children"]:
        relations.append((i, [(*i[:2], "matched", i[3]), (*i[:2], "unmatched", i[3])]))
    return seen, relations


def _collected(collect):
    """A fixture: (who, seen, relations) of one collection, once per scope for the module."""
    @pytest.fixture(scope="module", params=list(SCOPES))
    def fixture(request, con):
        return request.param, *collect(con, SCOPES[request.param])
    return fixture


def _assert_none_recovered(collected) -> None:
    who, seen, relations = collected
    leaks = _recovered(seen, relations)
    assert not leaks, f"{who}: {len(leaks)} small cells recovered, e.g. {leaks[:5]}"


def _assert_small_hidden(collected) -> None:
    """Every figure above zero and below the threshold is hidden wherever it is shown."""
    who, seen, _ = collected
    shown = sorted(i for i, v in seen.truth.items() if 0 < v < T and seen.visible(i) is not None)
    assert not shown, f"{who}: {len(shown)} figures below the threshold shown, e.g. {shown[:3]}"


def _assert_marked_alike(collected) -> None:
    """A figure carries the same mark (hidden or not, and how) in every view that shows it."""
    who, seen, _ = collected
    differ = [i for i, m in seen.marks.items() if len(m) > 1]
    assert not differ, f"{who}: {len(differ)} figures marked differently by different views, e.g. {differ[:3]}"


collected = _collected(_collect)


def _recovered(seen: Seen, relations: list) -> list[str]:
    """Cells below the threshold that total − visible parts (or the sum of the parts) gives exactly."""
    found = set()
    for total, parts in relations:
        members = [total, *parts]
        members = [m for m in members if m in seen.truth]  # a cell outside the user's view does not exist for them
        if total not in seen.truth:
            continue
        unknown = [m for m in members if seen.visible(m) is None]
        if len(unknown) != 1:
            continue
        u = unknown[0]
        if u == total:
            value = sum(seen.visible(p) for p in parts if p in seen.truth)
        else:
            value = seen.visible(total) - sum(seen.visible(p) for p in parts if p in seen.truth and p != u)
        if 0 < seen.truth[u] < T and value == seen.truth[u]:
            found.add(f"{u} = {total} − its other parts")
    return sorted(found)


def test_no_small_cell_is_recovered_by_differencing(collected):
    _assert_none_recovered(collected)


def test_suppression_is_not_absurd(collected):
    who, seen, _ = collected
    nonzero = [i for i, v in seen.truth.items() if v > 0]
    hidden = [i for i in nonzero if seen.visible(i) is None]
    small = [i for i in nonzero if seen.truth[i] < T]
    assert small, "the fixture should have small cells to protect"
    assert set(small) <= set(hidden), "every cell below the threshold is hidden"
    assert len(hidden) < 0.6 * len(nonzero), f"{who}: {len(hidden)} of {len(nonzero)} non-zero cells hidden"
    assert any(seen.truth[i] >= T and seen.visible(i) == seen.truth[i] for i in nonzero)
    assert all(seen.visible(i) == 0 for i, v in seen.truth.items() if v == 0), "zero stays visible"


def test_a_cell_has_the_same_mark_on_every_page_and_filter(collected):
    _assert_marked_alike(collected)


# 目标进展 (targets): an indicator counted in people (unit 人/名) and the numerators and denominators of
# computed rates, per plan × indicator × value period × area, as the status table (the 评估日期 picks the
# period shown), the chart's series and the county table show them for every plan, 评估日期, county and
# indicator. A county's figure and the city's of the same indicator and period add up (city = Σ counties).

def _value_periods(con) -> dict[tuple, str]:
    """The value period of a shown figure by (plan, measure, indicator, date): a reported one's reporting
    period (read from the actuals), a computed one's date."""
    rows = con.execute("select plan_id, measure_no, indicator, value_date, kind, period from plan_actuals").fetchall()
    return {(p, m, i, str(d)): str(d) if k == "computed" else str(per) for p, m, i, d, k, per in rows}


def _collect_targets(con, code: str) -> tuple[Seen, list]:
    from warehouse.queries import targets as tq

    seen, relations = Seen(), []
    people = set(tq.PEOPLE_UNITS)
    periods_of = _value_periods(con)

    def _value_period(con, plan, measure, indicator, date) -> str:
        return periods_of[(plan, measure, indicator, str(pd.Timestamp(date).date()))]

    counties = [None, *q.counties(con, q.Scope.of(code))["county_code"]]
    city = _area(code, None)
    county_areas = [_area(code, c) for c in counties[1:]]
    data_date = str(pd.Timestamp(q.snapshot_info(con).data_date).date())
    plans = list(q.run(tq.plans, con, q.Scope.of(code))["plan_id"])

    def add(kind, shown_row, exact_row, col, ident):
        if col == "value" and shown_row["unit"] not in people:
            return
        hidden = bool(shown_row.get(f"{col}_suppressed", False)) or pd.isna(shown_row[col])
        seen.add(ident, shown_row[col], hidden, shown_row.get(f"{col}_label"), exact_row[col])

    for plan in plans:
        dates = [data_date, *sorted({str(d) for d in con.execute(
            "select distinct value_date from plan_actuals where plan_id = ?", [plan]).df()["value_date"].dt.date})]
        for county in counties:
            area = _area(code, county)
            for today in dates:
                status, status_exact = _both(con, tq.indicator_status, code, county, plan, today)
                for (_, r), (_, x) in zip(status.iterrows(), status_exact.iterrows()):
                    if x["unit"] not in people or pd.isna(x["value_date"]):
                        continue
                    vp = _value_period(con, plan, x["measure_no"], x["indicator"], x["value_date"])
                    seen.add(("tgt", plan, x["measure_no"], x["indicator"], vp, "value", area), r["current_value"],
                             bool(r.get("current_value_suppressed", False)) or pd.isna(r["current_value"]),
                             r.get("current_value_label"), x["current_value"])
                for x in status_exact.itertuples():
                    if x.unit not in people and x.kind != "computed":
                        continue
                    by, by_exact = _both(con, tq.indicator_by_county, code, county, plan, x.measure_no, x.indicator, today)
                    for (_, r), (_, e) in zip(by.iterrows(), by_exact.iterrows()):
                        vp = _value_period(con, plan, x.measure_no, x.indicator, e["value_date"])
                        for col in ("value", "numerator", "denominator"):
                            add("county", r, e, col, ("tgt", plan, x.measure_no, x.indicator, vp, col, e["county_code"][:6]))
            status_exact = q.run(tq.indicator_status, con, q.Scope(q.Scope.of(code).narrow(county).prefixes, exact=True),
                                 plan, data_date)
            for x in status_exact.itertuples():
                series, series_exact = _both(con, tq.indicator_series, code, county, plan, x.measure_no, x.indicator)
                for (_, r), (_, e) in zip(series.iterrows(), series_exact.iterrows()):
                    vp = _value_period(con, plan, x.measure_no, x.indicator, e["value_date"])
                    for col in ("value", "numerator", "denominator"):
                        add("series", r, e, col, ("tgt", plan, x.measure_no, x.indicator, vp, col, area))
    for period in q.periods(con)["period"]:  # the overview's 滞后与逾期目标 (status as of each period)
        for county in counties:
            off, off_exact = _both(con, meeting.off_track_targets, code, county, period)
            for (_, r), (_, x) in zip(off.iterrows(), off_exact.iterrows()):
                if x["unit"] in people and not pd.isna(x["value_date"]):
                    # the plan's own wording is the key; indicator_name is the catalogue's name for it
                    vp = _value_period(con, x["plan_id"], x["measure_no"], x["indicator"], x["value_date"])
                    seen.add(("tgt", x["plan_id"], x["measure_no"], x["indicator"], vp, "value",
                              _area(code, county)), r["latest_value"],
                             bool(r.get("latest_value_suppressed", False)) or pd.isna(r["latest_value"]),
                             r.get("latest_value_label"), x["latest_value"])
    for key in {i[:6] for i in seen.truth if i[0] == "tgt"}:
        relations.append(((*key, city), [(*key, a) for a in county_areas]))
    return seen, relations


# 服务缺口 (gaps): demand and supply figures in people, per period × figure × area, as the ranking (every
# gap), the full table, the figures table and the 主城区/县域 comparison show them, city-wide (counties)
# and for each county (its streets). A county is the sum of its streets; a group the sum of its counties.

def _collect_gaps(con, code: str) -> tuple[Seen, list]:
    from warehouse.queries import gaps as gq

    seen, relations = Seen(), []
    unit = dict(con.execute("select distinct measure_label, measure_unit from gap_measures").fetchall())
    # children (and residents) in 人; staff in 名 (儿童主任, 志愿者) are not the people the rule protects
    people = {k for k, v in unit.items() if v == "人"}
    counties = [None, *q.counties(con, q.Scope.of(code))["county_code"]]
    gap_ids = list(q.run(gq.standards, con, q.Scope.of(code))["gap_id"])
    groups: dict[tuple, set] = defaultdict(set)

    def add(r, x, col, label, period, area):
        if label in people:
            hidden = bool(r.get(f"{col}_suppressed", False)) or pd.isna(r[col])
            seen.add(("gap", period, label, area), r[col], hidden, r.get(f"{col}_label"), x[col])

    for period in q.periods(con)["period"]:
        for county in counties:
            level = "street" if county else "county"
            for gap in gap_ids:
                t, tx = _both(con, gq.gap_table, code, county, period, gap, level)
                for (_, r), (_, x) in zip(t.iterrows(), tx.iterrows()):
                    area = x["area_code"][:9] if level == "street" else x["area_code"][:6]
                    add(r, x, "demand", x["demand_name"], period, area)
                    add(r, x, "supply", x["supply_name"], period, area)
                    if level == "street":
                        groups[(period, x["demand_name"], x["county_code"][:6])].add(area)
                        groups[(period, x["supply_name"], x["county_code"][:6])].add(area)
                    else:
                        groups[(period, x["demand_name"], "grp:" + x["area_group"] + "@" + _area(code, None))].add(area)
                        groups[(period, x["supply_name"], "grp:" + x["area_group"] + "@" + _area(code, None))].add(area)
            d, dx = _both(con, gq.gaps_of_area, code, county, period, level)
            for (_, r), (_, x) in zip(d.iterrows(), dx.iterrows()):
                area = x["area_code"][:9] if level == "street" else x["area_code"][:6]
                add(r, x, "demand", x["demand_name"], period, area)
                add(r, x, "supply", x["supply_name"], period, area)
            m, mx = _both(con, gq.measures, code, county, period, level)
            for (_, r), (_, x) in zip(m.iterrows(), mx.iterrows()):
                add(r, x, "value", x["measure_label"], period, x["area_code"][:9] if level == "street" else x["area_code"][:6])
            c, cx = _both(con, gq.urban_core_comparison, code, county, period)
            labels = dict(con.execute("select distinct gap_id, demand_name from gap_by_area").fetchall())
            supplies = dict(con.execute("select distinct gap_id, supply_name from gap_by_area").fetchall())
            for (_, r), (_, x) in zip(c.iterrows(), cx.iterrows()):
                if x["gap_id"] in labels:
                    grp = "grp:" + x["area_group"] + "@" + _area(code, None)
                    if county is None:
                        add(r, x, "demand", labels[x["gap_id"]], period, grp)
                        add(r, x, "supply", supplies[x["gap_id"]], period, grp)
                    else:  # one county's comparison row is that county's own figure
                        add(r, x, "demand", labels[x["gap_id"]], period, county[:6])
                        add(r, x, "supply", supplies[x["gap_id"]], period, county[:6])
    for (period, label, total), parts in groups.items():
        relations.append((("gap", period, label, total), [("gap", period, label, a) for a in sorted(parts)]))
    return seen, relations


# Targets and gaps, each collected once per scope, under the same rules as the cells above.
collected_targets = _collected(_collect_targets)
collected_gaps = _collected(_collect_gaps)


def test_targets_reveal_no_small_number_by_differencing(collected_targets):
    _assert_none_recovered(collected_targets)


def test_targets_mark_a_figure_alike_in_every_view(collected_targets):
    _assert_small_hidden(collected_targets)
    _assert_marked_alike(collected_targets)


def test_gaps_reveal_no_small_number_by_differencing(collected_gaps):
    _assert_none_recovered(collected_gaps)


def test_gaps_hide_every_small_figure_in_people(collected_gaps):
    _assert_small_hidden(collected_gaps)
