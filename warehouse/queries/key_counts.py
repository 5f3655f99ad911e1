"""The published cube of key children (重点儿童) counts, shared by the overview and 志愿服务.

Per period × risk level ('*' = all levels: the overview's 重点对象, and 志愿服务's key children) × area
(community → street → county → city → province → everything), and 'paired' (key children with an
active 1+X pairing, 志愿服务) for the ledger period the pairings are counted on. Risk levels add up to
'*' in every area; areas nest. Communities come from vol_pairing_coverage (the latest ledger), with each
street's remainder (children in no community), which is never shown but would be revealed by a street
minus its communities. The cells' SQL is the catalogue entry key_counts/cells.
"""
from __future__ import annotations

from warehouse.queries import catalogue, cube

KEY_CHILDREN_CUBE = cube.Cube("key_children", catalogue.query("key_counts/cells"),
                              keys=("period", "risk_level", "area"), within=("period", "risk_level"),
                              relations=(("period", "area", "kind"),))
RISK_CELL = {"period": "period", "risk_level": "risk_level", "area": "area"}
