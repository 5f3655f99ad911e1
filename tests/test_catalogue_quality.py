"""上线检查 and 数据质量 read through the query catalogue (that no SQL is built in setup.py or quality.py is
test_catalogue's): the one catalogue query that reads every extract's raw_<source> table lists exactly the extracts
whose contracts place rows by a division code, each by that column (a new contract with a division column must be
added there)."""
from __future__ import annotations

import re

from etl.contracts import sources as contracts
from warehouse import queries as q
from warehouse.queries import catalogue, quality
from warehouse.queries import setup as qs


def test_the_raw_tables_read_are_the_contracts_division_columns():
    body = re.sub(r"--[^\n]*", "", catalogue.load("quality/rows_under").sql)
    listed = re.findall(r"select '(\w+)' as source, period, (\w+) as code from raw_(\w+)", body)
    assert all(name == table for name, _, table in listed), listed
    want = {(n, c.name) for n, s in contracts().items() for c in s.columns if c.type == "division"}
    assert {(name, column) for name, column, _ in listed} == want
    assert len(re.findall(r"\braw_\w+", body)) == len(listed)  # no raw table outside the list


def test_rows_under_counts_each_prefix_and_the_latest_period_alone(con):
    everything = quality.rows_under(con, ["99", "990102"]).set_index(["prefix", "source"])["rows"]
    assert everything[("99", "civil_register")] >= everything[("990102", "civil_register")] > 0
    latest = quality.rows_under(con, ["99"], latest_only=True).set_index("source")["rows"]
    periods = con.execute("select count(distinct period) from raw_visits").fetchone()[0]
    assert periods > 1 and 0 < latest["visits"] < everything[("99", "visits")]
    assert quality.rows_under(con, []).empty


def test_pages_fed_reads_the_catalogue_entries_a_page_module_binds():
    fed = qs.pages_fed()
    # matching's and 督办's SQL live only in their catalogue entries
    assert fed["residence_permits"] == ("matching", "followup")
    assert "setup" not in {p for pages in fed.values() for p in pages}


def test_retired_rows_is_zero_without_retired_codes_and_for_the_empty_scope(con):
    assert quality.retired_rows(con, q.Scope.everything())["rows"].tolist() == [0]
    assert quality.retired_rows(con, q.Scope())["rows"].tolist() == [0]
