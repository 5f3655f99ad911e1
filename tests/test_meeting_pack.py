"""The meeting pack (report.pack): PDF + Excel built offline through the door, read back and checked against
the source queries (warehouse.queries.meeting via queries.run) — for the whole city and for one county."""
from __future__ import annotations

import io
import ipaddress
import re
import socket
from pathlib import Path

import pandas as pd
import pypdf
import pytest
from python_calamine import CalamineWorkbook

from report import figures, pack
from ui import format as fmt
from ui import map as mp
from ui import overview as ov
from warehouse import queries as q
from warehouse.queries import geo, meeting, privacy

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
    assert len(reader.pages) >= 6
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


def test_cover_names_region_period_and_data_date(built):
    cover = built["pages"][0]
    assert pack.TITLE in cover  # Chinese extracted as text, not glyph ids
    assert built["label"] in cover
    assert fmt.period_label(built["period"]) in cover
    assert pd.Timestamp(built["info"].data_date).strftime("%Y-%m-%d") in cover
    assert (pack.DEMO_MARK in cover) == built["info"].is_demo
    assert "\x00" not in "".join(built["pages"])


def test_page_numbers_and_demo_mark_on_every_page(built):
    n = len(built["pages"])
    for i, text in enumerate(built["pages"], start=1):
        assert f"第 {i} 页 / 共 {n} 页" in text
        if built["info"].is_demo:
            assert pack.DEMO_MARK in text


def test_headline_figures_equal_the_overview_cards(con, built):
    """Each headline figure of meeting.headline (through the door) is in the PDF as the overview card shows it."""
    head = q.run(meeting.headline, con, built["scope"], built["period"])
    assert len(head) >= 6
    page = next(t for t in built["pages"] if "主要指标" in t)
    lines = page.splitlines()
    for row in head.to_dict("records"):
        line = next((ln for ln in lines if ln.startswith(row["label"] + " ")), None)
        assert line is not None, f"no line for {row['label']}"
        figure = ov.value_text(row)
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


def test_sections_present(built):
    text = "".join(built["pages"])
    for title in ("一、主要指标", "二、重点对象风险等级", "三、", "四、服务缺口", "五、滞后与逾期目标", "六、志愿服务"):
        assert title in text


def test_off_track_targets_with_department(con, built):
    off = q.run(meeting.off_track_targets, con, built["scope"], built["period"])
    flat = _flat("".join(built["pages"]))
    for r in off.to_dict("records"):
        assert _flat(f"{r['status']}{r['indicator_name']}{r['department']}") in flat, r["indicator_name"]


def test_largest_gaps_equal_the_source(con, built):
    top = q.run(meeting.top_county_gaps, con, built["scope"], built["period"], n=3)
    page = next(t for t in built["pages"] if "四、服务缺口" in t)
    lines = [ln for ln in page.splitlines() if re.match(r"^\d+ ", ln)]
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
    assert built["label"] in about and fmt.period_label(built["period"]) in about
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
