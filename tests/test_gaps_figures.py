"""Service gaps (服务缺口): every gap figure of one demo county recomputed independently from the landed
extracts (accepted Parquet named by data_dir/landed/load_log.jsonl), and standards that change the
shortfall and the ranking after a rebuild, without code changes."""

from __future__ import annotations

import csv
import math
import shutil
from functools import cached_property
from pathlib import Path

import pandas as pd
import pytest

from etl.contracts import get_source, parse_period
from etl.landed import current_loads, landed_dir, read_load_log
from settings import CONFIG_DIR_ENV
from tests.files import read_sql
from warehouse import queries as q
from warehouse.build import REPO_DIR, build, published

CONFIG = REPO_DIR / "config"
FAMILIES = ["托育", "学前教育", "义务教育", "儿童工作队伍", "阵地建设", "社会力量", "健康与保障", "关爱走访"]


def read_standards(folder: Path = CONFIG) -> dict[str, dict]:
    with (folder / "standards.csv").open(encoding="utf-8-sig") as f:
        return {r["gap_id"]: r for r in csv.DictReader(f)}


def read_weights(folder: Path = CONFIG) -> dict[str, float]:
    with (folder / "gap_weights.csv").open(encoding="utf-8-sig") as f:
        return {r["gap_id"]: float(r["weight"]) for r in csv.DictReader(f) if float(r["weight"]) > 0}


class Landed:
    """The landed accepted rows in force (latest landing per source and period), read with pandas."""

    def __init__(self, root: Path):
        self.root = root
        self.loads = current_loads(read_load_log(root))

    def frame(self, source: str, period: str | None = None) -> pd.DataFrame:
        parts = [pd.read_parquet(landed_dir(self.root) / e["accepted_path"])
                 for (s, p), e in sorted(self.loads.items()) if s == source and (period is None or p == period)]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def periods(self, source: str) -> dict[str, tuple]:
        grain = get_source(source).period
        return {p: parse_period(p, grain) for (s, p) in self.loads if s == source}

    @cached_property
    def latest_register(self) -> tuple[str, pd.Timestamp]:
        period, (_, end) = max(self.periods("civil_register").items(), key=lambda kv: kv[1][1])
        return period, pd.Timestamp(end)

    def chosen(self, source: str) -> tuple[str, pd.Timestamp]:
        """The landing used for the latest register period: latest started by its end, else the latest."""
        end = self.latest_register[1]
        periods = self.periods(source)
        started = {p: b for p, b in periods.items() if pd.Timestamp(b[0]) <= end}
        pick = started or periods
        p = max(pick, key=lambda k: pick[k][1])
        return p, pd.Timestamp(periods[p][1])

    def current(self, source: str) -> pd.DataFrame:
        return self.frame(source, self.chosen(source)[0])

    @cached_property
    def regions(self) -> pd.DataFrame:
        return self.current("regions")


def in_county(codes: pd.Series, county: str) -> pd.Series:
    return codes.fillna("").astype(str).str.startswith(county[:6])


def age_at(birth: pd.Series, at: pd.Timestamp) -> pd.Series:
    b = pd.to_datetime(birth)
    before = (b.dt.month > at.month) | ((b.dt.month == at.month) & (b.dt.day > at.day))
    return at.year - b.dt.year - before.astype(int)


