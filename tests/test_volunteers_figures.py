"""志愿服务 figures for one county equal figures computed independently from the landed extracts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from etl.land import current_loads, landed_dir, read_load_log
from tests.files import signed_in
from ui import format as fmt
from warehouse import queries as q
from warehouse.queries import volunteers as v

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def landed(root: Path, source: str) -> pd.DataFrame:
    """Accepted rows of the landings in force for `source`, all periods."""
    cur = current_loads(read_load_log(root))
    frames = [pq.read_table(landed_dir(root) / e["accepted_path"]).to_pandas()
              for (s, _), e in sorted(cur.items()) if s == source]
    return pd.concat(frames, ignore_index=True)


def county_of(code) -> str:
    return str(code)[:6] + "000000"


@pytest.fixture(scope="module")
def expected(data_dir, con):
    as_of = pd.Timestamp(q.snapshot_info(con).data_date)
    acts = landed(data_dir, "activities")
    teams = landed(data_dir, "volunteer_teams")
    vols = landed(data_dir, "volunteers")
    pairs = landed(data_dir, "pairings")
    kids = landed(data_dir, "key_children")
    county = max({county_of(c) for c in teams["street_code"]})

    a = acts[(acts["region_code"].map(county_of) == county) & (acts["status"] == "已开展")]
    dates = pd.to_datetime(a["activity_date"])
    this_year = a[dates.dt.year == as_of.year]
    person_times = int(this_year["person_times"].fillna(0).sum())
    held = len(this_year)

    held_all = acts[acts["status"] == "已开展"]
    recent = held_all[(pd.to_datetime(held_all["activity_date"]) > as_of - timedelta(days=90))
                      & (pd.to_datetime(held_all["activity_date"]) <= as_of)]
    latest_teams = teams[teams["period"] == teams["period"].max()]
    county_teams = set(latest_teams.loc[latest_teams["street_code"].map(county_of) == county, "team_id"])
    roster = vols[vols["period"] == vols["period"].max()]
    roster = roster[roster["team_id"].isin(county_teams)]
    active = int(roster["team_id"].isin(set(recent["team_id"])).sum())

    latest_kids = kids[kids["period"] == kids["period"].max()]
    latest_kids = latest_kids[latest_kids["community_code"].map(county_of) == county]
    p = pairs[pairs["period"] == pairs["period"].max()]
    start, end = pd.to_datetime(p["start_date"]), pd.to_datetime(p["end_date"])
    live = p[(p["status"] == "结对中") & (start <= as_of) & (end.isna() | (end >= as_of))]
    paired = int(latest_kids["person_key"].isin(set(live["person_key"])).sum())
    return {"county": county, "person_times": person_times, "activities": held, "volunteers": len(roster),
            "active_volunteers": active, "key_children": len(latest_kids), "paired": paired,
            "coverage": paired / len(latest_kids)}


def test_county_figures_equal_landed_extracts(con, expected):
    k = v.kpis(con, q.Scope.of(expected["county"])).iloc[0]
    assert k["person_times"] == expected["person_times"] > 0
    assert k["activities"] == expected["activities"] > 0
    assert k["volunteers"] == expected["volunteers"] > 0
    assert k["active_volunteers"] == expected["active_volunteers"] > 0
    assert k["key_children"] == expected["key_children"] > 0
    assert k["paired"] == expected["paired"]
    assert k["pairing_coverage"] == pytest.approx(expected["coverage"])


def test_scope_is_default_deny_and_unpaired_is_masked(con, expected):
    for fn in (v.monthly, v.by_team_type, v.by_street, v.needs_offer, v.unpaired, v.dormant_teams, v.goals):
        assert fn(con, q.Scope()).empty
    names = {r[0] for r in con.execute("select name from pii.person where name is not null").fetchall()}
    ids = {r[0] for r in con.execute("select id_number from pii.person").fetchall()}
    un = v.unpaired(con, q.Scope.of(expected["county"]))
    assert len(un) == expected["key_children"] - expected["paired"]
    assert not (set(un["masked_name"]) & names) and not (set(un["masked_id"]) & ids)
    assert un["masked_id"].str.contains(r"\*").all()


def test_needs_offer_shows_the_mismatch(con):
    df = v.needs_offer(con, q.Scope.everything()).set_index("service_type")
    assert df["need_share"].sum() == pytest.approx(1) and df["offer_share"].sum() == pytest.approx(1)
    assert df.loc["作业辅导", "gap"] > 0  # homework help wanted more than offered
    assert df.loc["书法兴趣班", "needs"] == 0 and df.loc["书法兴趣班", "activities"] > 0


def test_page_in_apptest(data_dir, monkeypatch, expected, con):
    monkeypatch.setenv(q.DATA_DIR_ENV, str(data_dir))
    at = signed_in(AppTest.from_file(APP, default_timeout=60)).run()
    at.switch_page("views/volunteers.py").run()
    assert not at.exception
    k = v.kpis(con, q.Scope.everything()).iloc[0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["服务人次（本年）"] == f"{k['person_times']:,}"
    assert metrics["重点儿童结对覆盖率"] == fmt.percent(k["pairing_coverage"])
    text = " ".join(str(c.value) for c in at.caption)
    assert "数据截止日" in text
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("未结对重点儿童" in lbl for lbl in labels)
