"""Makers of small real extract files for ETL tests (IDs are synthetic with correct check digits)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from etl.validate import id_check_digit

REGIONS_CSV = """区划代码,名称,层级,上级代码,区域类型,面积（平方公里）
990100000000,示范市,市,,,
990101000000,东湖区,区县,990100000000,主城区,120.5
990101001000,滨江街道,街道,990101000000,城乡结合部,10
990101001001,桃园社区,社区,990101001000,,
990101001002,柳岸社区,社区,990101001000,,
990101002000,工业园街道,街道,990101000000,工业园区,12
990101002001,桃园社区,社区,990101002000,,
"""


def make_id(birth: str, seq: int, male: bool = True, prefix: str = "980102") -> str:
    """A synthetic 18-character resident ID with a correct GB 11643 check digit."""
    body = f"{prefix}{birth}{seq:02d}{1 if male else 2}"
    return body + id_check_digit(body)


def wrong_check(id18: str) -> str:
    return id18[:17] + ("0" if id18[17] != "0" else "1")


def write_regions(path: Path) -> Path:
    path.write_text(REGIONS_CSV, encoding="utf-8")
    return path


REGISTER_HEADER = ["序号", "身份证号码", "儿童姓名", "性别", "出生日期", "村（社区）代码", "街道（乡镇）", "村（社区）",
                   "儿童类别", "是否困境儿童"]


def register_rows() -> list[list[str]]:
    """Six register rows: three good (one by names only, one with full-width digits), three bad."""
    a, b, c = make_id("20150304", 1), make_id("20120304", 2, male=False), make_id("20180101", 3)
    return [
        ["1", a, "张小明", "男", "2015/3/4", "９９０１０１００１００１", "", "", "流动", "是"],
        ["2", b, "李䶮", "女", "2012年3月4日", "", "滨江街道", "柳岸社区", "留守儿童", "否"],
        ["3", wrong_check(make_id("20150304", 4)), "王五", "男", "20150304", "990101001001", "", "", "流动儿童", "否"],
        ["4", make_id("20050101", 5), "赵六", "男", "2005-01-01", "990101001001", "", "", "流动儿童", "否"],
        ["5", c, "钱七", "男", "2018-01-01", "", "", "桃园", "流动儿童", "否"],
        ["6", c, "钱七", "男", "2018-01-01", "990101002001", "", "", "流动儿童", "否"],
    ]


def register_of(counts: list[tuple[str, int]], first: int = 0) -> list[list[str]]:
    """Register rows (REGISTER_HEADER) for `n` children in each community code: synthetic names and IDs whose
    region digits are the community's county, numbered on from `first`."""
    rows, seq = [], first
    for code, n in counts:
        for _ in range(n):
            seq += 1
            rows.append([str(seq), make_id("20150304", seq, prefix=code[:6]), f"儿童{seq}", "男", "2015-03-04",
                         code, "", "", "流动儿童", "否"])
    return rows