def expected_figures(landed: Landed, county: str) -> dict[str, float]:
    """Every demand and supply measure of `county`, computed from the landed extracts alone."""
    period, end = landed.latest_register
    regions = landed.regions
    communities = set(regions.loc[(regions.level == "community") & in_county(regions.region_code, county),
                                  "region_code"])
    streets = set(regions.loc[(regions.level == "street") & in_county(regions.region_code, county), "region_code"])
    f: dict[str, float] = {"communities": len(communities), "streets": len(streets)}

    pop = landed.current("population")
    pop = pop[in_county(pop.street_code, county)]
    f["residents"] = pop.residents.sum()
    f["residents_3_6"] = pop.residents_3_6.sum()
    f["residents_6_16"] = pop.residents_6_12.fillna(0).sum() + pop.residents_12_16.fillna(0).sum()

    reg = landed.frame("civil_register", period)
    reg = reg[in_county(reg.community_code, county)].assign(age=lambda d: age_at(d.birth_date, end))
    reg = reg[reg.age.between(0, 15)]
    f["register_children"] = len(reg)
    young = reg[reg.age < 6]
    f["children_0_6"] = len(young)

    cc = landed.current("childcare")
    cc = cc[in_county(cc.street_code, county)]
    f["childcare_places"] = cc.places.sum()
    f["inclusive_childcare_places"] = cc.inclusive_places.fillna(0).sum()

    sp = landed.current("school_places")
    sp = sp[in_county(sp.street_code, county)]
    kg = sp[sp.stage == "幼儿园"]
    f["kindergarten_places"] = kg.places.sum()
    f["inclusive_kindergarten_places"] = kg[kg.school_type.isin(["公办", "普惠性民办"])].places.sum()
    comp = sp[sp.stage.isin(["小学", "初中", "九年一贯制"])]
    f["compulsory_places"] = comp.places.sum()
    f["public_compulsory_places"] = comp[comp.school_type == "公办"].places.sum()

    st = landed.current("students")
    st = st[in_county(st.street_code, county) & st.is_migrant.fillna(False).astype(bool)
            & st.stage.isin(["小学", "初中"])]
    f["migrant_pupils"] = len(st)
    f["migrant_pupils_public"] = int((st.school_type == "公办").sum())

    staff = landed.current("directors")
    staff = staff[in_county(staff.region_code, county)]
    directors = staff[staff.role == "儿童主任"]
    f["directors"] = len(directors)
    f["communities_with_director"] = len(set(directors.region_code) & communities)
    full = staff[(staff.role == "儿童督导员") & staff.is_full_time.fillna(False).astype(bool)]
    f["streets_with_fulltime_supervisor"] = len({c[:9] + "000" for c in full.region_code} & streets)

    homes = landed.current("children_homes")
    homes = homes[in_county(homes.region_code, county) & homes.is_active.astype("boolean").fillna(True)]
    kids_homes = homes[homes.facility_type.isin(["儿童之家", "关爱之家"])]
    f["communities_with_home"] = len(set(kids_homes.region_code) & communities)
    stations = homes[homes.facility_type == "未成年人保护工作站"]
    f["streets_with_station"] = len({c[:9] + "000" for c in stations.region_code} & streets)

    teams = landed.current("volunteer_teams")
    vol = landed.current("volunteers").merge(teams[["team_id", "street_code"]], on="team_id")
    f["volunteers"] = int(in_county(vol.street_code, county).sum())
    f["social_organisations"] = int((in_county(teams.street_code, county) & (teams.team_type == "社会组织")).sum())
    _, act_end = landed.chosen("activities")
    act = landed.frame("activities")
    act = act[in_county(act.region_code, county) & (act.status == "已开展")]
    days = pd.to_datetime(act.activity_date)
    f["volunteer_hours"] = act[(days > act_end - pd.DateOffset(months=12)) & (days <= act_end)].volunteer_hours.fillna(0).sum()

    records = set(landed.current("health_records").person_key)
    f["children_0_6_with_record"] = int(young.person_key.isin(records).sum())
    # Vaccination: children with a scheduled dose due (with its grace) inside the landed months, and of
    # those the children with a record of every such dose; not "any record in a few monthly extracts".
    _, vac_end = landed.chosen("vaccinations")
    months = [b for b in landed.periods("vaccinations").values() if pd.Timestamp(b[1]) <= vac_end]
    vac_start = min(pd.Timestamp(b[0]) for b in months)
    vac = landed.frame("vaccinations")
    vac = vac[pd.to_datetime(vac.vaccination_date) <= vac_end]
    given = set(zip(vac.person_key, vac.vaccine, vac.dose.astype(int)))
    with (CONFIG / "vaccine_schedule.csv").open(encoding="utf-8-sig") as fh:
        schedule = [(r["vaccine"], int(r["dose"]), int(r["due_age_days"]), int(r["grace_days"]))
                    for r in csv.DictReader(fh)]
    due = on_time = 0
    for key, birth in zip(reg.person_key, pd.to_datetime(reg.birth_date)):
        doses = [(v, d) for v, d, days, grace in schedule
                 if birth + pd.Timedelta(days=days) >= vac_start and birth + pd.Timedelta(days=days + grace) <= vac_end]
        if doses:
            due += 1
            on_time += all((key, v, d) in given for v, d in doses)
    f["children_dose_due"], f["children_doses_on_time"] = due, on_time
    ins = landed.current("medical_insurance")
    f["children_insured"] = int(reg.person_key.isin(set(ins[ins.status == "正常参保"].person_key)).sum())

    key = landed.frame("key_children", period)
    key = key[in_county(key.community_code, county)]
    f["key_children"] = len(key)
    _, visit_end = landed.chosen("visits")
    visits = landed.frame("visits")
    vd = pd.to_datetime(visits.visit_date)
    recent = visits[visits.visit_type.isin(["入户走访", "送教上门"]) & (vd > visit_end - pd.DateOffset(months=3))
                    & (vd <= visit_end)]
    f["key_children_visited"] = int(key.person_key.isin(set(recent.person_key)).sum())
    return f


