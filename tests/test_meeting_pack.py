"""The meeting pack (report.pack): PDF + Excel built offline through the door, read back and checked against
the source queries (warehouse.queries.meeting via queries.run) — for the whole city and for one county."""
from __future__ import annotations

import io
import ipaddress
import itertools
import re
import socket
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pypdf
import pytest
from python_calamine import CalamineWorkbook

from report import figures, pack
from report.cards import value_text
from ui import format as fmt
from ui import map as mp
from warehouse import queries as q
from warehouse.queries import geo, meeting, privacy
from warehouse.queries import pack as qpack

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CITY = "全市"


def _local(address) -> bool:
    if isinstance(address, str):  # AF_UNIX
        return True
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _build(con, scope: q.Scope, period: str, label: str) -> dict:
    """Build the pack with every non-local connection refused (and recorded)."""
    outside: list = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self, address):
        if not _local(address):
            outside.append(address)
            raise OSError(f"network disabled in this test: {address!r}")
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _local(address):
            outside.append(address)
            return 111
        return real_connect_ex(self, address)

    info = q.snapshot_info(con)
    steps: list[tuple[float, str]] = []
    with pytest.MonkeyPatch.context() as mpatch:
        mpatch.setattr(socket.socket, "connect", connect)
        mpatch.setattr(socket.socket, "connect_ex", connect_ex)
        pdf, xlsx = pack.build(con, scope, period, region_label=label, data_date=info.data_date,
                               is_demo=info.is_demo, progress=lambda f, m: steps.append((f, m)))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = [p.extract_text() for p in reader.pages]
    wb = CalamineWorkbook.from_filelike(io.BytesIO(xlsx))
    sheets = {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}
    return {"pdf": pdf, "xlsx": xlsx, "reader": reader, "pages": pages, "sheets": sheets, "outside": outside,
            "steps": steps, "scope": scope, "label": label, "period": period, "info": info}


@pytest.fixture(scope="module")
def period(con) -> str:
    return str(q.periods(con)["period"].iloc[0])


@pytest.fixture(scope="module")
def county(con, period) -> tuple[str, str]:
    """A county of the regions mart; preferably one whose figures have suppressed cells (exercises "<5")."""
    counties = q.counties(con, q.Scope.everything())
    for code, name in zip(counties["county_code"], counties["county_name"]):
        risk = q.run(meeting.risk_levels, con, q.Scope.of(code), period)
        if "children_suppressed" in risk and risk["children_suppressed"].any():
            return code, name
    return counties["county_code"].iloc[-1], counties["county_name"].iloc[-1]


@pytest.fixture(scope="module")
def city(con, period) -> dict:
    built = _build(con, q.Scope.everything(), period, CITY)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "meeting_pack.pdf").write_bytes(built["pdf"])
    (ARTIFACTS / "meeting_pack.xlsx").write_bytes(built["xlsx"])
    return built


@pytest.fixture(scope="module")
def one_county(con, period, county) -> dict:
    built = _build(con, q.Scope.of(county[0]), period, county[1])
    (ARTIFACTS / "meeting_pack_county.pdf").write_bytes(built["pdf"])
    return built


@pytest.fixture(params=["city", "one_county"])
def built(request) -> dict:
    return request.getfixturevalue(request.param)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --------------------------------------------------------------------------------------------
# Offline


def test_built_offline(built):
    assert built["outside"] == [], f"the build tried to reach {built['outside']}"
    scripts = [s[0] if isinstance(s, tuple) else s for s in figures.page_generator()._scripts]
    assert scripts and not any(str(s).startswith(("http:", "https:", "//")) for s in scripts), scripts
    fractions = [f for f, _ in built["steps"]]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


# --------------------------------------------------------------------------------------------
# PDF: format, fonts, text


def test_pdf_is_a4_landscape_with_embedded_fonts(built):
    reader = built["reader"]
    assert len(reader.pages) >= 3  # sections follow each other: fewer pages, none half-empty
    fonts = 0
    for page in reader.pages:
        box = page.mediabox
        assert abs(float(box.width) - 842) <= 1 and abs(float(box.height) - 595) <= 1
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for desc in font.get("/DescendantFonts", [font]):
                fd = desc.get_object()["/FontDescriptor"].get_object()
                assert "/FontFile2" in fd or "/FontFile3" in fd, f"font {font['/BaseFont']} is not embedded"
                fonts += 1
    assert fonts


