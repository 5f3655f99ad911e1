"""Data quality per department extract agrees with the load log and the landed files."""

from __future__ import annotations

import pandas as pd
import pytest

from etl.contracts import sources
from etl.landed import current_loads, landed_dir, read_load_log
from warehouse import queries as q
from warehouse.queries import quality

EVERYTHING = q.Scope.everything()


@pytest.fixture(scope="module")
def dq(snapshot_path):
    con = q.connect(snapshot_path)
    try:
        yield quality.sources(con, EVERYTHING).set_index("source"), quality.trend(con, EVERYTHING), \
            quality.departments(con, EVERYTHING), quality.sources(con, q.Scope())
    finally:
        con.close()


def test_rows_and_rejection_rates_match_the_load_log(data_dir, dq):
    src, _, _, _ = dq
    cur = current_loads(read_load_log(data_dir))
    for name in {s for s, _ in cur}:
        mine = [e for (s, _), e in cur.items() if s == name]
        read = sum(e["rows_read"] for e in mine)
        rejected = sum(e["rows_rejected"] for e in mine)
        # the rejected files on disk hold exactly the rejected rows, with reasons
        on_disk = sum(len(pd.read_parquet(landed_dir(data_dir) / e["rejected_path"]))
                      for e in mine if e.get("rejected_path"))
        assert on_disk == rejected
        assert src.at[name, "rows_read"] == read and src.at[name, "rows_rejected"] == rejected
        assert src.at[name, "rejection_rate"] == pytest.approx(rejected / read)
        assert src.at[name, "periods_landed"] == len(mine)
        assert src.at[name, "department"] == sources()[name].department


def test_cadence_follows_the_contracts_and_demo_is_on_time(dq):
    src, trend, deps, empty = dq
    for name, row in src.iterrows():
        assert row["cadence"] == sources()[name].period
    assert not src["is_late"].any()  # the demo lands every expected period
    assert all(row["completeness"] == 1 for name, row in src.iterrows() if not sources()[name].on_demand)
    assert set(trend["source"]) == {n for n in src.index if not sources()[n].on_demand}
    assert deps["extracts"].sum() == len(src)
    assert empty.empty


def test_reasons_equal_the_rejected_files_on_disk(snapshot_path, data_dir):
    """The most common reasons per extract equal counts read back from the landed *.rejected.parquet files."""
    import collections

    import pyarrow.parquet as pq

    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for e in current_loads(read_load_log(data_dir)).values():
        codes = pq.read_table(landed_dir(data_dir) / e["rejected_path"]).column("原因代码 reason_code").to_pylist()
        counts[e["source"]].update(codes)
    con = q.connect(snapshot_path)
    got = quality.reasons(con, EVERYTHING, top=99)
    assert not got.empty and quality.reasons(con, q.Scope()).empty
    for row in got.itertuples():
        assert counts[row.source][row.reason_code] == row.rows_rejected
    assert {(s, c) for s, cs in counts.items() for c in cs} == set(zip(got["source"], got["reason_code"]))
    assert got["reason"].str.contains("[\u4e00-\u9fff]").all()


def test_an_extract_never_sent_is_listed_as_late(root, tmp_path):
    """A department that has sent nothing is the latest of all: it must be on the page, not missing from it."""
    from etl.land import land
    from tests.files import write_register_csv
    from warehouse.build import build

    land("civil_register", write_register_csv(tmp_path / "a.csv"), "2026H1", root=root)
    con = q.connect(build(root))
    got = quality.sources(con, EVERYTHING).set_index("source")
    assert set(got.index) == set(sources())  # every contract, landed or not
    never = got.loc["visits"]
    assert bool(never["is_late"]) and never["periods_landed"] == 0 and never["latest_period"] == "从未报送"
    assert got.loc["civil_register", "periods_landed"] == 1
