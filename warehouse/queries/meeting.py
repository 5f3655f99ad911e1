"""The leadership overview (领导驾驶舱) and the meeting pack: figures taken from the pages they come from.

Every figure here is computed by CALLING the query function its source page uses, with the arguments
that page would use for the same register period and scope — so "the overview equals the source page"
holds by construction. The register period P (a half-year such as 2026H1, from `report_periods`) maps to
each page's own notion of time as follows (shown on the overview in a caption, see `period_note`):

- 流动儿童分布 (map): `geo.street_metrics(scope, P, "all", "流动儿童")` — the page's defaults (all ages,
  migrant children, metric 人数); the figure is the page's 合计 (sum over streets), previous = previous P.
- 重点儿童 (key_children): `queries.key_children_by_risk(scope, P)` — per risk level with the previous P; for
  the latest P it equals the key-children page (`ledger.by_risk`, which always shows the latest ledger).
- 服务缺口 (gaps): `gaps.index_table(scope, P, level)` — the page's default (综合缺口指数), counties
  city-wide or the streets of the selected county; the largest gap of each area from `gaps.gaps_of_area`.
- 目标进展 (targets): `targets.indicator_status(scope, None, as_of(P))` with the page's 评估日期 set to
  as_of(P) = the data date (meta.data_date) for the latest P (the page's default), else P's last day
  (capped at the data date). The three rates (visit compliance, public-school share, health-record rate)
  are the current values of the computed (系统计算) indicators of the first plan holding that model.
- 志愿服务 (volunteers): `volunteers.monthly(scope)` — the page's 月度明细 — summed over the months of P
  up to the data date; previous = the months of the previous P.

The module runs no SQL of its own: it composes the source pages' catalogue entries (warehouse/sql/queries/).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from warehouse import queries as q
from warehouse.queries import Scope, cube, gaps, geo, metrics, privacy, targets, volunteers
from warehouse.queries.key_counts import KEY_CHILDREN_CUBE
from warehouse.queries.key_counts import RISK_CELL as _RISK_CELL

# Computed target indicators shown as headline rates: metric key → (targets model, Chinese label). The label is
# the metric catalogue's (config/metrics.csv), the same name the targets page and the pack show.
RATE_MODELS = {
    "visit_compliance": ("visited_30d_rate", metrics.label("visited_30d_rate")),
    "public_school_share": ("public_school_share", metrics.label("public_school_share")),
    "health_record_rate": ("health_record_rate", metrics.label("health_record_rate")),
}
# Headline key → catalogue entry (its name and (?) definition).
HEADLINE_METRICS = {"migrant": "migrant_children", "key_children": "key_children",
                    "visit_compliance": "visited_30d_rate", "public_school_share": "public_school_share",
                    "health_record_rate": "health_record_rate", "volunteer_person_times": "volunteer_person_times",
                    "targets_off_track": "targets_off_track"}
# A headline rate's department-reported twin, shown beside it (计算值 · 部门报送), never in its place.
REPORTED_TWIN = {"health_record_rate": "health_record_rate_reported"}
OFF_TRACK = targets.OFF_TRACK
SOURCE_LABELS = {"map": "流动儿童分布", "key_children": "重点儿童", "targets": "目标进展",
                 "volunteers": "志愿服务", "gaps": "服务缺口"}
HEADLINE_COLUMNS = ["metric", "label", "value", "previous_value", "change", "unit", "kind", "source_page",
                    "source_label", "as_of", "detail", "metric_id", "help", "twin_metric_id", "twin_label",
                    "twin_value", "people", "previous_people",
                    "period", "previous_period", "age_band", "category", "risk_level", "area"]  # cube keys (counts)
MAP_AGE_BAND, MAP_CATEGORY = "all", "流动儿童"


# --------------------------------------------------------------------------------------------
# Period mapping


@dataclass(frozen=True)
class Window:
    """One register period as each source page sees it."""

    period: str
    start: dt.date
    end: dt.date          # last day of the period, capped at the data date
    as_of: dt.date        # targets' 评估日期: the data date for the latest period, else `end`
    is_latest: bool

    @property
    def months(self) -> list[str]:
        """YYYY-MM of the months from `start` to `end` (the volunteers page's monthly rows)."""
        return [p.strftime("%Y-%m") for p in pd.period_range(self.start, self.end, freq="M")]

    @property
    def months_label(self) -> str:
        a, b = pd.Timestamp(self.start), pd.Timestamp(self.end)
        if a.year == b.year:
            return f"{a.year}年{a.month}—{b.month}月" if a.month != b.month else f"{a.year}年{a.month}月"
        return f"{a.year}年{a.month}月—{b.year}年{b.month}月"


def _data_date(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    v = q.snapshot_info(con).data_date
    return None if v is None or pd.isna(v) else pd.Timestamp(v).date()


def window_of(con: duckdb.DuckDBPyConnection, period: str | None) -> Window | None:
    """The mapping of register period `period` onto the pages' own periods (None if unknown)."""
    if period is None:
        return None
    ps = q.periods(con)
    row = ps[ps["period"] == period]
    if row.empty:
        return None
    r = row.iloc[0]
    start, end = pd.Timestamp(r["period_start"]).date(), pd.Timestamp(r["period_end"]).date()
    data_date = _data_date(con)
    capped = min(end, data_date) if data_date else end
    latest = bool(r["is_latest"])
    return Window(period, start, capped, (data_date or end) if latest else capped, latest)


def period_note(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> str:
    """One Chinese sentence saying which period of each source page the overview shows."""
    w = window_of(con, period)
    if w is None or scope.is_empty:
        return ""
    return (f"人数按{_period_label(period)}摸排台账；目标与比率按评估日 {w.as_of:%Y-%m-%d}"
            f"{'（数据截止日）' if w.is_latest else '（期末）'}；志愿服务按{w.months_label}。")


def _period_label(period: str) -> str:
    if len(period) == 6 and period[4] == "H":
        return f"{period[:4]}年{'上' if period[5] == '1' else '下'}半年"
    return period


# --------------------------------------------------------------------------------------------
# The figures


@privacy.counts("children", "previous_children", derived={"change": ["children", "previous_children"]},
                cube=cube.In(KEY_CHILDREN_CUBE, {"children": _RISK_CELL,
                                                 "previous_children": {**_RISK_CELL, "period": "previous_period"}}))
def risk_levels(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> pd.DataFrame:
    """Key children per risk level (queries.key_children_by_risk, as the key-children figures).

    Columns: risk_level, risk_scheme, risk_rank, is_high_risk, children, previous_children, change; and
    the cube key (period, previous_period, area).
    """
    return q.key_children_by_risk(con, scope, period).assign(
        period=period, previous_period=q.previous_period(con, period), area=cube.scope_area(scope))


def _map_streets(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> pd.DataFrame:
    return geo.street_metrics(con, scope, period, MAP_AGE_BAND, MAP_CATEGORY)


def statuses_in_window(con: duckdb.DuckDBPyConnection, scope: Scope, w: Window | None) -> pd.DataFrame:
    if w is None:
        return pd.DataFrame(columns=targets.STATUS_COLUMNS)
    return targets.indicator_status(con, scope, None, w.as_of)


def rate_row(status: pd.DataFrame, model: str) -> pd.Series | None:
    """The indicator of the first plan (targets page order) computed with `model`."""
    if status.empty:
        return None
    rows = status[status["model"] == model]
    return None if rows.empty else rows.iloc[0]


def _reported_row(status: pd.DataFrame, metric_id: str) -> pd.Series | None:
    """The indicator (first plan, targets page order) that is the catalogue entry `metric_id`."""
    if status.empty:
        return None
    rows = status[status["metric_id"] == metric_id]
    return None if rows.empty else rows.iloc[0]


def target_text(row) -> str:
    """"目标 95% · 滞后", or in a county's view of a city-wide target "全市目标 95%（参考）"; · 报告逾期 when late."""
    unit = row["unit"] or ""
    goal = f"{float(row['target']):g}{unit}"
    own = targets.COUNTY_TARGET if row.get("target_scope") == targets.COUNTY_TARGET else "目标"
    text = (f"{targets.CITY_TARGET} {goal}（参考）" if row["status"] == targets.NO_COUNTY_TARGET
            else f"{own} {goal} · {row['status']}")
    return text + (f" · {targets.REPORT_OVERDUE}" if bool(row.get("report_overdue")) else "")


def _num(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _risk_detail(risk: pd.DataFrame) -> str:
    """"红6 · 橙22 · 黄32 · 绿68" from a (suppressed) risk frame; suppressed levels show their label."""
    parts = []
    for r in risk.to_dict("records"):
        name = str(r["risk_level"]).removesuffix("色")
        if r.get("children_suppressed"):
            parts.append(f"{name}{r['children_label']}")
        else:
            parts.append(f"{name}{int(r['children']) if not pd.isna(r['children']) else '—'}")
    return " · ".join(parts)


def _status_detail(status: pd.DataFrame) -> str:
    counts = status["status"].value_counts()
    return " · ".join(f"{int(counts[s])}项仅有全市目标（参考）" if s == targets.NO_COUNTY_TARGET else f"{s}{int(counts[s])}"
                      for s in targets.STATUS_ORDER if counts.get(s, 0))


@privacy.counts("people", "previous_people", derived={"value": "people", "previous_value": "previous_people",
                                                      "change": ["people", "previous_people"]},
                groups=[["metric"]],
                cube=[cube.In(geo.GEO_CUBE, {"people": geo.CELL, "previous_people": geo.PREV_CELL},
                              rows=("metric", ("migrant",))),
                      cube.In(KEY_CHILDREN_CUBE, {"people": _RISK_CELL,
                                                  "previous_people": {**_RISK_CELL, "period": "previous_period"}},
                              rows=("metric", ("key_children",)))])
def headline(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> pd.DataFrame:
    """The overview's headline figures, one row each in display order (7 rows), with the previous period.

    Columns: metric, label, value, previous_value, change (Float64), unit, kind ("count" for people,
    "rate", "activity", "targets"), source_page (url path), source_label, as_of (the source's period),
    detail, people/previous_people (= value/previous_value on "count" rows only: the declared counts, so
    that the small-number rule never touches rates; after `run`, read `people_label` where
    `people_suppressed`). See the module docstring for each figure's source and period.
    """
    if scope.is_empty:
        return pd.DataFrame(columns=HEADLINE_COLUMNS)
    w = window_of(con, period)
    prev_period = q.previous_period(con, period)
    pw = window_of(con, prev_period)
    label = _period_label(period)
    rows: list[dict] = []

    def add(metric, label_zh, value, before, unit, kind, page, as_of, detail="", twin=None):
        mid = HEADLINE_METRICS[metric]
        rows.append({"metric": metric, "label": metrics.label(mid), "value": _num(value),
                     "previous_value": _num(before), "unit": unit, "kind": kind, "source_page": page,
                     "source_label": SOURCE_LABELS[page], "as_of": as_of, "detail": detail, "metric_id": mid,
                     "help": metrics.help(mid), **(twin or {"twin_metric_id": None, "twin_label": None,
                                                             "twin_value": None})})

    streets = _map_streets(con, scope, period)
    has_prev = pw is not None and streets["previous_children"].notna().any()
    add("migrant", "流动儿童", streets["children"].sum() if len(streets) else None,
        streets["previous_children"].sum() if has_prev else None, "人", "count", "map", label,
        f"{len(streets)} 个街道（乡镇）")

    raw_risk = risk_levels(con, scope, period)
    # The detail is display text ("红6 · 橙<5 · …") built from the door's marks of the risk levels, which this
    # one-row-per-figure frame cannot carry: the door's own rule (guard), never a suppression of its own.
    risk = q.guard(risk_levels, raw_risk, scope, con)
    prev_known = raw_risk["previous_children"].notna().any()
    add("key_children", "重点对象", raw_risk["children"].sum() if len(raw_risk) else None,
        raw_risk["previous_children"].sum() if prev_known else None, "人", "count", "key_children", label,
        _risk_detail(risk))

    status, prev_status = statuses_in_window(con, scope, w), statuses_in_window(con, scope, pw)
    as_of = f"评估日 {w.as_of:%Y-%m-%d}" if w else ""
    for metric, (model, label_zh) in RATE_MODELS.items():
        cur, before = rate_row(status, model), rate_row(prev_status, model)
        detail = "" if cur is None else target_text(cur)
        twin = None
        if metric in REPORTED_TWIN:
            t = _reported_row(status, REPORTED_TWIN[metric])
            twin = {"twin_metric_id": REPORTED_TWIN[metric], "twin_label": metrics.label(REPORTED_TWIN[metric]),
                    "twin_value": None if t is None else _num(t["current_value"])}
        add(metric, label_zh, None if cur is None else cur["current_value"],
            None if before is None else before["current_value"], "%", "rate", "targets", as_of, detail, twin)

    monthly = volunteers.monthly(con, scope)
    by_month = monthly.set_index("period") if len(monthly) else monthly

    def person_times(win: Window | None) -> float | None:
        if win is None or not len(by_month):
            return None
        shown = by_month.loc[by_month.index.isin(win.months)]
        return None if shown.empty else float(shown["person_times"].sum())

    held = (by_month.loc[by_month.index.isin(w.months), "held"].sum() if w and len(by_month) else 0)
    add("volunteer_person_times", "志愿服务人次", person_times(w), person_times(pw), "人次", "activity",
        "volunteers", w.months_label if w else "", f"开展活动 {int(held):,} 场")

    judged = status[status["status"] != targets.NO_COUNTY_TARGET] if len(status) else status
    # A county's view of city-wide targets judges nothing: no count rather than a reassuring 0.
    off = judged["status"].isin(OFF_TRACK).sum() if len(judged) else None
    late = int(status["report_overdue"].sum()) if len(status) else 0
    prev_judged = (prev_status[prev_status["status"] != targets.NO_COUNTY_TARGET] if len(prev_status)
                   else prev_status)
    prev_off = prev_judged["status"].isin(OFF_TRACK).sum() if len(prev_judged) else None
    detail = _status_detail(status) if len(status) else ""
    if late:
        detail = f"{detail} · {targets.REPORT_OVERDUE}{late}" if detail else f"{targets.REPORT_OVERDUE}{late}"
    add("targets_off_track", "未达标与滞后目标", off, prev_off, "项", "targets", "targets", as_of, detail)

    out = pd.DataFrame(rows)
    for c in ("value", "previous_value", "twin_value"):
        out[c] = out[c].astype("Float64")
    out["change"] = (out["value"] - out["previous_value"]).astype("Float64")
    is_count = out["kind"] == "count"
    out["people"] = out["value"].where(is_count).astype("Float64")
    out["previous_people"] = out["previous_value"].where(is_count).astype("Float64")
    counts = is_count.to_numpy(dtype=bool)  # migrant and key children: the scope's cells of their cubes
    for col, v in (("period", period), ("previous_period", prev_period), ("age_band", MAP_AGE_BAND),
                   ("category", MAP_CATEGORY), ("risk_level", "*"), ("area", cube.scope_area(scope))):
        out[col] = pd.Series([v if c else None for c in counts], index=out.index, dtype=object)
    return out[HEADLINE_COLUMNS]


@privacy.counts("demand", derived={"shortfall": "demand", "gap_share": "demand"}, groups=[["area_code"]],
                where={"demand": ("demand_unit", ["人"])})  # counts of places disclose nobody (as on 服务缺口)
def top_county_gaps(con: duckdb.DuckDBPyConnection, scope: Scope, period: str, n: int = 3,
                    level: str | None = None) -> pd.DataFrame:
    """The `n` areas with the largest composite gap index (the gaps page's default ranking), largest first.

    City-wide the areas are counties; for a one-county scope the page drills into that county's streets
    (`level` None = this choice; the result's `level` says which; `area_*` name the area, `county_*` its
    county — display `area_name`). For each area, `measure` is its largest gap (highest 缺口率) among the
    gaps the page shows (gaps.gaps_of_area after its own small-number rule, unless the scope is exact), so
    the shortfall shown is never one the gaps page hides. Columns: area_code, area_name, level,
    county_code, county_name, area_type, rank, gap_index, measure, measure_label, demand, shortfall, unit,
    gap_share, demand_unit.
    """
    cols = ["area_code", "area_name", "level", "county_code", "county_name", "area_type", "rank", "gap_index",
            "measure", "measure_label", "demand", "shortfall", "unit", "gap_share", "demand_unit"]
    if scope.is_empty:
        return pd.DataFrame(columns=cols)
    level = level or _gap_level(con, scope)
    index = gaps.index_table(con, scope, period, level)
    if index.empty:
        return pd.DataFrame(columns=cols)
    top = index.sort_values(["rank", "gap_index", "area_code"], ascending=[True, False, True]).head(n)
    # The largest gap is chosen among those the gaps page shows, after the door's rule (guard): a shortfall
    # it hides is never the one named here. The door then applies this function's own declaration.
    detail = q.guard(gaps.gaps_of_area, gaps.gaps_of_area(con, scope, period, level), scope, con)
    detail = detail[detail["gap_share"].notna()].sort_values(
        ["area_code", "gap_share", "shortfall"], ascending=[True, False, False])
    worst = detail.drop_duplicates("area_code").set_index("area_code")
    out = top.assign(level=level)
    for col, src in (("measure", "gap_id"), ("measure_label", "gap_name"), ("unit", "unit"),
                     ("demand_unit", "demand_unit")):
        out[col] = out["area_code"].map(worst[src])
    out["demand"] = pd.to_numeric(out["area_code"].map(worst["demand"]), errors="coerce").astype("Float64")
    out["shortfall"] = out["area_code"].map(worst["shortfall"]).astype("Int64")
    out["gap_share"] = out["area_code"].map(worst["gap_share"]).astype("Float64")
    return out[cols].reset_index(drop=True)


def _gap_level(con: duckdb.DuckDBPyConnection, scope: Scope) -> str:
    """"street" when the scope holds one county (a county selected, a county user, a county deployment), else "county"."""
    return "street" if len(q.counties(con, scope)) == 1 else "county"


@privacy.counts("latest_value", derived={"share_of_target": "latest_value"},
                where={"latest_value": ("unit", targets.PEOPLE_UNITS)}, cube=targets.in_targets("latest_value", rates=False))
def off_track_targets(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> pd.DataFrame:
    """Indicators of every plan with status 未达标 or 滞后 on as_of(period) (the targets page's status table).

    Columns: indicator_code (plan/measure no.), indicator_name (the catalogue's name, as the targets page shows
    it), plan_name, measure_no, department (牵头单位), status, latest_value, target_value, unit, deadline,
    share_of_target, value_date, report_overdue (a report is also missing: 报告逾期). Most urgent first.
    """
    cols = ["indicator_code", "indicator_name", "plan_name", "measure_no", "department", "status",
            "latest_value", "target_value", "unit", "deadline", "share_of_target", "value_date", "report_overdue"]
    w = window_of(con, period)
    status = statuses_in_window(con, scope, w)
    status = status[status["status"].isin(OFF_TRACK)]
    if status.empty:
        return pd.DataFrame(columns=cols)
    names = targets.plans(con, scope).set_index("plan_id")["plan_name"]
    out = pd.DataFrame({
        "indicator_code": status["plan_id"] + "/" + status["measure_no"].astype(str),
        "indicator_name": status["name"], "plan_name": status["plan_id"].map(names).fillna(status["plan_id"]),
        "measure_no": status["measure_no"], "department": status["lead_department"], "status": status["status"],
        "latest_value": pd.to_numeric(status["current_value"], errors="coerce").astype("Float64"),
        "target_value": pd.to_numeric(status["target"], errors="coerce").astype("Float64"), "unit": status["unit"],
        "deadline": status["deadline"], "share_of_target": status["share_of_target"].astype("Float64"),
        "value_date": status["value_date"], "report_overdue": status["report_overdue"].astype(bool),
        # the targets cube's key (the door marks latest_value from it, as on the targets page)
        "plan_id": status["plan_id"], "indicator": status["indicator"], "value_period": status["value_period"],
        "cube_area": status["cube_area"],
    })
    order = out["status"].map({s: i for i, s in enumerate(targets.STATUS_ORDER)})
    return (out.assign(_o=order).sort_values(["_o", "share_of_target"], na_position="first", kind="stable")
            .drop(columns="_o").reset_index(drop=True))


def late_reports(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> pd.DataFrame:
    """Indicators with a progress report missing on as_of(period) (报告逾期), whatever their status — a target
    met but reported late is listed here as 已达标, never as off track. Columns: indicator_name, department,
    status, missing_reports."""
    status = statuses_in_window(con, scope, window_of(con, period))
    cols = ["indicator_name", "department", "status", "missing_reports"]
    if status.empty:
        return pd.DataFrame(columns=cols)
    late = status[status["report_overdue"].astype(bool)]
    return pd.DataFrame({"indicator_name": late["name"], "department": late["lead_department"],
                         "status": late["status"], "missing_reports": late["missing_reports"]})[cols].reset_index(
        drop=True)


_DENSITY_DERIVED = {"per_km2": "children", "per_1000_residents": "children", "share_of_under16": "children",
                    "prev_per_km2": "prev_children", "prev_per_1000_residents": "prev_children",
                    "prev_share_of_under16": "prev_children", "previous_children": "prev_children",
                    "value": "children"}


@privacy.counts("children", "prev_children", derived=_DENSITY_DERIVED, cube=geo.STREETS_IN_CUBE)
def street_density(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> pd.DataFrame:
    """Migrant children per street for the small map: the map page's rows at its defaults, with `value`
    (= children, the page's metric 人数) and the street boundary.

    Its counts are cells of the map's cube (geo.STREETS_IN_CUBE), so labels equal the page's. Columns:
    geo.street_metrics' columns, value, region_name, geometry (simplified GeoJSON text, <NA> for a street
    without a boundary), lon, lat, is_schematic.
    """
    streets = _map_streets(con, scope, period)
    shapes = geo.shapes(con, scope, "street")[["region_code", "region_name", "geometry", "lon", "lat",
                                              "is_schematic"]]
    out = streets.assign(value=streets["children"])
    return out.merge(shapes, left_on="street_code", right_on="region_code", how="left").drop(columns="region_code")


# --------------------------------------------------------------------------------------------
# The meeting pack's tables


_PACK_COUNTS = {
    "重点对象风险等级": (["人数", "上期人数"], {"较上期": ["人数", "上期人数"]}, []),  # marked from its cube
    "流动儿童分布（街道）": (["人数", "上期人数"], {metrics.label("children_per_km2"): "人数", "较上期": ["人数", "上期人数"]},
                         []),  # marked from the map's cube (street_density), no view-local pattern
    "未达标与滞后目标": (["最新值"], {}, [], {"最新值": ("单位", targets.PEOPLE_UNITS)}),
}


def _cell(value, suppressed: bool, label: str):
    """A spreadsheet cell: the label ("<5") where suppressed, else the number (int when whole)."""
    if suppressed:
        return label
    if value is None or pd.isna(value):
        return None
    return int(value) if float(value).is_integer() else float(value)


@privacy.counts_in_frames(_PACK_COUNTS)
def pack_tables(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> dict[str, pd.DataFrame]:
    """Every table behind the overview, keyed by Chinese sheet name, with Chinese headers.

    "主要指标" is built from `headline` after its own small-number rule (counts already show "<5" where
    small); the other sheets are numeric and declared, so `run` suppresses them (`<列>_label`).
    """
    w = window_of(con, period)
    # The sheets are display tables built from the door's results (guard, never a suppression of their own):
    # 主要指标 holds a count's label ("<5") in place of the number, and the risk and street sheets carry the
    # marks of their cubes, which a sheet without the cubes' key columns cannot get from the door again.
    head = q.guard(headline, headline(con, scope, period), scope, con)
    if "people_suppressed" not in head:
        head = head.assign(people_suppressed=False, people_label="", previous_people_suppressed=False,
                           previous_people_label="")
    main = pd.DataFrame({
        "指标": head["label"],
        "本期": [_cell(v, s, lb) for v, s, lb in zip(head["value"], head["people_suppressed"], head["people_label"])],
        "上期": [_cell(v, s, lb) for v, s, lb in zip(head["previous_value"], head["previous_people_suppressed"],
                                                    head["previous_people_label"])],
        "较上期": head["change"], "单位": head["unit"], "说明": head["detail"],
        "来源页面": head["source_label"], "数据期": head["as_of"],
    })
    risk = q.guard(risk_levels, risk_levels(con, scope, period), scope, con)
    risk_marks = {f"{zh}_{x}": risk[f"{c}_{x}"] for zh, c in (("人数", "children"), ("上期人数", "previous_children"))
              for x in ("suppressed", "label") if f"{c}_{x}" in risk}
    streets = q.guard(street_density, street_density(con, scope, period), scope, con)
    marks = {f"{zh}_{x}": streets[f"{c}_{x}"] for zh, c in (("人数", "children"), ("上期人数", "prev_children"))
             for x in ("suppressed", "label") if f"{c}_{x}" in streets}
    top = top_county_gaps(con, scope, period)  # its shortfalls are the visible ones (see its docstring)
    off = off_track_targets(con, scope, period)
    monthly = volunteers.monthly(con, scope) if not scope.is_empty else pd.DataFrame(
        columns=["period", "held", "person_times"])
    months = monthly[monthly["period"].isin(w.months)] if w else monthly.iloc[0:0]
    return {
        "主要指标": main,
        "重点对象风险等级": pd.DataFrame({"风险等级": risk["risk_level"], "人数": risk["children"],
                                  "上期人数": risk["previous_children"], "较上期": risk["change"], **risk_marks}),
        "流动儿童分布（街道）": pd.DataFrame({
            "区县": streets["county_name"], "街道（乡镇）": streets["street_name"], "人数": streets["children"],
            "上期人数": streets["previous_children"], "较上期": streets["children"] - streets["previous_children"],
            metrics.label("children_per_km2"): streets["per_km2"].astype("Float64").round(2), **marks}),
        "缺口最大的地区": pd.DataFrame({
            "排名": top["rank"], "地区": top["area_name"], "区域类型": top["area_type"],
            "综合缺口指数": top["gap_index"].astype("Float64").round(1), "最大缺口项目": top["measure_label"],
            "最大缺口": top["shortfall"], "单位": top["unit"],
            "缺口率": top["gap_share"].astype("Float64").round(3)}),
        "未达标与滞后目标": pd.DataFrame({
            "行动计划": off["plan_name"], "措施编号": off["measure_no"], "指标": off["indicator_name"],
            "牵头单位": off["department"], "状态": off["status"],
            "报告逾期": off["report_overdue"].map({True: targets.REPORT_OVERDUE, False: ""}),
            "最新值": off["latest_value"], "目标值": off["target_value"], "单位": off["unit"],
            "截止日期": off["deadline"]}),
        "志愿服务（月度）": pd.DataFrame({"月份": months["period"], "开展活动（场）": months["held"],
                                   "服务人次": months["person_times"]}),
    }