def test_cover_names_region_period_and_data_date(con, built):
    cover = built["pages"][0]
    assert pack.TITLE in cover  # Chinese extracted as text, not glyph ids
    city = qpack.city_name(con, built["scope"])
    assert city and city in cover and "全市" not in cover  # the deployment's own city, not "全市"
    if built["label"] != CITY:
        assert built["label"] in cover
    assert pack.CLASSIFICATION in cover
    assert re.search(r"生成时间\s*\d{4}-\d\d-\d\d \d\d:\d\d（北京时间）", cover), cover
    assert fmt.period_label(built["period"]) in cover
    assert pd.Timestamp(built["info"].data_date).strftime("%Y-%m-%d") in cover
    assert (pack.DEMO_MARK in cover) == built["info"].is_demo
    assert "\x00" not in "".join(built["pages"])


def test_page_numbers_and_demo_mark_on_every_page(built):
    n = len(built["pages"])
    for i, text in enumerate(built["pages"], start=1):
        assert f"第 {i} 页 / 共 {n} 页" in text
        assert text.count(pack.CLASSIFICATION) >= (1 if i == 1 else 2), (i, "内部资料 in the header and footer")
        if built["info"].is_demo:
            assert pack.DEMO_MARK in text


def test_headline_figures_equal_the_overview_cards(con, built):
    """Each headline figure of meeting.headline (through the door) is in the PDF as the overview card shows it."""
    head = q.run(meeting.headline, con, built["scope"], built["period"])
    assert len(head) >= 6
    lines = _section_text(built, "主要指标").splitlines()
    for row in head.to_dict("records"):
        line = next((ln for ln in lines if ln.startswith(row["label"] + " ")), None)
        assert line is not None, f"no line for {row['label']}"
        figure = value_text(row)
        assert line.split()[1] == (figure if figure == fmt.NONE else f"{figure}{row['unit']}"), (row["label"], line)


def test_suppressed_counts_show_their_label(con, one_county):
    risk = q.run(meeting.risk_levels, con, one_county["scope"], one_county["period"])
    page = next(t for t in one_county["pages"] if "分风险等级人数" in t)
    for r in risk.to_dict("records"):
        line = next(ln for ln in page.splitlines() if ln.startswith(str(r["risk_level"]) + " "))
        shown = r["children_label"] if r.get("children_suppressed") else fmt.number(r["children"])
        assert line.split()[1] == shown
    if risk["children_suppressed"].any():
        assert privacy.mark() in page


def test_map_page_has_the_legend(con, built):
    """A page with the map title and every legend class, computed as the map page classifies."""
    streets = q.run(meeting.street_density, con, built["scope"], built["period"])
    suppressed = streets.get("children_suppressed", False)
    shown = streets.loc[~pd.Series(suppressed, index=streets.index).astype(bool), "children"]
    rows = mp.legend_rows(mp.class_breaks(shown), "children", False, shown)
    page = next((t for t in built["pages"] if pack.MAP_TITLE in t), None)
    assert page is not None, "no map page"
    flat = _flat(page)
    assert "图例" in page and rows
    for _, text in rows:
        assert _flat(text) in flat, text
    t = privacy.threshold()
    assert _flat(f"不足{t}人，不着色（显示为“<{t}”") in flat
    img = built["reader"].pages[built["pages"].index(page)]
    assert len(img.images) >= 1  # the map itself


def _titles(built) -> list[str]:
    return re.findall(r"^[一二三四五六七八九十]、(\S+)$", "\n".join(built["pages"]), re.MULTILINE)


def _section_text(built, title: str) -> str:
    """The text of one section: from its numbered title to the next one (page headers and footers included)."""
    text = "\n".join(built["pages"])
    start = re.search(rf"^[一二三四五六七八九十]、{re.escape(title)}$", text, re.MULTILINE)
    assert start, f"no section {title}"
    end = re.search(r"^[一二三四五六七八九十]、\S+$", text[start.end():], re.MULTILINE)
    return text[start.end(): start.end() + end.start() if end else len(text)]


