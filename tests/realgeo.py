"""Boundary files as a new city gets them, for a fictional place (江清市, codes 9804… that exist nowhere).

Deterministic writers: a DataV/AMap GeoJSON (integer adcode, GCJ-02), Shapefile zips in CGCS2000 (EPSG:4490)
and in a projected CRS (EPSG:4549, CGCS2000 / 3-degree Gauss-Kruger CM 120E), a GeoPackage holding counties
and streets, and the matching region table (CSV: 区划代码,名称,层级,上级代码).

The four counties are 0.2° squares in a 2 × 2 grid near (119.9, 31.8); each is cut into vertical strips,
its streets. One street of the region table (MISSING_STREET) has no polygon in any file; with
`unknown=True` a file also holds a polygon whose code is in no region table (UNKNOWN_STREET).
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import shapely

PROVINCE = ("980000000000", "江清省")
CITY = ("980400000000", "江清市")
COUNTIES = {"980402000000": "清江区", "980411000000": "江北区", "980481000000": "清源市", "980421000000": "江南县"}
STREETS = {
    "980402001000": "清波街道", "980402002000": "江滨街道",
    "980411001000": "北湖街道", "980411002000": "新桥镇",
    "980481001000": "源头街道", "980481002000": "清河镇",
    "980421001000": "南塘镇", "980421002000": "白沙镇",
}
MISSING_STREET = ("980421003000", "无图乡")  # in the region table, in no boundary file
UNKNOWN_STREET = ("980402099000", "飞地街道")  # in a boundary file (unknown=True), in no region table
X0, Y0, SIZE = 119.8, 31.7, 0.2


def county_square(code: str) -> shapely.Polygon:
    i = list(COUNTIES).index(code)
    x, y = X0 + SIZE * (i % 2), Y0 + SIZE * (i // 2)
    # Vertices along the sides where the streets' borders meet them, so counties and streets share them.
    xs = [x, x + SIZE / 2, x + SIZE]
    ring = [(a, y) for a in xs] + [(x + SIZE, y + SIZE)] + [(a, y + SIZE) for a in reversed(xs[:-1])]
    return shapely.Polygon(ring)


def street_polygons(unknown: bool = False) -> dict[str, shapely.Polygon]:
    """Each county's two strips (west, east); with `unknown`, an extra small square outside the counties."""
    out = {}
    for code in COUNTIES:
        minx, miny, maxx, maxy = county_square(code).bounds
        mid = (minx + maxx) / 2
        west, east = [c for c in STREETS if c[:6] == code[:6]]
        out[west] = shapely.box(minx, miny, mid, maxy)
        out[east] = shapely.box(mid, miny, maxx, maxy)
    if unknown:
        out[UNKNOWN_STREET[0]] = shapely.box(X0 - 0.05, Y0, X0, Y0 + 0.05)
    return out


def county_polygons() -> dict[str, shapely.Polygon]:
    return {c: county_square(c) for c in COUNTIES}


def regions_csv(path: Path, communities: bool = True, province: bool = False) -> Path:
    """The region table with 层级 and 上级代码 given; two communities per street unless `communities=False`;
    the city at the top (no 上级代码), or under a province row with `province=True`."""
    rows = [("区划代码", "名称", "层级", "上级代码")]
    rows += [(*PROVINCE, "province", ""), (*CITY, "city", PROVINCE[0])] if province else [(*CITY, "city", "")]
    rows += [(c, n, "county", CITY[0]) for c, n in COUNTIES.items()]
    for c, n in [*STREETS.items(), MISSING_STREET]:
        rows.append((c, n, "street", c[:6] + "000000"))
        if communities:
            rows += [(c[:9] + f"{k:03d}", f"{n[:-2]}第{k}社区", "community", c) for k in (1, 2)]
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _gcj(geom):
    from geo.geometry import wgs84_to_gcj02

    return shapely.transform(geom, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))


def datav_geojson(path: Path, level: str = "county", unknown: bool = False) -> Path:
    """As DataV.GeoAtlas / AMap publish it: integer adcode, name, level "district" (or "street"), center,
    centroid, parent {adcode}, MultiPolygon coordinates in GCJ-02, no CRS member."""
    polys = county_polygons() if level == "county" else street_polygons(unknown)
    names = {**COUNTIES, **STREETS, UNKNOWN_STREET[0]: UNKNOWN_STREET[1]}
    features = []
    for i, (code, poly) in enumerate(polys.items()):
        g = _gcj(shapely.MultiPolygon([poly]))
        c = _gcj(poly.centroid)
        digits = code[:6] if level == "county" else code[:9]
        parent = CITY[0][:6] if level == "county" else code[:6]
        features.append({"type": "Feature", "properties": {
            "adcode": int(digits), "name": names[code], "center": [round(c.x, 6), round(c.y, 6)],
            "centroid": [round(c.x, 6), round(c.y, 6)], "childrenNum": 0,
            "level": "district" if level == "county" else "street", "parent": {"adcode": int(parent)},
            "subFeatureIndex": i, "acroutes": [100000, 980000, int(CITY[0][:6])]},
            "geometry": json.loads(shapely.to_geojson(g))})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def _gdf(level: str, code_field: str, name_field: str, code_digits: int | None = None, unknown: bool = False):
    import geopandas as gpd

    polys = county_polygons() if level == "county" else street_polygons(unknown)
    names = {**COUNTIES, **STREETS, UNKNOWN_STREET[0]: UNKNOWN_STREET[1]}
    codes = [c[:code_digits] if code_digits else c for c in polys]
    return gpd.GeoDataFrame({code_field: codes, name_field: [names[c] for c in polys]},
                            geometry=list(polys.values()), crs="EPSG:4490")


def _zip(shp_dir: Path, path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for p in sorted(shp_dir.iterdir()):
            zf.write(p, p.name)
    return path


def shapefile_zip_4490(path: Path, level: str = "county", unknown: bool = False) -> Path:
    """A zipped Shapefile in CGCS2000 geographic (EPSG:4490), fields XZQDM / XZQMC as the 国土调查 data has
    them (12-digit text codes), with .prj and .cpg (UTF-8)."""
    d = path.with_suffix("")
    d.mkdir(parents=True, exist_ok=True)
    _gdf(level, "XZQDM", "XZQMC", unknown=unknown).to_file(d / f"{d.name}.shp", encoding="utf-8")
    return _zip(d, path)


def shapefile_zip_projected(path: Path, level: str = "street", unknown: bool = False) -> Path:
    """A zipped Shapefile in EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E), 9-digit PAC codes."""
    d = path.with_suffix("")
    d.mkdir(parents=True, exist_ok=True)
    digits = 6 if level == "county" else 9
    gdf = _gdf(level, "PAC", "NAME", code_digits=digits, unknown=unknown).to_crs("EPSG:4549")
    gdf.to_file(d / f"{d.name}.shp", encoding="utf-8")
    return _zip(d, path)


def gpkg(path: Path, unknown: bool = False) -> Path:
    """A GeoPackage (EPSG:4490) with counties and streets in one layer: 区划代码 (12 digits), 名称."""
    import pandas as pd

    both = pd.concat([_gdf("county", "区划代码", "名称"), _gdf("street", "区划代码", "名称", unknown=unknown)],
                     ignore_index=True)
    both.to_file(path, driver="GPKG", layer="行政区")
    return path
