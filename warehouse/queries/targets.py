"""Action-plan targets and progress (目标进展): plans, measures, indicators, actuals and status.

Every function takes `today` (default: the snapshot's meta.data_date) so that status is a pure
function of the snapshot and the day it is judged on. The status says one thing, the value against the
target's path; a report not received is a separate flag (报告逾期), never a status, so a target met but
reported late is 已达标 + 报告逾期:

1. 已达标 achieved — the current value meets the target (in the indicator's direction);
2. 未达标 missed — the deadline has passed and the target is not met;
3. 无数据 no data — no value on or before today;
4. 正常 on track — the value is at or beyond the straight path from baseline to target;
5. 滞后 off track — otherwise.
6. 未设区县目标 — a county's (or street's) view of an indicator that has only a city-wide target: the
   target is shown as 全市目标 for reference and the county is not judged by it.

报告逾期 (`report_overdue`, `missing_reports`): a report the lead department owed (one per county per
reporting period, due `report_grace_days` after the period ends, from the indicator's reporting start)
is missing.

Overall values: computed indicators sum numerators and denominators over the counties in scope;
reported ones average percentages (unit %) and add counts over the latest report of each county.

The SQL and each query's declaration are in warehouse/sql/queries/targets/ (see catalogue.py); the status
itself (`_status`, `expected_value`) is judged here, from the figures `status_rows` returns.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from . import Scope, catalogue, cube, metrics, privacy

STATUS_ORDER = ("未达标", "滞后", "正常", "已达标", "无数据", "未设区县目标")
STATUS_EN = {"已达标": "achieved", "正常": "on track", "滞后": "off track", "未达标": "missed",
             "无数据": "no data", "未设区县目标": "city-wide target only"}
OFF_TRACK = ("未达标", "滞后")
REPORT_OVERDUE = "报告逾期"
NO_COUNTY_TARGET = "未设区县目标"
CITY_TARGET, COUNTY_TARGET = "全市目标", "区县目标"
CADENCE_MONTHS = {"月": 1, "季度": 3, "半年": 6, "年": 12}

# Indicators counted in people (a child count can be small at county level): the small-number rule
# applies to their values; rates, places and person-times are not counts of people. The catalogue's
# declarations (warehouse/sql/queries/targets/*.yaml, `where:`) and target_cells.sql name the same units.
PEOPLE_UNITS = ("人", "名")
PEOPLE_WHERE = {"current_value": ("unit", PEOPLE_UNITS)}

_TARGET_KEYS = ("plan_id", "measure_no", "indicator", "value_period", "measure")
TARGETS_CUBE = cube.Cube("targets", catalogue.query("targets/target_cells"), keys=(*_TARGET_KEYS, "area"),
                         within=_TARGET_KEYS)


def in_targets(value: str | None = "value", rates: bool = True) -> list[cube.In]:
    """Where a result's figures sit in the targets cube: `value` (its column) where the unit is people,
    and numerator/denominator (computed indicators); the area is the result's `cube_area`."""
    def cell(m: str) -> dict:
        return {"plan_id": "plan_id", "measure_no": "measure_no", "indicator": "indicator",
                "value_period": "value_period", "measure": cube.Const(m), "area": "cube_area"}
    out = []
    if value:
        out.append(cube.In(TARGETS_CUBE, {value: cell("value")}, rows=("unit", PEOPLE_UNITS)))
    if rates:
        out.append(cube.In(TARGETS_CUBE, {m: cell(m) for m in ("numerator", "denominator")}))
    return out


# Where the entries' counts sit in the cube (named by their .yaml): an indicator's values, numerators and
# denominators; an indicator's current value.
SERIES_CUBE = in_targets()
STATUS_CUBE = in_targets("current_value", rates=False)

indicator_series = catalogue.query("targets/indicator_series")
indicator_by_county = catalogue.query("targets/indicator_by_county")
_status_rows = catalogue.query("targets/status_rows")
_owed_reports = catalogue.query("targets/owed_reports")
_info = catalogue.query("snapshot/info")
_rules = catalogue.query("targets/rules")
_plans = catalogue.query("targets/plans")
_measures = catalogue.query("targets/measures")
_phases = catalogue.query("targets/phases")
_department_measures = catalogue.query("targets/department_measures")
_department_measure_counts = catalogue.query("targets/department_measure_counts")


