"""The case worker's due list and the child's file: the list in risk-colour order, then most days overdue;
the file shows guardian, contact and school; lists never show a guardian's full name or phone; a GB18030
key-children extract with the offices' Chinese headers lands those columns on the right side (pii or not)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook
from streamlit.testing.v1 import AppTest

from etl.land import land
from etl.landed import landed_dir, read_load_log
from settings import DATA_DIR_ENV
from tests.files import make_id, signed_in
from ui import ledger as ui_ledger
from warehouse import queries as q
from warehouse.build import build, published
from warehouse.queries import ledger

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CONFIG = Path(__file__).resolve().parents[1] / "config"
PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")  # a full mainland mobile number


def _persons(data_dir: Path) -> pd.DataFrame:
    """Every person row the key-children landings wrote (the pii side), as landed."""
    frames = [pd.read_parquet(landed_dir(data_dir) / e["person_path"]) for e in read_load_log(data_dir)
              if e["source"] == "key_children" and e.get("person_path")]
    return pd.concat(frames, ignore_index=True)


# ---- the due list's order ------------------------------------------------------------------------------

def test_due_list_is_sorted_by_risk_colour_then_days_overdue(con):
    due = ledger.due_list(con, q.Scope.everything(), 30)
    assert len(due) > 10 and due["risk_level"].nunique() >= 3
    scheme = pd.read_csv(CONFIG / "risk_schemes.csv")
    rank = dict(zip(scheme["risk_level"], scheme["rank"]))
    ranks = [rank[r] for r in due["risk_level"]]
    assert ranks == sorted(ranks), "risk colours out of order (红 → 橙 → 黄 → 绿)"
    for _, g in due.groupby("risk_level", sort=False):
        days = g["overdue_days"].tolist()
        assert days == sorted(days, reverse=True), "within a colour, most days overdue first"
    # Not vacuous: some higher-risk child has fewer days overdue than a lower-risk one, so ordering by days
    # first (as the list did) would put them the other way round.
    by_level = due.groupby("risk_level")["overdue_days"]
    assert any(by_level.min()[hi] < by_level.max()[lo] for hi in by_level.min().index
               for lo in by_level.max().index if rank[hi] < rank[lo])


def test_due_list_cut_keeps_the_most_urgent(con):
    full = ledger.due_list(con, q.Scope.everything(), 30)
    cut = ledger.due_list(con, q.Scope.everything(), 30, limit=5)
    assert cut["person_key"].tolist() == full["person_key"].head(5).tolist()


# ---- the page: list order, no full phone or name, the file -----------------------------------------------

def _page(data_dir, monkeypatch, role: str = "admin", scope: tuple[str, ...] = ("99",)) -> AppTest:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    at = signed_in(AppTest.from_file(APP, default_timeout=120), role, scope).run()
    at.switch_page("views/key_children.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _due_table(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "姓名（脱敏）" in d.value.columns)


def _texts(at: AppTest) -> list[str]:
    out = [str(v) for d in at.dataframe for v in d.value.astype(str).to_numpy().ravel()]
    for kind in ("markdown", "caption", "title", "subheader", "metric", "info", "selectbox"):
        for e in at.get(kind):
            out.append(str(getattr(e, "value", "")))
            out += [str(o) for o in getattr(e, "options", [])]
    return out


def test_page_lists_in_risk_order_and_never_a_full_phone_or_name(data_dir, monkeypatch):
    people = _persons(data_dir)
    phones = set(people["guardian_phone"].dropna()) - {""}
    names = {n for n in set(people["guardian_name"].dropna()) | set(people["child_name"].dropna()) if len(n) >= 2}
    assert phones and names
    at = _page(data_dir, monkeypatch)
    table = _due_table(at)
    scheme = pd.read_csv(CONFIG / "risk_schemes.csv")
    rank = dict(zip(scheme["risk_level"], scheme["rank"]))
    assert [rank[r] for r in table["风险等级"]] == sorted(rank[r] for r in table["风险等级"])
    texts = _texts(at)
    assert not [t for t in texts if PHONE.search(t)], "a full phone number on the list page"
    assert not [t for t in texts if t in names], "a full name on the list page"
    assert not [n for n in names if len(n) >= 3 for t in texts if n in t]
    # The Excel download of the list holds no full phone or name either.
    con = q.connect(published(data_dir))
    try:
        due = ledger.due_list(con, q.Scope.everything(), 30)
        shown = ui_ledger.chinese(due, ui_ledger.due_columns(due))
    finally:
        con.close()
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(ui_ledger.excel(shown, "名单", "说明"))).get_sheet_by_index(0)
    cells = [str(c) for row in sheet.to_python() for c in row]
    assert not [c for c in cells if PHONE.search(c) or c in names]


def test_masks():
    assert ledger.mask_phone("13900001234") == "139****1234" and ledger.mask_phone("1234567") == "*******"
    assert ledger.mask_phone(None) == "" and ledger.mask_name("张建国") == "张*国"


def test_list_shows_the_guardian_masked(con, data_dir):
    due = ledger.due_list(con, q.Scope.everything(), 30)
    people = _persons(data_dir).drop_duplicates("person_key", keep="last").set_index("person_key")
    rows = due[due["masked_guardian_phone"] != ""]
    assert len(rows) > len(due) // 2
    for r in rows.itertuples():
        assert r.masked_guardian_phone == ledger.mask_phone(people.at[r.person_key, "guardian_phone"])
        assert r.masked_guardian_name == ledger.mask_name(people.at[r.person_key, "guardian_name"])
    assert {"监护人（脱敏）", "联系电话（脱敏）"} <= set(ui_ledger.chinese(due, ui_ledger.due_columns(due)).columns)


def test_child_file_shows_guardian_contact_and_school(con, data_dir):
    latest = con.execute("select max(period) from ledger_children").fetchall()[0][0]
    people = _persons(data_dir)
    acc = pd.concat([pd.read_parquet(landed_dir(data_dir) / e["accepted_path"]) for e in read_load_log(data_dir)
                     if e["source"] == "key_children" and e["period"] == latest])
    acc = acc[acc["school_name"].notna() & acc["guardian_relation"].notna()]
    assert len(acc)
    key = acc["person_key"].iloc[0]
    file = ledger.child_file(con, q.Scope.of("99", exact=True), key)
    person = file["person"].iloc[0]
    row = acc[acc["person_key"] == key].iloc[-1]
    assert person["school_name"] == row["school_name"] and person["guardian_relation"] == row["guardian_relation"]
    assert {"guardian_relation", "school_name"} <= set(file["ledger"].columns)
    line = ui_ledger.guardian_line(person)
    assert f"就读学校：{row['school_name']}" in line and f"（{row['guardian_relation']}）" in line
    mine = people[people["person_key"] == key].iloc[-1]
    assert person["guardian_name"] == mine["guardian_name"] and person["guardian_phone"] == mine["guardian_phone"]
    assert f"监护人：{mine['guardian_name']}（" in line and f"联系电话：{mine['guardian_phone']}" in line


def test_case_worker_opens_the_file_and_sees_guardian_and_school(data_dir, monkeypatch):
    at = _page(data_dir, monkeypatch, "case_worker", ("99",))
    pick = at.selectbox(key="kc_pick")
    pick.set_value(0).run()
    at.text_input(key="kc_reason").input("入户走访前核对").run()
    at.button(key="kc_open").click().run()
    assert not at.exception, [e.value for e in at.exception]
    line = next(m.value for m in at.markdown if m.value.startswith("监护人："))
    assert "就读学校：" in line and "联系电话：" in line and "None" not in line and "nan" not in line


# ---- landing a GB18030 extract with the offices' headers ------------------------------------------------

HEADER = ["序号", "身份证号码", "儿童姓名", "村（社区）代码", "对象类型", "风险颜色", "摸排日期", "监护人", "监护人关系",
          "监护人电话", "学校"]


def test_gb18030_extract_with_chinese_headers_lands_guardian_and_school(root, tmp_path, monkeypatch):
    a, b = make_id("20150304", 1), make_id("20120304", 2, male=False)
    rows = [["1", a, "张小明", "990101001001", "留守儿童", "红", "2026-03-01", "张建国", "祖父", "139 0000 1234",
             "滨江小学"],
            ["2", b, "李䶮", "990101002001", "困境儿童", "绿色", "2026/3/2", "欧阳秀英", "母亲", "13900005678", ""]]
    lines = ["示范市重点对象台账（2026年上半年）", ",".join(HEADER)] + [",".join(r) for r in rows]
    path = tmp_path / "重点对象台账.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    out = land("key_children", path, "2026H1", root=root, isolate=False).entry
    assert out.rows_accepted == 2 and out.encoding.lower().replace("-", "") in ("gb18030", "gbk")
    acc = pd.read_parquet(landed_dir(root) / out.accepted_path)
    per = pd.read_parquet(landed_dir(root) / out.person_path)
    # Relation and school are case facts (accepted side); the guardian's name and phone are pii.
    assert {"guardian_relation", "school_name"} <= set(acc.columns)
    assert not {"guardian_name", "guardian_phone", "child_name"} & set(acc.columns)
    assert sorted(acc["guardian_relation"]) == ["母亲", "祖父"]
    assert set(acc["school_name"].dropna()) == {"滨江小学"}
    assert dict(zip(per["guardian_name"], per["guardian_phone"])) == {"张建国": "13900001234",
                                                                      "欧阳秀英": "13900005678"}
    # Built: the ledger carries relation and school; no table outside pii holds a guardian's name or phone.
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    snap = build(root)
    con = q.connect(snap)
    try:
        kc = con.execute("select guardian_relation, school_name from ledger_children order by risk_rank").df()
        assert kc["guardian_relation"].tolist() == ["祖父", "母亲"]
        assert kc["school_name"].tolist()[0] == "滨江小学"
        tables = con.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()
        for (t,) in tables:
            text = con.execute(f'select * from "{t}"').df().astype(str).to_numpy().ravel()
            assert not {"13900001234", "13900005678", "张建国", "欧阳秀英"} & set(text), f"guardian pii in {t}"
        key = con.execute("select person_key from ledger_children where risk_level = '红色'").fetchall()[0][0]
        person = ledger.child_file(con, q.Scope.of("99", exact=True), key)["person"].iloc[0]
        assert person["school_name"] == "滨江小学" and person["guardian_relation"] == "祖父"
        assert person["guardian_name"] == "张建国" and person["guardian_phone"] == "13900001234"
    finally:
        con.close()