def test_sections_present(built):
    titles = _titles(built)
    want = [pack.SUMMARY_TITLE, "主要指标", *([pack.RANKING_TITLE] if built["label"] == CITY else []), "服务缺口",
            pack.TARGETS_TITLE, pack.FOLLOWUP_TITLE, pack.MAP_TITLE, "重点对象风险等级", "志愿服务"]
    # the map floats to the top of the next page a section starts when it does not fit on the rest of a page
    assert [t for t in titles if t != pack.MAP_TITLE] == [t for t in want if t != pack.MAP_TITLE]
    assert titles.count(pack.MAP_TITLE) == 1 and titles.index(pack.MAP_TITLE) > titles.index(pack.TARGETS_TITLE)
    numbers = re.findall(r"^([一二三四五六七八九十])、\S+$", "\n".join(built["pages"]), re.MULTILINE)
    assert "".join(numbers) == "一二三四五六七八九十"[:len(want)], "numbered in print order"


def test_off_track_targets_with_department(con, built):
    off = q.run(meeting.off_track_targets, con, built["scope"], built["period"])
    flat = _flat(_section_text(built, pack.TARGETS_TITLE))
    for r in off.to_dict("records"):
        assert _flat(f"{r['status']}{r['indicator_name']}") in flat, r["indicator_name"]
        assert _flat(str(r["department"])) in flat and _flat(str(r["plan_name"])) in flat, r["indicator_name"]


def test_no_indicator_listed_twice(con, built):
    """An indicator held by several plans is one row naming every plan; the headline names each figure once."""
    off = q.run(meeting.off_track_targets, con, built["scope"], built["period"])
    rows = pack.off_track_rows(off)
    names = [r["indicator"] for r in rows]
    assert len(names) == len(set(names)), names
    flat = _flat(_section_text(built, pack.TARGETS_TITLE))
    for r in rows:
        assert flat.count(_flat(f"{r['status']}{r['indicator']}")) == 1, r["indicator"]
    shared = off.groupby("indicator_name")["plan_name"].nunique()
    for name in shared[shared > 1].index:  # the shared ones name each of their plans
        row = next(r for r in rows if r["indicator"] == name)
        assert len(row["plans"]) == shared[name]
    head = q.run(meeting.headline, con, built["scope"], built["period"])
    assert head["label"].is_unique


def test_plan_names_from_the_plan_catalogue(con, built):
    from warehouse.queries import targets

    catalogue = set(targets.plans(con, built["scope"])["plan_name"])
    for r in pack.off_track_rows(q.run(meeting.off_track_targets, con, built["scope"], built["period"])):
        assert set(r["plans"]) <= catalogue, r["plans"]


def test_summary_has_three_parts_written_from_the_figures(con, built):
    text = _section_text(built, pack.SUMMARY_TITLE)
    lines = [ln.strip() for ln in text.splitlines()]
    for heading in pack.SUMMARY_HEADINGS:
        assert heading in lines, heading
    d = pack.collect(con, built["scope"], built["period"])
    parts = pack.summary(d)
    flat = _flat(text)
    for heading, sentences in parts.items():
        assert sentences, heading
        for s in sentences:
            assert _flat(s) in flat, s
    off = pack.off_track_rows(d.off_track)
    problems = _flat("".join(parts["问题"]))
    for r in off:  # each slipped target is named with the department that leads it
        assert _flat(r["indicator"]) in problems or len(off) > 4
        assert _flat("、".join(r["departments"])) in problems
    for r in d.gaps.dropna(subset=["measure_label"]).to_dict("records"):  # and each lagging area with its gap
        assert _flat(f"{r['area_name']}：最大缺口为{r['measure_label']}") in problems
    assert len(parts["下步建议"]) == len(parts["问题"])  # one line of advice per problem


