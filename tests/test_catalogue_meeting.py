"""The overview's module (meeting) and the key children cube (key_counts) read through the query catalogue (that
they run no SQL of their own is test_catalogue's): the cube's cells are a catalogue entry over the whole published
area."""
from __future__ import annotations

import pandas as pd

from warehouse.queries import catalogue, key_counts


def test_the_key_children_cube_reads_its_cells_from_the_catalogue(con):
    entry = key_counts.KEY_CHILDREN_CUBE.cells
    assert isinstance(entry, catalogue.Query) and entry.name == "key_counts/cells"
    assert not entry.scoped  # the pattern is the whole area's, the same on every page and scope
    cells = entry(con)
    assert list(cells.columns) == ["period", "risk_level", "area", "parent", "depth", "n", "kind"]
    levels = cells[cells["kind"] == "levels"]
    # Risk levels add up to '*' in every area, and each area is the sum of its children (no remainder cells).
    parts = levels[levels["risk_level"] != "*"].groupby(["period", "area"])["n"].sum()
    total = levels[(levels["risk_level"] == "*") & ~levels["area"].str.endswith(("~", "-"))
                   & (levels["depth"] <= 4)].set_index(["period", "area"])["n"]
    assert len(total) and (parts.reindex(total.index).fillna(0) == total).all()
    county = levels[(levels["depth"] == 3) & (levels["risk_level"] == "*")].set_index(["period", "area"])["n"]
    streets = levels[(levels["depth"] == 4) & (levels["risk_level"] == "*")]
    by_county = streets.assign(area=streets["parent"]).groupby(["period", "area"])["n"].sum()
    assert len(county) and (by_county.reindex(county.index) == county).all()
    # Communities (and a street's remainder) add up to their street, for the total and the paired.
    comm = cells[cells["depth"] == 5].groupby(["period", "risk_level", "parent"])["n"].sum()
    street = cells[cells["depth"] == 4].set_index(["period", "risk_level", "area"])["n"]
    assert len(comm) and (comm == street.reindex(comm.index)).all()
    assert pd.api.types.is_string_dtype(cells["area"])


def test_the_key_children_cells_come_in_one_order(con):
    # Complementary suppression breaks a tie between equal cells by row order: cells in an order of their
    # own would let two processes hide different cells of one snapshot, and a user who saw both could
    # subtract. The entry orders them by their keys, the same on every run.
    cells = key_counts.KEY_CHILDREN_CUBE.cells(con)
    ordered = cells.sort_values(["period", "risk_level", "depth", "area"]).reset_index(drop=True)
    assert cells.equals(ordered)
