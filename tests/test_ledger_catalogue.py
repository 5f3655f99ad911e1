"""The key-children and volunteers queries as catalogue entries: a child's file is read in three parts, each of
which keeps the file's rules on its own (case access through the door, nothing outside the user's area); a
snapshot built before guardians were carried still serves the list and the file; every child list stops at
the one LIST_LIMIT; the volunteers page's cards for the year are the sum of its monthly table."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from warehouse import queries as q
from warehouse.queries import catalogue, ledger, privacy, volunteers

FILE_PARTS = ("ledger/file_person", "ledger/file_ledger", "ledger/file_visits")


def _child(con) -> tuple[str, str]:
    """A child with visits, and their street."""
    return con.execute("""
        select l.person_key, l.street_code from ledger_children l
        where exists (select 1 from ledger_visits v where v.person_key = l.person_key)
        order by l.person_key limit 1""").fetchall()[0]


def test_each_part_of_a_childs_file_needs_case_access_and_the_childs_area(con):
    key, street = _child(con)
    other = con.execute("select region_code from regions where level = 'county' and region_code not like ? "
                        "order by 1 limit 1", [street[:6] + "%"]).fetchall()[0][0]
    for name in FILE_PARTS:
        part = catalogue.load(name)
        assert len(part(con, q.Scope.of(street, exact=True), key)), name
        with pytest.raises(privacy.CaseAccessRequired):
            q.run(part, con, q.Scope.of(street), key)  # the door: no case access, no part of a file
        assert part(con, q.Scope.of(other, exact=True), key).empty, f"{name}: read outside the child's area"
        assert part(con, q.Scope(exact=True), key).empty, f"{name}: the empty scope sees a file"
    assert ledger.child_file(con, q.Scope.of(street, exact=True), key)["visits"].equals(
        catalogue.load("ledger/file_visits")(con, q.Scope.of(street, exact=True), key))
    with pytest.raises(ledger.CaseAccessDenied):
        ledger.child_file(con, q.Scope.of(other, exact=True), key)


def test_a_snapshot_without_guardian_columns_still_serves_the_list_and_the_file(snapshot_path, tmp_path):
    old = tmp_path / "old.duckdb"
    shutil.copy(snapshot_path, old)
    with duckdb.connect(str(old)) as w:  # as built before the person table carried the guardian's name and phone
        for table, columns in (("list_due", ("masked_guardian_name", "masked_guardian_phone")),
                               ("pii.person", ("guardian_name", "guardian_phone"))):
            for c in columns:
                w.execute(f"alter table {table} drop column {c}")
    con = q.connect(old)
    try:
        scope = q.Scope.everything(exact=True)
        due = ledger.due_list(con, scope, 30)
        assert len(due) and (due["masked_guardian_name"] == "").all() and (due["masked_guardian_phone"] == "").all()
        assert due["masked_name"].str.contains(r"\*").all()
        person = ledger.child_file(con, scope, due["person_key"].iloc[0])["person"].iloc[0]
        assert person["guardian_name"] is None and person["guardian_phone"] is None and person["name"]
    finally:
        con.close()


def test_every_child_list_stops_at_the_one_list_limit():
    lists = [catalogue.load(n) for n in catalogue.names() if catalogue.load(n).child_list]
    limits = {e.name: p.default for e in lists for p in e.params if p.name == "limit"}
    assert {"ledger/due_list", "volunteers/unpaired", "matching/worklist"} <= set(limits)
    assert set(limits.values()) == {ledger.LIST_LIMIT}, limits
    assert volunteers.LIST_LIMIT == ledger.LIST_LIMIT


def test_the_years_activity_cards_are_the_sum_of_its_months(con):
    as_of = con.execute("select max(data_date) from meta").fetchall()[0][0]  # the year: January to this month
    for scope in (q.Scope.everything(exact=True), q.Scope.of("990102", exact=True)):
        k = volunteers.kpis(con, scope).iloc[0]
        months = volunteers.monthly(con, scope)
        months = months[months["period"].between(f"{as_of:%Y}-01", f"{as_of:%Y-%m}")]
        assert k["activities"] == months["held"].sum() > 0
        for c in ("planned", "cancelled", "participants", "person_times"):
            assert k[c] == months[c].sum(), c
        assert k["volunteer_hours"] == pytest.approx(months["volunteer_hours"].sum())