def test_ranking_table_per_county_with_flags(con, city):
    """One row per county, its counts as the overview shows that county, each rate flagged by its status."""
    ranking = q.run(qpack.county_ranking, con, city["scope"], city["period"])
    counties = q.counties(con, city["scope"])
    assert sorted(ranking["county_code"]) == sorted(counties["county_code"])
    lines = _section_text(city, pack.RANKING_TITLE).splitlines()
    for r in ranking.to_dict("records"):
        line = next((ln for ln in lines if re.match(rf"^{int(r['rank'])} {re.escape(r['county_name'])} ", ln)), None)
        assert line is not None, r["county_name"]
        head = q.run(meeting.headline, con, q.Scope.of(r["county_code"]), city["period"]).set_index("metric")
        for m in ("migrant", "key_children"):
            h = head.loc[m]
            want = h["people_label"] if h.get("people_suppressed") is True else fmt.count(h["value"], card=True)
            assert f" {want} " in f" {line} ", (m, line)
        for k in meeting.RATE_MODELS:
            if pd.notna(r[k]):
                assert fmt.percent(r[k], points=True) in line
    # the flags: a table cell filled with the status colour for every flagged status
    d = pack.collect(con, city["scope"], city["period"])
    table = pack._ranking_section(d).blocks[0]
    for row, fills in zip(ranking.to_dict("records"), table.fills):
        statuses = [row[f"{k}_status"] for k in meeting.RATE_MODELS]
        assert [f for f in fills if f] == [pack.FLAG_FILLS[s] for s in statuses if s in pack.FLAG_FILLS]


def test_targets_table_flags_each_status(con, city):
    d = pack.collect(con, city["scope"], city["period"])
    table = pack._targets_section(d).blocks[0]
    for row, fills in zip(table.rows, table.fills):
        assert fills[0] == pack.FLAG_FILLS.get(row[0]) and not any(fills[1:])


def test_flag_colours_follow_status():
    assert pack.FLAG_FILLS["已达标"] != pack.FLAG_FILLS["滞后"] != pack.FLAG_FILLS["未达标"]
    assert "正常" not in pack.FLAG_FILLS and "未设区县目标" not in pack.FLAG_FILLS  # neutral: no colour
    assert pack.place("示范市", "全市") == "示范市" and pack.place("示范市", "青石县") == "示范市青石县"
    assert pack.place(None, "全市") == "全市"


def test_street_cover_names_city_county_and_street(con, period):
    """A street's pack names the street with its county and city (示范市东湖区凤亭镇): the overview passes the
    street user's county as the label, and a street's name alone does not say where it is."""
    from report import pdf as doc

    streets = geo.shapes(con, q.Scope.everything(), "street")
    code, street = streets["region_code"].iloc[0], streets["region_name"].iloc[0]
    county = q.counties(con, q.Scope.of(code[:6]))["county_name"].iloc[0]
    scope = q.Scope.of(code[:9])
    d = pack.collect(con, scope, period)
    region = pack.region_name(d, scope, county)
    want = f"{qpack.city_name(con, scope)}{county}{street}"
    assert region == want
    out = doc.render(doc.Cover(pack.TITLE, [("区域", region)]), [], "x")
    assert want in pypdf.PdfReader(io.BytesIO(out)).pages[0].extract_text()
    assert pack.region_name(pack.collect(con, q.Scope.of(code[:6]), period), q.Scope.of(code[:6]), county) \
        == f"{qpack.city_name(con, scope)}{county}"


def test_long_headers_wrap_whole_and_even():
    """A long header in a narrow column is printed whole, in lines of even length: never cut, never a lone
    character on a line of its own (重点对象近30天走访 / 率)."""
    from report import pdf as doc

    headers = ["排名", "区县", "区域类型", "流动儿童", "重点对象", "重点对象近30天走访率", "流动儿童公办学校就读比例",
               "0—6岁流动儿童健康档案建档率（计算值）", "综合缺口指数", "最大缺口"]  # the county ranking's
    table = doc.Table(headers, [["1", "东湖区", "主城区", "1,116", "74", "85.1%", "72.2%", "78.7%", "12.6", "托位"]],
                      widths=[0.45, 0.9, 0.75, 0.85, 0.85, 1.5, 1.5, 1.5, 0.95, 1.4], size=10)
    out = doc.render(doc.Cover(pack.TITLE, []), [doc.Section("排名", [table])], "x")
    text = pypdf.PdfReader(io.BytesIO(out)).pages[1].extract_text()
    head = next(ln for ln in text.splitlines() if ln.startswith("排名 "))
    assert _flat(head) == _flat("".join(headers)), head  # every character, in order
    pieces = head.split()
    assert all(len(p) >= 2 for p in pieces), pieces
    assert not any(re.search(r"\d$", a) and re.match(r"\d", b) for a, b in itertools.pairwise(pieces)), pieces
    assert "重点对象近30天走访率" not in pieces, "a header wider than its column is wrapped"


