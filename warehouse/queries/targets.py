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
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from . import Scope, _df, _scope_predicate, cube, metrics, privacy

STATUS_ORDER = ("未达标", "滞后", "正常", "已达标", "无数据", "未设区县目标")
STATUS_EN = {"已达标": "achieved", "正常": "on track", "滞后": "off track", "未达标": "missed",
             "无数据": "no data", "未设区县目标": "city-wide target only"}
OFF_TRACK = ("未达标", "滞后")
REPORT_OVERDUE = "报告逾期"
NO_COUNTY_TARGET = "未设区县目标"
CITY_TARGET, COUNTY_TARGET = "全市目标", "区县目标"
CADENCE_MONTHS = {"月": 1, "季度": 3, "半年": 6, "年": 12}

# Indicators counted in people (a child count can be small at county level): the small-number rule
# applies to their values; rates, places and person-times are not counts of people.
PEOPLE_UNITS = ("人", "名")
_PEOPLE = {"current_value": ("unit", PEOPLE_UNITS)}
_PEOPLE_VALUE = {"value": ("unit", PEOPLE_UNITS)}

# The period a figure belongs to: a reported figure's reporting period, a computed one's date.
_VALUE_PERIOD = "case {a}kind when 'computed' then strftime({a}value_date, '%Y-%m-%d') else coalesce({a}period, '?') end"


