"""Geometry of boundary polygons: to WGS84 (any CRS, and GCJ-02 back), repair, simplification, areas.

Functions take and return numpy arrays of shapely geometries in EPSG:4326 lon/lat unless they say otherwise.
"""
from __future__ import annotations

import math

import numpy as np
import shapely

SIMPLIFY_TOLERANCE = 0.0005  # degrees (~50 m): enough for a city map, borders stay shared
# Equal-area projection for areas (Albers, standard parallels used for maps of China).
AREA_CRS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"

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


# ---- to WGS84, repaired ------------------------------------------------------------------------
def to_wgs84(gdf, gcj02: bool) -> tuple[np.ndarray, str]:
    """(the GeoDataFrame's geometries in EPSG:4326, its CRS as read). CGCS2000 (EPSG:4490) is taken as
    WGS84 as is (the two differ by centimetres); no CRS is taken as EPSG:4326; `gcj02` undoes the offset."""
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


def repair(geoms: np.ndarray, labels: list[str]) -> tuple[np.ndarray, list[str]]:
    """(geometries with the invalid ones made valid, keeping their polygons; "label（reason）" for each
    one repaired). Empty and missing geometries are left as they are."""
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
            repaired.append(f"{labels[i]}（{reason}）")
    return out, repaired


# ---- for display and figures -------------------------------------------------------------------
def simplify(geoms: np.ndarray, tolerance: float = SIMPLIFY_TOLERANCE) -> np.ndarray:
    """Simplify the shared topology (shapely.coverage_simplify) so neighbours keep one common border."""
    try:
        return np.asarray(shapely.coverage_simplify(geoms, tolerance), dtype=object)
    except Exception:  # noqa: BLE001 (not a valid coverage: fall back to per-polygon simplify)
        return np.asarray(shapely.simplify(geoms, tolerance, preserve_topology=True), dtype=object)


def area_km2(geoms) -> np.ndarray:
    """Areas in km² of WGS84 lon/lat geometries (equal-area projection)."""
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", AREA_CRS, always_xy=True)
    projected = shapely.transform(np.asarray(geoms, dtype=object),
                                  lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    return shapely.area(projected) / 1e6


def polygon_columns(geoms: np.ndarray) -> dict[str, list | np.ndarray]:
    """What a stored boundary holds of each polygon: geometry_wkb, simplified_wkb (for display),
    area_km2 (3 decimals), and lon/lat of a point inside it (6 decimals)."""
    inside = shapely.point_on_surface(geoms)
    return {"geometry_wkb": shapely.to_wkb(geoms).tolist(),
            "simplified_wkb": shapely.to_wkb(simplify(geoms)).tolist(),
            "area_km2": np.round(area_km2(geoms), 3), "lon": np.round(shapely.get_x(inside), 6),
            "lat": np.round(shapely.get_y(inside), 6)}