def expected_gap(figures: dict[str, float], standard: dict) -> dict:
    supply, demand = float(figures[standard["numerator"]]), float(figures[standard["denominator"]])
    per = float(standard["per"])
    out = {"supply": supply, "demand": demand, "ratio": supply / demand * per if demand else None}
    if standard["standard_value"].strip():
        required = float(standard["standard_value"]) * demand / per
        out["shortfall"] = max(0, math.ceil(round(required - supply, 6)))
        out["gap_share"] = min(1.0, max(0.0, required - supply) / required) if required > 0 else 0.0
    else:
        out["shortfall"] = None
        out["gap_share"] = None
    return out


@pytest.fixture(scope="module")
def landed(data_dir) -> Landed:
    return Landed(data_dir)


@pytest.fixture(scope="module")
def county(landed) -> str:
    """The demo's first outlying county (县域), where the seeds say the gaps are."""
    counties = landed.regions[landed.regions.level == "county"].sort_values("region_code")
    outlying = counties[counties.area_type == "县域"]
    return str((outlying if len(outlying) else counties).region_code.iloc[0])


@pytest.fixture(scope="module")
def figures(landed, county) -> dict[str, float]:
    return expected_figures(landed, county)


def mart_rows(snapshot: Path, period: str, level: str = "county") -> pd.DataFrame:
    con = q.connect(snapshot)
    try:
        return read_sql(con, "select * from gap_by_area where period = ? and level = ?", [period, level])
    finally:
        con.close()


@pytest.fixture(scope="module")
def county_rows(snapshot_path, landed, county) -> pd.DataFrame:
    rows = mart_rows(snapshot_path, landed.latest_register[0])
    return rows[rows.area_code == county].set_index("gap_id")


@pytest.mark.parametrize("family", FAMILIES)
def test_gap_family_matches_landed_extracts(family, county_rows, figures):
    standards = {k: v for k, v in read_standards().items() if v["family"] == family}
    assert standards, f"no standard of family {family} in config/standards.csv"
    for gap_id, standard in standards.items():
        want = expected_gap(figures, standard)
        got = county_rows.loc[gap_id]
        assert got.supply == want["supply"], (gap_id, "supply")
        assert got.demand == want["demand"], (gap_id, "demand")
        if want["ratio"] is None:
            assert pd.isna(got.ratio)
        else:
            assert got.ratio == pytest.approx(want["ratio"]), (gap_id, "ratio")
        if want["shortfall"] is None:
            assert pd.isna(got.shortfall) and not got.has_standard, gap_id
        else:
            assert int(got.shortfall) == want["shortfall"], (gap_id, "shortfall")
            assert got.gap_share == pytest.approx(want["gap_share"]), (gap_id, "gap_share")


