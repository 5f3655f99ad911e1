"""Boundary landing: an official boundary file → checked, WGS84, versioned, content-addressed Parquet.

`land_boundaries(path, level=None, code_field=None, name_field=None, valid_from=None, gcj02=False)` reads
GeoJSON, Shapefile (plain or zipped) or GeoPackage, and lands it in the forms a new city has. The reading
and the geometry are geo/'s (geo/boundaries.py, geo/geometry.py); the codes, the versions, the data folder's
lock and the boundaries log are this module's:

- **Code field**: given, or guessed from the usual names of Chinese boundary files (adcode, code, 区划代码,
  XZQDM, PAC, GB, ... see CODE_FIELDS) among fields whose values are all division codes; several candidates
  left after checking them against the region table is an error that lists them. Integer and float codes
  normalise (980402 → 980402000000). The name field is guessed likewise (geo.boundaries.NAME_FIELDS);
  without one the region table's names are used.
- **Level**: given, or inferred from each code (etl.deployment.level_of). A file holding counties and
  streets lands each level as its own version; city and province features are skipped (noted).
- **CRS**: any CRS is reprojected to EPSG:4326 (CGCS2000, EPSG:4490, is taken as WGS84 as is: the two
  differ by centimetres). GCJ-02 coordinates (Chinese web maps) are converted back to WGS84 with
  `gcj02=True` (`--gcj02`), and always for a DataV.GeoAtlas / AMap file, recognised by its `adcode` and
  `level` properties: those files are GCJ-02 without exception, and the result's notes say it was
  treated so.
- **Codes against the region table** (only regions within the deployment's root, etl.deployment.root_code):
  polygons whose code is not in it are not landed and are listed (`unknown_codes`); regions of the level
  without a polygon are listed (`codes_without_polygon`). A level none of whose codes is known fails.

Invalid geometry is repaired (reported), the shared topology simplified for display (coverage
simplification keeps shared borders shared), and each level written to
`data/boundaries/<level>/<sha256>.parquet` plus one line in `data/boundaries/boundaries_log.jsonl`.
A file-level problem raises ExtractError and writes nothing.
"""
from __future__ import annotations

import getpass
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geo.boundaries import UnreadableBoundaryFile, fields, guess_name_field, is_datav, read_boundary_file
from geo.geometry import polygon_columns, repair, to_wgs84
from settings import data_dir, lock, open_private, private_dir

from . import deployment
from .errors import ExtractError
from .land import file_sha256
from .landed import region_index

LEVELS = ("county", "street", "community")
LEVEL_ZH = deployment.LEVEL_ZH
SCHEMATIC_MARK = "示意"


def boundaries_dir(root: Path) -> Path:
    return root / "boundaries"


def boundaries_log_path(root: Path) -> Path:
    return boundaries_dir(root) / "boundaries_log.jsonl"


# ---- codes ------------------------------------------------------------------------------------
def normalise_code(value: object, level: str | None = None) -> str | None:
    """A division code as 12-character text (6/9-digit codes padded, integer and float codes of a number
    column too: 980402 → 980402000000); None if malformed or, with `level`, not a code of that level."""
    code = deployment.normalise_code(value)
    return code if code is not None and (level is None or deployment.level_of(code) == level) else None


# ---- which field holds the code ----------------------------------------------------------------
# Lower-case field names of the division code in Chinese boundary files: DataV/AMap (adcode), 国土调查
# (XZQDM), 国家基础地理信息 (PAC; its GB is a feature class, told apart by the values), and what offices use.
CODE_FIELDS = ("adcode", "code", "区划代码", "行政区划代码", "统计用区划代码", "代码", "region_code", "xzqdm",
               "xzqhdm", "qhdm", "pac", "gb", "admincode", "admin_code", "xzq_code", "xzqh_code", "dm")


def _all_codes(values: list, min_digits: int = 2) -> bool:
    """Whether every value is a division code (integers and floats of a number column included)."""
    norm = [deployment.normalise_code(v) for v in values]
    return bool(values) and all(n is not None for n in norm) and \
        all(len(str(v).strip().removesuffix(".0")) >= min_digits for v in values)


