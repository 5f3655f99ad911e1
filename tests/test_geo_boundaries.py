"""Boundary landing: other CRSs, zipped Shapefile, GeoPackage and GCJ-02 land in the right place;
a bad code field fails with a clear message and writes nothing; the build carries the boundaries."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import pytest
import shapely

from etl.__main__ import main as etl_main
from etl.boundaries import boundaries_dir, land_boundaries, normalise_code, read_boundaries_log
from etl.errors import ExtractError
from etl.land import land
from geo import geometry
from geo.geometry import gcj02_to_wgs84, wgs84_to_gcj02

STREETS = "示范市_街道边界_示意.geojson"


@pytest.fixture
def geo_root(tmp_path, demo_extracts, monkeypatch) -> Path:
    """A data folder of the test's own with the demo's region table landed."""
    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    root = tmp_path / "data"
    manifest = json.loads((demo_extracts / "manifest.json").read_text(encoding="utf-8"))
    f = next(f for f in manifest["files"] if f["source"] == "regions")
    land("regions", demo_extracts / f["file"], f["period"], root=root)
    return root


def original(demo_extracts) -> gpd.GeoDataFrame:
    return gpd.read_file(demo_extracts / STREETS).set_index("code")


def landed(root: Path, level: str = "street") -> gpd.GeoDataFrame:
    entry = read_boundaries_log(root)[-1]
    t = pq.read_table(boundaries_dir(root) / entry["path"]).to_pandas()
    return gpd.GeoDataFrame(t.drop(columns=["geometry_wkb", "simplified_wkb"]),
                            geometry=shapely.from_wkb(t["geometry_wkb"]), crs="EPSG:4326").set_index("region_code")


def max_distance(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> float:
    """Largest Hausdorff distance (degrees) between same-code geometries."""
    assert sorted(a.index) == sorted(b.index)
    return max(shapely.hausdorff_distance(a.geometry[c], b.geometry[c]) for c in a.index)


def test_known_gcj02_pairs():
    # Published reference pair (wandergis/coordtransform README): WGS84 (116.404, 39.915) → GCJ-02.
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert abs(lon - 116.41024449916938) < 1e-9 and abs(lat - 39.91640428150164) < 1e-9
    back = gcj02_to_wgs84(116.41024449916938, 39.91640428150164)
    assert abs(back[0] - 116.404) < 1e-8 and abs(back[1] - 39.915) < 1e-8
    # Outside China nothing moves.
    assert tuple(map(float, wgs84_to_gcj02(2.35, 48.85))) == (2.35, 48.85)


def test_codes_normalised():
    assert normalise_code("990102", "county") == "990102000000"
    assert normalise_code(990102001.0, "street") == "990102001000"
    assert normalise_code("990102001000", "street") == "990102001000"
    assert normalise_code("990102001000", "county") is None
    assert normalise_code("东湖区", "county") is None


def test_a_missing_or_unreadable_file_is_an_extract_error_and_writes_nothing(geo_root, tmp_path):
    with pytest.raises(ExtractError) as missing:
        land_boundaries(tmp_path / "无此文件.geojson", "street", root=geo_root)
    garbled = tmp_path / "县界.geojson"
    garbled.write_bytes("不是 GeoJSON {".encode("gb18030"))
    with pytest.raises(ExtractError) as unreadable:
        land_boundaries(garbled, "street", root=geo_root)
    assert (missing.value.code, unreadable.value.code) == ("NO_FILE", "UNREADABLE")
    assert "县界.geojson" in unreadable.value.zh
    assert not boundaries_dir(geo_root).exists()


def test_the_demo_measures_areas_with_the_boundaries_function():
    """One equal-area projection for every km² shown: the demo's regions and the landed boundaries."""
    from demo import geography

    assert geography.area_km2 is geometry.area_km2
    one_degree = shapely.box(120.0, 31.0, 121.0, 32.0)  # ~111 km × ~95 km at 31.5°N
    assert 10_400 < geometry.area_km2([one_degree])[0] < 10_600


def test_gpkg_in_cgcs2000_gauss_kruger_lands_in_place(geo_root, demo_extracts, tmp_path):
    src = original(demo_extracts)
    path = tmp_path / "streets_4549.gpkg"
    src.reset_index().to_crs("EPSG:4549").to_file(path, driver="GPKG")  # CGCS2000 / 3-degree GK CM 120E
    out = land_boundaries(path, "street", "code", "name", valid_from="2025-01-01", root=geo_root)
    assert out.entry.crs_in.endswith("4549") and out.entry.features == len(src)
    assert not out.entry.codes_without_polygon and not out.entry.unknown_codes
    got = landed(geo_root)
    assert max_distance(got, src) < 1e-6  # well under 0.1 m
    # A known vertex: the first one of the first street, as written by the demo.
    code = src.index[0]
    want = shapely.get_coordinates(src.geometry[code])[0]
    assert np.min(np.hypot(*(shapely.get_coordinates(got.geometry[code]) - want).T)) < 1e-6


