"""Each cross-department worklist equals the set computed here from the landed accepted extracts
(read per the load log, not from the marts), and the worklist pages' rows are masked."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from etl.contracts import parse_period, sources
from etl.landed import current_loads, landed_dir, read_load_log
from ui import ledger as ui_ledger
from warehouse import queries as q
from warehouse.queries import matching as m
from warehouse.queries.ledger import mask_id, mask_name

EVERYTHING = q.Scope.everything()
SCHEDULE = Path(__file__).resolve().parents[1] / "config" / "vaccine_schedule.csv"


def _landed(root: Path, source: str, latest_only: bool = True) -> tuple[pd.DataFrame, dt.date, dt.date]:
    """Accepted rows of a source's current landings (latest period only by default), with its bounds."""
    cur = {p: e for (s, p), e in current_loads(read_load_log(root)).items() if s == source}
    cadence = sources()[source].period
    bounds = {p: parse_period(p, cadence) for p in cur}
    periods = [max(cur, key=lambda p: bounds[p][1])] if latest_only else list(cur)
    df = pd.concat([pd.read_parquet(landed_dir(root) / cur[p]["accepted_path"]) for p in periods])
    return df, min(bounds[p][0] for p in periods), max(bounds[p][1] for p in periods)


def _age(birth, at: dt.date) -> int:
    b = pd.Timestamp(birth).date()
    return at.year - b.year - ((at.month, at.day) < (b.month, b.day))


def expected_worklists(root: Path) -> dict[str, set[str]]:
    reg, _, reg_end = _landed(root, "civil_register")
    reg = reg.assign(age=[_age(b, reg_end) for b in reg["birth_date"]])
    in_reg = set(reg["person_key"])
    students = set(_landed(root, "students")[0]["person_key"])
    police, _, pol_end = _landed(root, "residence_permits")
    police_u16 = {k for k, b in zip(police["person_key"], police["birth_date"]) if _age(b, pol_end) < 16}
    health = set(_landed(root, "health_records")[0]["person_key"])
    disabled = _landed(root, "disabled_children")[0]
    assisted = set(_landed(root, "assistance")[0]["person_key"])
    ins = _landed(root, "medical_insurance")[0]
    insured = set(ins.loc[ins["status"].fillna("正常参保") != "终止", "person_key"])
    vacc, w_start, w_end = _landed(root, "vaccinations", latest_only=False)
    given = set(zip(vacc["person_key"], vacc["vaccine"], vacc["dose"].astype(int)))
    schedule = pd.read_csv(SCHEDULE)
    behind, due_any = set(), set()
    for k, b in zip(reg["person_key"], reg["birth_date"]):
        born = pd.Timestamp(b).date()
        for v in schedule.itertuples():
            due = born + dt.timedelta(days=int(v.due_age_days))
            if due >= w_start and due + dt.timedelta(days=int(v.grace_days)) <= w_end:
                due_any.add(k)
                if (k, v.vaccine, int(v.dose)) not in given:
                    behind.add(k)
    return {
        "dropout": {k for k, a in zip(reg["person_key"], reg["age"]) if 7 <= a <= 15 and k not in students},
        "uncounted": police_u16 - in_reg,
        "health": {k for k, a in zip(reg["person_key"], reg["age"]) if a < 6 and k not in health},
        "vaccination": behind,
        "rehab": set(disabled.loc[~disabled["has_rehab_aid"].fillna(False).astype(bool), "person_key"]),
        "assistance": set(reg.loc[reg["in_difficulty"].fillna(False).astype(bool), "person_key"]) - assisted,
        "insurance": in_reg - insured,
    }


@pytest.fixture(scope="module")
def expected(data_dir):
    return expected_worklists(data_dir)


def _mart(con, check: str) -> set[str]:
    rows = con.execute("select person_key from match_children where check_code = ? and not is_matched",
                       [check]).fetchall()
    return {r[0] for r in rows}


@pytest.mark.parametrize("check", ["dropout", "uncounted", "health", "vaccination", "rehab", "assistance",
                                   "insurance"])
def test_worklist_equals_the_set_from_the_landed_extracts(con, expected, check):
    want = expected[check]
    assert want, f"the demo should plant some {check} gaps"
    assert _mart(con, check) == want
    work = m.worklist(con, EVERYTHING, check)
    assert len(work) == len(want)
    people = con.execute("select person_key, id_number, name from pii.person").df().set_index("person_key")
    assert sorted(work["masked_id"]) == sorted(mask_id(people.at[k, "id_number"]) for k in want)
    assert sorted(work["masked_name"]) == sorted(mask_name(people.at[k, "name"]) for k in want)


def test_match_rates_add_up_per_street_and_department_pair(con, expected):
    rates = m.checks(con, EVERYTHING).set_index("check_code")
    for check, want in expected.items():
        assert rates.at[check, "unmatched"] == len(want)
    streets = m.by_street(con, EVERYTHING, "insurance")
    assert streets["unmatched"].sum() == len(expected["insurance"])
    pairs = m.by_department_pair(con, EVERYTHING)
    assert pairs["unmatched"].sum() == sum(len(v) for v in expected.values())


def test_worklists_hold_no_raw_values_and_empty_scope_sees_nothing(con):
    people = con.execute("select id_number, name from pii.person").df()
    ids, names = set(people["id_number"]), set(people["name"].dropna())
    for check in ["dropout", "uncounted", "insurance"]:
        work = m.worklist(con, EVERYTHING, check)
        cells = {str(v) for v in work.astype(str).to_numpy().ravel()}
        assert not cells & ids and not cells & names
        assert all("*" in v for v in work["masked_id"])
        assert m.worklist(con, q.Scope(), check).empty
    assert m.checks(con, q.Scope()).empty


def test_masking():
    assert mask_name("张小明") == "张*明" and mask_name("李䶮") == "李*" and mask_name(None) == ""
    assert mask_id("32040220150304123X") == "3204**********123X"


def test_build_macros_mask_as_the_python_rule():
    """The list marts are masked in the build by the SQL macros; they must give what mask_name/mask_id give."""
    import duckdb

    from warehouse.build import SQL_DIR

    c = duckdb.connect()
    c.execute((SQL_DIR / "macros.sql").read_text(encoding="utf-8"))
    names = ["张小明", "李䶮", "李", "欧阳娜娜", "𠮷子", "Ann", "", None]
    ids = ["32040220150304123X", "320402201503041234", "12345678", "123456789", "1", "", None]
    got = c.execute("select list_transform(?::varchar[], lambda x: mask_name(x)), list_transform(?::varchar[], lambda x: mask_id(x))",
                    [names, ids]).fetchall()[0]
    assert got[0] == [mask_name(n) for n in names]
    assert got[1] == [mask_id(i) for i in ids]


def test_excel_export_is_addressed_to_the_department_with_chinese_headers_and_masked_rows(con, expected):
    work = m.worklist(con, EVERYTHING, "dropout")
    shown = ui_ledger.chinese(work, ["masked_name", "masked_id", "street_name", "community_code", "age_years"])
    data = ui_ledger.excel(shown, "致教育局：适龄儿童无学籍（控辍保学）名单", "个人信息已脱敏")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert rows[0][0].startswith("致教育局")
    assert rows[3][:3] == ["姓名（脱敏）", "身份证号（脱敏）", "街道（乡镇）"]
    body = rows[4:]
    assert len(body) == len(expected["dropout"])
    assert all("*" in r[1] and len(r[1]) == 18 for r in body)
