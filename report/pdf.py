"""The meeting pack as PDF (fpdf2): A4 landscape, Noto Sans CJK SC embedded, a cover, one section per
topic (charts as images, tables as text), the map with its legend, and "第 X 页 / 共 Y 页" footers.

Content is a list of blocks built by report.pack; this module only lays them out."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from report import fonts

FAMILY = "NotoSansSC"
EXTRA = "NotoSansSCExtra"
INK = (38, 39, 48)
MUTED = (110, 115, 125)
ACCENT = (43, 108, 176)
HEAD_FILL = (232, 239, 247)
ZEBRA = (247, 248, 250)
RED = (192, 57, 43)
MAP_MIN_H = 100  # mm: a smaller map cannot be read at street level


@dataclass
class Text:
    text: str
    size: float = 11
    bold: bool = False
    color: tuple[int, int, int] = INK


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    widths: list[float] | None = None  # relative column widths
    align: list[str] | None = None  # "L"/"R"/"C" per column
    title: str | None = None
    size: float = 9.5
    fills: list[list[str | None]] | None = None  # per cell: a hex background (a status flag) or None


@dataclass
class Image:
    png: bytes
    width_mm: float
    ratio: float  # width / height
    caption: str | None = None


@dataclass
class Legend:
    title: str
    rows: list[tuple[str, str]]  # (hex colour, text)
    dashed: set[int] = field(default_factory=set)  # rows drawn with a dashed border (suppressed class)
    notes: list[str] = field(default_factory=list)


@dataclass
class MapPage:
    image: Image
    legend: Legend
    table: Table | None = None
    min_height: float = MAP_MIN_H  # mm: a few streets read at a smaller size than a city's eighty


@dataclass
class Section:
    title: str
    blocks: list = field(default_factory=list)
    intro: str | None = None
    new_page: bool = False  # else the section follows the previous one when its start fits on the page


@dataclass
class Cover:
    title: str
    lines: list[tuple[str, str]]  # (label, value)
    demo_mark: str | None = None
    notes: list[str] = field(default_factory=list)
    classification: str | None = None  # 内部资料: on the cover and on every page's header and footer


class _Doc(FPDF):
    def __init__(self, running_head: str, demo_mark: str | None, classification: str | None = None):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.running_head = running_head
        self.demo_mark = demo_mark
        self.classification = classification
        self.set_margins(14, 14, 14)
        self.set_auto_page_break(True, margin=16)
        self.alias_nb_pages("{nb}")
        self.set_creator("童心 tongxin")
        self.set_title(running_head)

    def header(self):
        if self.page_no() == 1:
            return
        self.set_font(FAMILY, "", 8.5)
        self.set_text_color(*MUTED)
        self.set_xy(self.l_margin, 7)
        self.cell(self.epw - 30, 4, self.running_head, align="L")
        if self.classification:
            self.set_font(FAMILY, "B", 8.5)
            self.set_text_color(*RED)
            self.set_xy(self.w - self.r_margin - 30, 7)
            self.cell(30, 4, self.classification, align="R")
            self.set_text_color(*MUTED)
        self.set_draw_color(210, 214, 220)
        self.line(self.l_margin, 12, self.w - self.r_margin, 12)
        self.set_xy(self.l_margin, 15)
        self.set_text_color(*INK)

    def footer(self):
        self.set_y(-11)
        self.set_font(FAMILY, "", 8.5)
        self.set_text_color(*MUTED)
        if self.demo_mark:
            self.set_x(self.l_margin)
            self.set_text_color(192, 57, 43)
            self.cell(self.epw / 2, 5, self.demo_mark, align="L")
            self.set_text_color(*MUTED)
        if self.classification:
            self.set_font(FAMILY, "B", 8.5)
            self.set_x((self.w - 40) / 2)
            self.cell(40, 5, self.classification, align="C")
            self.set_font(FAMILY, "", 8.5)
        self.set_x(self.w - self.r_margin - 60)
        self.cell(60, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="R")
        self.set_text_color(*INK)


def _hex(c: str) -> tuple[int, int, int]:
    h = c.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _all_text(cover: Cover, sections: list[Section], running_head: str) -> str:
    parts = [cover.title, running_head, cover.demo_mark or "", cover.classification or "", *cover.notes]
    parts += [f"{a}{b}" for a, b in cover.lines]
    for s in sections:
        parts += [s.title, s.intro or ""]
        for b in s.blocks:
            parts += _block_text(b)
    return "".join(parts)


def _block_text(b) -> list[str]:
    if isinstance(b, Text):
        return [b.text]
    if isinstance(b, Table):
        return [b.title or "", *b.headers, *("".join(r) for r in b.rows)]
    if isinstance(b, Image):
        return [b.caption or ""]
    if isinstance(b, Legend):
        return [b.title, *(t for _, t in b.rows), *b.notes]
    if isinstance(b, MapPage):
        return [*_block_text(b.image), *_block_text(b.legend), *(_block_text(b.table) if b.table else [])]
    return []


NUMERALS = "一二三四五六七八九十"


def render(cover: Cover, sections: list[Section], running_head: str, *, numbered: bool = False) -> bytes:
    """The PDF bytes for a cover and sections (numbered 一、二、… in print order when `numbered`)."""
    pdf = _Doc(running_head, cover.demo_mark, cover.classification)
    pdf.add_font(FAMILY, "", str(fonts.base_font("")))
    pdf.add_font(FAMILY, "B", str(fonts.base_font("B")))
    extra = fonts.extra_font(fonts.missing(_all_text(cover, sections, running_head)))
    if extra is not None:
        pdf.add_font(EXTRA, "", str(extra))
        pdf.add_font(EXTRA, "B", str(extra))
        pdf.set_fallback_fonts([EXTRA], exact_match=False)
    _cover(pdf, cover)
    _flow(pdf, sections, numbered)
    return bytes(pdf.output())


def _is_float(s: Section) -> bool:
    return bool(s.blocks) and isinstance(s.blocks[0], MapPage)


def _flow(pdf: _Doc, sections: list[Section], numbered: bool) -> None:
    """Lay sections out one after another. A map that does not fit on the rest of a page floats: the sections
    after it fill that page, and the map takes the top of the next page a section starts (as a figure floats in
    print), so no page is left half empty in front of it. With `numbered`, titles are numbered 一、二、… in the
    order they are printed."""
    pending: Section | None = None
    count = 0

    def place(s: Section, first: bool) -> None:
        nonlocal count
        if numbered:
            s.title = f"{NUMERALS[count]}、{s.title}"
        count += 1
        _section(pdf, s, first=first)

    for i, s in enumerate(sections):
        room = pdf.h - pdf.b_margin - pdf.get_y()
        if pending is not None and (room < _start_height(pdf, s) or s.new_page):
            place(pending, first=True)
            pending = None
        if _is_float(s) and 0 < i < len(sections) - 1 and room < _start_height(pdf, s) and pending is None:
            pending = s
            continue
        place(s, first=i == 0)
    if pending is not None:
        place(pending, first=True)


def _cover(pdf: _Doc, c: Cover) -> None:
    pdf.add_page()
    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, pdf.w, 8, style="F")
    if c.classification:  # a stamp in the top right corner, as on printed 内部资料
        pdf.set_draw_color(*RED)
        pdf.set_text_color(*RED)
        pdf.set_line_width(0.6)
        pdf.set_font(FAMILY, "B", 16)
        pdf.set_xy(pdf.w - pdf.r_margin - 40, 16)
        pdf.cell(40, 12, c.classification, border=1, align="C")
        pdf.set_line_width(0.2)
        pdf.set_text_color(*INK)
    pdf.set_y(48)
    pdf.set_font(FAMILY, "B", 26)
    pdf.set_text_color(*INK)
    pdf.multi_cell(pdf.epw, 13, c.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(10)
    label_w, value_w = 40, 130
    x = (pdf.w - label_w - value_w) / 2
    for label, value in c.lines:
        pdf.set_x(x)
        pdf.set_font(FAMILY, "", 13)
        pdf.set_text_color(*MUTED)
        pdf.cell(label_w, 9, label, align="R")
        pdf.set_text_color(*INK)
        pdf.set_font(FAMILY, "B", 13)
        pdf.multi_cell(value_w, 9, "  " + value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if c.demo_mark:
        pdf.ln(8)
        pdf.set_font(FAMILY, "B", 15)
        pdf.set_text_color(192, 57, 43)
        pdf.cell(pdf.epw, 9, c.demo_mark, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if c.notes:
        pdf.set_y(max(pdf.get_y() + 10, pdf.h - 22 - 5.5 * len(c.notes)))
        pdf.set_font(FAMILY, "", 9.5)
        pdf.set_text_color(*MUTED)
        for n in c.notes:
            pdf.multi_cell(pdf.epw, 5.5, n, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)


def _section(pdf: _Doc, s: Section, first: bool = False) -> None:
    """A section starts on a new page only when asked to, after the cover, or when its title, intro and the
    start of its first block do not fit on the rest of the page (no half-empty pages between sections)."""
    room = pdf.h - pdf.b_margin - pdf.get_y()
    if first or s.new_page or room < _start_height(pdf, s):
        pdf.add_page()
    else:
        pdf.ln(5)
    pdf.set_font(FAMILY, "B", 17)
    pdf.set_text_color(*ACCENT)
    pdf.cell(pdf.epw, 10, s.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    if s.intro:
        pdf.set_font(FAMILY, "", 10)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(pdf.epw, 5.5, s.intro, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
    pdf.ln(2)
    for b in s.blocks:
        _block(pdf, b)


def _lines(pdf: _Doc, text: str, width: float, size: float, bold: bool = False) -> int:
    pdf.set_font(FAMILY, "B" if bold else "", size)
    return max(1, len(pdf.multi_cell(width, 5, text, dry_run=True, output="LINES")))


def _start_height(pdf: _Doc, s: Section) -> float:
    """Height (mm) of a section's title, intro and the part of its first block that must not be split from them."""
    h = 10 + 2 + (5.5 * _lines(pdf, s.intro, pdf.epw, 10) if s.intro else 0)
    b = s.blocks[0] if s.blocks else None
    if isinstance(b, list):  # side by side: the image, and the table beside it whole (it must not spill over)
        image, table = b
        rows = len(table.rows) if isinstance(table, Table) else 0
        t = (7 if isinstance(table, Table) and table.title else 0) + (table.size * 0.55 + 2.4) * (1 + rows) \
            if isinstance(table, Table) else 0
        # the chart may shrink to 60 % to fit the page (as _image does), the table beside it may not
        return h + max(0.6 * image.width_mm / image.ratio + (6 if image.caption else 0), t)
    if isinstance(b, MapPage):  # the map takes the rest of the page, but not less than this, nor less than
        return h + max(b.min_height, _beside_map_height(pdf, b))  # the legend and table beside it
    if isinstance(b, Image):
        h += min(b.width_mm / b.ratio, pdf.h - pdf.t_margin - pdf.b_margin - 30) + (6 if b.caption else 0)
    elif isinstance(b, Table):
        row = b.size * 0.55 + 2.4
        h += (7 if b.title else 0) + (row * (1 + min(2, len(b.rows))) if b.rows else 9)
    elif isinstance(b, Text):
        h += b.size * 0.55 * min(3, _lines(pdf, b.text, pdf.epw, b.size, b.bold)) + 1.5
    return h