def test_zipped_shapefile_in_web_mercator_lands_in_place(geo_root, demo_extracts, tmp_path, monkeypatch, capsys):
    src = original(demo_extracts)
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    src.reset_index().to_crs("EPSG:3857").to_file(shp_dir / "streets.shp", encoding="utf-8")
    z = tmp_path / "streets.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in shp_dir.iterdir():
            zf.write(p, p.name)
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(geo_root))
    rc = etl_main(["boundaries", str(z), "--level", "street", "--code-field", "code", "--name-field", "name"])
    assert rc == 0
    assert "已导入边界" in capsys.readouterr().out
    assert "3857" in read_boundaries_log(geo_root)[-1]["crs_in"]
    got = landed(geo_root)
    assert max_distance(got, src) < 1e-6
    assert set(got["region_name"]) == set(src["name"])


def test_gcj02_input_is_shifted_back(geo_root, demo_extracts, tmp_path):
    src = original(demo_extracts)
    shifted = src.copy()
    shifted.geometry = shapely.transform(
        np.asarray(src.geometry.values, dtype=object),
        lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    assert max_distance(shifted, src) > 0.002  # the offset is hundreds of metres
    path = tmp_path / "gcj.geojson"
    shifted.reset_index().to_file(path, driver="GeoJSON")
    land_boundaries(path, "street", "code", "name", gcj02=True, root=geo_root)
    assert max_distance(landed(geo_root), src) < 1e-7


def test_bad_code_field_fails_and_writes_nothing(geo_root, demo_extracts, monkeypatch, capsys):
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(geo_root))
    before = sorted(p.relative_to(geo_root) for p in geo_root.rglob("*"))
    # The name field given as the code field: every value is not a code.
    rc = etl_main(["boundaries", str(demo_extracts / STREETS), "--level", "street", "--code-field", "name"])
    err = capsys.readouterr().err
    assert rc == 1
    assert len(err.strip().splitlines()) == 1
    assert "代码字段" in err and "code field" in err
    # A field that does not exist.
    rc = etl_main(["boundaries", str(demo_extracts / STREETS), "--level", "street", "--code-field", "区划代码"])
    assert rc == 1
    assert "没有代码字段" in capsys.readouterr().err
    # County codes given for the street level.
    rc = etl_main(["boundaries", str(demo_extracts / "示范市_区县边界_示意.geojson"), "--level", "street",
                   "--code-field", "code"])
    assert rc == 1
    assert sorted(p.relative_to(geo_root) for p in geo_root.rglob("*")) == before


def test_invalid_geometry_repaired_and_reported(geo_root, demo_extracts, tmp_path):
    src = original(demo_extracts).reset_index()
    g = src.geometry[0]
    (x0, y0, x1, y1) = g.bounds
    bowtie = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    src.loc[0, "geometry"] = bowtie
    path = tmp_path / "bad.geojson"
    src.to_file(path, driver="GeoJSON")
    out = land_boundaries(path, "street", "code", "name", root=geo_root)
    assert len(out.entry.repaired) == 1 and src["code"][0] in out.entry.repaired[0]
    assert "修复" in out.message
    assert landed(geo_root).geometry.is_valid.all()


def test_versions_and_idempotence_and_shared_borders(geo_root, demo_extracts):
    path = demo_extracts / STREETS
    first = land_boundaries(path, "street", "code", "name", valid_from="2024-01-01", root=geo_root)
    again = land_boundaries(path, "street", "code", "name", valid_from="2024-01-01", root=geo_root)
    assert again.already and "nothing changed" in again.message
    land_boundaries(path, "street", "code", "name", valid_from="2026-01-01", root=geo_root)
    log = read_boundaries_log(geo_root)
    assert [e["valid_from"] for e in log] == ["2024-01-01", "2026-01-01"]
    assert first.entry.is_schematic
    # Simplified streets still tile: the union's area equals the sum of areas (no gaps, no overlaps).
    t = pq.read_table(boundaries_dir(geo_root) / log[-1]["path"]).to_pandas()
    simple = shapely.from_wkb(t["simplified_wkb"])
    union = shapely.union_all(simple)
    assert abs(union.area - shapely.area(simple).sum()) < 1e-9
    full = shapely.union_all(shapely.from_wkb(t["geometry_wkb"]))
    assert abs(union.area - full.area) / full.area < 0.01


def test_snapshot_has_current_boundaries(snapshot_path, demo_extracts):
    from warehouse import queries as q

    con = q.connect(snapshot_path)
    try:
        df = con.cursor().execute(
            "select region_code, level, geometry from boundaries where is_current").df()
    finally:
        con.close()
    src = original(demo_extracts)
    streets = df[df["level"] == "street"].set_index("region_code")
    assert sorted(streets.index) == sorted(src.index)
    for code in src.index:
        g = shapely.from_geojson(streets.at[code, "geometry"])
        assert shapely.hausdorff_distance(g, src.geometry[code]) < 1e-6
