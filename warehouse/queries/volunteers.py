"""Volunteer-service queries for 妇联 (marts vol_*): KPIs, trend, team types, streets, needs, pairings.

"Today" is the snapshot's data date (meta.data_date), so figures are deterministic. Aggregate
functions never read person_key or pii; `unpaired` is the one child-level read and returns masked
names and ID numbers only (as warehouse.queries.ledger.due_list does), to case roles only
(`privacy.child_list`: the door refuses it without case access).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from warehouse.queries import Scope, _df, _prefix_of, _scope_predicate, cube, geo, privacy
from warehouse.queries.key_counts import KEY_CHILDREN_CUBE
from warehouse.queries.ledger import LIST_LIMIT

# Key children and the paired among them are cells of the key-children cube (the overview shows the same
# figures), so they carry its marks on every page.
_KEY_CELLS = cube.In(KEY_CHILDREN_CUBE, {m: {"period": "key_period", "risk_level": cube.Const(level), "area": "area"}
                                         for m, level in (("key_children", "*"), ("paired", "paired"))})
_KEY_PERIOD = "(select max_by(period, period_end) from key_children_by_risk)"


@privacy.counts("participants", "volunteers", "active_volunteers", "agent_parents", "key_children", "paired",
                derived={"pairing_coverage": ["key_children", "paired"]}, cube=_KEY_CELLS)
def kpis(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """One row for the year of the data date: as_of_date, year, activities, planned, cancelled, participants,
    person_times, volunteer_hours, teams, dormant_teams, volunteers, active_volunteers, agent_parents,
    key_children, paired, pairing_coverage."""
    where, params = _scope_predicate(scope, "street_code")
    return _df(con, f"""
        with a as (select max(data_date) as as_of_date, year(max(data_date)) as year from meta),
        act as (
            select count(*) filter (where false) as dummy,
                   coalesce(sum(activities::double) filter (where status = '已开展'), 0::bigint)::bigint as activities,
                   coalesce(sum(activities::double) filter (where status = '计划'), 0::bigint)::bigint as planned,
                   coalesce(sum(activities::double) filter (where status = '取消'), 0::bigint)::bigint as cancelled,
                   coalesce(sum(participants::double) filter (where status = '已开展'), 0::bigint)::bigint as participants,
                   coalesce(sum(person_times::double) filter (where status = '已开展'), 0::bigint)::bigint as person_times,
                   coalesce(sum(volunteer_hours::double) filter (where status = '已开展'), 0::double)::double as volunteer_hours
            from vol_activities
            where year(period_end) = year((select max(data_date) from meta)) and period_end <= last_day((select max(data_date) from meta)) and {where}),
        t as (
            select count(*)::bigint as teams, count(*) filter (where not is_active)::bigint as dormant_teams,
                   coalesce(sum(volunteers::double), 0)::bigint as volunteers,
                   coalesce(sum(active_volunteers::double), 0)::bigint as active_volunteers,
                   coalesce(sum(agent_parents::double), 0)::bigint as agent_parents
            from vol_teams where {where}),
        p as (
            select coalesce(sum(key_children::double), 0)::bigint as key_children, coalesce(sum(paired::double), 0)::bigint as paired
            from vol_pairing_coverage where {where})
        select a.as_of_date, a.year, act.* exclude (dummy), t.*, p.*,
               p.paired / nullif(p.key_children, 0::double)::double as pairing_coverage,
               {_KEY_PERIOD} as key_period, ? as area
        from a, act, t, p""", params * 3 + [cube.scope_area(scope)])


GOAL_COLUMNS = ["measure", "label", "region_code", "region_name", "annual_goal", "unit", "source", "applies"]


def goals(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Annual goals (config/volunteer_goals.csv) that concern the view, each with the region it was set for:
    measure, label, region_code, region_name, annual_goal, unit, source, applies —
    "own" (set for exactly the region viewed: progress is measured against it), "above" (set for a larger
    region, e.g. the city's goal seen from a county: for reference only, never the county's 100 %), or
    "below" (set for a part of the view, e.g. a county's goal seen city-wide). A blank region_code means the
    whole deployment. Goals of regions outside the view are not returned."""
    if scope.is_empty:
        return pd.DataFrame(columns=GOAL_COLUMNS)
    df = _df(con, """
        select g.measure, g.label, nullif(trim(g.region_code), '') as region_code,
               coalesce(r.region_name, '全部地区') as region_name, g.annual_goal::double as annual_goal, g.unit, g.source
        from cfg_volunteer_goals g left join regions r on r.region_code = nullif(trim(g.region_code), '')
        order by g.region_code nulls first, g.measure""")
    # A goal set for the region the deployment covers (the city's, in a one-city deployment) is the goal of
    # any view of everything, however that view is written ("" or the province or city prefix).
    top = _df(con, "select distinct left(region_code, 6) as c from regions where level = 'county'")["c"].tolist()

    def whole(p: str) -> bool:
        return p == "" or bool(top) and all(c.startswith(p) for c in top)

    view = [""] if scope.is_everything else list(scope.prefixes)
    applies = []
    for code in df["region_code"]:
        g = _goal_prefix(code)
        if len(view) == 1 and (g == view[0] or (whole(g) and whole(view[0]))):
            applies.append("own")
        elif all(v.startswith(g) or whole(g) for v in view):
            applies.append("above")
        elif any(g.startswith(v) for v in view):
            applies.append("below")
        else:
            applies.append(None)
    out = df.assign(applies=applies)
    return out[out["applies"].notna()].reset_index(drop=True)[GOAL_COLUMNS]


