"""Queries for the map (流动儿童分布): street and community figures and current boundaries, scoped.

The SQL and each query's declaration are in warehouse/sql/queries/geo/ (see catalogue.py); the map's counts
are cells of one cube (GEO_CUBE), which meeting.py and volunteers.py also mark their counts in.
"""
from __future__ import annotations

from warehouse.queries import catalogue, cube, metrics

# metric key → (column in geo_street_density, Chinese label, unit)
METRICS = {
    "children": ("children", "人数", "人"),
    "per_km2": ("per_km2", metrics.label("children_per_km2"), "人/平方公里"),
    "per_1000_residents": ("per_1000_residents", metrics.label("children_per_1000_residents"), "人/千人"),
    "share_of_under16": ("share_of_under16", metrics.label("children_share_of_under16"), ""),
}
MAP_CATEGORIES = ("流动儿童", "留守儿童", "困境儿童")
MAP_AGE_BANDS = ("all", "0-3", "3-6", "6-12", "12-16")

# Children on the register by period × age band × category × area (community → street → county → city →
# province → everything); bands add up to 'all' (困境儿童 is a subset of the other two, not a sum).
GEO_CUBE = cube.Cube("geo_children", catalogue.query("geo/geo_cells"), keys=("period", "age_band", "category", "area"),
                     within=("period", "age_band", "category"), relations=(("period", "category", "area"),))
CELL = {"period": "period", "age_band": "age_band", "category": "category", "area": "area"}
PREV_CELL = {**CELL, "period": "previous_period"}  # a count of the previous period
DENSITY_DERIVED = {"per_km2": "children", "per_1000_residents": "children", "share_of_under16": "children",
                   "prev_per_km2": "prev_children", "prev_per_1000_residents": "prev_children",
                   "prev_share_of_under16": "prev_children", "previous_children": "prev_children"}

# Where street_metrics' counts (and any frame with its key columns) sit in the cube; a frame with one count
# of children (a community, the scope's total) sits in it by the same keys. The entries below name these.
STREETS_IN_CUBE = cube.In(GEO_CUBE, {"children": CELL, "prev_children": PREV_CELL})
CHILDREN_IN_CUBE = cube.In(GEO_CUBE, {"children": CELL})

street_metrics = catalogue.query("geo/street_metrics")
community_points = catalogue.query("geo/community_points")
total = catalogue.query("geo/total")
shapes = catalogue.query("geo/shapes")
streets_without_shape = catalogue.query("geo/streets_without_shape")