def guess_code_field(gdf, known: set[str]) -> str:
    """The field holding the division code: a field named as boundary files name it (CODE_FIELDS) whose
    values are all codes; among several, the one whose codes are in the region table. Without a named
    field, a field whose values are all 6/9/12-digit codes. ExtractError when none or several remain."""
    names = fields(gdf)
    named = [c for c in names if c.strip().lower() in CODE_FIELDS]
    valid = [c for c in named if _all_codes(gdf[c].tolist())]
    if not named:
        valid = [c for c in names if _all_codes(gdf[c].tolist(), min_digits=6)]
    if len(valid) > 1:
        hits = [c for c in valid if {deployment.normalise_code(v) for v in gdf[c].tolist()} & known]
        valid = hits or valid
    if len(valid) == 1:
        return valid[0]
    if not valid and len(named) == 1:
        return named[0]  # its values are refused below, with examples
    if len(valid) > 1 or len(named) > 1:
        cands = valid or named
        raise ExtractError("AMBIGUOUS_CODE_FIELD", f"无法确定哪个字段是区划代码，可能是：{'、'.join(cands)}；"
                           "请用 --code-field 指定", f"cannot tell the code field, candidates: {', '.join(cands)}; "
                           "pass --code-field")
    raise ExtractError("NO_CODE_FIELD", f"找不到区划代码字段（现有字段：{'、'.join(names)}）；请用 --code-field 指定",
                       "no division code field found; pass --code-field")


# ---- landing ----------------------------------------------------------------------------------
@dataclass
class BoundaryLanding:
    load_id: str
    level: str
    valid_from: str
    file_name: str
    sha256: str
    crs_in: str
    gcj02: bool
    features: int
    repaired: list[str]
    unknown_codes: list[str]          # polygons whose code is not in the region table: not landed
    codes_without_polygon: list[str]  # regions of this level (in the deployment's root) with no polygon
    is_schematic: bool
    landed_at: str
    landed_by: str
    path: str
    extra: dict = field(default_factory=dict)


@dataclass
class BoundaryOutcome:
    """One file's landing. `entry`/`already` are its first level's; a file holding several levels lands
    each as its own version, the further ones in `others` (all of them: `parts`, `entries`)."""
    entry: BoundaryLanding | None
    already: dict | None = None
    notes: list[str] = field(default_factory=list)
    others: list[BoundaryOutcome] = field(default_factory=list)
    names: dict = field(default_factory=dict, repr=False)  # code → name, for the message

    @property
    def parts(self) -> list[BoundaryOutcome]:
        return [self, *self.others]

    @property
    def entries(self) -> list[BoundaryLanding]:
        return [p.entry for p in self.parts if p.entry is not None]

    def _named(self, codes: list[str]) -> str:
        return "、".join(f"{c}（{self.names[c]}）" if self.names.get(c) else c for c in codes[:20]) + \
            ("……" if len(codes) > 20 else "")

    def _lines(self) -> list[str]:
        if self.already:
            a = self.already
            return [(f"已导入过，未做任何更改 / already landed, nothing changed: {a['level']} {a['valid_from']} "
                     f"({a['file_name']})")]
        e = self.entry
        lines = [f"已导入边界 landed boundaries: {LEVEL_ZH[e.level]} {e.features} 个 features, "
                 f"生效日期 valid from {e.valid_from}, 原坐标系 source CRS {e.crs_in}"
                 + ("（GCJ-02 已转换 converted）" if e.gcj02 else "")]
        if e.repaired:
            lines.append(f"  已修复无效几何 repaired invalid geometry: {'、'.join(e.repaired)}")
        if e.codes_without_polygon:
            lines.append(f"  有区划无边界 regions without a polygon ({len(e.codes_without_polygon)}): "
                         f"{self._named(e.codes_without_polygon)}")
        if e.unknown_codes:
            lines.append(f"  有边界但不在区划代码表中，未导入 polygons not in the region table, skipped "
                         f"({len(e.unknown_codes)}): {self._named(e.unknown_codes)}")
        return lines

    @property
    def message(self) -> str:
        return "\n".join([*self.notes, *(line for p in self.parts for line in p._lines())])


