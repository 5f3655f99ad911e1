"""Visit rules live in configuration: overdue counts follow config/visit_rules.csv after a rebuild,
and match a computation from the landed extracts (with the snapshot's data date as "today")."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from etl.landed import current_loads, landed_dir, read_load_log
from settings import CONFIG_DIR_ENV
from warehouse import queries as q
from warehouse.build import build
from warehouse.queries import ledger

CONFIG = Path(__file__).resolve().parents[1] / "config"
HOME = {"入户走访", "送教上门"}


def _accepted(root: Path, source: str) -> pd.DataFrame:
    cur = [e for (s, _), e in current_loads(read_load_log(root)).items() if s == source]
    return pd.concat([pd.read_parquet(landed_dir(root) / e["accepted_path"]) for e in cur])


def expected_overdue(root: Path, rules: pd.DataFrame, today: dt.date, *, due_within: int | None = None) -> int:
    """Children of the latest survey whose contact or home visit is overdue on `today` (or, with
    `due_within`, not overdue but due within that many days)."""
    kc = _accepted(root, "key_children")
    first = kc.groupby("person_key")["survey_date"].min()
    latest = kc[kc["period"] == max(kc["period"])]
    visits = _accepted(root, "visits")
    visits = visits[pd.to_datetime(visits["visit_date"]).dt.date <= today]
    last = visits.groupby("person_key")["visit_date"].max()
    last_home = visits[visits["visit_type"].isin(HOME)].groupby("person_key")["visit_date"].max()
    r = rules[rules["in_use"]].set_index("risk_level")
    n = 0
    for k, level in zip(latest["person_key"], latest["risk_level"]):
        base_c = pd.Timestamp(last.get(k, first[k])).date()
        base_h = pd.Timestamp(last_home.get(k, first[k])).date()
        due_c = base_c + dt.timedelta(days=int(r.at[level, "contact_every_days"]))
        due_h = base_h + dt.timedelta(days=int(r.at[level, "home_visit_every_days"]))
        overdue = today > due_c or today > due_h
        if due_within is None:
            n += overdue
        else:
            n += not overdue and min(due_c, due_h) <= today + dt.timedelta(days=due_within)
    return n


def _overdue(snapshot: Path) -> tuple[int, dt.date]:
    con = q.connect(snapshot)
    try:
        t = ledger.totals(con, q.Scope.everything())
        today = con.execute("select data_date from meta").fetchall()[0][0]
    finally:
        con.close()
    return int(t.at[0, "overdue"]), today


@pytest.fixture(scope="module")
def rebuilt(data_dir, tmp_path_factory):
    """The fixture's landed files rebuilt with the 常州 plan (home visit monthly) switched on instead of 尧都."""
    tmp = tmp_path_factory.mktemp("rules")
    root = tmp / "data"
    shutil.copytree(data_dir / "landed", root / "landed")
    cfg = tmp / "config"
    shutil.copytree(CONFIG, cfg)
    rules = pd.read_csv(cfg / "visit_rules.csv")
    rules["in_use"] = rules["plan"] == "常州"
    rules.to_csv(cfg / "visit_rules.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    mp = pytest.MonkeyPatch()
    mp.setenv(CONFIG_DIR_ENV, str(cfg))
    try:
        path = build(root)
    finally:
        mp.undo()
    return root, path, rules


def test_overdue_counts_match_the_landed_extracts(data_dir, snapshot_path):
    n, today = _overdue(snapshot_path)
    rules = pd.read_csv(CONFIG / "visit_rules.csv")
    assert n == expected_overdue(data_dir, rules, today)
    con = q.connect(snapshot_path)
    try:
        due = ledger.due_list(con, q.Scope.everything(), 30)
        totals = ledger.totals(con, q.Scope.everything())
    finally:
        con.close()
    soon = expected_overdue(data_dir, rules, today, due_within=30)
    assert totals.at[0, "due_30d"] == soon
    assert len(due) == n + soon and due["is_overdue"].sum() == n
    assert due["masked_id"].str.contains(r"\*{10}").all()


def test_changing_a_visit_rule_changes_overdue_counts_after_rebuild(snapshot_path, rebuilt):
    root, path, rules = rebuilt
    before, _ = _overdue(snapshot_path)
    after, today = _overdue(path)
    assert after != before
    assert after > before  # monthly home visits are stricter than quarterly ones
    assert after == expected_overdue(root, rules, today)
    con = q.connect(path)
    try:
        assert set(ledger.visit_rules(con, q.Scope.everything())["plan"]) == {"常州"}
        assert ledger.totals(con, q.Scope()).empty  # default deny: no row at all, not a row of zeros
    finally:
        con.close()