def _beside_map_height(pdf: _Doc, m: MapPage, width: float = 92) -> float:
    """Height (mm) of the legend and the table printed beside the map (`width` mm wide, as _map_page prints)."""
    h = 6 * _lines(pdf, m.legend.title, width, 11, True) + 1
    h += sum(6 * _lines(pdf, text, width - 8, 9.5) for _, text in m.legend.rows) + 1.5
    h += sum(4.6 * _lines(pdf, n, width, 8.5) for n in m.legend.notes) + 2
    if m.table is not None:
        h += (7 if m.table.title else 0) + (m.table.size * 0.55 + 2.4) * (1 + len(m.table.rows)) + 3
    return h


def _block(pdf: _Doc, b) -> None:
    if isinstance(b, Text):
        pdf.set_font(FAMILY, "B" if b.bold else "", b.size)
        pdf.set_text_color(*b.color)
        pdf.multi_cell(pdf.epw, b.size * 0.55, b.text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        pdf.ln(1.5)
    elif isinstance(b, Table):
        _table(pdf, b, pdf.epw)
    elif isinstance(b, Image):
        _image(pdf, b, pdf.l_margin)
    elif isinstance(b, Legend):
        _legend(pdf, b, pdf.l_margin, pdf.epw)
    elif isinstance(b, MapPage):
        _map_page(pdf, b)
    elif isinstance(b, list):  # side by side: [left, right] with relative widths in the blocks
        _columns(pdf, b)


def _image(pdf: _Doc, im: Image, x: float, max_h: float | None = None) -> float:
    w = im.width_mm
    h = w / im.ratio
    room = (max_h or (pdf.h - pdf.b_margin - pdf.get_y() - (6 if im.caption else 0)))
    if h > room:
        if room < max(25, 0.6 * h):  # shrink a chart a little to fit the page, never to a stamp
            pdf.add_page()
            room = pdf.h - pdf.b_margin - pdf.get_y() - (6 if im.caption else 0)
        if h > room:
            h, w = room, room * im.ratio
    y = pdf.get_y()
    pdf.image(io.BytesIO(im.png), x=x, y=y, w=w, h=h)
    pdf.set_y(y + h + 1)
    if im.caption:
        pdf.set_x(x)
        pdf.set_font(FAMILY, "", 8.5)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(w, 4.5, im.caption, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
    pdf.ln(2)
    return w


def _table(pdf: _Doc, t: Table, width: float, x: float | None = None) -> None:
    if t.title:
        if x is not None:
            pdf.set_x(x)
        pdf.set_font(FAMILY, "B", 11)
        pdf.cell(width, 7, t.title, new_x=XPos.LEFT, new_y=YPos.NEXT)
    if not t.rows:
        if x is not None:
            pdf.set_x(x)
        pdf.set_font(FAMILY, "", 10)
        pdf.set_text_color(*MUTED)
        pdf.cell(width, 7, "（所选范围内暂无数据）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        pdf.ln(2)
        return
    widths = t.widths or [1] * len(t.headers)
    align = t.align or ["L"] * len(t.headers)
    pdf.set_font(FAMILY, "B", t.size)  # headers are bold: measured in the face they print in
    headers = [wrap_header(pdf, h, width * w / sum(widths) - 2 * 1.2 - 0.6) for h, w in zip(t.headers, widths)]
    pdf.set_font(FAMILY, "", t.size)
    head = FontFace(family=FAMILY, emphasis="BOLD", color=INK, fill_color=HEAD_FILL)
    zebra = FontFace(fill_color=ZEBRA).fill_color  # a device colour: fpdf2 does not convert a tuple here
    pdf.set_fill_color(255, 255, 255)  # fpdf2 fills the non-zebra rows with the current fill colour
    pdf.set_x(pdf.l_margin if x is None else x)  # a table starts at the current x (fpdf2 2.8)
    with pdf.table(width=width, col_widths=tuple(widths), align=Align.L, text_align=tuple(align), headings_style=head, line_height=t.size * 0.55,
                   borders_layout=TableBordersLayout.HORIZONTAL_LINES, cell_fill_color=zebra,
                   cell_fill_mode="ROWS", padding=1.2, repeat_headings=1) as table:
        head_row = table.row()
        for h in headers:
            head_row.cell(h)
        for i, r in enumerate(t.rows):
            row = table.row()
            fills = t.fills[i] if t.fills and i < len(t.fills) else []
            for j, v in enumerate(r):
                fill = fills[j] if j < len(fills) else None
                style = FontFace(fill_color=_hex(fill)) if fill else None
                row.cell("" if v is None else str(v), style=style)
    pdf.ln(3)


def wrap_header(pdf: FPDF, text: str, width: float) -> str:
    """A column header broken into lines of even length that each fit `width` mm in the current font, rather
    than left to break at the last character that fits ("重点对象近30天走访" over a lone "率"); a break falls
    before a bracket where one is near. Nothing is cut: every character stays."""
    if width <= 0 or pdf.get_string_width(text) <= width:
        return text
    for lines in range(2, len(text) + 1):
        cuts, start = [], 0
        for k in range(1, lines):
            goal = round(len(text) * k / lines)
            window = range(max(start + 1, goal - 2), min(len(text), goal + 3))
            near = [j for j in window if text[j] in "（(/"]
            # never inside a number or a Latin word ("近3 / 0天")
            whole = sorted((j for j in window if not (text[j - 1].isascii() and text[j - 1].isalnum()
                                                       and text[j].isascii() and text[j].isalnum())),
                           key=lambda j: abs(j - goal))
            cut = near[0] if near else (whole[0] if whole else goal)
            cuts.append(cut)
            start = cut
        parts = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
        if all(p and pdf.get_string_width(p) <= width for p in parts):
            return "\n".join(parts)
    return text


def _legend(pdf: _Doc, lg: Legend, x: float, width: float) -> None:
    pdf.set_x(x)
    pdf.set_font(FAMILY, "B", 11)
    pdf.multi_cell(width, 6, lg.title, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.set_font(FAMILY, "", 9.5)
    for i, (color, text) in enumerate(lg.rows):
        y = pdf.get_y()
        pdf.set_fill_color(*_hex(color))
        pdf.set_draw_color(150, 150, 150)
        if i in lg.dashed:
            pdf.set_dash_pattern(dash=0.8, gap=0.6)
        pdf.rect(x, y + 0.8, 6, 4.4, style="DF")
        pdf.set_dash_pattern()
        pdf.set_xy(x + 8, y)
        pdf.multi_cell(width - 8, 6, text, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_x(x)
    pdf.ln(1.5)
    pdf.set_font(FAMILY, "", 8.5)
    pdf.set_text_color(*MUTED)
    for n in lg.notes:
        pdf.set_x(x)
        pdf.multi_cell(width, 4.6, n, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)
    pdf.ln(2)


def _map_page(pdf: _Doc, m: MapPage) -> None:
    top = pdf.get_y()
    max_h = pdf.h - pdf.b_margin - top - 7
    right_w = 92
    left_w = pdf.epw - right_w - 6
    im = Image(m.image.png, min(left_w, max_h * m.image.ratio), m.image.ratio, m.image.caption)
    _image(pdf, im, pdf.l_margin, max_h=max_h)
    bottom = pdf.get_y()
    x = pdf.l_margin + left_w + 6
    pdf.set_xy(x, top)
    _legend(pdf, m.legend, x, right_w)
    if m.table is not None:
        pdf.set_x(x)
        _table(pdf, m.table, right_w, x=x)
    pdf.set_y(max(bottom, pdf.get_y()))


def _columns(pdf: _Doc, blocks: list) -> None:
    """Two blocks side by side: an Image on the left and a Table on the right."""
    left, right = blocks
    top = pdf.get_y()
    gap = 6
    lw = left.width_mm if isinstance(left, Image) else pdf.epw / 2
    _image(pdf, Image(left.png, lw, left.ratio, left.caption), pdf.l_margin) if isinstance(left, Image) else None
    bottom = pdf.get_y()
    x = pdf.l_margin + lw + gap
    pdf.set_xy(x, top)
    if isinstance(right, Table):
        _table(pdf, right, pdf.epw - lw - gap, x=x)
    elif isinstance(right, Legend):
        _legend(pdf, right, x, pdf.epw - lw - gap)
    pdf.set_y(max(bottom, pdf.get_y()))