def _codes(raw: list, level: str | None, code_field: str) -> tuple[list[str], list[str]]:
    """(12-digit codes, their levels): of the given level, or each code's own level (from the code)."""
    if level:
        codes = [normalise_code(v, level) for v in raw]
        what_zh, what = LEVEL_ZH[level] + "区划代码", f"{level} division codes"
    else:
        codes = [deployment.normalise_code(v) for v in raw]
        what_zh, what = "区划代码", "division codes"
    bad = [str(r) for r, c in zip(raw, codes) if c is None]
    if bad:
        raise ExtractError("BAD_CODE_FIELD", f"代码字段 {code_field} 有 {len(bad)} 个值不是{what_zh}"
                           f"（如 {'、'.join(bad[:3])}）",
                           f"code field {code_field!r} holds {len(bad)} values that are not {what}")
    return codes, [level or deployment.level_of(c) for c in codes]


def land_boundaries(path: Path | str, level: str | None = None, code_field: str | None = None,
                    name_field: str | None = None, valid_from: str | None = None, gcj02: bool = False,
                    root: Path | None = None, user: str | None = None) -> BoundaryOutcome:
    """Land one boundary file (see the module docstring). Raises ExtractError and writes nothing on failure."""
    root = data_dir(root)
    path = Path(path)
    if level is not None and level not in LEVELS:
        raise ExtractError("BAD_LEVEL", f"层级应为 {'/'.join(LEVELS)}", f"level must be one of {', '.join(LEVELS)}")
    try:
        vf = date.fromisoformat(valid_from).isoformat() if valid_from else "1900-01-01"
    except ValueError:
        raise ExtractError("BAD_DATE", f"生效日期格式应为 YYYY-MM-DD：{valid_from}",
                           f"valid-from must be YYYY-MM-DD: {valid_from}") from None
    try:
        gdf = read_boundary_file(path)
    except UnreadableBoundaryFile as e:
        raise ExtractError(e.code, e.zh, e.en) from None
    if not len(gdf):
        raise ExtractError("EMPTY_FILE", f"边界文件 {path.name} 没有任何要素", f"boundary file {path.name} is empty")
    idx = region_index(root)
    top = deployment.root_code(root)
    known_all = {c: lv for c, lv in (idx.level.items() if idx else ()) if deployment.within(c, top)}
    notes = []
    if code_field is None:
        code_field = guess_code_field(gdf, set(known_all))
        notes.append(f"代码字段 code field: {code_field}（自动识别 guessed）")
    elif code_field not in gdf.columns:
        raise ExtractError("NO_CODE_FIELD", f"边界文件没有代码字段 {code_field}（现有字段：{'、'.join(fields(gdf))}）",
                           f"boundary file has no code field {code_field!r}")
    if name_field and name_field not in gdf.columns:
        raise ExtractError("NO_NAME_FIELD", f"边界文件没有名称字段 {name_field}",
                           f"boundary file has no name field {name_field!r}")
    name_field = name_field or guess_name_field(gdf)
    codes, levels = _codes(gdf[code_field].tolist(), level, code_field)
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ExtractError("DUPLICATE_CODE", f"代码重复：{'、'.join(dupes[:5])}", f"duplicated codes: {dupes[:5]}")
    if not known_all:
        raise ExtractError("NO_REGIONS", "请先导入行政区划代码表（regions）", "land the region table first")
    present = [lv for lv in LEVELS if lv in levels]
    others = sorted({c for c, lv in zip(codes, levels) if lv not in LEVELS})
    if not present:
        raise ExtractError("NO_LEVEL", f"边界文件中没有区县、街道或社区级代码（只有 {'、'.join(others[:5])}）",
                           "no county, street or community codes in the boundary file")
    if others:
        notes.append(f"跳过市级及以上边界 skipped city/province features: {'、'.join(others[:10])}")
    if level is None:
        counts = "、".join(f"{LEVEL_ZH[lv]} {levels.count(lv)}" for lv in present)
        notes.append(f"层级按代码推断 level inferred from the codes: {counts}")
    datav = is_datav(gdf)
    if datav:
        notes.append("DataV/高德格式（有 adcode 与 level 属性），坐标按 GCJ-02 转换为 WGS84"
                     " / DataV file (adcode + level properties): treated as GCJ-02")
    file_names = [("" if pd.isna(x) else str(x)) for x in gdf[name_field]] if name_field else [""] * len(codes)
    names = [n or (idx.name.get(c) or "" if idx else "") for n, c in zip(file_names, codes)]
    geoms, crs_in = to_wgs84(gdf, gcj02 or datav)
    geoms, repaired = repair(geoms, codes)
    if any(g is None or g.is_empty for g in geoms):
        empty = [c for c, g in zip(codes, geoms) if g is None or g.is_empty]
        raise ExtractError("EMPTY_GEOMETRY", f"几何为空：{'、'.join(empty[:5])}", f"empty geometry: {empty[:5]}")
    note = " ".join(str(v) for v in gdf.get("note", pd.Series(dtype=str)).dropna().unique())
    schematic = SCHEMATIC_MARK in path.name or SCHEMATIC_MARK in note
    tables = {}
    for lv in present:
        known = {c for c, k in known_all.items() if k == lv}
        sel = [i for i, k in enumerate(levels) if k == lv]
        keep = [i for i in sel if codes[i] in known]
        if not keep:
            raise ExtractError("CODES_UNKNOWN", f"代码字段 {code_field} 的{LEVEL_ZH[lv]}代码均不在已导入的区划代码中",
                               f"no {lv} value of code field {code_field!r} is a landed {lv} code")
        tables[lv] = (pa.table({
            "region_code": [codes[i] for i in keep], "region_name": [names[i] for i in keep],
            "level": [lv] * len(keep), **polygon_columns(geoms[keep])}),
            sorted(codes[i] for i in sel if codes[i] not in known),
            sorted(known - {codes[i] for i in keep}),
            [r for r in repaired if r[:12] in {codes[i] for i in sel}])
    sha = file_sha256(path)
    parts = []
    with lock(root):
        log = read_boundaries_log(root)
        for lv, (table, unknown, without, fixed) in tables.items():
            done = next((e for e in log if e["sha256"] == sha and e["level"] == lv and e["valid_from"] == vf), None)
            if done:
                parts.append(BoundaryOutcome(None, already=done))
                continue
            rel = Path(lv) / f"{sha}.parquet"
            target = boundaries_dir(root) / rel
            private_dir(target.parent, top=root)
            tmp = target.with_suffix(".parquet.tmp")
            with os.fdopen(open_private(tmp), "wb") as f:
                pq.write_table(table, f, compression="zstd")
            os.replace(tmp, target)
            entry = BoundaryLanding(
                load_id=sha[:16], level=lv, valid_from=vf, file_name=path.name, sha256=sha, crs_in=crs_in,
                gcj02=bool(gcj02 or datav), features=table.num_rows, repaired=fixed, unknown_codes=unknown,
                codes_without_polygon=without, is_schematic=schematic,
                landed_at=datetime.now().isoformat(timespec="seconds"),
                landed_by=user or os.environ.get("TONGXIN_USER") or getpass.getuser(), path=str(rel),
                extra={"code_field": code_field, "name_field": name_field, "datav": datav,
                       "level_inferred": level is None})
            with os.fdopen(open_private(boundaries_log_path(root), append=True), "a", encoding="utf-8") as f:
                f.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())
            parts.append(BoundaryOutcome(entry))
    label = {**(idx.name if idx else {}), **{c: n for c, n in zip(codes, names) if n}}
    for p in parts:
        p.names = label
    return BoundaryOutcome(parts[0].entry, parts[0].already, notes, parts[1:], label)


def read_boundaries_log(root: Path) -> list[dict]:
    p = boundaries_log_path(root)
    if not p.exists():
        return []
    with p.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def boundary_versions(root: Path) -> list[dict]:
    """Each level's landings ordered by valid_from, with valid_to (the next version's start) and is_current.

    Among landings with the same valid_from the latest one wins; the current version is the latest
    one already in force today (or the earliest, if all lie in the future).
    """
    log = read_boundaries_log(root)
    out = []
    today = date.today().isoformat()
    for level in LEVELS:
        by_vf: dict[str, dict] = {}
        for e in log:
            if e["level"] == level:
                by_vf[e["valid_from"]] = e
        vfs = sorted(by_vf)
        in_force = [v for v in vfs if v <= today]
        current = in_force[-1] if in_force else (vfs[0] if vfs else None)
        for i, v in enumerate(vfs):
            out.append({**by_vf[v], "valid_to": vfs[i + 1] if i + 1 < len(vfs) else None,
                        "is_current": v == current})
    return out