def _target_cells(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every figure in people the targets page can show, for the whole published area: per plan × measure ×
    indicator × value period × measure ('value' of a reported indicator in 人/名, 'numerator' and
    'denominator' of a computed one) × area (county → city → province → everything). The city's figure
    of a period is the sum of its counties' (how the page computes it); figures with no county sit in
    a remainder '~' under everything, so that everything − the provinces reveals nothing either."""
    units = ", ".join(f"'{u}'" for u in PEOPLE_UNITS)
    parts = " union all ".join(
        f"select plan_id, measure_no, indicator, {_VALUE_PERIOD.format(a='a.')} as value_period, '{m}' as measure, "
        f"coalesce(left(a.county_code, 6), '~') as county, {expr} as n "
        f"from plan_actuals a join plan_indicators i using (plan_id, measure_no, indicator)"
        for m, expr in (("value", f"case when a.kind = 'reported' and i.unit in ({units}) then a.value end"),
                        ("numerator", "a.numerator"), ("denominator", "a.denominator")))
    return _df(con, f"""
        with c as (select plan_id, measure_no, indicator, value_period, measure, county, sum(n) as n
                   from ({parts}) where n is not null group by all),
        k as (select * from c where county <> '~')
        select plan_id, measure_no, indicator, value_period, measure, county as area,
               case when county = '~' then '' else left(county, 4) end as parent,
               case when county = '~' then 1 else 3 end as depth, n from c
        union all
        select plan_id, measure_no, indicator, value_period, measure, left(county, 4), left(county, 2), 2, sum(n)
        from k group by all
        union all
        select plan_id, measure_no, indicator, value_period, measure, left(county, 2), '', 1, sum(n) from k group by all
        union all
        select plan_id, measure_no, indicator, value_period, measure, '', null, 0, sum(n) from c group by all""")


_TARGET_KEYS = ("plan_id", "measure_no", "indicator", "value_period", "measure")
TARGETS_CUBE = cube.Cube("targets", _target_cells, keys=(*_TARGET_KEYS, "area"), within=_TARGET_KEYS)


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


def _today(con: duckdb.DuckDBPyConnection, today: dt.date | str | None) -> dt.date:
    if today is not None:
        return pd.Timestamp(today).date()
    df = _df(con, "select data_date from meta limit 1")
    v = df.iloc[0, 0] if not df.empty else None
    return pd.Timestamp(v).date() if v is not None and not pd.isna(v) else dt.date.today()


def rules(con: duckdb.DuckDBPyConnection, scope: Scope | None = None) -> dict[str, float]:
    """Status thresholds from config/target_rules.csv (defaults if the file is absent)."""
    out = {"report_grace_days": 15.0}
    try:
        df = _df(con, "select rule, value from cfg_target_rules")
    except duckdb.Error:
        return out
    out.update({str(r.rule): float(r.value) for r in df.itertuples()})
    return out


def plans(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Plans with counts: plan_id, plan_name, measures, indicators."""
    if scope.is_empty:
        return pd.DataFrame(columns=["plan_id", "plan_name", "measures", "indicators"])
    return _df(con, """
        select m.plan_id, coalesce(any_value(m.plan_name), m.plan_id) as plan_name,
               count(distinct m.measure_no) as measures,
               (select count(*) from plan_indicators i where i.plan_id = m.plan_id) as indicators
        from plan_measures m group by m.plan_id
        order by case m.plan_id when 'city_list_2025' then 0 when 'yaodu_2025' then 1 else 2 end, m.plan_id""")


def measures(con: duckdb.DuckDBPyConnection, scope: Scope, plan_id: str) -> pd.DataFrame:
    """Measures of a plan in order: area, measure_no, measure, lead_departments, rule_text, origin."""
    if scope.is_empty:
        return pd.DataFrame(columns=["area", "measure_no", "measure", "lead_departments", "rule_text", "origin"])
    return _df(con, """
        select area, measure_no, measure, lead_departments, rule_text, origin
        from plan_measures where plan_id = ? order by area_order, measure_order""", [plan_id])


def phases(con: duckdb.DuckDBPyConnection, scope: Scope, plan_id: str) -> pd.DataFrame:
    """Phases of a plan (start, end, milestone); empty for plans without phases."""
    if scope.is_empty:
        return pd.DataFrame(columns=["phase", "start", "end", "milestone"])
    df = _df(con, """select phase, "start"::date as start, "end"::date as "end", milestone
                     from ref_changzhou_2024_phases where plan_id = ? order by "start" """, [plan_id])
    for c in ("start", "end"):
        df[c] = pd.to_datetime(df[c]).dt.date
    return df


def _overall_sql(where: str) -> str:
    """Per indicator and date: the overall value over the counties in scope (computed and reported)."""
    return f"""
        with a as (select * from plan_actuals where {where}),
        comp as (
            select plan_id, measure_no, indicator, value_date,
                   strftime(value_date, '%Y-%m-%d') as value_period,
                   round(100.0 * sum(numerator) / nullif(sum(denominator), 0), 2) as value,
                   sum(numerator)::bigint as numerator, sum(denominator)::bigint as denominator,
                   null::varchar as departments, count(*) as counties
            from a where kind = 'computed' group by all
        ),
        rep as (
            select a.plan_id, a.measure_no, a.indicator, max(a.value_date) as value_date,
                   coalesce(a.period, '?') as value_period,
                   case when any_value(i.unit) = '%' then round(avg(a.value), 2) else sum(a.value) end as value,
                   null::bigint as numerator, null::bigint as denominator,
                   string_agg(distinct a.department, '、') as departments, count(*) as counties
            from a join plan_indicators i using (plan_id, measure_no, indicator)
            where a.kind = 'reported' group by a.plan_id, a.measure_no, a.indicator, a.period
        )
        select * from comp union all select * from rep"""


def _scope_where(scope: Scope) -> tuple[str, list]:
    where, params = _scope_predicate(scope, "coalesce(county_code, '')")
    return where, params


# Numerators and denominators of computed indicators count children; so does a value in 人. A rate
# computed from a suppressed count is hidden with it. Their marks come from the targets cube, so the
# city's figure minus the visible counties' never reveals a hidden county.
_SERIES_PRIVACY = {"derived": {"value": ["numerator", "denominator"]}, "where": _PEOPLE_VALUE,
                   "cube": in_targets()}


@privacy.counts("value", "numerator", "denominator", **_SERIES_PRIVACY)
def indicator_series(con: duckdb.DuckDBPyConnection, scope: Scope, plan_id: str, measure_no: str,
                     indicator: str) -> pd.DataFrame:
    """Overall actual values of one indicator over time: value_date, value, unit, numerator, denominator,
    departments, counties."""
    where, params = _scope_where(scope)
    return _df(con, f"""
        select o.value_date::date as value_date, o.value, i.unit, o.numerator, o.denominator, o.departments, o.counties,
               plan_id, measure_no, indicator, o.value_period, ? as cube_area
        from ({_overall_sql(where)}) o
        join plan_indicators i using (plan_id, measure_no, indicator)
        where plan_id = ? and measure_no = ? and indicator = ? order by value_date""",
               [cube.scope_area(scope), *params, plan_id, measure_no, indicator])


def _owed_sql(scope: Scope, today: dt.date, grace: int) -> tuple[str, list]:
    """SQL (and parameters) of the reports owed by today and not sent: plan_id, measure_no, indicator,
    county_code, period_start, period_end."""
    where, params = _scope_predicate(scope, "r.region_code")
    return f"""
        with owed_ind as (
            select plan_id, measure_no, indicator, reporting_start, deadline,
                   case cadence when '月' then 1 when '季度' then 3 when '半年' then 6 else 12 end as months
            from plan_indicators where kind = 'reported' and reporting_start is not null
        ),
        periods as (
            select o.*, s::date as period_start, (s + to_months(o.months) - interval 1 day)::date as period_end
            from owed_ind o,
                 unnest(generate_series(date_trunc('year', o.reporting_start)::timestamp,
                                        ?::timestamp, to_months(o.months))) as t(s)
        ),
        due as (
            select * from periods
            where period_end >= reporting_start and period_start <= deadline
              and period_end + to_days(?::integer) < ?::date
        ),
        counties as (select r.region_code as county_code from regions r
                     where r.level = 'county' and r.is_listed and {where})
        select d.plan_id, d.measure_no, d.indicator, c.county_code, d.period_start, d.period_end
        from due d cross join counties c
        where not exists (
            select 1 from plan_actuals a
            where a.kind = 'reported' and a.plan_id = d.plan_id and a.measure_no = d.measure_no
              and a.indicator = d.indicator and a.county_code = c.county_code
              and a.value_date between d.period_start and d.period_end + to_days(?::integer)
        )""", [today, grace, today, *params, grace]


def _owed_missing(con: duckdb.DuckDBPyConnection, scope: Scope, today: dt.date, grace: int) -> pd.DataFrame:
    """Reports owed by today and not sent (see _owed_sql), in order."""
    sql, params = _owed_sql(scope, today, grace)
    return _df(con, f"select * from ({sql}) order by all", params)


def owed_reports(con: duckdb.DuckDBPyConnection, scope: Scope, today: dt.date | str | None = None) -> pd.DataFrame:
    """Missing reports with the county name and lead department (for the by-department view)."""
    d = _today(con, today)
    miss = _owed_missing(con, scope, d, int(rules(con)["report_grace_days"]))
    if miss.empty:
        return miss.assign(county_name=pd.Series(dtype="str"), department=pd.Series(dtype="str"))
    names = _df(con, "select region_code as county_code, region_name as county_name from regions where level='county'")
    dep = _df(con, "select plan_id, measure_no, indicator, department, lead_department from plan_indicators")
    return miss.merge(names, on="county_code", how="left").merge(dep, on=["plan_id", "measure_no", "indicator"])


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


def _county_targets(con: duckdb.DuckDBPyConnection, scope: Scope, df: pd.DataFrame) -> list[bool]:
    """Put a one-county view's own targets (marts/plan_county_targets.sql) in place of the city's, in
    `df`; returns, per row, whether the row now carries the county's own target."""
    county = county_of_view(scope)
    if county is None or df.empty:
        return [False] * len(df)
    own = _df(con, "select plan_id, measure_no, indicator, target, baseline, baseline_date, deadline "
                   "from plan_county_targets where county_code = ?", [county])
    if own.empty:
        return [False] * len(df)
    keys = ["plan_id", "measure_no", "indicator"]
    m = df[keys].merge(own, on=keys, how="left")
    has = m["target"].notna().tolist()
    for c in ("target", "baseline", "baseline_date", "deadline"):
        df[c] = m[c].where(m["target"].notna(), df[c]).tolist()
    return has


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


@privacy.counts("current_value", derived={"share_of_target": "current_value"}, where=_PEOPLE,
                cube=in_targets("current_value", rates=False))
def indicator_status(con: duckdb.DuckDBPyConnection, scope: Scope, plan_id: str | None = None,
                     today: dt.date | str | None = None) -> pd.DataFrame:
    """One row per indicator (of one plan, or all): current value as of `today`, share of target,
    expected value today, missing reports and status (see module docstring)."""
    if scope.is_empty:
        return pd.DataFrame(columns=STATUS_COLUMNS)
    d = _today(con, today)
    rl = rules(con)
    where, params = _scope_where(scope)
    plan_filter = "and i.plan_id = ?" if plan_id else ""
    owed, owed_params = _owed_sql(scope, d, int(rl["report_grace_days"]))
    # One round trip: values, and the count of missing reports per indicator.
    df = _df(con, f"""
        with o as ({_overall_sql(where)}),
        cur as (
            select plan_id, measure_no, indicator, arg_max(value, value_date) as current_value,
                   max(value_date)::date as value_date, arg_max(value_period, value_date) as value_period, arg_max(departments, value_date) as reported_by
            from o where value_date <= ? group by all
        ),
        miss as (
            select plan_id, measure_no, indicator, count(*)::integer as missing_reports
            from ({owed}) group by all
        )
        select i.plan_id, coalesce(m.area, i.area) as area, i.measure_no, coalesce(m.measure, i.measure) as measure,
               i.indicator, i.unit, i.direction, i.kind, i.model, i.lead_department, i.department,
               i.baseline, i.baseline_date::date as baseline_date, i.target, i.deadline::date as deadline,
               c.current_value, c.value_date, c.reported_by, coalesce(x.missing_reports, 0) as missing_reports,
               i.origin, m.area_order, m.measure_order, c.value_period, ? as cube_area
        from plan_indicators i
        left join plan_measures m using (plan_id, measure_no)
        left join cur c using (plan_id, measure_no, indicator)
        left join miss x using (plan_id, measure_no, indicator)
        where true {plan_filter}
        order by i.plan_id, m.area_order, m.measure_order, i.indicator""",
             [*params, d, *owed_params, cube.scope_area(scope), *([plan_id] if plan_id else [])])
    df["missing_reports"] = df["missing_reports"].astype(int)
    df["today"] = d
    own = _county_targets(con, scope, df)
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


@privacy.counts("value", "numerator", "denominator", **_SERIES_PRIVACY)
def indicator_by_county(con: duckdb.DuckDBPyConnection, scope: Scope, plan_id: str, measure_no: str,
                        indicator: str, today: dt.date | str | None = None) -> pd.DataFrame:
    """Latest value per county on or before `today`: county_code, county_name, value_date, value, unit,
    numerator, denominator, department."""
    where, params = _scope_predicate(scope, "a.county_code")
    d = _today(con, today)
    return _df(con, f"""
        select a.county_code, r.region_name as county_name, max(a.value_date)::date as value_date,
               arg_max(a.value, a.value_date) as value, any_value(i.unit) as unit,
               arg_max(a.numerator, a.value_date) as numerator, arg_max(a.denominator, a.value_date) as denominator,
               arg_max(a.department, a.value_date) as department,
               any_value(a.plan_id) as plan_id, any_value(a.measure_no) as measure_no,
               any_value(a.indicator) as indicator,
               arg_max({_VALUE_PERIOD.format(a='a.')}, a.value_date) as value_period,
               left(a.county_code, 6) as cube_area
        from plan_actuals a left join regions r on r.region_code = a.county_code
        join plan_indicators i using (plan_id, measure_no, indicator)
        where a.plan_id = ? and a.measure_no = ? and a.indicator = ? and a.value_date <= ? and {where}
        group by a.county_code, r.region_name order by a.county_code""",
               [plan_id, measure_no, indicator, d, *params])


def department_summary(con: duckdb.DuckDBPyConnection, scope: Scope, today: dt.date | str | None = None) -> pd.DataFrame:
    """Per canonical department: measures it leads (all plans), indicators it answers for by status,
    and reports it owes: department, measures, indicators, <one column per status>, missing_reports."""
    if scope.is_empty:
        return pd.DataFrame(columns=["department", "measures", "indicators", *STATUS_ORDER, "missing_reports"])
    st = indicator_status(con, scope, None, today)
    led = _df(con, "select department, count(distinct plan_id || '/' || measure_no) as measures "
                   "from plan_departments group by department")
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
        return pd.DataFrame(columns=["plan_id", "plan_name", "area", "measure_no", "measure", "lead_departments"])
    return _df(con, """
        select m.plan_id, m.plan_name, m.area, m.measure_no, m.measure, m.lead_departments
        from plan_measures m
        where exists (select 1 from plan_departments d where d.plan_id = m.plan_id and d.measure_no = m.measure_no
                      and d.department = ?)
        order by m.plan_id, m.area_order, m.measure_order""", [department])
