"""Landing never loses data: a partial file replaces only its counties, streets or keys; a removal above
the configured share needs a second confirmation; a withdrawal brings the earlier landing back; the
preview's diff is what the next build publishes; a scoped uploader never touches another county.

Each test works on a copy of the shared fixture warehouse and lands real GB18030 CSV files it writes.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from auth import audit
from etl.contracts import get_source
from etl.errors import ExtractError
from etl.land import diff, land, landings, preview, withdraw
from etl.landed import in_force, landed_dir, read_load_log
from warehouse.build import build, published

ROOT = Path(__file__).resolve().parents[1]
COLS = ["activity_id", "team_id", "activity_type", "activity_date", "region_code", "status", "participants",
        "person_times", "volunteer_hours"]


@pytest.fixture
def work(copy) -> Path:
    return copy  # tests/conftest.py: a copy of the shared fixture warehouse


def latest_month(root: Path) -> str:
    return max(p for (s, p) in in_force(read_load_log(root)) if s == "activities")


def published_rows(root: Path, month: str) -> pd.DataFrame:
    """The month's activities as the pages read them (the staging model of the published snapshot)."""
    con = duckdb.connect(str(published(root)), read_only=True)
    try:
        return con.execute("select activity_id, team_id, activity_type, activity_date, region_code, status, "
                           "participants, person_times, volunteer_hours, county_code from stg_activities "
                           "where period = ? order by activity_id", [month]).fetchdf()
    finally:
        con.close()


def write_csv(path: Path, rows: pd.DataFrame) -> Path:
    """An activities sheet with the contract's Chinese headers, in GB18030 as offices save it."""
    labels = {c.name: c.label for c in get_source("activities").columns}
    with path.open("w", encoding="gb18030", newline="") as f:
        w = csv.writer(f)
        w.writerow([labels[c] for c in COLS])
        for r in rows.itertuples():
            w.writerow([r.activity_id, r.team_id, r.activity_type, pd.Timestamp(r.activity_date).strftime("%Y-%m-%d"),
                        r.region_code, r.status, "" if pd.isna(r.participants) else int(r.participants),
                        "" if pd.isna(r.person_times) else int(r.person_times),
                        "" if pd.isna(r.volunteer_hours) else r.volunteer_hours])
    return path


def new_rows(template: pd.DataFrame, n: int, prefix: str = "NEW") -> pd.DataFrame:
    rows = template.head(n).copy()
    rows["activity_id"] = [f"{prefix}{i}" for i in range(n)]
    rows["person_times"] = [7 + i for i in range(n)]
    rows["status"] = "已开展"
    return rows


def unchanged(before: pd.DataFrame, after: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))


def test_three_rows_for_one_county_replace_that_county_only(work, tmp_path):
    month = latest_month(work)
    before = published_rows(work, month)
    county = before["county_code"].value_counts().index[0]
    mine = before[before.county_code == county]
    sheet = write_csv(tmp_path / f"活动_{month}.csv", new_rows(mine, 3))

    p = preview("activities", sheet, month, root=work)
    assert p.default_mode == "county" and p.rows_accepted == 3
    d = diff(p, "county")
    assert (d.rows_before, d.added, d.removed, d.changed) == (len(before), 3, len(mine), 0)
    assert d.kept == len(before) - len(mine)
    assert d.figure == "服务人次" and d.figure_before == before.person_times.sum()
    assert d.figure_after == before.person_times.sum() - mine.person_times.sum() + (7 + 8 + 9)
    assert d.level == "street" and d.table.area_code.str.startswith(county[:6]).all()
    assert d.table.removed.sum() == len(mine) and d.removed_text
    whole = diff(p, "period")
    assert whole.removed == len(before) and whole.needs_confirmation
    assert whole.figure_after == 7 + 8 + 9

    if d.needs_confirmation:  # the county holds more than the configured share of the month
        with pytest.raises(ExtractError, match="REMOVAL_NOT_CONFIRMED"):
            land("activities", sheet, month, root=work, mode="county")
    out = land("activities", sheet, month, root=work, mode="county", allow_removal=True, user="县妇联")
    assert out.entry.mode == "county" and out.entry.areas == [county[:6]]
    build(work)
    after = published_rows(work, month)
    unchanged(before[before.county_code != county], after[after.county_code != county])
    assert sorted(after[after.county_code == county].activity_id) == ["NEW0", "NEW1", "NEW2"]
    assert after.person_times.sum() == d.figure_after  # what the preview promised is what was published


