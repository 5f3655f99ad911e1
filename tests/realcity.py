"""A fictional place's official files, written the way offices receive them (for tests of a real deployment).

Province 98 (江清省), city 9804 江清市 with four counties — 980402 澄江区 and 980411 白沙区 (区), 980481 临川市
(县级市), 980421 青溪县 (县) — three or four streets each and a few communities, and a second city 9805 江北市 in the
same province (a one-city deployment skips it). Codes that exist nowhere. Deterministic and tiny.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

PROVINCE = ("980000000000", "江清省")
ROOT = "980400000000"  # 江清市: the deployment's root in these tests
OTHER_CITY = "980500000000"

# The NBS table as it lists every level: code, name and, for communities (村级) only, the 城乡分类代码.
_TABLE = """
980000000000 江清省
980400000000 江清市
980402000000 澄江区
980402001000 澄江街道
980402001001 江岸社区居民委员会 111
980402001002 河西社区居民委员会 111
980402002000 南门街道
980402002001 南门社区居民委员会 111
980402003000 东塘街道
980402003001 东塘社区居民委员会 112
980411000000 白沙区
980411001000 白沙街道
980411001001 白沙社区居民委员会 111
980411002000 湖滨街道
980411002001 湖滨社区居民委员会 111
980411100000 沙河镇
980411100001 沙河社区居民委员会 121
980411100201 沙河村村民委员会 220
980481000000 临川市
980481001000 临江街道
980481001001 临江社区居民委员会 111
980481100000 石门镇
980481100001 石门社区居民委员会 121
980481200000 桃花乡
980481200201 桃花村村民委员会 210
980421000000 青溪县
980421100000 青溪镇
980421100001 青溪社区居民委员会 121
980421100002 新桥社区居民委员会 122
980421101000 柳溪镇
980421101201 柳溪村村民委员会 220
980421102000 竹园镇
980421102201 竹园村村民委员会 220
980421200000 双河乡
980421200201 双河村村民委员会 210
980500000000 江北市
980502000000 北岸区
980502001000 北岸街道
980502001001 北岸社区居民委员会 111
980521000000 北山县
980521100000 北山镇
980521100201 北山村村民委员会 220
"""
_ROWS: list[tuple[str, str, str | None]] = [(c, n, k[0] if k else None)
                                            for c, n, *k in (line.split() for line in _TABLE.strip().splitlines())]

HEADER = ["统计用区划代码", "城乡分类代码", "名称"]


def nbs_rows(with_class: bool = True, only: str | None = None) -> list[list[str]]:
    """The NBS table's rows (code, class, name), or (code, name) without the 城乡分类代码 column; `only`: the rows
    of one region (a city's own table, without its province)."""
    from etl.deployment import within

    return [[c, k or "", n] if with_class else [c, n] for c, n, k in _ROWS if within(c, only)]


def codes(root: str | None = None) -> list[str]:
    """Every code of the table, or those of the root region (itself included)."""
    from etl.deployment import within

    return [c for c, _, _ in _ROWS if within(c, root)]


def name_of(code: str) -> str:
    return next(n for c, n, _ in _ROWS if c == code)


def class_of(code: str) -> str | None:
    return next(k for c, _, k in _ROWS if c == code)


def nbs_csv(path: Path, encoding: str = "gb18030", with_class: bool = True, only: str | None = None) -> Path:
    """The NBS 统计用区划代码 table as a CSV: all levels, the whole province (or `only` one region's rows)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER if with_class else ["统计用区划代码", "名称"])
    w.writerows(nbs_rows(with_class, only))
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def nbs_xls_html(path: Path, encoding: str = "gb18030") -> Path:
    """The NBS web page saved as .xls: an HTML <table> with a title row above the header, charset in a meta tag."""
    charset = "gb2312" if encoding == "gb18030" else "utf-8"
    cells = "".join(
        f"<tr class='villagetr'><td>{c}</td><td>{k}</td><td>{n}</td></tr>" for c, k, n in nbs_rows(True))
    page = (f"<html><head><meta http-equiv='Content-Type' content='text/html; charset={charset}'>"
            "<title>2025年统计用区划代码</title></head><body>"
            "<table class='villagetable'>"
            "<tr><td colspan='3'>2025年统计用区划代码和城乡划分代码（江清省）</td></tr>"
            "<tr class='villagehead'><td>统计用区划代码</td><td>城乡分类代码</td><td>名称</td></tr>"
            f"{cells}</table></body></html>")
    path.write_bytes(page.encode(encoding))
    return path


def nbs_xlsx(path: Path) -> Path:
    """The NBS table in a workbook with a title row, codes stored as text."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("区划")
    ws.write_string(0, 0, "2025年统计用区划代码（江清省）")
    for j, h in enumerate(HEADER):
        ws.write_string(1, j, h)
    for i, row in enumerate(nbs_rows(True), start=2):
        for j, v in enumerate(row):
            if v:
                ws.write_string(i, j, v)
    wb.close()
    return path




def gbt2260_csv(path: Path, encoding: str = "gb18030") -> Path:
    """A GB/T 2260 list: 6-digit codes (province, cities, counties) and names."""
    rows = [[c[:6], n] for c, n, _ in _ROWS if c.endswith("000000") and c[4:6] != "01"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["行政区划代码", "单位名称"])
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


# 撤县设区: 青溪县 becomes 青溪区 (980412) from 2026-01-01; two streets of 澄江区 merge into one; one split.
CHANGES = [
    # 原区划代码, 原名称, 现区划代码, 现名称, 变更时间, 变更类型
    ("980421", "青溪县", "980412", "青溪区", "2026-01-01", "撤县设区"),
    ("980402002000", "南门街道", "980402001000", "澄江街道", "2026-01-01", "合并"),
    ("980402003000", "东塘街道", "980402001000", "澄江街道", "2026-01-01", "合并"),
    ("980411002000", "湖滨街道", "980411001000", "白沙街道", "2026-03-01", "拆分"),
    ("980411002000", "湖滨街道", "980411003000", "新湖街道", "2026-03-01", "拆分"),
]
CHANGE_HEADER = ["原区划代码", "原名称", "现区划代码", "现名称", "变更时间", "变更类型"]


def changes_csv(path: Path, encoding: str = "gb18030") -> Path:
    """The code-change list, modelled on the MCA/NBS lists (a title row above the header)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["江清省2026年行政区划变更对照表"])
    w.writerow(CHANGE_HEADER)
    w.writerows(CHANGES)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def current_rows() -> list[list[str]]:
    """The 2026 table after the changes: 青溪县 980421 → 青溪区 980412 (its streets renumbered), 南门/东塘 merged
    into 澄江街道, 湖滨街道 split into 白沙街道 and 新湖街道 (code, class, name)."""
    out = []
    for c, n, k in _ROWS:
        if c in ("980402002000", "980402003000", "980411002000"):
            continue
        c = {"980402002001": "980402001003", "980402003001": "980402001004",
             "980411002001": "980411003001"}.get(c, c)
        if c.startswith("980421"):
            c, n = "980412" + c[6:], n.replace("青溪县", "青溪区")
        out.append([c, k or "", n])
    out.append(["980411003000", "", "新湖街道"])
    return out


def current_csv(path: Path, encoding: str = "gb18030") -> Path:
    """The 2026 NBS table of the province, after the changes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(current_rows())
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def population_csv(path: Path, rows: list[tuple[str, int]], encoding: str = "gb18030") -> Path:
    """A 常住人口 extract by street code (codes as given, old or new)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["街道代码", "常住人口"])
    w.writerows([[c, str(n)] for c, n in rows])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path
