"""The demo generator: complete, deterministic, messy in the intended ways, and geographically sound.

These tests read the files back with their own small readers (csv, python_calamine) so they do not
depend on etl.read / etl.validate.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import re
import unicodedata
from pathlib import Path

import pytest
import shapely

from demo import generate
from demo.geography import area_km2, build_geography
from etl.contracts import get_source, parse_period, sources

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_ok(s: str) -> bool:
    """GB 11643 check, written independently of the generator."""
    s = s.strip()
    if len(s) != 18 or not s[:17].isdigit():
        return False
    return "10X98765432"[sum(int(a) * w for a, w in zip(s[:17], ID_WEIGHTS)) % 11] == s[17]


def norm(code: str) -> str:
    return unicodedata.normalize("NFKC", str(code)).strip()


def cell(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    return "" if v is None else str(v)


def read_rows(path: Path, encoding: str) -> list[list[str]]:
    if path.suffix == ".xlsx":
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        return [[cell(v) for v in r] for r in rows]
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding))))


def table(path: Path, encoding: str, source: str) -> tuple[int, list[str | None], list[list[str]]]:
    """(header row index, canonical name per column, non-blank data rows)."""
    src = get_source(source)
    by_header = {h: c.name for c in src.columns for h in c.headers}
    rows = read_rows(path, encoding)
    for i, r in enumerate(rows):
        if sum(x.strip() in by_header for x in r) >= 2:
            names = [by_header.get(x.strip()) for x in r]
            data = [row for row in rows[i + 1:] if any(x.strip() for x in row)]
            return i, names, data
    raise AssertionError(f"no header row in {path.name}")


def column(names, data, name) -> list[str]:
    j = names.index(name)
    return [r[j] for r in data]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_tiny")
    files = generate(out, "tiny", seed=7)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return out, files, manifest


def entries(manifest, source):
    return [f for f in manifest["files"] if f["source"] == source]


def test_manifest_lists_every_contract_in_landing_order(tiny):
    out, files, m = tiny
    assert m["scale"] == "tiny" and m["seed"] == 7 and m["synthetic"] is True
    listed = [f["source"] for f in m["files"]]
    assert set(listed) == {n for n, s in sources().items() if not s.on_demand}
    assert listed[0] == "regions" and listed[1] == "population"
    assert "regions" not in listed[1:] and "population" not in listed[2:]
    assert [(f.source, f.period, f.path.name) for f in files] == [(f["source"], f["period"], f["file"])
                                                                  for f in m["files"]]
    for f in m["files"]:
        assert (out / f["file"]).is_file()
        parse_period(f["period"], get_source(f["source"]).period)      # a well-formed period
        assert isinstance(f["bad_rows"], int) and f["bad_rows"] == sum(f["bad_kinds"].values())
    assert len({(f["source"], f["period"]) for f in m["files"]}) == len(m["files"])
    assert [f["period"] for f in entries(m, "civil_register")] == ["2025H1", "2025H2", "2026H1"]
    assert len(entries(m, "visits")) == 22
    assert {b["level"] for b in m["boundaries"]} == {"street", "county"}


def test_same_seed_same_bytes(tiny, tmp_path):
    out, _, m = tiny
    generate(tmp_path, "tiny", seed=7)
    names = [f["file"] for f in m["files"]] + [b["file"] for b in m["boundaries"]] + ["manifest.json"]
    for name in names:
        a = hashlib.sha256((out / name).read_bytes()).hexdigest()
        b = hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert a == b, name


def test_bad_rows_present_at_a_realistic_rate(tiny):
    _, _, m = tiny
    assert sum(f["bad_rows"] for f in m["files"]) > 0
    for f in m["files"]:
        if f["rows"] >= 20:
            assert f["bad_rows"] >= 1, f["file"]
        if f["rows"] >= 300:
            assert 0.005 <= f["bad_rows"] / f["rows"] <= 0.03, f["file"]
    kinds = set(itertools.chain.from_iterable(f["bad_kinds"] for f in m["files"]))
    assert {"bad_check_digit", "impossible_date", "unknown_code", "age_16_plus", "duplicate",
            "enum_outside_list", "negative_count"} <= kinds


def test_register_ids_check_digits_ages_and_codes(tiny):
    out, _, m = tiny
    reg = entries(m, "regions")[0]
    _, rnames, rdata = table(out / reg["file"], reg["encoding"], "regions")
    known = {norm(c) for c in column(rnames, rdata, "region_code") if c.strip()}
    assert "990100000000" in known and len(known) == reg["rows"] - reg["bad_rows"]
    total = 0
    for e in entries(m, "civil_register"):
        _, names, data = table(out / e["file"], e["encoding"], "civil_register")
        ids = column(names, data, "id_number")
        assert len(data) == e["rows"]
        kinds = e["bad_kinds"]
        bad_ids = [i for i in ids if not id_ok(i)]
        assert len(bad_ids) == kinds.get("bad_check_digit", 0)
        # age from the ID's birth date, at the end of the period
        end = parse_period(e["period"], "half_year")[1]
        old = 0
        for i, row in zip(ids, data):
            if not id_ok(i):
                continue
            i = i.strip()
            b = dt.date(int(i[6:10]), int(i[10:12]), int(i[12:14]))
            age = end.year - b.year - ((end.month, end.day) < (b.month, b.day))
            old += age >= 16
            sex = row[names.index("sex")] if "sex" in names else ""
            if sex in ("男", "女"):
                assert int(i[16]) % 2 == (1 if sex == "男" else 0)
        assert old == kinds.get("age_16_plus", 0)
        codes = [norm(c) for c in column(names, data, "community_code")] if "community_code" in names else []
        unknown = [c for c in codes if c and c not in known]
        assert len(unknown) == kinds.get("unknown_code", 0)
        dup = len(ids) - len({i.strip() for i in ids})
        assert dup == kinds.get("duplicate", 0)
        total += len(data)
    assert total > 3 * 1000


def test_a_gb18030_csv_and_a_titled_xlsx(tiny):
    out, _, m = tiny
    gb = [f for f in m["files"] if f["encoding"] == "gb18030"]
    assert gb
    e = next(f for f in gb if f["source"] == "civil_register")
    raw = (out / e["file"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    _, names, data = table(out / e["file"], "gb18030", "civil_register")
    child_names = column(names, data, "child_name")
    assert all(re.fullmatch(r"[\u3400-\u4dbf\u4e00-\u9fff]{2,4}", n) for n in child_names)

    x = next(f for f in m["files"] if f["format"] == "xlsx" and f["source"] == "civil_register")
    header_at, names, data = table(out / x["file"], "", "civil_register")
    rows = read_rows(out / x["file"], "")
    assert header_at >= 1 and rows[0][0].startswith("示范市") and "台账" in rows[0][0]
    assert len(data) == x["rows"]
    formats = {(f["format"], f["encoding"]) for f in m["files"]}
    assert {("xlsx", ""), ("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "gb18030")} <= formats


def test_headers_vary_between_files(tiny):
    out, _, m = tiny
    seen = set()
    for e in entries(m, "civil_register") + entries(m, "visits")[:6]:
        rows = read_rows(out / e["file"], e["encoding"])
        i, _, _ = table(out / e["file"], e["encoding"], e["source"])
        seen.add((e["source"], tuple(rows[i])))
    assert len(seen) >= 6


def test_street_polygons_tile_the_city():
    for scale in ("tiny", "city"):
        g = build_geography(scale, 7)
        outline = area_km2([g.outline])[0]
        streets = list(g.streets.geometry)
        union = area_km2([shapely.union_all(streets)])[0]
        assert abs(union - outline) / outline < 0.001
        assert abs(g.streets.area_km2.sum() - outline) / outline < 0.001
        tree = shapely.STRtree(streets)
        a, b = tree.query(streets, predicate="intersects")
        overlap = sum(shapely.intersection(streets[i], streets[j]).area for i, j in zip(a, b) if i < j)
        assert overlap / g.outline.area < 1e-6
        # streets sit in their county; communities sit in their street
        county = dict(zip(g.counties.county_code, g.counties.geometry))
        for code, geom in zip(g.streets.county_code, g.streets.geometry):
            assert county[code].buffer(1e-9).contains(geom)
        street = dict(zip(g.streets.street_code, g.streets.geometry))
        for lon, lat, code in zip(g.communities.lon, g.communities.lat, g.communities.street_code):
            assert street[code].buffer(1e-6).contains(shapely.Point(lon, lat))
        codes = list(g.communities.community_code)
        assert all(re.fullmatch(r"99\d{10}", c) for c in codes) and len(set(codes)) == len(codes)
        assert set(g.counties.area_type) == {"主城区", "县域"}
    assert 60 <= len(g.streets) <= 90 and len(g.counties) == 7 and len(g.communities) >= 300


def test_geojson_boundaries(tiny):
    out, _, m = tiny
    for b in m["boundaries"]:
        doc = json.loads((out / b["file"]).read_text(encoding="utf-8"))
        assert doc["type"] == "FeatureCollection" and doc["features"]
        for f in doc["features"]:
            p = f["properties"]
            assert set(p) == {"code", "name", "level", "area_km2", "note"} and p["level"] == b["level"]
            assert len(p["code"]) == 12 and p["area_km2"] > 0 and "示意" in p["note"]


def test_province_path_streams_small(tmp_path):
    files = generate(tmp_path, "province", seed=3, _cities=2, _children_per_city=400)
    m = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert m["scale"] == "province" and {f["source"] for f in m["files"]} == {
        n for n, s in sources().items() if not s.on_demand}
    for f in m["files"]:
        if f["source"] in ("civil_register", "visits", "students", "residence_permits", "key_children"):
            assert f["format"] == "csv"
    reg = entries(m, "regions")[0]
    _, names, data = table(tmp_path / reg["file"], reg["encoding"], "regions")
    codes = {norm(c) for c in column(names, data, "region_code")}
    assert {"990000000000", "990100000000", "990200000000"} <= codes
    e = entries(m, "civil_register")[-1]
    _, names, data = table(tmp_path / e["file"], e["encoding"], "civil_register")
    ids = [i.strip() for i in column(names, data, "id_number")]
    assert len(ids) - len(set(ids)) == e["bad_kinds"].get("duplicate", 0)
    cities = {norm(c)[:4] for c in column(names, data, "community_code") if c}
    assert {"9901", "9902"} <= cities
    assert len(files) == len(m["files"])


def test_each_source_has_its_demo_settings_in_one_table():
    """Every contract has one entry of demo settings: periods it accepts, a file title and formats."""
    from demo.sources import SOURCES

    assert set(SOURCES) == set(sources())
    for name, s in SOURCES.items():
        for period in s.periods:
            parse_period(period, get_source(name).period)          # a period the contract accepts
        assert not s.periods or (s.file_title and s.formats), name
        for f in s.formats:
            assert (f.fmt, bool(f.encoding)) in {("xlsx", False), ("csv", True)}, name
            assert f.names in ("code", "name", "mixed"), name


def test_demo_code_lives_outside_the_production_packages():
    """The generator and its schematic geography are the demo package's: nothing in etl/, geo/, warehouse/,
    ui/, views/, report/ or auth/ holds or imports them but the command line that runs the demo."""
    root = Path(__file__).resolve().parents[1]
    cli = {root / "etl" / "__main__.py"}
    pattern = re.compile(r"^\s*(from|import)\s+(demo\b|etl\.demo\b|geo\.demo_geography\b|\.demo\b)")
    offenders = []
    for folder in ("etl", "geo", "warehouse", "ui", "views", "report", "auth"):
        for path in (root / folder).rglob("*.py"):
            lines = [] if path in cli else path.read_text(encoding="utf-8").splitlines()
            offenders += [f"{path.relative_to(root)}: {ln.strip()}" for ln in lines if pattern.search(ln)]
    assert not offenders, "\n".join(offenders)
    assert not (root / "geo" / "demo_geography.py").exists()
    shim = root / "etl" / "demo.py"
    assert not shim.exists() or len(shim.read_text(encoding="utf-8").splitlines()) <= 2