def test_a_whole_period_replacement_needs_the_second_confirmation(work, tmp_path):
    month = latest_month(work)
    before = published_rows(work, month)
    sheet = write_csv(tmp_path / "三行.csv", new_rows(before, 3))
    snap = published(work)
    with pytest.raises(ExtractError) as e:
        land("activities", sheet, month, root=work, mode="period")
    assert e.value.code == "REMOVAL_NOT_CONFIRMED" and "--allow-removal" in str(e.value)
    assert [x for x in read_load_log(work) if x["file_name"] == "三行.csv"] == []  # nothing landed
    assert published(work) == snap
    log = audit.events(work)
    assert ((log.action == "land") & (~log.ok) & log.detail.str.contains("REMOVAL_NOT_CONFIRMED")).any()


def test_merge_by_key_corrects_two_rows_and_nothing_else(work, tmp_path):
    month = latest_month(work)
    before = published_rows(work, month)
    fix = before.iloc[[0, 5]].copy()
    fix["person_times"] = [999, 998]
    sheet = write_csv(tmp_path / "更正.csv", fix)
    p = preview("activities", sheet, month, root=work)
    d = diff(p, "key")
    assert (d.changed, d.added, d.removed, d.kept) == (2, 0, 0, len(before) - 2)
    assert not d.needs_confirmation
    land("activities", sheet, month, root=work, mode="key")
    build(work)
    after = published_rows(work, month)
    others = ~before.activity_id.isin(fix.activity_id)
    unchanged(before[others], after[~after.activity_id.isin(fix.activity_id)])
    assert after.set_index("activity_id").loc[list(fix.activity_id), "person_times"].tolist() == [999, 998]


def test_withdraw_brings_the_previous_figures_back(work, tmp_path):
    month = latest_month(work)
    before = published_rows(work, month)
    county = before["county_code"].iloc[0]
    sheet = write_csv(tmp_path / "县表.csv", new_rows(before[before.county_code == county], 2))
    out = land("activities", sheet, month, root=work, mode="county", allow_removal=True)
    build(work)
    assert len(published_rows(work, month)) != len(before)

    with pytest.raises(ExtractError, match="NO_REASON"):
        withdraw(out.entry.load_id, "activities", month, "  ", root=work)
    withdraw(out.entry.load_id, "activities", month, "误传了县表", user="admin", root=work)
    build(work)
    unchanged(before, published_rows(work, month))
    mine = [e for e in landings(work, "activities") if e["load_id"] == out.entry.load_id]
    assert len(mine) == 1 and mine[0]["withdrawn"]["reason"] == "误传了县表" and not mine[0]["in_force"]
    assert (landed_dir(work) / mine[0]["accepted_path"]).is_file()  # history stays
    with pytest.raises(ExtractError, match="NO_LANDING"):
        withdraw(out.entry.load_id, "activities", month, "再撤一次", root=work)
    again = land("activities", sheet, month, root=work, mode="county", allow_removal=True)
    assert again.already is None and again.entry is not None  # a withdrawn file can land again
    log = audit.events(work)
    assert ((log.action == "withdraw") & log.ok & log.detail.str.contains("误传了县表")).any()


