"""Every page's queries, called through the door (`warehouse.queries.run`) with the arguments the
pages in views/*.py pass on first load (newest period, first plan, first check…).

`plans(con, scope, county)` returns {page: [(label, fn, args), …]}; a page's time is the sum of its
queries, as a rerun of the page issues them one after the other.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable

import duckdb

from warehouse import queries as q

Call = tuple[str, Callable, tuple]


def _mod(name: str):
    try:
        return importlib.import_module(f"warehouse.queries.{name}")
    except ImportError:  # a page module still being written elsewhere: leave its page out
        return None


def plans(con: duckdb.DuckDBPyConnection, scope: q.Scope, county: str | None) -> dict[str, list[Call]]:
    """Page → its query calls, for a user scope narrowed to `county` (None = the user's whole area)."""
    run = q.run
    view = scope.narrow(county)
    periods = q.periods(con)
    period = periods["period"].iloc[0] if len(periods) else None
    level = "street" if county else "county"
    out: dict[str, list[Call]] = {}

    meeting, geo = _mod("meeting"), _mod("geo")
    if meeting is not None and period is not None:
        out["overview 总览"] = [
            ("headline", meeting.headline, (period,)), ("period_note", meeting.period_note, (period,)),
            ("street_density", meeting.street_density, (period,)),
            *([("shapes county", geo.shapes, ("county",))] if county is None else []),
            ("top_county_gaps", meeting.top_county_gaps, (period,)), ("risk_levels", meeting.risk_levels, (period,)),
            ("off_track_targets", meeting.off_track_targets, (period,)),
        ]

    tq = _mod("targets")
    plan_rows = run(tq.plans, con, view)
    plan_id = plan_rows["plan_id"].iloc[0] if len(plan_rows) else None
    info = q.snapshot_info(con)
    today = str(info.data_date) if info.data_date is not None else None
    if plan_id is not None:
        status = run(tq.indicator_status, con, view, plan_id, today)
        first = status.iloc[0] if len(status) else None
        summary = run(tq.department_summary, con, view, today)
        dept = summary["department"].iloc[0] if len(summary) else None
        out["targets 目标进展"] = [
            ("plans", tq.plans, ()), ("indicator_status", tq.indicator_status, (plan_id, today)),
            ("measures", tq.measures, (plan_id,)), ("rules", tq.rules, ()),
            *([("indicator_series", tq.indicator_series, (plan_id, first["measure_no"], first["indicator"])),
               ("indicator_by_county", tq.indicator_by_county, (plan_id, first["measure_no"], first["indicator"], today))]
              if first is not None else []),
            ("department_summary", tq.department_summary, (today,)),
            ("indicator_status all", tq.indicator_status, (None, today)), ("owed_reports", tq.owed_reports, (today,)),
            *([("department_measures", tq.department_measures, (dept,))] if dept is not None else []),
            ("phases", tq.phases, (plan_id,)),
        ]

    if period is not None:
        out["map 流动儿童分布"] = [
            ("street_metrics", geo.street_metrics, (period, "all", "流动儿童")),
            ("shapes street", geo.shapes, ("street",)), ("shapes county", geo.shapes, ("county",)),
        ]
        gq = _mod("gaps")
        out["gaps 服务缺口"] = [
            ("standards", gq.standards, ()), ("source_periods", gq.source_periods, (period,)),
            ("index_table", gq.index_table, (period, level)), ("shapes", geo.shapes, (level,)),
            *([("urban_core_comparison", gq.urban_core_comparison, (period,))] if county is None else []),
            ("gaps_of_area", gq.gaps_of_area, (period, level)), ("measures", gq.measures, (period, level)),
        ]

    lq = _mod("ledger")
    out["key_children 重点儿童"] = [
        ("as_of", lq.as_of, ()), ("totals", lq.totals, ()), ("by_risk", lq.by_risk, ()),
        ("by_area_risk", lq.by_area_risk, (level,)), ("compliance street", lq.compliance, ("street",)),
        ("risk_changes", lq.risk_changes, ()), ("due_list", lq.due_list, (30,)), ("visit_rules", lq.visit_rules, ()),
    ]

    mq = _mod("matching")
    checks = run(mq.checks, con, view)
    code = checks["check_code"].iloc[0] if len(checks) else None
    out["matching 数据比对"] = [
        ("checks", mq.checks, ()), ("by_department_pair", mq.by_department_pair, ()),
        *([("by_street", mq.by_street, (code,)), ("shapes street", geo.shapes, ("street",)),
           ("worklist", mq.worklist, (code,))] if code is not None else []),
    ]

    vq = _mod("volunteers")
    out["volunteers 志愿服务"] = [
        ("kpis", vq.kpis, ()), ("goals", vq.goals, ()), ("monthly", vq.monthly, ()),
        ("by_team_type", vq.by_team_type, ()), ("by_street", vq.by_street, ()), ("needs_offer", vq.needs_offer, ()),
        ("low_activity_communities", vq.low_activity_communities, ()), ("dormant_teams", vq.dormant_teams, ()),
        ("unpaired", vq.unpaired, ()),
    ]

    dq = _mod("quality")
    out["data_quality 数据质量"] = [("sources", dq.sources, ()), ("departments", dq.departments, ()),
                                 ("trend", dq.trend, ()), ("reasons", dq.reasons, ())]
    return out


def child_keys(con: duckdb.DuckDBPyConnection, county: str | None, n: int) -> list[str]:
    """Some key children's person_key in a county (spread over the table), for the child's-file query."""
    where = "true" if county is None else "county_code = ?"
    rows = con.execute(f"select person_key from ledger_children where {where} order by hash(person_key) limit {int(n)}",
                       [] if county is None else [county]).fetchall()
    return [r[0] for r in rows]
