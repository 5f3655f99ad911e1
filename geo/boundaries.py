"""Boundary landing: an official boundary file → checked, WGS84, versioned, content-addressed Parquet.

`land_boundaries(path, level, code_field, name_field, valid_from=None, gcj02=False)` reads GeoJSON,
Shapefile (plain or zipped) or GeoPackage, reprojects any CRS to EPSG:4326 (CGCS2000, EPSG:4490, is
taken as WGS84 as is: the two differ by centimetres), converts GCJ-02 coordinates (Chinese web
maps) back to WGS84 on request, repairs invalid geometry (reported), checks every code against the
landed region table, simplifies the shared topology for display (coverage simplification keeps shared
borders shared), and writes `data/boundaries/<level>/<sha256>.parquet` plus one line in
`data/boundaries/boundaries_log.jsonl`. A file-level problem raises ExtractError and writes nothing.
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

from etl.errors import ExtractError
from etl.land import _lock, data_dir, file_sha256, region_index
from etl.private import open_private, private_dir

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
def normalise_code(value: object, level: str) -> str | None:
    """A division code as 12-character text (6/9-digit county/street codes padded); None if malformed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    s = str(value).strip()
    s = s.removesuffix(".0")
    if not s.isdigit():
        return None
    if len(s) == 6:
        s += "000000"
    elif len(s) == 9:
        s += "000"
    if len(s) != 12:
        return None
    ok = {"county": s[4:6] != "00" and s[6:] == "000000",
          "street": s[6:9] != "000" and s[9:] == "000",
          "community": s[9:] != "000"}[level]
    return s if ok else None


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
    unknown_codes: list[str]          # polygons without data: codes not in the region table
    codes_without_polygon: list[str]  # regions of this level that have no polygon
    is_schematic: bool
    landed_at: str
    landed_by: str
    path: str
    extra: dict = field(default_factory=dict)


@dataclass
class BoundaryOutcome:
    entry: BoundaryLanding | None
    already: dict | None = None

    @property
    def message(self) -> str:
        if self.already:
            a = self.already
            return (f"已导入过，未做任何更改 / already landed, nothing changed: {a['level']} {a['valid_from']} "
                    f"({a['file_name']})")
        e = self.entry
        lines = [f"已导入边界 landed boundaries: {LEVEL_ZH[e.level]} {e.features} 个 features, "
                 f"生效日期 valid from {e.valid_from}, 原坐标系 source CRS {e.crs_in}"
                 + ("（GCJ-02 已转换 converted）" if e.gcj02 else "")]
        if e.repaired:
            lines.append(f"  已修复无效几何 repaired invalid geometry: {'、'.join(e.repaired)}")
        if e.codes_without_polygon:
            lines.append(f"  有数据无边界 codes without a polygon ({len(e.codes_without_polygon)}): "
                         f"{'、'.join(e.codes_without_polygon[:20])}")
        if e.unknown_codes:
            lines.append(f"  有边界无数据 polygons without data ({len(e.unknown_codes)}): "
                         f"{'、'.join(e.unknown_codes[:20])}")
        return "\n".join(lines)


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