def test_a_county_officer_never_touches_another_county(work, tmp_path):
    month = latest_month(work)
    before = published_rows(work, month)
    counties = before["county_code"].value_counts().index
    mine, other = counties[0], counties[1]
    rows = pd.concat([new_rows(before[before.county_code == mine], 2, "MINE"),
                      new_rows(before[before.county_code == other], 1, "OTHER")])
    sheet = write_csv(tmp_path / "本县.csv", rows)
    scope = (mine[:6],)
    p = preview("activities", sheet, month, root=work, scope=scope)
    assert p.rows_accepted == 2 and p.reasons == {"OUT_OF_SCOPE": 1}
    for mode in p.modes:  # whatever the officer picks, nothing outside the county goes
        d = diff(p, mode)
        assert d.table.area_code.str.startswith(mine[:6]).all(), mode
        assert d.rows_before == (before.county_code == mine).sum()  # and they see only their county's figures
    out = land("activities", sheet, month, root=work, mode="period", scope=scope, allow_removal=True, user="county")
    assert out.entry.rows_rejected == 1 and out.entry.scope == [mine[:6]]
    build(work)
    after = published_rows(work, month)
    unchanged(before[before.county_code != mine], after[after.county_code != mine])
    assert sorted(after[after.county_code == mine].activity_id) == ["MINE0", "MINE1"]


def test_a_file_landed_under_a_wrong_period_lands_again_under_the_right_one(work, tmp_path):
    month = latest_month(work)
    before = published_rows(work, month)
    fix = before.iloc[[1]].copy()
    fix["person_times"] = 555
    sheet = write_csv(tmp_path / "更正.csv", fix)
    wrong = land("activities", sheet, "2019-01", root=work, mode="key")
    right = land("activities", sheet, month, root=work, mode="key")
    assert wrong.entry is not None and right.entry is not None and right.already is None
    assert land("activities", sheet, month, root=work, mode="key").already is not None
    withdraw(wrong.entry.load_id, "activities", "2019-01", "统计期填错", root=work)
    build(work)
    assert published_rows(work, "2019-01").empty
    assert published_rows(work, month).set_index("activity_id").loc[fix.activity_id.iloc[0], "person_times"] == 555


def test_a_source_without_a_region_column_merges_by_default(work, tmp_path):
    chain = in_force(read_load_log(work))
    period = max(p for (s, p) in chain if s == "volunteers")
    t = pq.read_table(landed_dir(work) / chain[("volunteers", period)][-1]["accepted_path"]).to_pandas()
    labels = {c.name: c.label for c in get_source("volunteers").columns}
    path = tmp_path / "志愿者.csv"
    with path.open("w", encoding="gb18030", newline="") as f:
        w = csv.writer(f)
        w.writerow([labels["volunteer_id"], labels["volunteer_name"], labels["team_id"], labels["volunteer_type"]])
        w.writerow(["VNEW1", "测试新人", t.team_id.iloc[0], t.volunteer_type.iloc[0]])
    p = preview("volunteers", path, period, root=work)
    assert p.default_mode == "key" and "county" not in p.modes
    d = diff(p)
    assert (d.added, d.removed, d.kept) == (1, 0, len(t))


def test_a_crash_before_the_log_line_leaves_no_names_behind(work, tmp_path):
    month = latest_month(work)
    orphan = landed_dir(work) / "activities" / month / ("0" * 64 + ".person.parquet")
    orphan.write_bytes(b"names and ID numbers a killed landing wrote")
    sheet = write_csv(tmp_path / "更正.csv", published_rows(work, month).iloc[[2]])
    land("activities", sheet, month, root=work, mode="key")
    assert not orphan.exists()
    assert all((landed_dir(work) / e["accepted_path"]).is_file() for e in read_load_log(work))


