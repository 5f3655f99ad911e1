"""Boundary landing: an official boundary file → checked, WGS84, versioned, content-addressed Parquet.

`land_boundaries(path, level=None, code_field=None, name_field=None, valid_from=None, gcj02=False)` reads
GeoJSON, Shapefile (plain or zipped) or GeoPackage, and lands it in the forms a new city has:

- **Code field**: given, or guessed from the usual names of Chinese boundary files (adcode, code, 区划代码,
  XZQDM, PAC, GB, ... see CODE_FIELDS) among fields whose values are all division codes; several candidates
  left after checking them against the region table is an error that lists them. Integer and float codes
  normalise (980402 → 980402000000). The name field is guessed likewise; without one the region table's
  names are used.
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
import math
import os
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from etl import deployment
from etl.errors import ExtractError
from etl.land import file_sha256
from etl.landed import region_index
from settings import data_dir, lock, open_private, private_dir

LEVELS = ("county", "street", "community")
LEVEL_ZH = {"county": "区县", "street": "街道（乡镇）", "community": "社区（村）"}
SIMPLIFY_TOLERANCE = 0.0005  # degrees (~50 m): enough for a city map, borders stay shared
AREA_CRS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
SCHEMATIC_MARK = "示意"


def boundaries_dir(root: Path) -> Path:
    return root / "boundaries"


def boundaries_log_path(root: Path) -> Path:
    return boundaries_dir(root) / "boundaries_log.jsonl"


# ---- GCJ-02 ------------------------------------------------------------------------------------
_A = 6378245.0
_EE = 0.00669342162296594323


def _in_china(lon, lat):
    return (lon > 73.66) & (lon < 135.05) & (lat > 3.86) & (lat < 53.55)


def _dlat(x, y):
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _dlon(x, y):
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon, lat):
    """The public GCJ-02 offset (WGS84 → GCJ-02); points outside China are returned unchanged."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlat = _dlat(lon - 105.0, lat - 35.0)
    dlon = _dlon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sq = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (_A / sq * np.cos(rad) * math.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon, lat, iterations: int = 8):
    """Inverse of the GCJ-02 offset by fixed-point iteration (error well under 1 mm)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(iterations):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    inside = _in_china(lon, lat)
    return np.where(inside, wlon, lon), np.where(inside, wlat, lat)


def _gcj02_geoms(geoms: np.ndarray) -> np.ndarray:
    def fn(xy):
        x, y = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


# ---- codes ------------------------------------------------------------------------------------
def normalise_code(value: object, level: str | None = None) -> str | None:
    """A division code as 12-character text (6/9-digit codes padded, integer and float codes of a number
    column too: 980402 → 980402000000); None if malformed or, with `level`, not a code of that level."""
    code = deployment.normalise_code(value)
    return code if code is not None and (level is None or deployment.level_of(code) == level) else None


# ---- which field holds the code, which the name --------------------------------------------------
# Lower-case field names of the division code in Chinese boundary files: DataV/AMap (adcode), 国土调查
# (XZQDM), 国家基础地理信息 (PAC; its GB is a feature class, told apart by the values), and what offices use.
CODE_FIELDS = ("adcode", "code", "区划代码", "行政区划代码", "统计用区划代码", "代码", "region_code", "xzqdm",
               "xzqhdm", "qhdm", "pac", "gb", "admincode", "admin_code", "xzq_code", "xzqh_code", "dm")
NAME_FIELDS = ("name", "名称", "区划名称", "行政区划名称", "单位名称", "region_name", "xzqmc", "xzqhmc", "qhmc",
               "name_chn", "name_zh", "mc")


def _fields(gdf) -> list[str]:
    return [str(c) for c in gdf.columns if c != gdf.geometry.name]


def _all_codes(values: list, min_digits: int = 2) -> bool:
    """Whether every value is a division code (integers and floats of a number column included)."""
    norm = [deployment.normalise_code(v) for v in values]
    return bool(values) and all(n is not None for n in norm) and \
        all(len(str(v).strip().removesuffix(".0")) >= min_digits for v in values)


def guess_code_field(gdf, known: set[str]) -> str:
    """The field holding the division code: a field named as boundary files name it (CODE_FIELDS) whose
    values are all codes; among several, the one whose codes are in the region table. Without a named
    field, a field whose values are all 6/9/12-digit codes. ExtractError when none or several remain."""
    fields = _fields(gdf)
    named = [c for c in fields if c.strip().lower() in CODE_FIELDS]
    valid = [c for c in named if _all_codes(gdf[c].tolist())]
    if not named:
        valid = [c for c in fields if _all_codes(gdf[c].tolist(), min_digits=6)]
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
    raise ExtractError("NO_CODE_FIELD", f"找不到区划代码字段（现有字段：{'、'.join(fields)}）；请用 --code-field 指定",
                       "no division code field found; pass --code-field")


def guess_name_field(gdf) -> str | None:
    """The name field by the usual names (first in NAME_FIELDS' order), or None."""
    by_lower = {c.strip().lower(): c for c in _fields(gdf)}
    return next((by_lower[n] for n in NAME_FIELDS if n in by_lower), None)


def is_datav(gdf) -> bool:
    """A DataV.GeoAtlas / AMap file: `adcode` and `level` properties (these are always GCJ-02)."""
    return {"adcode", "level"} <= {c.strip().lower() for c in _fields(gdf)}


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


def read_boundary_file(path: Path):
    """GeoJSON / Shapefile (plain or .zip) / GeoPackage → GeoDataFrame; ExtractError if unreadable."""
    import geopandas as gpd

    if not path.is_file():
        raise ExtractError("NO_FILE", f"找不到文件：{path}", f"file not found: {path}")
    try:
        return gpd.read_file(path, engine="pyogrio")
    except Exception as e:  # noqa: BLE001 (pyogrio raises several types for unreadable data)
        raise ExtractError("UNREADABLE", f"无法读取边界文件 {path.name}：{str(e).splitlines()[0][:120]}",
                           f"cannot read boundary file {path.name}") from None


def _to_wgs84(gdf, gcj02: bool):
    crs = gdf.crs
    crs_in = crs.to_string() if crs is not None else "未声明 none (assumed EPSG:4326)"
    if crs is not None:
        epsg = crs.to_epsg()
        if epsg not in (4326, 4490):
            gdf = gdf.to_crs("EPSG:4326")
        else:
            gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    else:
        gdf = gdf.set_crs("EPSG:4326")
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if gcj02:
        geoms = _gcj02_geoms(geoms)
    return geoms, crs_in


def _repair(geoms: np.ndarray, codes: list[str]) -> tuple[np.ndarray, list[str]]:
    repaired = []
    out = geoms.copy()
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        if not g.is_valid:
            reason = shapely.is_valid_reason(g)
            fixed = shapely.make_valid(g)
            parts = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
            out[i] = shapely.union_all(parts) if parts else fixed
            repaired.append(f"{codes[i]}（{reason}）")
    return out, repaired


def _simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify the shared topology (shapely.coverage_simplify) so neighbours keep one common border."""
    try:
        return np.asarray(shapely.coverage_simplify(geoms, tolerance), dtype=object)
    except Exception:  # noqa: BLE001 (not a valid coverage: fall back to per-polygon simplify)
        return np.asarray(shapely.simplify(geoms, tolerance, preserve_topology=True), dtype=object)


def _area_km2(geoms: np.ndarray) -> np.ndarray:
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", AREA_CRS, always_xy=True)
    projected = shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    return shapely.area(projected) / 1e6


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
    gdf = read_boundary_file(path)
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
        raise ExtractError("NO_CODE_FIELD", f"边界文件没有代码字段 {code_field}（现有字段：{'、'.join(_fields(gdf))}）",
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
    geoms, crs_in = _to_wgs84(gdf, gcj02 or datav)
    geoms, repaired = _repair(geoms, codes)
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
        g = geoms[keep]
        cent = shapely.point_on_surface(g)
        tables[lv] = (pa.table({
            "region_code": [codes[i] for i in keep], "region_name": [names[i] for i in keep],
            "level": [lv] * len(keep), "geometry_wkb": shapely.to_wkb(g).tolist(),
            "simplified_wkb": shapely.to_wkb(_simplify(g, SIMPLIFY_TOLERANCE)).tolist(),
            "area_km2": np.round(_area_km2(g), 3), "lon": np.round(shapely.get_x(cent), 6),
            "lat": np.round(shapely.get_y(cent), 6)}),
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