def test_composite_index_matches_weights_and_landed_extracts(snapshot_path, landed, county, figures):
    weights = read_weights()
    shares = {g: expected_gap(figures, s)["gap_share"] for g, s in read_standards().items()}
    counted = {g: w for g, w in weights.items() if shares.get(g) is not None}
    want = 100 * sum(w * shares[g] for g, w in counted.items()) / sum(counted.values())
    con = q.connect(snapshot_path)
    try:
        got = read_sql(con, "select gap_index, gaps_counted from gap_index where period = ? and area_code = ?",
                    [landed.latest_register[0], county])
    finally:
        con.close()
    assert got.gap_index.iloc[0] == pytest.approx(want)
    assert got.gaps_counted.iloc[0] == len(counted)


def test_street_figures_add_up_to_the_county(snapshot_path, landed, county):
    """Supply and demand of the county's streets sum to the county's (county-level facilities aside)."""
    period = landed.latest_register[0]
    streets = mart_rows(snapshot_path, period, "street")
    streets = streets[streets.county_code == county].groupby("gap_id")[["supply", "demand"]].sum()
    counties = mart_rows(snapshot_path, period).set_index("area_code").loc[county].set_index("gap_id")
    pd.testing.assert_frame_equal(streets.sort_index(), counties[["supply", "demand"]].sort_index(),
                                  check_names=False)


def rebuild_with(data_dir: Path, tmp_path: Path, monkeypatch, edit) -> Path:
    """Copy the fixture's data folder and config/, edit the standards, rebuild; returns the new snapshot."""
    root = tmp_path / "data"
    shutil.copytree(data_dir / "landed", root / "landed")
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    rows = list(read_standards(config).values())
    edit(rows)
    with (config / "standards.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setenv(CONFIG_DIR_ENV, str(config))
    build(root)
    return published(root)


def test_changing_a_standard_changes_the_shortfall(data_dir, tmp_path, monkeypatch, landed, county, figures,
                                                     county_rows):
    def raise_childcare(rows):
        for r in rows:
            if r["gap_id"] == "childcare_places":
                r["standard_value"] = str(float(r["standard_value"]) * 10)

    snapshot = rebuild_with(data_dir, tmp_path, monkeypatch, raise_childcare)
    rows = mart_rows(snapshot, landed.latest_register[0]).set_index(["area_code", "gap_id"])
    standard = dict(read_standards()["childcare_places"])
    standard["standard_value"] = str(float(standard["standard_value"]) * 10)
    want = expected_gap(figures, standard)["shortfall"]
    assert int(rows.loc[(county, "childcare_places"), "shortfall"]) == want
    assert want != int(county_rows.loc["childcare_places", "shortfall"])


def test_changing_standards_changes_the_ranking(data_dir, tmp_path, monkeypatch, snapshot_path, landed):
    period = landed.latest_register[0]
    before = mart_rows(snapshot_path, period)
    con = q.connect(snapshot_path)
    try:
        index = read_sql(con, "select area_code, rank from gap_index where period = ? and level = 'county'", [period])
    finally:
        con.close()
    first = index.sort_values(["rank", "area_code"]).area_code.iloc[0]
    weighted = set(read_weights())
    # A weighted gap whose worst county is not the index's worst: keeping only its standard must flip the order.
    leaders = before[before.has_standard & before.gap_id.isin(weighted) & (before["rank"] == 1)]
    flips = leaders[(leaders.area_code != first) & (leaders.gap_share > 0)]
    if flips.empty:
        pytest.skip("every gap ranks the same county first in this demo")
    keep, new_first = flips.gap_id.iloc[0], flips.area_code.iloc[0]

    def only_keep(rows):
        for r in rows:
            if r["gap_id"] != keep:
                r["standard_value"] = ""

    snapshot = rebuild_with(data_dir, tmp_path, monkeypatch, only_keep)
    con = q.connect(snapshot)
    try:
        after = read_sql(con, "select area_code, rank, gaps_counted from gap_index where period = ? and level = 'county'",
                      [period])
        gaps = read_sql(con, "select gap_id, shortfall from gap_by_area where period = ? and level = 'county' "
                          "and area_code = ?", [period, first])
    finally:
        con.close()
    assert after.sort_values(["rank", "area_code"]).area_code.iloc[0] == new_first != first
    assert set(after.gaps_counted) == {1}
    assert gaps.set_index("gap_id").shortfall.drop(keep).isna().all()