def test_names_are_printed_as_text_not_markup():
    """Region, plan and department names are data: markup-like characters print as typed."""
    from report import pdf as doc

    name = "**东湖区**<b>--</b>"
    out = doc.render(doc.Cover(pack.TITLE, [("区域", name)], classification=pack.CLASSIFICATION),
                     [doc.Section("一、工作小结", [doc.Text(f"1. {name}：最大缺口为托位。")])], name)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(out)).pages)
    assert _flat(name) in _flat(text) and pack.CLASSIFICATION in text


def test_largest_gaps_equal_the_source(con, built):
    top = q.run(meeting.top_county_gaps, con, built["scope"], built["period"], n=3)
    lines = [ln for ln in _section_text(built, "服务缺口").splitlines() if re.match(r"^\d+ ", ln)]
    assert len(lines) == len(top)
    for line, r in zip(lines, top.to_dict("records")):
        short = fmt.NONE if pd.isna(r["shortfall"]) else f"{int(r['shortfall']):,}"
        assert line.startswith(f"{int(r['rank'])} {r['area_name']} "), line
        assert f" {float(r['gap_index']):.1f} {r['measure_label']} {short}" in line, line


# --------------------------------------------------------------------------------------------
# Scope


def test_county_pack_shows_no_other_county(con, one_county, county):
    everything = q.Scope.everything()
    others = set(q.counties(con, everything)["county_name"]) - {county[1]}
    streets = geo.shapes(con, everything, "street")
    others |= set(streets.loc[~streets["region_code"].str.startswith(county[0][:6]), "region_name"])
    assert others, "the fixture should have more than one county"
    text = "".join(one_county["pages"])
    cells = [str(c) for rows in one_county["sheets"].values() for r in rows for c in r]
    for name in others:
        assert name not in text, f"{name} in the county's PDF"
        assert not any(name in c for c in cells), f"{name} in the county's workbook"
    assert county[1] in text


# --------------------------------------------------------------------------------------------
# Excel


def test_workbook_sheets_and_notes(con, built):
    tables = q.run(meeting.pack_tables, con, built["scope"], built["period"])
    sheets = built["sheets"]
    assert next(iter(sheets)) == "说明"
    assert set(tables) <= set(sheets)
    about = "".join(str(c) for r in sheets["说明"] for c in r)
    assert pack.place(qpack.city_name(con, built["scope"]), built["label"]) in about
    assert fmt.period_label(built["period"]) in about and pack.CLASSIFICATION in about
    assert pd.Timestamp(built["info"].data_date).strftime("%Y-%m-%d") in about
    assert privacy.mark() in about
    assert (pack.DEMO_MARK in about) == built["info"].is_demo


def test_workbook_cells_equal_the_source_tables(con, built):
    """Every sheet of meeting.pack_tables (through the door) is in the workbook cell for cell; suppressed counts
    as their label, and no declared count column holds 1..4 (small-number rule, non-exact scope)."""
    tables = q.run(meeting.pack_tables, con, built["scope"], built["period"])
    declared = meeting.pack_tables.__privacy__["frames"]
    t = privacy.threshold()
    for name, df in tables.items():
        rows = built["sheets"][name]
        headers = rows[0]
        body = rows[1:]
        visible = [c for c in df.columns if not (str(c).endswith(("_suppressed", "_label"))
                                                  and str(c).rsplit("_", 1)[0] in df.columns)]
        assert headers == visible, name
        assert len(body) == len(df), name
        for i, rec in enumerate(df.to_dict("records")):
            for j, c in enumerate(visible):
                got, want = body[i][j], rec[c]
                if rec.get(f"{c}_suppressed") is True:
                    assert got == rec[f"{c}_label"], (name, c, i)
                elif want is None or pd.isna(want):
                    assert got in ("", None), (name, c, i, got)
                elif isinstance(want, int | float) and not isinstance(want, bool):
                    assert float(got) == pytest.approx(float(want), abs=1e-6), (name, c, i)
                elif hasattr(want, "strftime"):
                    assert got == pd.Timestamp(want).strftime("%Y-%m-%d"), (name, c, i)
                else:
                    assert str(got) == str(want), (name, c, i)
        spec = declared.get(name, {})
        for c in spec.get("counts", []):
            j = headers.index(c)
            rows_of_people = body
            if c in spec.get("where", {}):  # counts of people only on some rows (indicators in 人)
                col, values = spec["where"][c]
                rows_of_people = [r for r in body if r[headers.index(col)] in values]
            small = [r[j] for r in rows_of_people if isinstance(r[j], int | float) and 0 < r[j] < t]
            assert not small, f"{name}.{c} shows small counts {small}"


