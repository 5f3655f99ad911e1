"""Queries for the map (流动儿童分布): street and community figures and current boundaries, scoped."""
from __future__ import annotations

import duckdb
import pandas as pd

from warehouse.queries import Scope, _df, _scope_predicate

# metric key → (column in geo_street_density, Chinese label, unit)
METRICS = {
    "children": ("children", "人数", "人"),
    "per_km2": ("per_km2", "每平方公里人数", "人/平方公里"),
    "per_1000_residents": ("per_1000_residents", "每千名常住人口", "人/千人"),
    "share_of_under16": ("share_of_under16", "占同龄常住儿童比例", ""),
}
MAP_CATEGORIES = ("流动儿童", "留守儿童", "困境儿童")
MAP_AGE_BANDS = ("all", "0-3", "3-6", "6-12", "12-16")


def street_metrics(con: duckdb.DuckDBPyConnection, scope: Scope, period: str, age_band: str,
                   category: str) -> pd.DataFrame:
    """One row per street in scope: counts, denominators, the four metrics and their previous values.

    Columns: county_code, county_name, street_code, street_name, children, previous_children, area_km2,
    residents, child_residents, per_km2, per_1000_residents, share_of_under16, and prev_<metric>.
    """
    where, params = _scope_predicate(scope, "street_code")
    return _df(
        con,
        f"""
        select county_code, county_name, street_code, street_name, children, previous_children,
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


def community_points(con: duckdb.DuckDBPyConnection, scope: Scope, period: str, age_band: str,
                     category: str) -> pd.DataFrame:
    """Communities in scope with their centre point and count: community_code, community_name, street_code,
    street_name, county_code, lon, lat, children."""
    where, params = _scope_predicate(scope, "community_code")
    return _df(
        con,
        f"""
        select community_code, community_name, street_code, street_name, county_code, lon, lat, children
        from geo_community_points
        where period = ? and age_band = ? and category = ? and {where}
        order by community_code
        """,
        [period, age_band, category, *params],
    )


def shapes(con: duckdb.DuckDBPyConnection, scope: Scope, level: str = "street") -> pd.DataFrame:
    """Current boundaries of a level in scope: region_code, region_name, geometry (simplified GeoJSON
    text), lon, lat (a point inside, for labels), area_km2, is_schematic, valid_from."""
    where, params = _scope_predicate(scope, "region_code", ancestors=level == "county")
    return _df(
        con,
        f"""
        select region_code, region_name, simplified as geometry, lon, lat, area_km2, is_schematic, valid_from
        from boundaries
        where is_current and level = ? and {where}
        order by region_code
        """,
        [level, *params],
    )
