"""Volunteer-service queries for 妇联 (marts vol_*): KPIs, trend, team types, streets, needs, pairings. The SQL
and each query's declaration are in warehouse/sql/queries/volunteers/ (see catalogue.py).

"Today" is the snapshot's data date (meta.data_date), so figures are deterministic. Aggregate
queries never read person_key or pii; `unpaired` is the one child-level read and returns masked
names and ID numbers only (as warehouse.queries.ledger.due_list does), to case roles only
(child_list: the door refuses it without case access).
"""

from __future__ import annotations

from warehouse.queries import catalogue, cube, geo
from warehouse.queries.key_counts import KEY_CHILDREN_CUBE
from warehouse.queries.ledger import LIST_LIMIT  # noqa: F401  (pages read the lists' limit here too)

# Key children and the paired among them are cells of the key-children cube (the overview shows the same
# figures), so they carry its marks on every page.
KEY_CELLS = cube.In(KEY_CHILDREN_CUBE, {m: {"period": "key_period", "risk_level": cube.Const(level), "area": "area"}
                                        for m, level in (("key_children", "*"), ("paired", "paired"))})
# A street's migrant children are the map's cell (all ages, 流动儿童): the same figure, so the same mark.
STREET_MIGRANT = cube.In(geo.GEO_CUBE, {"migrant": {**geo.CELL, "age_band": cube.Const("all"),
                                                    "category": cube.Const("流动儿童")}})

kpis = catalogue.query("volunteers/kpis")
goals = catalogue.query("volunteers/goals")
monthly = catalogue.query("volunteers/monthly")
by_team_type = catalogue.query("volunteers/by_team_type")
by_street = catalogue.query("volunteers/by_street")
low_activity_communities = catalogue.query("volunteers/low_activity_communities")
dormant_teams = catalogue.query("volunteers/dormant_teams")
needs_offer = catalogue.query("volunteers/needs_offer")
unpaired = catalogue.query("volunteers/unpaired")
