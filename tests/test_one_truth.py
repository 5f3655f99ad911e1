"""One truth (数出一门): each catalogue figure shows one value under one name wherever it appears.

The harness walks 总览, 目标进展, 服务缺口, 志愿服务 and 流动儿童分布 (AppTest, signed in as a leader of the city, of
one county and of one street; 重点儿童 and 数据比对 as a case worker of the same area; 数据质量 as a data officer), presses 生成会议材料 on 总览 and reads what a leader carries away: the meeting pack's
PDF as text, page by page, and its Excel by cell (by cell: value and number format), as the page's download buttons hand them out, and
every other download button's file on those pages. It records every figure it recognises: which catalogue entry
(or which table figure: an area's 缺口率, a street's count) it is, the name it is shown under and the value shown.
A case fails when a figure is shown under a name that is not its catalogue name (a leader cannot tell two
definitions apart), or when one figure shows two values anywhere.
"""
from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pypdf
import pytest
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from settings import DATA_DIR_ENV
from tests.files import read_sql, signed_in
from warehouse import queries as q
from warehouse.queries import geo, metrics
from warehouse.queries import pack as qpack
from warehouse.queries import targets as tq

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SCOPES = {"city": ("99",), "county": ("990102",), "street": ("990102001",)}

# Headline cards as the overview keyed them before the catalogue (data-metric), and gap ids of the gaps
# page, to their catalogue entries: what the place computes, whatever it calls it.
CARD_METRICS = {"migrant": "migrant_children", "visit_compliance": "visited_30d_rate",
                "health_record_rate": "health_record_rate", "volunteer_person_times": "volunteer_person_times",
                "targets_off_track": "targets_off_track"}
GAP_METRICS = {"vaccination": "vaccination_on_schedule", "health_records": "health_record_share_gap",
               "visit_compliance": "visit_3m_share"}
# The figures whose disagreement the users reported, and the other headline figures.
CASES = ("health_record_rate", "health_record_rate_reported", "vaccination_rate_reported",
         "vaccination_on_schedule", "health_record_share_gap", "visited_30d_rate", "visit_3m_share",
         "visit_overdue", "visit_on_time_rate",
         "public_school_share", "migrant_children", "key_children", "volunteer_person_times")
# Words that make a label a figure about one of the reported cases: such a label must be a catalogue name.
CASE_WORDS = ("接种", "建档", "走访")


@dataclass(frozen=True)
class Seen:
    metric: str | None  # catalogue id (None: not recognised)
    label: str          # the name it is shown under
    text: str           # the value as shown
    where: str
    named: bool = True  # False where the place shows the value without a name of its own (a table cell, a total)


def _number(text: str) -> tuple[float, float] | None:
    """(value, half the display precision) of a shown figure; None for a mark such as "<5" or "—"."""
    s = str(text).strip().replace(",", "").rstrip("%").strip()
    scale = 1.0
    if s.endswith("万"):
        s, scale = s[:-1], 10_000.0
    if not re.fullmatch(r"-?\d+(\.\d+)?", s):
        return None
    decimals = len(s.split(".")[1]) if "." in s else 0
    return float(s) * scale, 0.5 * 10 ** -decimals * scale


_NOTHING = ("", "nan", "None", "<NA>", "—")


def _agree(a: str, b: str) -> bool:
    if str(a).strip() in _NOTHING and str(b).strip() in _NOTHING:
        return True  # no value shown in both places
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return str(a).strip() == str(b).strip()
    if x[1] == y[1] == 0.5:  # two whole numbers (counts) shown exactly: no rounding between them
        return x[0] == y[0]
    return abs(x[0] - y[0]) <= x[1] + y[1] + 1e-9


def _indicator_metric(con) -> dict[str, str]:
    """Every name a plan indicator may be shown under (its plan name and its catalogue name) → entry."""
    st = tq.indicator_status(con, q.Scope.everything(exact=True))
    out = {}
    for r in st.itertuples():
        m = metrics.for_indicator(r.kind, r.model, r.indicator)
        out[r.indicator] = out[m.name_zh] = m.metric_id
    return out


def _canonical_names(con) -> set[str]:
    """The names plan indicators are shown under: their catalogue entries' names."""
    st = tq.indicator_status(con, q.Scope.everything(exact=True))
    return {metrics.for_indicator(r.kind, r.model, r.indicator).name_zh for r in st.itertuples()}


# --------------------------------------------------------------------------------------------
# Collectors


def _app(data_dir, monkeypatch, codes: tuple[str, ...]) -> AppTest:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    return signed_in(AppTest.from_file(APP, default_timeout=60), "leader", codes, username=f"truth-{codes[0]}")