def land_boundaries(path: Path | str, level: str, code_field: str, name_field: str | None = None,
                    valid_from: str | None = None, gcj02: bool = False, root: Path | None = None,
                    user: str | None = None) -> BoundaryOutcome:
    """Land one boundary file (see the module docstring). Raises ExtractError and writes nothing on failure."""
    root = data_dir(root)
    path = Path(path)
    if level not in LEVELS:
        raise ExtractError("BAD_LEVEL", f"层级应为 {'/'.join(LEVELS)}", f"level must be one of {', '.join(LEVELS)}")
    try:
        vf = date.fromisoformat(valid_from).isoformat() if valid_from else "1900-01-01"
    except ValueError:
        raise ExtractError("BAD_DATE", f"生效日期格式应为 YYYY-MM-DD：{valid_from}",
                           f"valid-from must be YYYY-MM-DD: {valid_from}") from None
    gdf = read_boundary_file(path)
    if code_field not in gdf.columns:
        fields = "、".join(c for c in gdf.columns if c != "geometry")
        raise ExtractError("NO_CODE_FIELD", f"边界文件没有代码字段 {code_field}（现有字段：{fields}）",
                           f"boundary file has no code field {code_field!r}")
    if name_field and name_field not in gdf.columns:
        raise ExtractError("NO_NAME_FIELD", f"边界文件没有名称字段 {name_field}",
                           f"boundary file has no name field {name_field!r}")
    raw = gdf[code_field].tolist()
    codes = [normalise_code(v, level) for v in raw]
    bad = [str(r) for r, c in zip(raw, codes) if c is None]
    if bad:
        raise ExtractError("BAD_CODE_FIELD", f"代码字段 {code_field} 有 {len(bad)} 个值不是{LEVEL_ZH[level]}区划代码"
                           f"（如 {'、'.join(bad[:3])}）",
                           f"code field {code_field!r} holds {len(bad)} values that are not {level} division codes")
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ExtractError("DUPLICATE_CODE", f"代码重复：{'、'.join(dupes[:5])}", f"duplicated codes: {dupes[:5]}")
    known = _region_codes(root, level)
    if not known:
        raise ExtractError("NO_REGIONS", "请先导入行政区划代码表（regions）", "land the region table first")
    matched = [c for c in codes if c in known]
    if not matched:
        raise ExtractError("CODES_UNKNOWN", f"代码字段 {code_field} 的值均不在已导入的{LEVEL_ZH[level]}区划代码中",
                           f"no value of code field {code_field!r} is a landed {level} code")
    names = [str(x) for x in gdf[name_field]] if name_field else [""] * len(codes)
    geoms, crs_in = _to_wgs84(gdf, gcj02)
    geoms, repaired = _repair(geoms, codes)
    if any(g is None or g.is_empty for g in geoms):
        empty = [c for c, g in zip(codes, geoms) if g is None or g.is_empty]
        raise ExtractError("EMPTY_GEOMETRY", f"几何为空：{'、'.join(empty[:5])}", f"empty geometry: {empty[:5]}")
    simple = _simplify(geoms, SIMPLIFY_TOLERANCE)
    area = _area_km2(geoms)
    cent = shapely.point_on_surface(geoms)
    note = " ".join(str(v) for v in gdf.get("note", pd.Series(dtype=str)).dropna().unique())
    schematic = SCHEMATIC_MARK in path.name or SCHEMATIC_MARK in note
    sha = file_sha256(path)
    with _lock(root):
        for e in read_boundaries_log(root):
            if e["sha256"] == sha and e["level"] == level and e["valid_from"] == vf:
                return BoundaryOutcome(None, already=e)
        table = pa.table({
            "region_code": codes, "region_name": names, "level": [level] * len(codes),
            "geometry_wkb": shapely.to_wkb(geoms).tolist(),
            "simplified_wkb": shapely.to_wkb(simple).tolist(),
            "area_km2": np.round(area, 3), "lon": np.round(shapely.get_x(cent), 6),
            "lat": np.round(shapely.get_y(cent), 6)})
        rel = Path(level) / f"{sha}.parquet"
        target = boundaries_dir(root) / rel
        private_dir(target.parent, top=root)
        tmp = target.with_suffix(".parquet.tmp")
        with os.fdopen(open_private(tmp), "wb") as f:
            pq.write_table(table, f, compression="zstd")
        os.replace(tmp, target)
        entry = BoundaryLanding(
            load_id=sha[:16], level=level, valid_from=vf, file_name=path.name, sha256=sha, crs_in=crs_in,
            gcj02=gcj02, features=len(codes), repaired=repaired,
            unknown_codes=sorted(set(codes) - known), codes_without_polygon=sorted(known - set(codes)),
            is_schematic=schematic, landed_at=datetime.now().isoformat(timespec="seconds"),
            landed_by=user or os.environ.get("TONGXIN_USER") or getpass.getuser(), path=str(rel))
        with os.fdopen(open_private(boundaries_log_path(root), append=True), "a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
    return BoundaryOutcome(entry)


def _region_codes(root: Path, level: str) -> set[str]:
    idx = region_index(root)
    return {c for c, lv in idx.level.items() if lv == level} if idx is not None else set()


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
