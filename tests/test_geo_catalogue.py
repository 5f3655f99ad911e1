"""The map's queries read through the query catalogue (that geo.py builds no SQL is test_catalogue's): the map's
cube reads its cells from a catalogue entry over the whole published area, the boundaries (GeoJSON) are an entry
like any other, and the scope's total has no row for the empty scope (default deny) but one for any other scope."""
from __future__ import annotations

import json

from warehouse import queries as q
from warehouse.queries import catalogue, geo

EVERYTHING = q.Scope.everything()


def test_each_map_query_is_its_catalogue_entry():
    for name in ("street_metrics", "community_points", "total", "shapes", "streets_without_shape"):
        entry = getattr(geo, name)
        assert isinstance(entry, catalogue.Query) and entry.name == f"geo/{name}", name
    cells = geo.GEO_CUBE.cells
    assert isinstance(cells, catalogue.Query) and cells.name == "geo/geo_cells" and not cells.scoped  # one pattern for every scope


def test_the_cells_add_up_the_area_tree(con):
    cells = geo.GEO_CUBE.cells(con)
    key = ["period", "age_band", "category"]
    streets = cells[cells["depth"] == 4]
    # A street is its communities plus its remainder (<street>~), so neither can be worked out from the other.
    parts = cells[cells["depth"] == 5].groupby([*key, "parent"])["n"].sum()
    whole = streets.set_index([*key, "area"])["n"]
    assert len(parts) and (parts == whole.reindex(parts.index)).all()
    counties = cells[cells["depth"] == 3].set_index([*key, "area"])["n"]
    by_county = streets.assign(area=streets["parent"]).groupby([*key, "area"])["n"].sum()
    assert len(counties) and (by_county.reindex(counties.index) == counties).all()


def test_total_denies_the_empty_scope_and_counts_any_other(con):
    latest = str(q.periods(con)["period"].iloc[0])
    assert geo.total(con, q.Scope(), latest, "all", "流动儿童").empty
    everything = geo.total(con, EVERYTHING, latest, "all", "流动儿童")
    streets = geo.street_metrics(con, EVERYTHING, latest, "all", "流动儿童")
    assert everything[["children", "streets"]].values.tolist() == [[streets["children"].sum(), len(streets)]]
    assert everything["area"].tolist() == [""]  # the cube's key of everything
    nowhere = geo.total(con, q.Scope.of("990199"), latest, "all", "流动儿童")  # a county without streets
    assert nowhere["streets"].tolist() == [0] and nowhere["children"].isna().all()


def test_shapes_of_a_street_scope_are_its_street_alone(con):
    streets = geo.shapes(con, EVERYTHING, "street")
    assert len(streets) > 1 and json.loads(streets["geometry"].iloc[0])["type"].endswith("Polygon")
    one = str(streets["region_code"].iloc[0])
    scope = q.Scope.of(one)
    assert geo.shapes(con, scope)["region_code"].tolist() == [one]  # street is the default level
    assert geo.shapes(con, q.Scope(), "county").empty
    assert geo.streets_without_shape(con, q.Scope()).empty


def test_a_street_scope_sees_the_outline_of_its_county_and_no_other(con):
    counties = geo.shapes(con, EVERYTHING, "county")
    streets = geo.shapes(con, EVERYTHING, "street")
    assert len(counties) > 1
    for street in streets["region_code"]:
        county = f"{str(street)[:6]}000000"
        assert geo.shapes(con, q.Scope.of(str(street)), "county")["region_code"].tolist() == [county], street
    # A county's own scope: its outline; the city's: every county.
    one = str(counties["region_code"].iloc[0])
    assert geo.shapes(con, q.Scope.of(one), "county")["region_code"].tolist() == [one]