def _html_bodies(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html"))


def overview(at: AppTest, names: dict[str, str]) -> list[Seen]:
    """KPI cards (and any figure the page tags with data-metric) and the off-track list."""
    at.run()
    assert not at.exception, at.exception
    body = _html_bodies(at)
    out = []
    for m in re.finditer(r'<div class="ov-kpi" data-metric="([^"]+)" data-value="([^"]*)"[^>]*>'
                         r'<div class="l"[^>]*>(.*?)</div>', body):
        key, value, label = m.group(1), html.unescape(m.group(2)), html.unescape(re.sub(r"<[^>]+>", "", m.group(3)))
        label = label.replace("ⓘ", "").strip()
        out.append(Seen(CARD_METRICS.get(key, key), label, value, "总览卡片"))
    for m in re.finditer(r'<span class="ov-fig" data-metric="([^"]+)" data-label="([^"]*)" data-value="([^"]*)"',
                         body):
        out.append(Seen(m.group(1), html.unescape(m.group(2)), html.unescape(m.group(3)), "总览卡片说明"))
    for m in re.finditer(r'<li class="ov-target">.*?<span class="t">(.*?)</span>.*?现 ([^ /<]+)', body):
        label = html.unescape(m.group(1))
        out.append(Seen(names.get(label), label, html.unescape(m.group(2)).rstrip("个人名场次项%"), "总览目标列表"))
    return out


_TREE = re.compile(r"● [^\]]*\](?: :violet-badge\[[^\]]*\])? (.+?)：当前 (\S+?)，")


def targets_page(at: AppTest, names: dict[str, str], plans: list[str]) -> list[Seen]:
    """Each plan's tree lines and status table (当前值)."""
    at.switch_page("views/targets.py").run()
    assert not at.exception, at.exception
    out = []
    for plan in plans:
        at.selectbox(key="plan").select(plan).run()
        assert not at.exception, at.exception
        for md in at.markdown:
            for m in _TREE.finditer(md.value.replace("\\", "")):
                label = m.group(1)
                out.append(Seen(names.get(label), label, m.group(2).rstrip("个人名场次项%"), f"目标进展树·{plan}"))
        tables = [d.value for d in at.dataframe if "指标名称" in d.value.columns and "当前值" in d.value.columns]
        for r in tables[-1].to_dict("records") if tables else []:
            if r["当前值"] is None or pd.isna(r["当前值"]):
                continue
            out.append(Seen(names.get(r["指标名称"]), r["指标名称"], f'{r["当前值"]}', f"目标进展状态表·{plan}"))
    return out


def gaps_page(at: AppTest) -> tuple[list[Seen], dict[str, str]]:
    """The overall figure (the third card) of each tracked gap, and its (?) text."""
    at.switch_page("views/gaps.py").run()
    assert not at.exception, at.exception
    out, helps = index_tables(at), {}
    for gap, metric in GAP_METRICS.items():
        at.selectbox(key="gap").set_value(gap).run()
        assert not at.exception, at.exception
        cards = [m for m in at.metric]
        if len(cards) >= 3:
            out.append(Seen(metric, cards[2].label.replace("\\", ""), cards[2].value, f"服务缺口·{gap}"))
            helps[f"服务缺口·{gap}"] = cards[2].proto.help
        out += gap_tables(at, gap)
    return out, helps


def volunteers_page(at: AppTest) -> list[Seen]:
    """Cards of the volunteers page, recognised when their label is a catalogue name."""
    at.switch_page("views/volunteers.py").run()
    assert not at.exception, at.exception
    by_name = {m.name_zh: m.metric_id for m in metrics.catalogue().values()}
    return [Seen(by_name[m.label], m.label, m.value, "志愿服务") for m in at.metric if m.label in by_name]


class _KeptMedia(MemoryMediaFileStorage):
    """AppTest's in-memory media storage, kept after the run so a download button's file can be read: the file a
    user's click would fetch is the one at the button's URL."""

    latest: MemoryMediaFileStorage | None = None

    def __init__(self, media_endpoint: str) -> None:
        super().__init__(media_endpoint)
        _KeptMedia.latest = self


def download(at: AppTest, key: str | None = None, label: str | None = None) -> bytes:
    """The bytes of a download button of the last run (by key, or by its label)."""
    buttons = [b for b in at.get("download_button")
               if (key is not None and b.proto.id.endswith(f"-{key}")) or (label is not None and b.label == label)]
    assert buttons, f"no download button {key or label}"
    try:
        return _KeptMedia.latest.get_file(buttons[0].proto.url.rsplit("/", 1)[-1]).content
    except MediaFileStorageError as e:  # pragma: no cover - the button's file is part of its run
        raise AssertionError(f"the file of {key or label} is not in the run's media") from e


@dataclass(frozen=True)
class Cell:
    """A workbook cell as a spreadsheet shows it: its value (a number stays a number) and its number format."""

    value: object
    number_format: str = "General"


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_BUILTIN_FORMATS = {"0": "General", "1": "0", "2": "0.00", "3": "#,##0", "4": "#,##0.00", "9": "0%", "10": "0.00%"}


def workbook(xlsx: bytes) -> dict[str, list[list[Cell]]]:
    """Every sheet's cells by row, read from the file's XML: values and number formats (no library reads both)."""
    z = zipfile.ZipFile(io.BytesIO(xlsx))
    wb = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rels = {r.get("Id"): r.get("Target") for r in ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        shared = ["".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t"))
                  for si in ElementTree.fromstring(z.read("xl/sharedStrings.xml"))]
    styles = ElementTree.fromstring(z.read("xl/styles.xml"))
    custom = {n.get("numFmtId"): n.get("formatCode") for n in styles.iterfind("m:numFmts/m:numFmt", _NS)}
    xfs = [x.get("numFmtId", "0") for x in styles.find("m:cellXfs", _NS)]
    out = {}
    for sh in wb.find("m:sheets", _NS):
        ws = ElementTree.fromstring(z.read("xl/" + rels[sh.get(_REL)].removeprefix("/xl/")))
        rows = []
        for row in ws.iter(f"{{{_NS['m']}}}row"):
            cells: dict[int, Cell] = {}
            for c in row.iter(f"{{{_NS['m']}}}c"):
                letters = re.match(r"[A-Z]+", c.get("r")).group()
                col = 0
                for ch in letters:
                    col = col * 26 + ord(ch) - 64
                v, kind = c.find("m:v", _NS), c.get("t")
                if kind == "inlineStr":
                    value = "".join(t.text or "" for t in c.iter(f"{{{_NS['m']}}}t"))
                elif v is None:
                    value = None
                elif kind == "s":
                    value = shared[int(v.text)]
                elif kind in ("str", "e"):
                    value = v.text
                elif kind == "b":
                    value = v.text == "1"
                else:
                    value = float(v.text)
                fid = xfs[int(c.get("s", "0"))]
                cells[col] = Cell(value, custom.get(fid, _BUILTIN_FORMATS.get(fid, fid)))
            width = max(cells, default=0)
            rows.append([cells.get(i, Cell(None)) for i in range(1, width + 1)])
        out[sh.get("name")] = rows
    return out


def sheet_rows(xlsx: bytes, sheet: str | None, first_header: str) -> list[dict]:
    """The rows of a sheet under its header row (the first row that holds `first_header`) as {header: Cell}, so a
    figure is read as the value and number format a spreadsheet shows."""
    sheets = workbook(xlsx)
    rows = sheets[sheet] if sheet else next(iter(sheets.values()))
    for i, r in enumerate(rows):
        if first_header in [c.value for c in r]:
            headers = [c.value for c in r]
            body = [row + [Cell(None)] * (len(headers) - len(row)) for row in rows[i + 1:]]
            # rows of the table: a value under the first header (notes below a table fill only the first column)
            return [{h: c for h, c in zip(headers, row) if h} for row in body
                    if sum(c.value not in (None, "") for c in row) > 1]
    raise AssertionError(f"no header {first_header} in sheet {sheet}")


def cell_text(cell) -> str:
    """A cell as a figure: a number in percent format as the percentage it shows (0.704 → 70.4%), a number as
    itself, text as written (a suppressed count's "<5")."""
    v = cell.value
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v)
    if isinstance(v, int | float):  # a number shown in percent format reads as its percentage
        return f"{v * 100:.10g}%" if "%" in cell.number_format else f"{v:.10g}"
    return str(v)


def _unitless(text: str) -> str:
    return str(text).strip().rstrip("个人名场次项").strip()


def _labels(names: dict[str, str]) -> list[tuple[str, str]]:
    """(name shown, entry) for every catalogue and plan-indicator name, longest first (so 流动儿童公办学校就读比例
    is not read as 流动儿童)."""
    by_label = {**{m.name_zh: m.metric_id for m in metrics.catalogue().values()}, **names}
    return sorted(by_label.items(), key=lambda kv: -len(kv[0]))


def pdf_pages(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _section(pages: list[str], title: str) -> str:
    text = "\n".join(pages)
    start = re.search(rf"^[一二三四五六七八九十]、{re.escape(title)}$", text, re.MULTILINE)
    if not start:
        return ""
    end = re.search(r"^[一二三四五六七八九十]、\S+$", text[start.end():], re.MULTILINE)
    return text[start.end(): start.end() + end.start() if end else len(text)]


_VALUE_OF_TARGET = re.compile(r"(?<![\d.])(<\d+|\*|—|\d[\d,]*(?:\.\d+)?万?) ?/ ?(\d[\d,]*(?:\.\d+)?)")


def pack_pdf(pages: list[str], names: dict[str, str]) -> list[Seen]:
    """The figures of the pack's PDF as printed: 主要指标 (name, then 本期), 未达标与滞后目标 (status, name, …,
    latest value / target), the gaps and ranking tables' 缺口率 and the map's street table."""
    labels = _labels(names)
    out = []
    for line in _section(pages, "主要指标").splitlines():
        for label, key in labels:
            if line.startswith(label + " "):
                out.append(Seen(key, label, _unitless(line[len(label) + 1:].split()[0]), "会议材料PDF·主要指标"))
                break
    flat = re.sub(r"\s+", "", _section(pages, "未达标与滞后目标"))
    squeezed = [(re.sub(r"\s+", "", label), label, key) for label, key in labels]
    for m in re.finditer("未达标|滞后|逾期", flat):  # a row starts with its status, then the indicator's name
        hit = next(((label, key) for sq, label, key in squeezed if flat.startswith(sq, m.end())), None)
        v = _VALUE_OF_TARGET.search(flat, m.end()) if hit else None
        if v:
            out.append(Seen(hit[1], hit[0], v.group(1), "会议材料PDF·未达标与滞后目标"))
    for line in _section(pages, "服务缺口").splitlines():
        m = re.match(r"^(\d+) (\S+) .* (\d+(?:\.\d+)?%)$", line)
        if m:
            out.append(Seen(f"最大缺口的缺口率:{m.group(2)}", "", m.group(3), "会议材料PDF·服务缺口", named=False))
    for line in _section(pages, "区县排名").splitlines():
        m = re.match(r"^\d+ (\S+) .* (\d+(?:\.\d+)?%)$", line)
        if m:
            out.append(Seen(f"最大缺口的缺口率:{m.group(1)}", "", m.group(2), "会议材料PDF·区县排名", named=False))
    for line in _section(pages, "流动儿童分布图（分街道乡镇）").splitlines():
        m = re.match(r"^(\S+) (\S+) (<\d+|\*|[\d,]+)$", line)
        if m:
            out.append(Seen(f"街道流动儿童:{m.group(2)}", "", m.group(3), "会议材料PDF·分布图", named=False))
    return out


def pack_excel(xlsx: bytes, names: dict[str, str]) -> list[Seen]:
    """The figures of the pack's workbook, read by cell: 主要指标 (本期), 未达标与滞后目标 (最新值), 缺口率 of the gaps
    and ranking sheets (numbers in percent format), each street's count."""
    labels = dict(_labels(names))
    out = []
    for r in sheet_rows(xlsx, "主要指标", "指标"):
        label = str(r["指标"].value)
        out.append(Seen(labels.get(label), label, cell_text(r["本期"]), "会议材料Excel·主要指标"))
    for r in sheet_rows(xlsx, "未达标与滞后目标", "指标"):
        label = str(r["指标"].value)
        out.append(Seen(labels.get(label), label, cell_text(r["最新值"]), "会议材料Excel·未达标与滞后目标"))
    sheets = workbook(xlsx)
    for sheet, name_col in (("缺口最大的地区", "地区"), ("区县排名", "区县")):
        if sheet not in sheets:
            continue
        for r in sheet_rows(xlsx, sheet, name_col):
            c = r["缺口率"]
            if c.value is None:
                continue
            assert isinstance(c.value, float) and "%" in c.number_format, (sheet, c.value, c.number_format)
            out.append(Seen(f"最大缺口的缺口率:{r[name_col].value}", "", cell_text(c), f"会议材料Excel·{sheet}",
                            named=False))
    for r in sheet_rows(xlsx, "流动儿童分布（街道）", "区县"):
        out.append(Seen(f"街道流动儿童:{r['街道（乡镇）'].value}", "", cell_text(r["人数"]), "会议材料Excel·街道",
                        named=False))
        per_km2 = r.get(metrics.label("children_per_km2")) or r.get("每平方公里人数")  # the catalogue's name or the old
        out.append(Seen(f"街道每平方公里:{r['街道（乡镇）'].value}", "", cell_text(per_km2), "会议材料Excel·街道",
                        named=False))
    return out


def meeting_pack(at: AppTest, names: dict[str, str]) -> tuple[list[Seen], dict]:
    """Press 生成会议材料 on 总览 and read the PDF and the Excel its two download buttons hand out."""
    at.button(key="ov_pack_make").click().run()
    assert not at.exception, at.exception
    pdf, xlsx = download(at, "ov_pack_pdf"), download(at, "ov_pack_xlsx")
    pages = pdf_pages(pdf)
    return pack_pdf(pages, names) + pack_excel(xlsx, names), {"pages": pages, "xlsx": xlsx, "pdf": pdf}


def targets_download(at: AppTest, names: dict[str, str]) -> list[Seen]:
    """目标进展's 下载全部计划状态表: each indicator's 当前值 under its name."""
    out = []
    for r in sheet_rows(download(at, "download"), None, "指标名称"):
        if r["当前值"].value is None:
            continue
        label = str(r["指标名称"].value)
        out.append(Seen(names.get(label), label, cell_text(r["当前值"]), "目标进展下载"))
    return out


def _has_button(at: AppTest, key: str) -> bool:
    return any(b.proto.id.endswith(f"-{key}") for b in at.get("download_button"))


def index_tables(at: AppTest) -> list[Seen]:
    """The gaps page's first view (综合缺口指数): each area's index in the table and its download, each street's
    index and largest gap in the league and its download, and every cell of 需求与供给 and its download."""
    out = []
    for df in (d.value for d in at.dataframe):
        cols = set(df.columns)
        if {"gap_index", "gaps_counted", "rank"} <= cols:
            out += [Seen(f"综合缺口指数:{r['area_name']}", "", fmt_value(r["gap_index"]), "服务缺口表·指数", named=False)
                    for r in df.to_dict("records")]
        if {"gap_index_text", "最大缺口"} <= cols:
            for r in df.to_dict("records"):
                out.append(Seen(f"街道综合缺口指数:{r['area_name']}", "", r["gap_index_text"], "服务缺口表·街道指数",
                                named=False))
                out.append(Seen(f"街道最大缺口:{r['area_name']}", "", r["最大缺口"], "服务缺口表·街道指数", named=False))
        if {"区划代码", "地区"} <= cols:  # 需求与供给: one text cell per area and measure
            out += [Seen(f"需求与供给:{r['地区']}:{c}", "", str(r[c]), "服务缺口表·需求与供给", named=False)
                    for r in df.to_dict("records") for c in df.columns if c not in ("区划代码", "地区")]
    if _has_button(at, "dl_index"):
        out += [Seen(f"综合缺口指数:{r['地区'].value}", "", cell_text(r["综合缺口指数"]), "服务缺口下载·指数", named=False)
                for r in sheet_rows(download(at, "dl_index"), None, "地区")]
    if _has_button(at, "dl_index_league"):
        for r in sheet_rows(download(at, "dl_index_league"), None, "地区"):
            out.append(Seen(f"街道综合缺口指数:{r['地区'].value}", "", cell_text(r["综合缺口指数"]),
                            "服务缺口下载·街道指数", named=False))
            assert "最大缺口" in r, f"the street league's download names its largest gap column: {list(r)}"
            out.append(Seen(f"街道最大缺口:{r['地区'].value}", "", cell_text(r["最大缺口"]), "服务缺口下载·街道指数",
                            named=False))
    if _has_button(at, "dl_measures"):
        for r in sheet_rows(download(at, "dl_measures"), None, "地区"):  # (no 区划代码 column when empty)
            out += [Seen(f"需求与供给:{r['地区'].value}:{c}", "", cell_text(v), "服务缺口下载·需求与供给", named=False)
                    for c, v in r.items() if c not in ("区划代码", "地区")]
    return out


GAP_COLUMNS = {"supply": "供给数", "demand": "需求数", "shortfall": "缺口（单位数）", "gap_share": "缺口率（%）"}


def gap_tables(at: AppTest, gap: str) -> list[Seen]:
    """The gaps page's table of areas and its download (and the street league and its download): each area's
    supply, demand, shortfall and 缺口率 as shown and as downloaded."""
    out = []
    for marks, dl_key, name in ((("standard_value", "area_type"), "dl_gap", "area_name"),
                                (("standard", "county_name"), "dl_league", "street_name")):
        shown = [d.value for d in at.dataframe if set(marks) <= set(d.value.columns)]
        if not shown:
            continue
        for r in shown[0].to_dict("records"):
            for c in GAP_COLUMNS:
                if c in r:
                    out.append(Seen(f"{gap}:{r['area_name']}:{c}", "", str(r[c]), f"服务缺口表·{gap}", named=False))
        head = "地区" if name == "area_name" else "街道（乡镇）"
        for r in sheet_rows(download(at, dl_key), None, head):
            for c, h in GAP_COLUMNS.items():
                if h in r:
                    v = cell_text(r[h])
                    out.append(Seen(f"{gap}:{r[head].value}:{c}", "", f"{v}%" if c == "gap_share" and
                                    re.fullmatch(r"-?[\d.]+", v) else v, f"服务缺口下载·{gap}", named=False))
    return out


def map_page(at: AppTest) -> list[Seen]:
    """流动儿童分布 at its default view (the latest period, all ages, migrant children): the total under the
    table, each street's count in the table and in the page's download."""
    at.switch_page("views/map.py").run()
    assert not at.exception, at.exception
    out = []
    for c in at.caption:
        m = re.match(r"合计：(\S+) 人", c.value)
        if m:
            out.append(Seen("migrant_children", metrics.label("migrant_children"), m.group(1), "流动儿童分布·合计",
                            named=False))
    table = [d.value for d in at.dataframe if {"街道（乡镇）", "人数"} <= set(d.value.columns)]
    for r in table[0].to_dict("records") if table else []:
        out.append(Seen(f"街道流动儿童:{r['街道（乡镇）']}", "", str(r["人数"]), "流动儿童分布·表", named=False))
    for r in sheet_rows(download(at, "map_download"), None, "街道（乡镇）"):
        out.append(Seen(f"街道流动儿童:{r['街道（乡镇）'].value}", "", cell_text(r["人数"]), "流动儿童分布·下载",
                        named=False))
    # per km²: the same figure as the pack's street sheet (每平方公里人数), on the page's table and its download
    at.segmented_control(key="map_metric").set_value("per_km2").run()
    assert not at.exception, at.exception
    label = geo.METRICS["per_km2"][1]
    table = [d.value for d in at.dataframe if {"街道（乡镇）", label} <= set(d.value.columns)]
    for r in table[0].to_dict("records") if table else []:
        out.append(Seen(f"街道每平方公里:{r['街道（乡镇）']}", "", fmt_value(r[label]), "流动儿童分布·表（每平方公里）",
                        named=False))
    for r in sheet_rows(download(at, "map_download"), None, "街道（乡镇）"):
        out.append(Seen(f"街道每平方公里:{r['街道（乡镇）'].value}", "", cell_text(r[label]),
                        "流动儿童分布·下载（每平方公里）", named=False))
    return out


def fmt_value(v) -> str:
    """A number a table holds (as st.dataframe gets it), as text at full precision; "" for none."""
    if isinstance(v, str):  # a table that shows its figures as text ("80.3%", "<5")
        return v
    return "" if v is None or pd.isna(v) else f"{float(v):.10g}"


def key_children_page(data_dir, mp, codes: tuple[str, ...]) -> tuple[list[Seen], list]:
    """重点儿童 as a case worker of the same area sees it: 走访逾期人数 and 重点对象按期走访率 on the cards, and the
    due list's download, where each overdue child is a row (是否逾期 = 是) and 逾期天数 a number. Returns the
    figures and the 逾期天数 cells (for the check that they are numbers)."""
    mp.setenv(DATA_DIR_ENV, str(data_dir))
    at = signed_in(AppTest.from_file(APP, default_timeout=60), "case_worker", codes,
                   username=f"truth-case-{codes[0]}")
    at.switch_page("views/key_children.py").run()
    assert not at.exception, at.exception
    out = []
    cards = {m.label: m.value for m in at.metric}
    for metric in ("visit_overdue", "visit_on_time_rate"):
        if metrics.label(metric) in cards:
            out.append(Seen(metric, metrics.label(metric), cards[metrics.label(metric)], "重点儿童卡片"))
    rows = sheet_rows(download(at, "kc_xlsx"), None, "逾期天数")
    cut = any(c.value.startswith("名单较长") for c in at.caption)  # the list stopped at its limit
    if not cut:
        overdue = sum(1 for r in rows if r["是否逾期"].value == "是")
        out.append(Seen("visit_overdue", "", str(overdue), "重点儿童下载·应访名单逾期行数", named=False))
    return out + matching_page(at), [r["逾期天数"] for r in rows]


def matching_page(at: AppTest) -> list[Seen]:
    """数据比对 as the case worker sees it: each check's 未匹配 and 比对匹配率 in the checks table, and for the check
    shown, the rows of its worklist's download (one row per unmatched child)."""
    at.switch_page("views/matching.py").run()
    assert not at.exception, at.exception
    out = []
    rate = next((c for d in at.dataframe for c in (metrics.label("match_rate"), "匹配率") if c in d.value.columns), None)
    checks = [d.value for d in at.dataframe if {"比对项目", "未匹配", rate} <= set(d.value.columns)]
    if not checks:
        return out
    first = None
    for r in checks[0].to_dict("records"):
        first = first or r["比对项目"]
        out.append(Seen(f"比对未匹配:{r['比对项目']}", "", fmt_value(r["未匹配"]), "数据比对·比对项目表", named=False))
        out.append(Seen(f"比对匹配率:{r['比对项目']}", "", fmt_value(r[rate]), "数据比对·比对项目表", named=False))
    lists = [b for b in at.get("download_button") if b.label.startswith("导出 Excel：致")]
    cut = any(c.value.startswith("名单较长") for c in at.caption)
    if lists and not cut:
        rows = sheet_rows(download(at, label=lists[0].label), None, "姓名（脱敏）")
        out.append(Seen(f"比对未匹配:{first}", "", str(len(rows)), "数据比对·工作名单下载", named=False))
    return out


def data_quality_page(data_dir, mp) -> list[Seen]:
    """数据质量 as a data officer sees it (the extracts are not scoped by region): the late extracts' card, the
    rows of the 逾期未报 table and the late flags of the per-source table, one figure three times."""
    mp.setenv(DATA_DIR_ENV, str(data_dir))
    at = signed_in(AppTest.from_file(APP, default_timeout=60), "data_officer", ("99",), username="truth-data")
    at.switch_page("views/data_quality.py").run()
    assert not at.exception, at.exception
    out = []
    for m in at.metric:
        if m.label in ("逾期未报", metrics.label("extracts_late")):
            out.append(Seen("extracts_late", m.label, m.value, "数据质量卡片", named=False))
    frames = [d.value for d in at.dataframe]
    per_source = [f for f in frames if {"是否逾期", "数据名称", "应报期数"} <= set(f.columns)]
    if per_source:
        late = int((per_source[0]["是否逾期"] == "是").sum())
        out.append(Seen("extracts_late", "", str(late), "数据质量·分数据源（是否逾期）", named=False))
    return out


@pytest.fixture(scope="module", params=list(SCOPES))
def seen(request, data_dir, con) -> dict:
    """Everything the harness recognised for one scope (the pages and the pack run once per scope)."""
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr("streamlit.testing.v1.app_test.MemoryMediaFileStorage", _KeptMedia)
        codes = SCOPES[request.param]
        names = _indicator_metric(con)
        at = _app(data_dir, mp, codes)
        plans = list(tq.plans(con, q.Scope.everything())["plan_id"])
        found = overview(at, names)
        pack_found, pack_files = meeting_pack(at, names)
        found += pack_found + targets_page(at, names, plans) + targets_download(at, names)
        gap_figures, gap_help = gaps_page(at)
        found += gap_figures + volunteers_page(at) + map_page(at)
        case_figures, overdue_days = key_children_page(data_dir, mp, codes)
        found += case_figures
        if request.param == "city":  # the extracts are the deployment's, the same for every scope
            found += data_quality_page(data_dir, mp)
    finally:
        mp.undo()
    canonical = _canonical_names(con)
    return {"scope": request.param, "figures": found, "gap_help": gap_help, "canonical": canonical,
            "pack": pack_files, "codes": codes, "overdue_days": overdue_days}


# --------------------------------------------------------------------------------------------
# The checks


@pytest.mark.parametrize("metric", CASES)
def test_one_name_one_value(seen, metric):
    """Wherever the figure appears it carries its catalogue name and one value."""
    here = [s for s in seen["figures"] if s.metric == metric]
    name = metrics.label(metric)
    misnamed = [f"{s.where}: “{s.label}”" for s in here if s.named and s.label != name]
    assert not misnamed, f"{seen['scope']}: {metric} should be called “{name}”, shown as {misnamed}"
    _one_value(seen["scope"], name, here)


def _one_value(scope: str, name: str, here: list[Seen]) -> None:
    shown = [s for s in here if _number(s.text) is not None or s.text.strip()]
    for a in shown:
        for b in shown:
            assert _agree(a.text, b.text), f"{scope}: {name} is {a.text} on {a.where} but {b.text} on {b.where}"


def test_every_figure_one_value(seen):
    """Every figure the harness recognised (catalogue figures and table figures: an area's 缺口率, a street's count)
    shows one value on the pages, in the pack's PDF and Excel and in every download."""
    by_key: dict[str, list[Seen]] = {}
    for s in seen["figures"]:
        if s.metric:
            by_key.setdefault(s.metric, []).append(s)
    for key, here in by_key.items():
        _one_value(seen["scope"], key, here)


def test_the_harness_reads_every_carried_away_file(seen):
    """Each source the harness reads gave it figures, so a parse that silently finds nothing cannot pass: the
    pack's PDF and Excel, the targets and map downloads and, where the scope has county tables, the gaps'."""
    where = {s.where.split("·")[0] for s in seen["figures"]}
    want = {"会议材料PDF", "会议材料Excel", "流动儿童分布", "总览卡片", "重点儿童卡片", "重点儿童下载", "数据比对"}
    if seen["scope"] != "street":
        want |= {"服务缺口下载", "服务缺口表"}
    if seen["scope"] == "city":
        want |= {"数据质量卡片", "数据质量"}
    if "目标进展状态表" in where:  # the download holds what the page's status tables show
        want.add("目标进展下载")
    assert want <= where, f"{seen['scope']}: nothing read from {sorted(want - where)}"
    pdf = [s for s in seen["figures"] if s.where == "会议材料PDF·主要指标"]
    excel = [s for s in seen["figures"] if s.where == "会议材料Excel·主要指标"]
    assert sorted(s.label for s in pdf) == sorted(s.label for s in excel), "every headline figure is in the PDF"
    both = {s.metric for s in seen["figures"] if s.where.startswith("会议材料PDF")} & \
        {s.metric for s in seen["figures"] if s.where.startswith("总览")}
    assert {"migrant_children", "key_children", "volunteer_person_times"} <= both


def test_downloads_keep_numbers_numbers(seen):
    """逾期天数 in the due list's Excel is a number a spreadsheet can sort and sum, not text; 缺口率 cells of the
    pack are numbers in percent format (checked as they are read)."""
    days = seen["overdue_days"]
    assert days, f"{seen['scope']}: the due list has rows"
    text = [c.value for c in days if c.value is not None and not isinstance(c.value, float)]
    assert not text, f"{seen['scope']}: 逾期天数 as text: {text[:5]}"


def _fill(page) -> float:
    """How far down a PDF page its text reaches, as a share of the space between header and footer."""
    top, bottom = float(page.mediabox.height) - 15 * 72 / 25.4, 16 * 72 / 25.4
    ys = []
    page.extract_text(visitor_text=lambda text, cm, tm, font, size: ys.append(tm[5] * cm[3] + cm[5])
                      if text.strip() else None)
    body = [y for y in ys if bottom + 4 < y < top]
    return (top - min(body)) / (top - bottom) if body else 0.0


def test_pack_has_no_half_empty_pages(seen):
    """Every page between the cover and the last is filled at least two thirds down (the map's page is filled
    by the map): a section that cannot start on a page must not leave it half empty."""
    from report import pack as rp

    reader = pypdf.PdfReader(io.BytesIO(seen["pack"]["pdf"]))
    thin = [(i + 1, round(_fill(p), 2)) for i, p in enumerate(reader.pages[1:-1], start=1)
            if _fill(p) < 2 / 3 and rp.MAP_TITLE not in p.extract_text()]
    assert not thin, f"{seen['scope']}: pages (number, share filled) {thin}"


def test_pack_cover_names_the_scope(seen, con):
    """The pack's cover names the region the leader's scope covers, from the city down (示范市东湖区凤亭镇)."""
    codes = seen["codes"]
    city = qpack.city_name(con, q.Scope.of(*codes))
    cover = seen["pack"]["pages"][0]
    want = city
    if len(codes[0]) >= 6:
        want += q.counties(con, q.Scope.of(codes[0][:6]))["county_name"].iloc[0]
    if len(codes[0]) >= 9:
        shapes = geo.shapes(con, q.Scope.of(codes[0]), "street")
        want += shapes["region_name"].iloc[0]
    assert f"区域 {want}" in re.sub(r"[ \u3000]+", " ", cover), cover


def test_a_name_means_one_figure(seen):
    """No name is shown for two different figures, and every figure about vaccination, health records or
    visits is called by a catalogue name (so its (?) definition can be found)."""
    by_label: dict[str, set[str]] = {}
    for s in seen["figures"]:
        if s.metric and s.named:
            by_label.setdefault(s.label, set()).add(s.metric)
    assert not {k: v for k, v in by_label.items() if len(v) > 1}
    names = {m.name_zh for m in metrics.catalogue().values()} | set(seen["canonical"])
    loose = sorted({s.label for s in seen["figures"] if any(w in s.label for w in CASE_WORDS)} - names)
    assert not loose, f"{seen['scope']}: figures not named by the catalogue: {loose}"


def test_gap_figures_carry_their_definition(seen):
    """The gaps page's vaccination, health-record and visit figures carry the catalogue's (?) definition, so
    a reader can tell them from the department-reported rates of the same names' families."""
    shown = [f for f in seen["figures"] if f.where.startswith("服务缺口·")]
    missing = [f.where for f in shown if seen["gap_help"].get(f.where) != metrics.help(f.metric)]
    assert shown or seen["scope"] == "street", "the city and county pages show gap rate cards"
    assert not missing, f"{seen['scope']}: no catalogue (?) on {missing}"


# --------------------------------------------------------------------------------------------
# The catalogue itself


def test_catalogue_rows_are_complete_and_distinct():
    """Every entry has the columns of config/metrics.csv filled where they must be, one id, one name."""
    import csv

    with metrics.path().open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == metrics.COLUMNS
    ids, names = [r["metric_id"] for r in rows], [r["name_zh"] for r in rows]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    for r in rows:
        assert r["name_zh"] and r["definition_zh"] and r["source"] and r["kind"] in ("computed", "reported"), r
        assert r["higher_is_better"] in ("true", "false", ""), r


def test_every_headline_and_plan_model_has_an_entry(con):
    """The overview's cards and each computed plan indicator's model are catalogue entries."""
    from warehouse.queries import meeting

    cat = metrics.catalogue()
    assert set(meeting.HEADLINE_METRICS.values()) <= set(cat)
    models = read_sql(con, "select distinct model from plan_indicators where kind = 'computed'")["model"]
    assert set(models) <= set(cat)


def test_catalogue_columns_exist_in_the_snapshot(con):
    """Each computed entry's numerator and denominator name a column of a model the snapshot holds, so a
    definition points at the data it is computed from (the map's, matching and data-quality entries too)."""
    tables = set(read_sql(con, "select table_name from information_schema.tables")["table_name"])
    cols = read_sql(con, "select table_name, column_name from information_schema.columns")
    have = set(zip(cols["table_name"], cols["column_name"]))
    # a long model (one row per measure, as gap_measures) names its figures by measure, not by column
    have |= {("gap_measures", m) for m in read_sql(con, "select distinct measure from gap_measures")["measure"]}
    missing = []
    for m in metrics.catalogue().values():
        if m.kind != "computed":
            continue
        for model, column in re.findall(r"([a-z_]+)\.([a-z_0-9]+)", f"{m.numerator} {m.denominator}"):
            if (model, column) not in have:
                missing.append(f"{m.metric_id}: {model}.{column}")
        if m.numerator and "." not in m.numerator and m.numerator not in tables:
            missing.append(f"{m.metric_id}: {m.numerator}")
    assert not missing, missing
    for page_figure in ("children_per_km2", "children_per_1000_residents", "children_share_of_under16",
                        "match_rate", "extracts_late", "completeness", "rejection_rate"):
        assert metrics.help(page_figure), page_figure


def test_a_deployment_catalogue_is_read_again_when_it_changes(tmp_path, monkeypatch):
    """A deployment's own config/metrics.csv wins, and an edit is seen without a restart."""
    import shutil

    shutil.copy(metrics.path(), tmp_path / "metrics.csv")
    monkeypatch.setenv("TONGXIN_CONFIG_DIR", str(tmp_path))
    assert metrics.label("key_children") == "重点对象"
    text = (tmp_path / "metrics.csv").read_text(encoding="utf-8").replace("key_children,重点对象,", "key_children,重点儿童,")
    (tmp_path / "metrics.csv").write_text(text, encoding="utf-8")
    assert metrics.label("key_children") == "重点儿童"
    monkeypatch.delenv("TONGXIN_CONFIG_DIR")
    assert metrics.label("key_children") == "重点对象"
