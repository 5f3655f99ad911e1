"""Service gaps (服务缺口): standards, shortfalls, the composite index and the 主城区/县域 comparison.

Reads the gap_* marts (warehouse/sql/marts/gap_*.sql) and the standards/weights configuration tables
(cfg_standards, cfg_gap_weights). Every function takes a Scope and is default-deny.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from warehouse.queries import Scope, _df, _scope_predicate, privacy

LEVELS = ("county", "street")


def _level(level: str) -> str:
    if level not in LEVELS:
        raise ValueError(f"level must be 'county' or 'street', not {level!r}")
    return level


def standards(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """The configured standards with their index weights, in configuration order.

    Columns: gap_id, gap_name, family, unit, basis, per, standard_value, has_standard, source, weight, reason.
    """
    df = _df(
        con,
        """
        select s.gap_id, s.gap_name, s.family, s.unit, s.basis, s.per::double as per,
               s.standard_value::double as standard_value, s.standard_value is not null as has_standard,
               s.source, w.weight::double as weight, w.reason
        from (select *, row_number() over () as position from cfg_standards) s
        left join cfg_gap_weights w on w.gap_id = s.gap_id
        order by s.position
        """,
    )
    return df.iloc[0:0] if scope.is_empty else df


def source_periods(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> pd.DataFrame:
    """Which landing of each source the gaps of `period` use: source, source_label, source_period."""
    df = _df(
        con,
        "select source, source_label, source_period from gap_source_periods where period = ? order by source",
        [period],
    )
    return df.iloc[0:0] if scope.is_empty else df


# Demand and supply count people only where their unit is 人 (children, residents, key children); a count
# of communities, streets, facilities, staff or hours is no person the small-number rule protects, and
# hiding it would hide the very streets a planner needs (3 communities, 1 儿童之家). Rates and shortfalls
# reveal whichever side is hidden.
_DERIVED = {c: ["demand", "supply"] for c in ("ratio", "required", "shortfall", "gap_share")}
_SUPPLY_OF_CHILDREN = {"supply": ("supply_unit", ["人"]), "demand": ("demand_unit", ["人"])}


@privacy.counts("demand", "supply", derived=_DERIVED, where=_SUPPLY_OF_CHILDREN)
def gap_table(con: duckdb.DuckDBPyConnection, scope: Scope, period: str, gap_id: str, level: str) -> pd.DataFrame:
    """One gap for every county (level="county") or street (level="street") in scope, largest gap first.

    Columns: area_code, area_name, county_code, county_name, area_group, area_type, supply, demand, ratio,
    standard_value, required, shortfall, gap_share, rank, supply_name, demand_name, unit, per, has_standard,
    supply_period, demand_period (the landing period each side comes from).
    """
    where, params = _scope_predicate(scope, "area_code")
    return _df(
        con,
        f"""
        select area_code, area_name, county_code, county_name, area_group, area_type, supply, demand, ratio,
               standard_value, required, shortfall, gap_share, rank, supply_name, demand_name, unit, per,
               has_standard, supply_period, demand_period, supply_unit, demand_unit
        from gap_by_area
        where period = ? and gap_id = ? and level = ? and {where}
        order by county_code, rank, area_code
        """,
        [period, gap_id, _level(level), *params],
    ).astype({"shortfall": "Int64", "rank": "Int64"})


def index_table(con: duckdb.DuckDBPyConnection, scope: Scope, period: str, level: str) -> pd.DataFrame:
    """The composite gap index per county or street in scope, largest first.

    Columns: area_code, area_name, county_code, county_name, area_group, area_type, gap_index, gaps_counted, rank.
    """
    where, params = _scope_predicate(scope, "area_code")
    return _df(
        con,
        f"""
        select area_code, area_name, county_code, county_name, area_group, area_type, gap_index,
               gaps_counted, rank
        from gap_index
        where period = ? and level = ? and {where}
        order by county_code, rank, area_code
        """,
        [period, _level(level), *params],
    ).astype({"rank": "Int64"})


@privacy.counts("demand", "supply", derived=_DERIVED, where=_SUPPLY_OF_CHILDREN,
                groups=[["gap_id"]])
def gaps_of_area(con: duckdb.DuckDBPyConnection, scope: Scope, period: str, level: str) -> pd.DataFrame:
    """Every gap for every county or street in scope (the full table behind the page, for download).

    Columns: area_code, area_name, county_name, area_group, gap_id, gap_name, family, supply_name, supply,
    demand_name, demand, ratio, basis, standard_value, required, shortfall, gap_share, rank, unit, source.
    """
    where, params = _scope_predicate(scope, "area_code")
    return _df(
        con,
        f"""
        select g.area_code, g.area_name, g.county_name, g.area_group, g.gap_id, g.gap_name, g.family,
               g.supply_name, g.supply, g.demand_name, g.demand, g.ratio, g.basis, g.standard_value,
               g.required, g.shortfall, g.gap_share, g.rank, g.unit, g.source, g.supply_unit, g.demand_unit
        from gap_by_area g
        join (select gap_id, row_number() over () as position from cfg_standards) s using (gap_id)
        where g.period = ? and g.level = ? and {where}
        order by g.area_code, s.position
        """,
        [period, _level(level), *params],
    ).astype({"shortfall": "Int64", "rank": "Int64"})


@privacy.counts("value", groups=[["measure"]], where={"value": ("measure_unit", ["人"])})
def measures(con: duckdb.DuckDBPyConnection, scope: Scope, period: str, level: str) -> pd.DataFrame:
    """Demand and supply figures per county or street in scope (long form).

    Columns: area_code, area_name, measure, measure_label, measure_unit, side, source_period, value.
    """
    where, params = _scope_predicate(scope, "m.area_code")
    return _df(
        con,
        f"""
        select m.area_code, r.region_name as area_name, m.measure, m.measure_label, m.measure_unit, m.side,
               m.source_period, m.value
        from gap_measures m
        left join regions r on r.region_code = m.area_code
        where m.period = ? and m.level = ? and {where}
        order by m.area_code, m.measure_order
        """,
        [period, _level(level), *params],
    )


@privacy.counts("demand", "supply", derived=_DERIVED, where=_SUPPLY_OF_CHILDREN,
                groups=[["gap_id"]])
def urban_core_comparison(con: duckdb.DuckDBPyConnection, scope: Scope, period: str) -> pd.DataFrame:
    """主城区 against 县域 for every gap, over the counties in scope, plus the group's composite index.

    Columns: area_group, gap_id, gap_name, counties, supply, demand, ratio, required, shortfall, gap_share.
    The index row has gap_id "index" and gap_share = the weighted index / 100.
    """
    where, params = _scope_predicate(scope, "area_code")
    return _df(
        con,
        f"""
        with grouped as (
            select area_group, gap_id, any_value(gap_name) as gap_name, any_value(per) as per,
                   any_value(supply_unit) as supply_unit, any_value(demand_unit) as demand_unit,
                   bool_or(has_standard) as has_standard, count(*) as counties,
                   sum(supply) as supply, sum(demand) as demand, sum(required) as required,
                   sum(shortfall)::bigint as shortfall
            from gap_by_area
            where period = ? and level = 'county' and {where}
            group by area_group, gap_id
        ),
        scored as (
            select *,
                   case when demand > 0 then supply / demand * per end as ratio,
                   case when has_standard and required > 0 then least(1, greatest(0, required - supply) / required)
                        when has_standard then 0 end as gap_share
            from grouped
        ),
        indexed as (
            select s.area_group, 'index' as gap_id, '综合缺口指数' as gap_name, max(s.counties) as counties,
                   null::double as supply, null::double as demand, null::double as ratio, null::double as required,
                   null::bigint as shortfall,
                   sum(w.weight * s.gap_share) / sum(w.weight) as gap_share, null::varchar as supply_unit,
                   null::varchar as demand_unit
            from scored s
            join cfg_gap_weights w on w.gap_id = s.gap_id and w.weight > 0
            where s.gap_share is not null
            group by s.area_group
        )
        select area_group, gap_id, gap_name, counties, supply, demand, ratio, required, shortfall, gap_share,
               supply_unit, demand_unit
        from scored
        union all
        select * from indexed
        order by gap_id, area_group
        """,
        [period, *params],
    ).astype({"shortfall": "Int64"})


def has_urban_core(con: duckdb.DuckDBPyConnection, scope: Scope) -> bool:
    """Whether the counties in scope carry the 主城区/县域 distinction (some urban core, some not): a region
    table without it (an official table with codes and names only, a county deployment) shows no grouping."""
    where, params = _scope_predicate(scope, "region_code")
    df = _df(con, f"select count(distinct is_urban_core) as kinds from regions where level = 'county' and {where}",
             params)
    return not scope.is_empty and int(df["kinds"].iloc[0]) == 2