def test_exact_scope_collects_without_labels(con, period):
    """Case roles (exact scopes) get no suppression columns from the door; the pack adds plain labels."""
    d = pack.collect(con, q.Scope.everything(exact=True), period)
    section = pack._map_section(d, None, 1.0, True)
    assert section.title.endswith(pack.MAP_TITLE)
    assert not d.streets["children_suppressed"].any()


def test_rare_characters_outside_the_base_font_are_embedded_as_text():
    """A place name with a character outside GB2312 (䶮) comes out as text through the extra font."""
    from report import fonts
    from report import pdf as doc

    assert fonts.missing("䶮县青石") == "䶮"
    out = doc.render(doc.Cover(pack.TITLE, [("区域", "䶮县")]), [doc.Section("一、主要指标", [doc.Text("䶮县 1,234")])],
                     "䶮县")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(out)).pages)
    assert "䶮县" in text and "1,234" in text


def _number_formats(xlsx: bytes, sheet: str, header: str) -> list[tuple[object, str]]:
    """(value, number format) of every cell below `header` in `sheet`, read from the workbook's XML."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    z = zipfile.ZipFile(io.BytesIO(xlsx))
    wb = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    rid = next(s.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
               for s in wb.find("m:sheets", ns) if s.get("name") == sheet)
    target = next(r.get("Target") for r in rels if r.get("Id") == rid)
    ws = ElementTree.fromstring(z.read("xl/" + target.removeprefix("/xl/")))
    shared = [("".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")))
              for si in ElementTree.fromstring(z.read("xl/sharedStrings.xml"))]
    styles = ElementTree.fromstring(z.read("xl/styles.xml"))
    custom = {n.get("numFmtId"): n.get("formatCode") for n in styles.iterfind("m:numFmts/m:numFmt", ns)}
    builtin = {"0": "General", "9": "0%", "10": "0.00%", "3": "#,##0", "4": "#,##0.00"}
    xfs = [x.get("numFmtId", "0") for x in styles.find("m:cellXfs", ns)]
    col, out = None, []
    for c in ws.iter(f"{{{ns['m']}}}c"):
        letters = re.match(r"[A-Z]+", c.get("r")).group()
        v = c.find("m:v", ns)
        text = None if v is None else (shared[int(v.text)] if c.get("t") == "s" else v.text)
        if text == header and c.get("t") == "s":
            col = letters
            continue
        if col == letters and v is not None:
            fid = xfs[int(c.get("s", "0"))]
            out.append((text if c.get("t") == "s" else float(text), custom.get(fid, builtin.get(fid, fid))))
    return out


def test_workbook_rates_are_numbers_formatted_as_percent(city):
    for sheet in ("缺口最大的地区", pack.RANKING_TITLE):
        cells = _number_formats(city["xlsx"], sheet, "缺口率")
        assert cells, sheet
        for value, number_format in cells:
            assert isinstance(value, float) and 0 <= value <= 1, (sheet, value)
            assert "%" in number_format, (sheet, number_format)


def test_the_followup_table_is_the_followup_pages_per_county(built, con):
    # 督办 per county, as the 督办 page and 总览 read it through the door: the same labels in the PDF and the sheet
    from ui import followup as uf

    want = uf.county_table(uf.county_summary(con, built["scope"]))
    assert len(want), "the fixture's worklists list no child"
    text = _flat(_section_text(built, pack.FOLLOWUP_TITLE))
    for r in want.astype(str).values.tolist():
        assert _flat("".join(r)) in text, r
    sheet = built["sheets"][pack.FOLLOWUP_TITLE]
    assert [[str(c) for c in row] for row in sheet[1:]] == want.astype(str).values.tolist()
    if built["label"] != CITY:  # a county's pack names no other county
        assert want["区县"].tolist() == [built["label"]]

