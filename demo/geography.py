"""Schematic, clearly fictional demo geography (示意边界): province 99 (示范省), city 9901 (示范市).

Counties are Voronoi cells of seed points clipped to a city outline, streets are Voronoi cells inside
each county clipped to it, so streets tile counties and counties tile the city with no gaps or
overlaps. Communities are points inside their street. Codes follow the 12-digit statistical
division code layout (2 province, 2 city, 2 county, 3 street/township, 3 community/village) with the
usual numbering bands: districts 01-20, counties 21-80, county-level cities 81-99; streets 001-099,
towns 100-199, townships 200-399; residents' committees 001-199, villages 200-399.
Province code 99 does not exist, so nothing here can be mistaken for a real place.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point, Polygon

from demo.draw import stream
from geo.geometry import area_km2

PROVINCE_CODE = "99"
PROVINCE_NAME = "示范省"
SCHEMATIC_NOTE = "示意边界 schematic"

# Street / community area types (regions.area_type) and county area types.
URBAN_CORE, COUNTY = "主城区", "县域"
STREET_TYPES = ("城区", "工业园区", "城乡结合部", "乡村")

_FIRST = list("东西南北新长永安太和清青白红金银玉宝龙凤云山江河湖松柏桃李杏梅兰竹荷柳枫槐桂石泉溪川花锦翠紫彩丰")
_SECOND = list("湖山岭港塘桥湾口城门园林泉溪坊坪阳华安宁丰兴盛源景苑河川洲浦渡亭峰冈堤坝湄")
_VILLAGE_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏付方邹孟熊秦邱江薛")
_VILLAGE_SUFFIX = list("家庄湾岗桥塘圩集店营寨埠楼坂")
_INDUSTRIAL = ["工业园", "高新", "经开", "临港", "科创", "智造", "开发区", "物流园"]

_CITY_COUNTIES = [  # name, county area type, (min, max) streets
    ("东湖区", URBAN_CORE, (8, 10)),
    ("西山区", URBAN_CORE, (9, 12)),
    ("南岭区", URBAN_CORE, (9, 12)),
    ("北港区", URBAN_CORE, (10, 12)),
    ("青石县", COUNTY, (11, 14)),
    ("云溪县", COUNTY, (10, 13)),
    ("白河市", COUNTY, (12, 14)),
]
_TINY_COUNTIES = [("东湖区", URBAN_CORE, (3, 3)), ("青石县", COUNTY, (3, 3))]


@dataclass
class Geography:
    """All levels of the demo geography; geometry columns hold shapely objects in WGS84 lon/lat."""

    scale: str
    seed: int
    outline: shapely.Geometry            # the outer boundary (city, or province at province scale)
    outline_name: str
    cities: pd.DataFrame                 # city_code, city_name, geometry, area_km2, lon, lat
    counties: pd.DataFrame               # county_code, county_name, city_code, area_type, geometry, ...
    streets: pd.DataFrame                # street_code, street_name, street_base, street_kind, area_type, ...
    communities: pd.DataFrame            # community_code, community_name, community_base, community_kind, ...
    province: dict | None = None         # {"code", "name"} at province scale
    extra: dict = field(default_factory=dict)

    def regions_frame(self) -> pd.DataFrame:
        """Rows of the `regions` contract (canonical column names), top level first."""
        parts = []
        if self.province is not None:
            c = shapely.centroid(self.outline)
            parts.append(pd.DataFrame({
                "region_code": [self.province["code"]], "region_name": [self.province["name"]],
                "level": ["province"], "parent_code": [""], "area_type": [""],
                "area_km2": [float(area_km2([self.outline])[0])], "lon": [c.x], "lat": [c.y]}))
        parent_city = (self.province or {}).get("code", "")
        parts.append(pd.DataFrame({
            "region_code": self.cities.city_code, "region_name": self.cities.city_name, "level": "city",
            "parent_code": parent_city, "area_type": "", "area_km2": self.cities.area_km2,
            "lon": self.cities.lon, "lat": self.cities.lat}))
        parts.append(pd.DataFrame({
            "region_code": self.counties.county_code, "region_name": self.counties.county_name,
            "level": "county", "parent_code": self.counties.city_code, "area_type": self.counties.area_type,
            "area_km2": self.counties.area_km2, "lon": self.counties.lon, "lat": self.counties.lat}))
        parts.append(pd.DataFrame({
            "region_code": self.streets.street_code, "region_name": self.streets.street_name,
            "level": "street", "parent_code": self.streets.county_code, "area_type": self.streets.area_type,
            "area_km2": self.streets.area_km2, "lon": self.streets.lon, "lat": self.streets.lat}))
        parts.append(pd.DataFrame({
            "region_code": self.communities.community_code, "region_name": self.communities.community_name,
            "level": "community", "parent_code": self.communities.street_code,
            "area_type": self.communities.area_type, "area_km2": np.nan,
            "lon": self.communities.lon, "lat": self.communities.lat}))
        out = pd.concat(parts, ignore_index=True)
        out["area_km2"] = out["area_km2"].round(2)
        out["lon"] = out["lon"].round(6)
        out["lat"] = out["lat"].round(6)
        return out

    def to_geodataframe(self, level: str = "street"):
        """A GeoDataFrame (EPSG:4326) of counties or streets; imports geopandas lazily."""
        import geopandas as gpd

        df = {"county": self.counties, "street": self.streets, "city": self.cities}[level]
        return gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=list(df.geometry), crs="EPSG:4326")

    def write_geojson(self, out_dir: Path) -> list[tuple[str, Path]]:
        """Write street and county boundary files; returns [(level, path)]."""
        out_dir = Path(out_dir)
        prefix = self.outline_name
        written = []
        for level, df, code, name in (("street", self.streets, "street_code", "street_name"),
                                      ("county", self.counties, "county_code", "county_name")):
            label = {"street": "街道", "county": "区县"}[level]
            path = out_dir / f"{prefix}_{label}边界_示意.geojson"
            feats = []
            for row in df.itertuples(index=False):
                feats.append({
                    "type": "Feature",
                    "properties": {"code": getattr(row, code), "name": getattr(row, name), "level": level,
                                   "area_km2": round(float(row.area_km2), 2), "note": SCHEMATIC_NOTE},
                    "geometry": _rounded_mapping(row.geometry),
                })
            doc = {"type": "FeatureCollection", "name": path.stem, "note": SCHEMATIC_NOTE, "features": feats}
            path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
            written.append((level, path))
        return written


# ---- public entry point ----------------------------------------------------------------------
def build_geography(scale: str = "city", seed: int = 7, *, _cities: int | None = None) -> Geography:
    """Build the fictional geography for a scale: tiny (2 counties), city (7 counties), province."""
    rng = stream(seed, "geography", scale)
    if scale == "tiny":
        outline = _blob(rng, (119.95, 31.62), 0.22, 0.16)
        return _single_city(scale, seed, rng, outline, _TINY_COUNTIES)
    if scale == "city":
        outline = _blob(rng, (120.0, 31.65), 0.48, 0.33)
        return _single_city(scale, seed, rng, outline, _CITY_COUNTIES)
    if scale == "province":
        return _province(seed, rng, _cities or 13)
    raise ValueError(f"unknown scale {scale!r} (tiny|city|province)")


# ---- builders ---------------------------------------------------------------------------------
def _single_city(scale, seed, rng, outline, county_specs) -> Geography:
    names = _NamePool(rng)
    names.tiny = scale == "tiny"
    city_code = PROVINCE_CODE + "01"
    counties, streets, comms = _build_city(rng, names, city_code, "示范市", outline,
                                           shapely.centroid(outline), county_specs)
    cities = _finish(pd.DataFrame({"city_code": [city_code + "00000000"], "city_name": ["示范市"],
                                   "geometry": [outline]}))
    return Geography(scale, seed, outline, "示范市", cities, counties, streets, comms)


def _province(seed, rng, n_cities) -> Geography:
    outline = _blob(rng, (119.0, 32.2), 2.2 * math.sqrt(n_cities / 13), 1.6 * math.sqrt(n_cities / 13))
    seeds = _random_points_in(rng, outline, n_cities)
    cells, seeds = _lloyd(outline, seeds, 4)
    pool = _NamePool(rng)
    city_names = ["示范市"] + [pool.county_base() + "市" for _ in range(n_cities - 1)]
    all_c, all_s, all_m, cities = [], [], [], []
    for i, (cell, pt) in enumerate(zip(cells, seeds)):
        code4 = f"{PROVINCE_CODE}{i + 1:02d}"
        n_d = int(rng.integers(3, 5))
        n_k = int(rng.integers(4, 7))
        specs = [(pool.county_base() + "区", URBAN_CORE, (9, 13)) for _ in range(n_d)]
        specs += [(pool.county_base() + ("市" if j == n_k - 1 else "县"), COUNTY, (10, 14)) for j in range(n_k)]
        names = _NamePool(stream(seed, "names", code4))       # names unique within each city
        c, s, m = _build_city(rng, names, code4, city_names[i], cell, Point(pt), specs)
        all_c.append(c), all_s.append(s), all_m.append(m)
        cities.append({"city_code": code4 + "00000000", "city_name": city_names[i], "geometry": cell})
    return Geography(
        "province", seed, outline, PROVINCE_NAME, _finish(pd.DataFrame(cities)),
        pd.concat(all_c, ignore_index=True), pd.concat(all_s, ignore_index=True),
        pd.concat(all_m, ignore_index=True), province={"code": PROVINCE_CODE + "0000000000", "name": PROVINCE_NAME})


def _build_city(rng, names, city4, city_name, outline, centre, county_specs):
    """Counties → streets → communities for one city polygon."""
    centre = np.array([centre.x, centre.y])
    size = math.sqrt(outline.area)
    urban = [s for s in county_specs if s[1] == URBAN_CORE]
    rural = [s for s in county_specs if s[1] == COUNTY]
    pts = []
    theta0 = rng.uniform(0, 2 * math.pi)
    for i, _ in enumerate(urban):
        r = 0.0 if len(urban) == 1 and rural else 0.12 * size
        if len(urban) == 1 and rural:
            pts.append(centre - np.array([0.18 * size, 0.0]))
        else:
            a = theta0 + 2 * math.pi * i / len(urban)
            pts.append(centre + r * np.array([math.cos(a), math.sin(a)]))
    theta1 = rng.uniform(0, 2 * math.pi)
    for i, _ in enumerate(rural):
        if len(rural) == 1 and len(urban) == 1:
            pts.append(centre + np.array([0.22 * size, 0.0]))
            continue
        a = theta1 + 2 * math.pi * i / len(rural)
        for r in (0.38, 0.3, 0.22, 0.15):
            p = centre + r * size * np.array([math.cos(a), math.sin(a)])
            if outline.contains(Point(p)):
                break
        pts.append(p)
    pts = np.array(pts)
    cells = _voronoi_cells(outline, pts)

    # county codes: districts 02.., counties 21.., the last outlying unit named …市 gets 81..
    county_rows, street_rows, comm_rows = [], [], []
    n_dist, n_cnty, n_cc = 2, 21, 81
    for (name, atype, (lo, hi)), cell, seed_pt in zip(urban + rural, cells, pts):
        if atype == URBAN_CORE:
            num, n_dist = n_dist, n_dist + 1
        elif name.endswith("市"):
            num, n_cc = n_cc, n_cc + 1
        else:
            num, n_cnty = n_cnty, n_cnty + 1
        code6 = f"{city4}{num:02d}"
        county_rows.append({"county_code": code6 + "000000", "county_name": name, "city_code": city4 + "00000000",
                            "city_name": city_name, "area_type": atype, "geometry": cell})
        n_st = int(rng.integers(lo, hi + 1))
        sp = _random_points_in(rng, cell, n_st)
        s_cells, sp = _lloyd(cell, sp, 3)
        ref = centre if atype == URBAN_CORE else seed_pt
        order = np.argsort(np.hypot(sp[:, 0] - ref[0], sp[:, 1] - ref[1]))
        types = _street_types(rng, atype, n_st)
        counters = {"街道": 1, "镇": 100, "乡": 200}
        for rank, k in enumerate(order):
            stype = types[rank]
            if stype in ("城区", "工业园区"):
                kind = "街道"
            elif stype == "城乡结合部":
                kind = "街道" if rng.random() < 0.6 else "镇"
            else:
                kind = "镇" if rng.random() < 0.8 else "乡"
            code9 = f"{code6}{counters[kind]:03d}"
            counters[kind] += 1
            base = names.industrial() if stype == "工业园区" else names.place()
            street_rows.append({"street_code": code9 + "000", "street_name": base + kind, "street_base": base,
                                "street_kind": kind, "area_type": stype, "county_code": code6 + "000000",
                                "county_name": name, "county_area_type": atype, "city_code": city4 + "00000000",
                                "city_name": city_name, "geometry": s_cells[k]})
            comm_rows.extend(_communities(rng, names, street_rows[-1], code9, county_is_core=atype == URBAN_CORE))
    counties = _finish(pd.DataFrame(county_rows))
    streets = _finish(pd.DataFrame(street_rows))
    comms = pd.DataFrame(comm_rows)
    return counties, streets, comms


def _street_types(rng, county_type, n):
    """Street area types ordered from the centre outwards."""
    if county_type == URBAN_CORE:
        n_urban = max(1, round(0.45 * n))
        n_ind = 1 if n < 10 else 2
        rest = ["工业园区"] * n_ind + ["城乡结合部"] * (n - n_urban - n_ind)
        rest = [rest[i] for i in rng.permutation(len(rest))]
        return ["城区"] * n_urban + rest
    n_urban = 1 if n < 10 else 2
    n_ind = 1 if n >= 6 and rng.random() < 0.85 else 0
    rest = ["工业园区"] * n_ind + ["乡村"] * (n - n_urban - n_ind)
    # an industrial park sits next to the county seat, not in the far hills
    if n_ind:
        pos = int(rng.integers(0, min(3, len(rest))))
        rest.remove("工业园区")
        rest.insert(pos, "工业园区")
    return ["城区"] * n_urban + rest


def _communities(rng, names, street, code9, county_is_core):
    stype = street["area_type"]
    if stype == "城区":
        n_comm, n_vil = int(rng.integers(6, 12) if county_is_core else rng.integers(5, 10)), 0
    elif stype == "工业园区":
        n_comm, n_vil = int(rng.integers(4, 9)), 0
    elif stype == "城乡结合部":
        n = int(rng.integers(5, 11))
        n_vil = round(float(n * rng.uniform(0.25, 0.5)))
        n_comm = n - n_vil
    else:
        n_comm, n_vil = int(rng.integers(1, 3)), int(rng.integers(6, 15))
    # tiny scale keeps streets small (3–4 communities)
    if names.tiny:
        total = int(rng.integers(3, 5))
        n_vil = 0 if stype in ("城区", "工业园区") else max(0, total - (1 if stype == "乡村" else 2))
        n_comm = total - n_vil
    geom = street["geometry"]
    pts = _random_points_in(rng, geom.buffer(-0.002) if geom.buffer(-0.002).area > 0 else geom,
                            n_comm + n_vil, spread=False)
    rows = []
    for i in range(n_comm + n_vil):
        village = i >= n_comm
        num = 201 + (i - n_comm) if village else 1 + i
        base = names.village() if village else names.place()
        kind = "村" if village else "社区"
        rows.append({"community_code": f"{code9}{num:03d}", "community_name": base + kind, "community_base": base,
                     "community_kind": kind, "area_type": stype, "street_code": street["street_code"],
                     "street_name": street["street_name"], "county_code": street["county_code"],
                     "county_name": street["county_name"], "county_area_type": street["county_area_type"],
                     "city_code": street["city_code"], "lon": round(float(pts[i, 0]), 6),
                     "lat": round(float(pts[i, 1]), 6)})
    return rows


# ---- names ------------------------------------------------------------------------------------
class _NamePool:
    """Deterministic, unique-within-a-city place-name bases (two characters, never a real list)."""

    def __init__(self, rng):
        self.tiny = False
        combos = [a + b for a in _FIRST for b in _SECOND if a != b]
        self._place = [combos[i] for i in rng.permutation(len(combos))]
        vil = [a + b for a in _VILLAGE_SURNAMES for b in _VILLAGE_SUFFIX]
        self._village = [vil[i] for i in rng.permutation(len(vil))]
        self._ind = list(_INDUSTRIAL)
        self._county = [c for c in self._place[::-1]]
        self._used: set[str] = set()

    def _take(self, pool):
        while pool:
            x = pool.pop()
            if x not in self._used:
                self._used.add(x)
                return x
        raise RuntimeError("name pool exhausted")

    def place(self):
        return self._take(self._place)

    def village(self):
        return self._take(self._village)

    def industrial(self):
        while self._ind:
            x = self._ind.pop(0)
            if x not in self._used:
                self._used.add(x)
                return x
        return self._take(self._place) + "园区"

    def county_base(self):
        return self._take(self._county)


# ---- geometry helpers -------------------------------------------------------------------------
def _blob(rng, centre, rx, ry, n=48) -> Polygon:
    """An irregular, mildly wavy outline around a centre (degrees)."""
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    noise = np.zeros(n)
    for k, amp in ((2, 0.08), (3, 0.06), (5, 0.04), (7, 0.025)):
        noise += amp * np.cos(k * ang + rng.uniform(0, 2 * np.pi))
    r = 1 + noise
    xs = centre[0] + rx * r * np.cos(ang)
    ys = centre[1] + ry * r * np.sin(ang)
    return shapely.make_valid(Polygon(np.column_stack([xs, ys])))


def _random_points_in(rng, geom, n, spread=True) -> np.ndarray:
    """n random points inside geom (rejection sampling; `spread` rejects points too close together)."""
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    out = []
    min_d = 0.35 * math.sqrt(geom.area / max(n, 1)) if spread else 0.0
    tries = 0
    while len(out) < n:
        xs = rng.uniform(minx, maxx, 64)
        ys = rng.uniform(miny, maxy, 64)
        ok = shapely.contains_xy(geom, xs, ys)
        for x, y in zip(xs[ok], ys[ok]):
            if len(out) >= n:
                break
            if min_d and out and tries < 5000:
                arr = np.array(out)
                if np.min(np.hypot(arr[:, 0] - x, arr[:, 1] - y)) < min_d:
                    tries += 1
                    continue
            out.append((x, y))
    return np.array(out)


def _voronoi_cells(parent, pts) -> list:
    """Voronoi cells of pts clipped to parent, in input order; they tile parent exactly."""
    if len(pts) == 1:
        return [parent]
    env = shapely.box(*parent.buffer(1.0).bounds)
    vor = shapely.voronoi_polygons(MultiPoint(pts), extend_to=env, ordered=True)
    return [_polygonal(shapely.intersection(g, parent)) for g in shapely.get_parts(vor)]


def _polygonal(geom):
    """Keep only the polygon parts of a (possibly mixed) geometry."""
    geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if len(parts) == 1:
        return parts[0]
    return shapely.union_all(parts)


def _lloyd(parent, pts, iterations) -> tuple[list, np.ndarray]:
    """A few Lloyd relaxation steps for even-looking cells; returns (cells, seeds)."""
    cells = _voronoi_cells(parent, pts)
    for _ in range(iterations):
        cents = np.array([[c.centroid.x, c.centroid.y] if not c.is_empty else p for c, p in zip(cells, pts)])
        pts = cents
        cells = _voronoi_cells(parent, pts)
    return cells, pts


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    """Add area_km2 (equal-area projection) and centroid lon/lat."""
    geoms = np.asarray(list(df["geometry"]), dtype=object)
    df["area_km2"] = np.round(area_km2(geoms), 3)
    cent = shapely.centroid(geoms)
    df["lon"] = np.round(shapely.get_x(cent), 6)
    df["lat"] = np.round(shapely.get_y(cent), 6)
    return df


def _rounded_mapping(geom, nd=6) -> dict:
    m = shapely.geometry.mapping(geom)

    def rnd(c):
        if isinstance(c, (list, tuple)) and c and isinstance(c[0], (int, float)):
            return [round(float(c[0]), nd), round(float(c[1]), nd)]
        return [rnd(x) for x in c]

    return {"type": m["type"], "coordinates": rnd(m["coordinates"])}