def test_cli_lands_withdraws_and_lists(work, tmp_path):
    month = latest_month(work)
    sheet = write_csv(tmp_path / "命令行.csv", new_rows(published_rows(work, month), 1, "CLI"))
    env = {**os.environ, "TONGXIN_DATA_DIR": str(work), "PYTHONPATH": str(ROOT)}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "etl", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, check=False)

    r = cli("land", "activities", str(sheet), "--period", month, "--mode", "key")
    assert r.returncode == 0, r.stderr
    load_id = next(e["load_id"] for e in landings(work) if e["file_name"] == "命令行.csv")
    assert f"withdraw activities {month} {load_id}" in r.stdout
    r = cli("withdraw", "activities", month, load_id)
    assert r.returncode == 2 and "--reason" in r.stderr  # a reason is required
    r = cli("withdraw", "activities", month, load_id, "--reason", "测试撤回")
    assert r.returncode == 0 and "已撤回" in r.stdout, r.stderr
    r = cli("landings", "--source", "activities", "--limit", "3")
    assert "已撤回 withdrawn: 测试撤回" in r.stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file: permissions cannot be tested as root")
def test_an_unreadable_file_or_data_folder_is_one_clear_line(work, tmp_path):
    month = latest_month(work)
    sheet = write_csv(tmp_path / "锁住.csv", published_rows(work, month).iloc[[0]])
    sheet.chmod(0)
    with pytest.raises(ExtractError, match="NO_PERMISSION"):
        land("activities", sheet, month, root=work, mode="key")
    sheet.chmod(0o600)
    landed_dir(work).chmod(0)
    try:
        with pytest.raises(ExtractError, match="NO_PERMISSION"):
            land("activities", sheet, month, root=work, mode="key")
    finally:
        landed_dir(work).chmod(0o700)


def test_a_resubmissions_diff_stays_within_the_memory_cap_and_spills_privately(tmp_path, monkeypatch):
    """The diff holds both versions of the period in DuckDB: it keeps to `duckdb_memory_limit` and spills to a
    private work folder beyond it, which is gone afterwards, and gives the same answer as an uncapped diff."""
    import shutil
    import stat
    import threading

    from tests.files import write_big_register_csv, write_regions

    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    root = tmp_path / "data"
    land("regions", write_regions(tmp_path / "区划.csv"), "2025", root=root)
    first = write_big_register_csv(tmp_path / "台账.csv", 120_000)
    land("civil_register", first, "2026H1", root=root)
    again = tmp_path / "台账_更正.csv"
    lines = first.read_text(encoding="utf-8").splitlines(keepends=True)
    again.write_text("".join(lines[:-20_000]), encoding="utf-8")  # 20,000 children fewer

    def answer():
        d = diff(preview("civil_register", again, "2026H1", root=root), root=root)
        return d.rows_before, d.kept, d.removed, d.rows_after

    uncapped = answer()
    config = tmp_path / "config"
    shutil.copytree(Path(__file__).resolve().parents[1] / "config", config)
    (config / "settings.yaml").write_text((config / "settings.yaml").read_text(encoding="utf-8").replace(
        'duckdb_memory_limit: "1GB"', 'duckdb_memory_limit: "48MB"'), encoding="utf-8")
    monkeypatch.setenv("TONGXIN_CONFIG_DIR", str(config))
    seen: dict[str, int] = {}
    done = threading.Event()

    def watch():
        while not done.is_set():
            for p in (root / "landed" / ".work").rglob("*"):
                try:
                    seen[str(p.relative_to(root))] = stat.S_IMODE(p.lstat().st_mode)
                except (FileNotFoundError, ValueError):
                    pass
            done.wait(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        capped = answer()
    finally:
        done.set()
        watcher.join()
    assert capped == uncapped and uncapped[2] == 20_000
    spilled = [p for p in seen if "/spill/" in p]
    assert spilled, sorted(seen)  # past the cap, DuckDB wrote to the diff's own work folder
    assert all(m == 0o700 for p, m in seen.items() if p.count("/") == 2)  # landed/.work/<pid>-<random>
    assert not list((root / "landed" / ".work").glob("*/spill"))  # and removed it