def write_register_csv(path: Path, encoding: str = "gb18030", rows: list[list[str]] | None = None) -> Path:
    """A register CSV as offices send it: two title lines, header, rows, blank trailing lines."""
    rows = register_rows() if rows is None else rows
    lines = ["示范市流动儿童监测摸排台账（2026年上半年）", "填报单位：示范市民政局", ",".join(REGISTER_HEADER)]
    lines += [",".join(r) for r in rows] + ["," * 9, "," * 9]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_register_xlsx(path: Path) -> Path:
    """An xlsx with a merged title row, a blank row, text codes, a real Excel date and a numeric code."""
    a = make_id("20150304", 1)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("台账")
    ws.merge_range(0, 0, 0, 5, "示范市流动儿童监测摸排台账（2026年上半年）")
    for j, h in enumerate(["身份证号", "姓名", "性别", "出生日期", "社区代码", "儿童类别"]):
        ws.write_string(2, j, h)
    ws.write_string(3, 0, a)
    ws.write_string(3, 1, "张小明")
    ws.write_string(3, 2, "男")
    ws.write_datetime(3, 3, dt.datetime(2015, 3, 4), wb.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write_number(3, 4, 990101001001)
    ws.write_string(3, 5, "流动儿童")
    b = make_id("20140506", 7, male=False)
    ws.write_string(4, 0, b)
    ws.write_string(4, 1, "孙丽")
    ws.write_string(4, 2, "女")
    ws.write_number(4, 3, (dt.date(2014, 5, 6) - dt.date(1899, 12, 30)).days)  # an Excel serial as a number
    ws.write_string(4, 4, "990101002001")
    ws.write_string(4, 5, "留守")
    wb.close()
    return path


def write_register_xls(path: Path) -> Path:
    """A legacy .xls (BIFF8) with a title row, as older office software still writes."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("台账")
    ws.write(0, 0, "流动儿童监测摸排台账")
    for j, h in enumerate(["身份证号", "姓名", "出生日期", "社区代码", "儿童类别"]):
        ws.write(1, j, h)
    ws.write(2, 0, make_id("20160708", 8))
    ws.write(2, 1, "周明")
    ws.write(2, 2, "2016-07-08")
    ws.write(2, 3, "990101001002")
    ws.write(2, 4, "流动儿童")
    wb.save(str(path))
    return path


_TEST_TOKEN_KEY = "tongxin_test_session_token"


def _token_from_test_session() -> str | None:
    """Stands in for ui.auth._browser_token in AppTests, which cannot send cookies: the token the test put
    in its own session_state. Only tests install it; the app itself reads the browser's cookie."""
    import streamlit as st

    return st.session_state.get(_TEST_TOKEN_KEY)


def signed_in(at, role: str = "admin", scope: tuple[str, ...] = ("99",), username: str | None = None):
    """An AppTest signed in as a real user: the user exists in users.json with this role and scope, and a
    session record is made for them, as the sign-in route would. AppTest cannot seed cookies, so the
    record's token goes to the AppTest's session_state, where the test stand-in for the cookie reads it."""
    import secrets

    from auth import sessions, users
    from ui import auth as ui_auth

    name = username or f"test-{role}"
    existing = users.load().get(name)
    if existing is None:
        users.add(name, secrets.token_urlsafe(12), role, list(scope), display_name=f"测试{role}", by="test")
    elif (existing.role, list(existing.scope), existing.disabled) != (role, list(scope), False):
        users.update(name, role=role, scope=list(scope), disabled=False, by="test")
    ui_auth._browser_token = _token_from_test_session
    # Every AppTest runs as the same Streamlit session id; each is a fresh browser session, so forget the
    # record an earlier AppTest bound to it (the app would otherwise treat this as a takeover and clear state).
    sessions.unbind("test session id")
    at.session_state[_TEST_TOKEN_KEY] = sessions.create(name)
    return at


def read_sql(con, sql: str, params: list | None = None):
    """A table of the snapshot read straight, on its own cursor: for tests that check the build itself, not
    what the door serves."""
    cur = con.cursor()
    try:
        return cur.execute(sql, params or []).df()
    finally:
        cur.close()


def big_register_rows(n: int, community: str = "990101001001"):
    """`n` good register rows (REGISTER_HEADER) with distinct synthetic IDs, generated lazily (for size tests)."""
    start = dt.date(2012, 1, 1)
    for i in range(n):
        birth = start + dt.timedelta(days=i // 1000 % 3650)
        seq = i % 1000
        body = f"{int(community[:6]) + i // 3_650_000}{birth:%Y%m%d}{seq:03d}"  # distinct up to 3.65M per prefix
        yield [str(i + 1), body + id_check_digit(body), f"儿童{i}", "男" if seq % 2 else "女", birth.isoformat(),
               community, "", "", "流动儿童", "否"]


def write_big_register_csv(path: Path, n: int, encoding: str = "utf-8") -> Path:
    """A register CSV of `n` rows written in a stream (header first; nothing held in memory)."""
    with path.open("w", encoding=encoding, newline="") as f:
        f.write(",".join(REGISTER_HEADER) + "\r\n")
        for r in big_register_rows(n):
            f.write(",".join(r) + "\r\n")
    return path