def _today(con: duckdb.DuckDBPyConnection, today: dt.date | str | None) -> dt.date:
    """The day a status is judged on: `today`, else the snapshot's data date, else the calendar's (the same
    default as indicator_by_county.sql's)."""
    if today is not None:
        return pd.Timestamp(today).date()
    df = _info(con)
    v = df["data_date"].iloc[0] if not df.empty else None
    return pd.Timestamp(v).date() if v is not None and not pd.isna(v) else dt.date.today()


def rules(con: duckdb.DuckDBPyConnection, scope: Scope | None = None) -> dict[str, float]:
    """Status thresholds from config/target_rules.csv (defaults if the file is absent)."""
    out = {"report_grace_days": 15.0}
    try:
        df = _rules(con)
    except duckdb.Error:  # a snapshot built before the rules file existed
        return out
    out.update({str(r.rule): float(r.value) for r in df.itertuples()})
    return out


# Plans, measures, phases and a department's measures carry no figures: the same for every scope but the empty
# one, which sees nothing (default deny).
def plans(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Plans with counts: plan_id, plan_name, measures, indicators."""
    if scope.is_empty:
        return pd.DataFrame(columns=list(_plans.columns))
    return _plans(con)


def measures(con: duckdb.DuckDBPyConnection, scope: Scope, plan_id: str) -> pd.DataFrame:
    """Measures of a plan in order: area, measure_no, measure, lead_departments, rule_text, origin."""
    if scope.is_empty:
        return pd.DataFrame(columns=list(_measures.columns))
    return _measures(con, plan_id)


def phases(con: duckdb.DuckDBPyConnection, scope: Scope, plan_id: str) -> pd.DataFrame:
    """Phases of a plan (start, end, milestone); empty for plans without phases."""
    if scope.is_empty:
        return pd.DataFrame(columns=list(_phases.columns))
    df = _phases(con, plan_id)
    for c in ("start", "end"):
        df[c] = pd.to_datetime(df[c]).dt.date
    return df


def owed_reports(con: duckdb.DuckDBPyConnection, scope: Scope, today: dt.date | str | None = None) -> pd.DataFrame:
    """Missing reports with the county name and lead department (for the by-department view)."""
    return _owed_reports(con, scope, _today(con, today), int(rules(con)["report_grace_days"]))


def _status(r: dict) -> str:
    """The value against the target's path (the module docstring's rules 1–5); reports are not looked at."""
    v, t, e = r["current_value"], r["target"], r["expected_today"]
    sign = -1.0 if r["direction"] == "越低越好" else 1.0
    if v is not None and not pd.isna(v) and sign * (v - t) >= 0:
        return "已达标"
    if r["today"] > r["deadline"]:
        return "未达标"
    if v is None or pd.isna(v):
        return "无数据"
    return "正常" if sign * (v - e) >= 0 else "滞后"


def county_of_view(scope: Scope) -> str | None:
    """The county a view shows when it shows exactly one county (its 12-digit code), else None."""
    p = scope.prefixes
    return p[0].ljust(12, "0") if len(p) == 1 and len(p[0]) == 6 else None


def is_city_view(scope: Scope) -> bool:
    """Whether a scope is judged against city-wide targets: it covers whole cities (or everything)."""
    return bool(scope.prefixes) and all(len(p) <= 4 for p in scope.prefixes)


def expected_value(baseline: float | None, baseline_date, target: float, deadline, today) -> float:
    """The value due on `today` on the straight path from (baseline_date, baseline) to (deadline, target)."""
    if baseline is None or pd.isna(baseline) or baseline_date is None or pd.isna(baseline_date):
        return float(target)
    b0, d1, t = pd.Timestamp(baseline_date), pd.Timestamp(deadline), pd.Timestamp(today)
    if t <= b0:
        return float(baseline)
    if t >= d1 or d1 <= b0:
        return float(target)
    return float(baseline) + (float(target) - float(baseline)) * (t - b0) / (d1 - b0)


STATUS_COLUMNS = ["plan_id", "area", "measure_no", "measure", "indicator", "unit", "direction", "kind", "model",
                  "lead_department", "department", "baseline", "baseline_date", "target", "deadline",
                  "current_value", "value_date", "reported_by", "share_of_target", "expected_today",
                  "missing_reports", "status", "today", "origin", "value_period", "cube_area",
                  "metric_id", "name", "help", "report_overdue", "target_scope"]


@privacy.counts("current_value", derived={"share_of_target": "current_value"}, where=PEOPLE_WHERE, cube=STATUS_CUBE)
def indicator_status(con: duckdb.DuckDBPyConnection, scope: Scope, plan_id: str | None = None,
                     today: dt.date | str | None = None) -> pd.DataFrame:
    """One row per indicator (of one plan, or all): current value as of `today`, share of target,
    expected value today, missing reports and status (see module docstring)."""
    if scope.is_empty:
        return pd.DataFrame(columns=STATUS_COLUMNS)
    d = _today(con, today)
    df = _status_rows(con, scope, plan_id, d, int(rules(con)["report_grace_days"]), county_of_view(scope))
    df["missing_reports"] = df["missing_reports"].astype(int)
    df["today"] = d
    own = df["own_target"].tolist()
    for c in ("deadline", "baseline_date", "value_date"):
        df[c] = pd.to_datetime(df[c]).dt.date
    cols = {c: df[c].tolist() for c in ("baseline", "baseline_date", "target", "deadline")}
    df["expected_today"] = [round(expected_value(b, bd, t, dl, d), 2)
                            for b, bd, t, dl in zip(cols["baseline"], cols["baseline_date"], cols["target"],
                                                    cols["deadline"])]
    cv = pd.to_numeric(df["current_value"], errors="coerce")
    share = cv / df["target"].where(df["target"] != 0) * 100
    df["share_of_target"] = share.where(df["direction"] != "越低越好", df["target"] / cv.where(cv != 0) * 100).round(1)
    keys = ["current_value", "target", "expected_today", "direction", "today", "deadline"]
    rows = (dict(zip(keys, vals)) for vals in zip(*(df[k].tolist() for k in keys)))
    df["status"] = [_status(r) for r in rows]
    df["report_overdue"] = df["missing_reports"] > 0
    # A county is judged against its own target where the plan file gives one; beside a city-wide target
    # its value is shown for reference, not judged (nor is a street's, by either).
    df["target_scope"] = [COUNTY_TARGET if o else CITY_TARGET for o in own]
    if not is_city_view(scope):
        df.loc[[not o for o in own], "status"] = NO_COUNTY_TARGET
    found = [metrics.for_indicator(k, m if isinstance(m, str) else None, i)
             for k, m, i in zip(df["kind"], df["model"], df["indicator"])]
    df["metric_id"] = [m.metric_id for m in found]
    df["name"] = [m.name_zh for m in found]
    df["help"] = [metrics.help(m.metric_id) if m.metric_id in metrics.catalogue() else m.definition_zh
                  for m in found]
    return df[STATUS_COLUMNS]


def department_summary(con: duckdb.DuckDBPyConnection, scope: Scope, today: dt.date | str | None = None) -> pd.DataFrame:
    """Per canonical department: measures it leads (all plans), indicators it answers for by status,
    and reports it owes: department, measures, indicators, <one column per status>, missing_reports."""
    if scope.is_empty:
        return pd.DataFrame(columns=["department", "measures", "indicators", *STATUS_ORDER, "missing_reports"])
    st = indicator_status(con, scope, None, today)
    led = _department_measure_counts(con)
    piv = st.pivot_table(index="department", columns="status", values="indicator", aggfunc="count", fill_value=0)
    piv = piv.reindex(columns=list(STATUS_ORDER), fill_value=0)
    agg = st.groupby("department").agg(indicators=("indicator", "count"), missing_reports=("missing_reports", "sum"))
    out = led.set_index("department").join(agg, how="outer").join(piv, how="left").fillna(0).reset_index()
    for c in ["measures", "indicators", "missing_reports", *STATUS_ORDER]:
        out[c] = out[c].astype(int)
    return out.sort_values(["未达标", "滞后", "missing_reports", "indicators", "measures"],
                           ascending=False).reset_index(drop=True)


def department_measures(con: duckdb.DuckDBPyConnection, scope: Scope, department: str) -> pd.DataFrame:
    """Measures a canonical department leads or co-leads: plan_id, plan_name, area, measure_no, measure, lead_departments."""
    if scope.is_empty:
        return pd.DataFrame(columns=list(_department_measures.columns))
    return _department_measures(con, department)
