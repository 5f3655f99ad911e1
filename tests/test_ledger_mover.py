"""A child who moves street between two surveys is one child, counted in the new street, with the
visit history from both streets kept; and a half-yearly ledger one survey behind shows as late."""

from __future__ import annotations

from pathlib import Path

from etl.land import land
from tests.files import make_id
from warehouse import queries as q
from warehouse.build import build
from warehouse.queries import ledger, quality

KC_HEADER = "身份证号,姓名,社区代码,重点对象类型,风险等级,儿童主任编号,排查日期"
VISIT_HEADER = "身份证号,走访日期,走访方式,走访人编号,社区代码"


HEADERS = {"key_children": KC_HEADER, "visits": VISIT_HEADER}


def _land(root: Path, folder: Path, source: str, period: str, rows: list[str]) -> None:
    """One extract of `rows` under its header, landed as its department sends it (UTF-8 CSV)."""
    path = folder / f"{source}_{period}.csv"
    path.write_text("\n".join([HEADERS[source], *rows]) + "\n", encoding="utf-8")
    land(source, path, period, root=root)


def test_mover_is_one_child_in_the_new_street_with_history(root, tmp_path):
    mover, stayer = make_id("20150304", 1), make_id("20120506", 2, male=False)
    _land(root, tmp_path, "key_children", "2025H1", [f"{mover},张小明,990101001001,留守儿童,黄色,ZR001,2025-03-10",
                                                     f"{stayer},李小红,990101001002,困境儿童,红色,ZR001,2025-03-11"])
    _land(root, tmp_path, "key_children", "2025H2", [f"{mover},张小明,990101002001,留守儿童,橙色,ZR002,2025-09-10",
                                                     f"{stayer},李小红,990101001002,困境儿童,红色,ZR001,2025-09-11"])
    _land(root, tmp_path, "visits", "2025-08", [f"{mover},2025-08-05,入户走访,ZR001,990101001001",
                                                f"{stayer},2025-08-06,电话联系,ZR001,990101001002"])
    _land(root, tmp_path, "visits", "2026-10", [f"{mover},2026-10-20,电话联系,ZR002,990101002001"])
    con = q.connect(build(root))
    try:
        rows = con.execute("""select street_code, previous_street_code, streets_seen, visits, home_visits,
                                     last_contact_date::varchar, last_home_visit_date::varchar, risk_level,
                                     previous_risk_level
                              from ledger_children order by risk_level""").fetchall()
        everything = q.Scope.everything()
        by_street = ledger.compliance(con, everything, "street").set_index("area_code")["children"].to_dict()
        new_street_only = ledger.totals(con, q.Scope.of("990101002"))
        changes = ledger.risk_changes(con, everything)
        dq = quality.sources(con, everything).set_index("source")
    finally:
        con.close()

    assert len(rows) == 2  # one row per child, not per survey
    moved = next(r for r in rows if r[7] == "橙色")
    assert moved[:7] == ("990101002000", "990101001000", 2, 2, 1, "2026-10-20", "2025-08-05")
    assert moved[8] == "黄色"
    assert by_street == {"990101001000": 1, "990101002000": 1}
    assert new_street_only.at[0, "children"] == 1
    up = changes[changes["change"] == "升高"]
    assert up["children"].sum() == 1 and up.iloc[0]["from_level"] == "黄色" and up.iloc[0]["to_level"] == "橙色"

    # Data date = end of 2026-10 (latest visits month): the half-yearly ledger should have 2026H1.
    assert dq.at["key_children", "is_late"] and dq.at["key_children", "periods_behind"] == 1
    assert not dq.at["visits", "is_late"]
    assert dq.at["visits", "periods_landed"] == 2 and dq.at["visits", "periods_expected"] == 15
