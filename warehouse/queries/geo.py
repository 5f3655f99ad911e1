"""Queries for the map (流动儿童分布): street and community figures and current boundaries, scoped."""
from __future__ import annotations

import duckdb
import pandas as pd

from warehouse.queries import Scope, _df, _scope_predicate, cube, metrics, privacy

# metric key → (column in geo_street_density, Chinese label, unit)
METRICS = {
    "children": ("children", "人数", "人"),
    "per_km2": ("per_km2", metrics.label("children_per_km2"), "人/平方公里"),
    "per_1000_residents": ("per_1000_residents", metrics.label("children_per_1000_residents"), "人/千人"),
    "share_of_under16": ("share_of_under16", metrics.label("children_share_of_under16"), ""),
}
MAP_CATEGORIES = ("流动儿童", "留守儿童", "困境儿童")
MAP_AGE_BANDS = ("all", "0-3", "3-6", "6-12", "12-16")


def _geo_cells(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every cell the map can show, for the whole published area: streets and communities from the marts,
    each street's remainder (children in no community with a point: never shown, but street − its
    communities would reveal it), and counties, cities, provinces and everything as sums of streets."""
    return _df(con, """
        with streets as (
            select period, age_band, category, left(street_code, 9) as street, children
            from geo_street_density
        ),
        communities as (
            select period, age_band, category, community_code, left(street_code, 9) as street, children
            from geo_community_points
        ),
        in_communities as (
            select period, age_band, category, street, sum(children) as children from communities group by all
        )
        select period, age_band, category, street as area, left(street, 6) as parent, 4 as depth,
               children as n from streets
        union all
        select period, age_band, category, community_code, street, 5, children from communities
        union all
        select s.period, s.age_band, s.category, s.street || '~', s.street, 5, s.children - coalesce(c.children, 0)
        from streets s left join in_communities c using (period, age_band, category, street)
        union all
        select period, age_band, category, left(street, 6), left(street, 4), 3, sum(children) from streets group by all
        union all
        select period, age_band, category, left(street, 4), left(street, 2), 2, sum(children) from streets group by all
        union all
        select period, age_band, category, left(street, 2), '', 1, sum(children) from streets group by all
        union all
        select period, age_band, category, '', null, 0, sum(children) from streets group by all
        """)


# Children on the register by period × age band × category × area (community → street → county → city →
# province → everything); bands add up to 'all' (困境儿童 is a subset of the other two, not a sum).
GEO_CUBE = cube.Cube("geo_children", _geo_cells, keys=("period", "age_band", "category", "area"),
                     within=("period", "age_band", "category"), relations=(("period", "category", "area"),))
CELL = {"period": "period", "age_band": "age_band", "category": "category", "area": "area"}
PREV_CELL = {**CELL, "period": "previous_period"}  # a count of the previous period
DENSITY_DERIVED = {"per_km2": "children", "per_1000_residents": "children", "share_of_under16": "children",
                   "prev_per_km2": "prev_children", "prev_per_1000_residents": "prev_children",
                   "prev_share_of_under16": "prev_children", "previous_children": "prev_children"}


# Where street_metrics' counts (and any frame with its key columns) sit in the cube.
STREETS_IN_CUBE = cube.In(GEO_CUBE, {"children": CELL, "prev_children": PREV_CELL})


@privacy.counts("children", "prev_children", derived=DENSITY_DERIVED, cube=STREETS_IN_CUBE)
def street_metrics(con: duckdb.DuckDBPyConnection, scope: Scope, period: str, age_band: str,
                   category: str) -> pd.DataFrame:
    """One row per street in scope: counts, denominators, the four metrics and their previous values.

    Columns: county_code, county_name, street_code, street_name, children, previous_children, area_km2,
    residents, child_residents, per_km2, per_1000_residents, share_of_under16, and prev_<metric>; the
    cube key (period, previous_period, age_band, category, area).
    """
    where, params = _scope_predicate(scope, "street_code")
    return _df(
        con,
        f"""
        select period, previous_period, age_band, category, left(street_code, 9) as area,
               county_code, county_name, street_code, street_name, children, previous_children,
               area_km2, residents, child_residents, per_km2, per_1000_residents, share_of_under16,
               previous_children / nullif(area_km2, 0) as prev_per_km2,
               1000.0 * previous_children / nullif(residents, 0) as prev_per_1000_residents,
               previous_children / nullif(child_residents, 0) as prev_share_of_under16,
               previous_children as prev_children
        from geo_street_density
        where period = ? and age_band = ? and category = ? and {where}
        order by street_code
        """,
        [period, age_band, category, *params],
    )


@privacy.counts("children", cube=cube.In(GEO_CUBE, {"children": CELL}))
def community_points(con: duckdb.DuckDBPyConnection, scope: Scope, period: str, age_band: str,
                     category: str) -> pd.DataFrame:
    """Communities in scope with their centre point and count: community_code, community_name, street_code,
    street_name, county_code, lon, lat, children."""
    where, params = _scope_predicate(scope, "community_code")
    return _df(
        con,
        f"""
        select community_code, community_name, street_code, street_name, county_code, lon, lat, children,
               period, age_band, category, community_code as area
        from geo_community_points
        where period = ? and age_band = ? and category = ? and {where}
        order by community_code
        """,
        [period, age_band, category, *params],
    )


@privacy.counts("children", cube=cube.In(GEO_CUBE, {"children": CELL}))
def total(con: duckdb.DuckDBPyConnection, scope: Scope, period: str, age_band: str, category: str) -> pd.DataFrame:
    """The scope's total (the map's 合计), one row: children, streets (how many), and the cube key; the
    door marks it from the cube, so it never reveals a hidden street."""
    where, params = _scope_predicate(scope, "street_code")
    return _df(con, f"""
        select ? as period, ? as age_band, ? as category, ? as area,
               sum(children)::bigint as children, count(*) as streets
        from geo_street_density
        where period = ? and age_band = ? and category = ? and {where}
        """, [period, age_band, category, cube.scope_area(scope), period, age_band, category, *params])


def shapes(con: duckdb.DuckDBPyConnection, scope: Scope, level: str = "street") -> pd.DataFrame:
    """Current boundaries of a level in scope: region_code, region_name, geometry (simplified GeoJSON
    text), lon, lat (a point inside, for labels), area_km2, is_schematic, valid_from.

    The name is the region table's (the official one, as every table beside the map says it); a boundary
    file's own name (often older, or a surveyor's spelling) only where the region table lacks the code."""
    where, params = _scope_predicate(scope, "b.region_code", ancestors=level == "county")
    return _df(
        con,
        f"""
        select b.region_code, coalesce(r.region_name, b.region_name) as region_name, b.simplified as geometry,
               b.lon, b.lat, b.area_km2, b.is_schematic, b.valid_from
        from boundaries b
        left join regions r on r.region_code = b.region_code
        where b.is_current and b.level = ? and {where}
        order by b.region_code
        """,
        [level, *params],
    )


def streets_without_shape(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Streets of the region table in scope with no current boundary: region_code, region_name, county_name."""
    where, params = _scope_predicate(scope, "r.region_code")
    return _df(
        con,
        f"""
        select r.region_code, r.region_name, r.county_name
        from regions r
        where r.level = 'street' and r.is_listed and {where}
          and not exists (select 1 from boundaries b
                          where b.is_current and b.level = 'street' and b.region_code = r.region_code)
        order by r.region_code
        """,
        params,
    )
