"""Cross-department matching (marts match_*): match rates per check, street and department pair, and each
check's worklist for its responsible department. The SQL and each query's declaration are in
warehouse/sql/queries/matching/ (see catalogue.py).

Aggregates read match_rates only. `worklist` is the one child-level read: it reads the list_unmatched mart,
with names and ID numbers MASKED in the build, and the door serves it to case roles only.
"""

from __future__ import annotations

from warehouse.queries import catalogue, cube

_MEASURES = ("children", "matched", "unmatched")

MATCH_CUBE = cube.Cube("match_rates", catalogue.query("matching/match_cells"), keys=("check", "measure", "area"),
                       within=("check", "measure"), relations=(("check", "area"), ("pair", "measure", "area")))


def _in_cube(check_column: str) -> cube.In:
    return cube.In(MATCH_CUBE, {m: {"check": check_column, "measure": cube.Const(m), "area": "area"}
                                for m in _MEASURES})


# Where the catalogue entries' counts sit in the cube: by check (check_code) or by department pair (pair_key).
BY_CHECK = _in_cube("check_code")
BY_PAIR = _in_cube("pair_key")

checks = catalogue.query("matching/checks")
by_street = catalogue.query("matching/by_street")
by_department_pair = catalogue.query("matching/by_department_pair")
worklist = catalogue.query("matching/worklist")
