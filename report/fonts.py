"""Chinese fonts for the PDF: Noto Sans CJK SC as TrueType outlines, built once into a cache folder.

Why not embed the system .ttc directly: fpdf2 2.8 embeds CFF-flavoured OpenType (Noto CJK is CFF) as
CIDFontType0 with a /W array indexed by the original glyph ids and a non-standard /Encoding, so viewers
space the digits wrongly and text extraction returns NUL-interleaved characters. TrueType outlines
(CIDFontType2) extract cleanly. We subset the SC face to GB2312 + ASCII + common punctuation, convert
its cubic outlines to quadratic (fontTools cu2qu) and cache the result (~2 MB, ~5 s once per style).
Characters outside that set (rare characters in place names) get a small extra font built per need.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
SOURCES = {"": "NotoSansCJK-Regular.ttc", "B": "NotoSansCJK-Bold.ttc"}
SC_FACE = "Noto Sans CJK SC"
EXTRA_PUNCTUATION = "，。、：；！？（）【】《》“”‘’—…·↑↓→←％‰℃①②③④⑤⑥⑦⑧⑨⑩×÷±≤≥≈〇￥"
VERSION = "1"  # bump when the base character set or the conversion changes


def cache_dir() -> Path:
    """$TONGXIN_CACHE_DIR/fonts, else $XDG_CACHE_HOME/tongxin/fonts, else ~/.cache/tongxin/fonts; the system
    temp folder when that cannot be written (a service account without a home)."""
    base = os.environ.get("TONGXIN_CACHE_DIR")
    if base:
        folder = Path(base) / "fonts"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(xdg) / "tongxin" / "fonts"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / "tongxin-fonts"


def base_characters() -> str:
    """GB2312 hanzi (levels 1 and 2), printable ASCII and common Chinese punctuation."""
    chars = {chr(i) for i in range(32, 127)}
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    chars |= set(EXTRA_PUNCTUATION)
    return "".join(sorted(chars))


def _face_number(path: Path) -> int:
    from fontTools.ttLib import TTCollection

    coll = TTCollection(str(path), lazy=True)
    try:
        for i, f in enumerate(coll.fonts):
            if f["name"].getDebugName(1) == SC_FACE or f["name"].getDebugName(4).startswith(SC_FACE):
                return i
    finally:
        coll.close()
    return 2  # the SC face's position in the Debian/Noto collections


def _to_truetype(font) -> None:
    """Replace the CFF table of `font` with glyf/loca (quadratic outlines), in place."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxPoints",
                 "maxContours", "maxCompositePoints", "maxCompositeContours", "maxComponentDepth"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def _build(style: str, text: str, out: Path) -> Path:
    """Subset the SC face of the system Noto CJK collection to `text`, as TrueType, written atomically."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    src = NOTO_DIR / SOURCES[style]
    if not src.is_file():
        raise FileNotFoundError(f"缺少中文字体 {src}（请安装 fonts-noto-cjk）/ missing CJK font {src}")
    font = TTFont(str(src), fontNumber=_face_number(src))
    opts = subset.Options()
    opts.layout_features = []
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.hinting = False
    sub = subset.Subsetter(opts)
    sub.populate(text=text)
    sub.subset(font)
    _to_truetype(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".tmp")
    os.close(fd)
    try:
        font.save(tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def base_font(style: str = "") -> Path:
    """Path of the cached base font for `style` ("" regular, "B" bold), built on first use."""
    path = cache_dir() / f"NotoSansCJKsc-{'Bold' if style == 'B' else 'Regular'}-gb2312-v{VERSION}.ttf"
    if not path.is_file():
        _build(style, base_characters(), path)
    return path


def missing(text: str) -> str:
    """Characters of `text` the base fonts do not cover (sorted, unique, no control characters)."""
    base = set(base_characters())
    return "".join(sorted({c for c in text if c not in base and c.isprintable() and not c.isspace()}))


def extra_font(chars: str) -> Path | None:
    """A small regular-weight font for `chars` outside the base set (cached by content), or None."""
    if not chars:
        return None
    key = hashlib.sha256(chars.encode("utf-8")).hexdigest()[:16]
    path = cache_dir() / f"NotoSansCJKsc-extra-{key}-v{VERSION}.ttf"
    if not path.is_file():
        _build("", chars, path)
    return path