def _goal_prefix(code) -> str:
    """A goal's region as a scope prefix ("" for the whole deployment)."""
    return "" if code is None or code is pd.NA or (isinstance(code, float) and pd.isna(code)) else _prefix_of(code)


def monthly(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per month: period, held, planned, cancelled, participants, person_times, volunteer_hours."""
    where, params = _scope_predicate(scope, "street_code")
    return _df(con, f"""
        select period,
               coalesce(sum(activities::double) filter (where status = '已开展'), 0::bigint)::bigint as held,
               coalesce(sum(activities::double) filter (where status = '计划'), 0::bigint)::bigint as planned,
               coalesce(sum(activities::double) filter (where status = '取消'), 0::bigint)::bigint as cancelled,
               coalesce(sum(participants::double) filter (where status = '已开展'), 0::bigint)::bigint as participants,
               coalesce(sum(person_times::double) filter (where status = '已开展'), 0::bigint)::bigint as person_times,
               coalesce(sum(volunteer_hours::double) filter (where status = '已开展'), 0::double)::double as volunteer_hours
        from vol_activities where {where}
        group by period order by period""", params)


@privacy.counts("volunteers", "active_volunteers", "agent_parents")
def by_team_type(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per team type (year of the data date): team_type, teams, volunteers, active_volunteers, agent_parents,
    activities, person_times, volunteer_hours."""
    where, params = _scope_predicate(scope, "street_code")
    return _df(con, f"""
        with t as (select team_type, count(*)::bigint as teams, sum(volunteers::double)::bigint as volunteers,
                     sum(active_volunteers::double)::bigint as active_volunteers, sum(agent_parents::double)::bigint as agent_parents
              from vol_teams where {where} group by team_type),
        x as (select team_type, sum(activities::double)::bigint as activities, sum(person_times::double)::bigint as person_times,
                     sum(volunteer_hours)::double as volunteer_hours
              from vol_activities
              where status = '已开展' and year(period_end) = year((select max(data_date) from meta)) and {where} group by team_type)
        select team_type, coalesce(teams, 0::bigint)::bigint as teams, coalesce(volunteers, 0::bigint)::bigint as volunteers,
               coalesce(active_volunteers, 0::bigint)::bigint as active_volunteers,
               coalesce(agent_parents, 0::bigint)::bigint as agent_parents, coalesce(activities, 0::bigint)::bigint as activities,
               coalesce(person_times, 0::bigint)::bigint as person_times, coalesce(volunteer_hours, 0::double) as volunteer_hours
        from t full join x using (team_type)
        order by person_times desc""", params * 2)


@privacy.counts("migrant", derived={"per_1000": "migrant"},
                cube=cube.In(geo.GEO_CUBE, {"migrant": {**geo.CELL, "age_band": cube.Const("all"),
                                                        "category": cube.Const("流动儿童")}}))
def by_street(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per street (year of the data date): street_code, street_name, county_name, migrant (latest register),
    activities, person_times, per_1000 (activities per 1,000 migrant children), lowest first and streets without
    a rate (no or too few migrant children) last; period and area, the
    migrant count's cell of the map's cube (the same figure, so the same mark as on the map)."""
    where, params = _scope_predicate(scope, "r.region_code")
    return _df(con, f"""
        with m as (select street_code, sum(children::double)::bigint as migrant from children_by_area
              where category = '流动儿童' and period = (select max(period) from children_by_area)
              group by street_code),
        x as (select street_code, sum(activities::double)::bigint as activities, sum(person_times::double)::bigint as person_times
              from vol_activities
              where status = '已开展' and year(period_end) = year((select max(data_date) from meta)) group by street_code)
        select r.region_code as street_code, r.region_name as street_name, r.county_name,
               coalesce(m.migrant, 0::bigint)::bigint as migrant, coalesce(x.activities, 0::bigint)::bigint as activities,
               coalesce(x.person_times, 0::bigint)::bigint as person_times,
               1000.0 * coalesce(x.activities, 0) / nullif(m.migrant, 0) as per_1000,
               (select max(period) from children_by_area) as period, left(r.region_code, 9) as area
        from regions r left join m on m.street_code = r.region_code left join x on x.street_code = r.region_code
        where r.level = 'street' and r.is_listed and {where}
        order by per_1000 nulls last, r.region_code""", params)


@privacy.counts("key_children", "paired", cube=_KEY_CELLS)
def low_activity_communities(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Communities by key children and activities held in the 12 months to the data date: community_code,
    community_name, street_name, key_children, paired, activities (held in the community), street_activities
    (held anywhere in its street); most key children per community activity first."""
    where, params = _scope_predicate(scope, "c.street_code")
    return _df(con, f"""
        with x as (select area_code, street_code, sum(activities::double)::bigint as activities
              from vol_activities where status = '已开展' and period_end > (select max(data_date) from meta) - 365
              and period_end <= last_day((select max(data_date) from meta)) group by all),
        cm as (select area_code, sum(activities::double)::bigint as activities from x group by area_code),
        st as (select street_code, sum(activities::double)::bigint as activities from x group by street_code)
        select c.community_code, r.region_name as community_name, s.region_name as street_name,
               c.key_children::bigint as key_children, c.paired::bigint as paired,
               coalesce(cm.activities, 0)::bigint as activities,
               coalesce(st.activities, 0)::bigint as street_activities,
               {_KEY_PERIOD} as key_period, coalesce(c.community_code, left(c.street_code, 9) || '-') as area
        from vol_pairing_coverage c
        left join regions r on r.region_code = c.community_code
        left join regions s on s.region_code = c.street_code
        left join cm on cm.area_code = c.community_code
        left join st on st.street_code = c.street_code
        where {where}
        order by c.key_children::double / greatest(coalesce(cm.activities, 0), 1) desc, c.community_code""", params)


@privacy.counts("volunteers")
def dormant_teams(con: duckdb.DuckDBPyConnection, scope: Scope, days: int = 90) -> pd.DataFrame:
    """Teams with no held activity in `days` days to the data date: team_id, team_name, team_type,
    street_name, volunteers, last_activity_date, days_since_activity."""
    where, params = _scope_predicate(scope, "t.street_code")
    return _df(con, f"""
        select t.team_id, t.team_name, t.team_type, r.region_name as street_name, t.volunteers,
               t.last_activity_date, t.days_since_activity
        from vol_teams t left join regions r on r.region_code = t.street_code
        where (t.last_activity_date is null or t.days_since_activity >= ?::integer) and {where}
        order by t.days_since_activity desc nulls first, t.team_id""", [days, *params])


def needs_offer(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Needs recorded in visits vs activities held, per service type (12 months to the data date):
    service_type, needs, activities, person_times, need_share, offer_share, gap (need_share − offer_share)."""
    where, params = _scope_predicate(scope, "street_code")
    return _df(con, f"""
        with s as (select service_type, sum(needs::double)::bigint as needs, sum(activities::double)::bigint as activities,
                          sum(person_times::double)::bigint as person_times
                   from vol_needs where {where} group by service_type)
        select *, needs / nullif(sum(needs) over (), 0::double)::double as need_share,
               activities / nullif(sum(activities) over (), 0::double)::double as offer_share,
               coalesce(needs / nullif(sum(needs) over (), 0::double)::double, 0)
                 - coalesce(activities / nullif(sum(activities) over (), 0::double)::double, 0) as gap
        from s order by gap desc, service_type""", params)


@privacy.child_list
def unpaired(con: duckdb.DuckDBPyConnection, scope: Scope, limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Key children with no active pairing, MASKED (张*明, 3204…123X): masked_name, masked_id, county_name,
    street_name, community_name, key_type; at most `limit` rows. Reads the list_unpaired mart (masked in
    the build); raw names and ID numbers are never read here."""
    where, params = _scope_predicate(scope, "c.street_code")
    return _df(con, f"""
        select c.masked_name, c.masked_id, co.region_name as county_name, s.region_name as street_name,
               cm.region_name as community_name, c.key_type
        from (
            select * from list_unpaired c
            where {where}
            order by c.county_code, c.street_code, c.community_code, c.key_type, c.person_key
            limit ?
        ) c
        left join regions co on co.region_code = c.county_code
        left join regions s on s.region_code = c.street_code
        left join regions cm on cm.region_code = c.community_code
        order by c.county_code, c.street_code, c.community_code, c.key_type, c.person_key""", [*params, limit])
