"""Figures only the meeting pack shows: the deployment's city name, the county ranking and the status of every
target on the pack's evaluation day. Each is built from the functions the pages use (meeting.headline,
targets.indicator_status, meeting.top_county_gaps), so a county's row says what the overview says for that county.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from . import (
    Scope,
    catalogue,
    counties,
    deployment,
    deployment_name,
    guard,
    meeting,
    privacy,
    targets,
)

_city_names = catalogue.query("pack/city_names")


def city_name(con: duckdb.DuckDBPyConnection, scope: Scope) -> str | None:
    """The city-level name of the regions table that holds `scope` (e.g. 示范市); in a deployment without a
    city row (a county's own table) the deployment's name (queries.deployment_name); None when there is none.

    A region's name is not a figure: a county user's pack names its city too; a province deployment's pack for
    the whole province names the province, not its cities one by one."""
    whole = deployment(con, scope)
    if whole.level == "province" and scope.covers(whole.code):
        return whole.name
    names = list(dict.fromkeys(str(n) for n in _city_names(con, scope)["region_name"]))
    return "、".join(names) if names else deployment_name(con, scope)


@privacy.counts("current_value", derived={"share_of_target": "current_value"}, where=targets.PEOPLE_WHERE,
                cube=targets.STATUS_CUBE)
def target_statuses(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> pd.DataFrame:
    """Every plan indicator's status on the evaluation day of `period` (the targets page on that day)."""
    return meeting.statuses_in_window(con, scope, meeting.window_of(con, period))


RANK_COLUMNS = ["county_code", "county_name", "area_type", "rank", "gap_index", "gap_label", "gap_share",
                "migrant", "migrant_label", "key_children", "key_children_label"]


def county_ranking(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> pd.DataFrame:
    """One row per county of `scope`: its headline figures as the overview shows them for that county (counts
    already through the small-number rule: `<metric>_label` is the text to print), each headline rate with its
    status against the county's path (`<metric>_status`), and its place in the gaps page's ranking.

    Ordered by the composite gap index (the gaps page's default ranking), largest gap first. Columns:
    RANK_COLUMNS, then for each meeting.RATE_MODELS key: <key>, <key>_status, <key>_target.
    """
    rates = list(meeting.RATE_MODELS)
    cols = RANK_COLUMNS + [f"{k}{s}" for k in rates for s in ("", "_status", "_target")]
    if scope.is_empty:
        return pd.DataFrame(columns=cols)
    cs = counties(con, scope)
    gaps = guard(meeting.top_county_gaps, meeting.top_county_gaps(con, scope, period, n=len(cs) or 1,
                                                                          level="county"), scope, con)
    gaps = gaps.set_index("area_code") if len(gaps) else gaps
    window = meeting.window_of(con, period)
    rows = []
    for code, name, area_type in zip(cs["county_code"], cs["county_name"], cs["area_type"]):
        one = scope.narrow(code)
        if one.is_empty:
            continue
        head = guard(meeting.headline, meeting.headline(con, one, period), one, con)
        head = head.set_index("metric")
        status = meeting.statuses_in_window(con, one, window)
        row = {"county_code": code, "county_name": name, "area_type": area_type}
        for m in ("migrant", "key_children"):
            r = head.loc[m] if m in head.index else None
            row[m] = None if r is None or pd.isna(r["value"]) else float(r["value"])
            hidden = r is not None and bool(r.get("people_suppressed", False) is True)
            row[f"{m}_label"] = str(r["people_label"]) if hidden else None
            if hidden:
                row[m] = None
        for key, (model, _) in meeting.RATE_MODELS.items():
            r = meeting.rate_row(status, model)
            row[key] = None if r is None or pd.isna(r["current_value"]) else float(r["current_value"])
            row[f"{key}_status"] = None if r is None else str(r["status"])
            row[f"{key}_target"] = None if r is None or pd.isna(r["target"]) else float(r["target"])
        g = gaps.loc[code] if len(gaps) and code in gaps.index else None
        row["rank"] = None if g is None or pd.isna(g["rank"]) else int(g["rank"])
        row["gap_index"] = None if g is None or pd.isna(g["gap_index"]) else float(g["gap_index"])
        row["gap_label"] = None if g is None or pd.isna(g["measure_label"]) else str(g["measure_label"])
        row["gap_share"] = None if g is None or pd.isna(g["gap_share"]) else float(g["gap_share"])
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols)
    return (out.assign(_r=out["rank"].astype("Float64")).sort_values(["_r", "county_code"], na_position="last")
            .drop(columns="_r").reset_index(drop=True))
