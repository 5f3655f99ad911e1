"""A real city goes live from an empty server, as its administrator would do it: `etl init` → the official
region table (NBS 统计用区划代码, GB18030, the whole province) → the code-change list → boundaries (DataV
GeoJSON of the counties in GCJ-02 with integer adcode; a Shapefile zip of streets in EPSG:4490) → build →
the map greyed and 上线检查 saying what is missing → the first register → build → the map coloured.

Every file is written here in the formats offices have (tests/realcity.py, tests/realgeo.py); every step
goes through the CLI in a subprocess with a clean environment (no key but the one init makes), and the
app is looked at in Chromium.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from tests import realcity as rc
from tests import realgeo as rg
from tests.browser import ARTIFACTS, DEMO_PASSWORD, needs_chromium, open_page, serve, sign_in
from tests.files import REGISTER_HEADER, make_id, write_register_csv
from warehouse import queries as q
from warehouse.queries import geo

pytestmark = needs_chromium
REPO = Path(__file__).resolve().parents[1]
# Before the register the greyed outlines are a deck (pydeck); after it, the choropleth is plotly (no basemap).
MAP = '[data-testid="stDeckGlJsonChart"] canvas, [data-testid="stPlotlyChart"]'


def etl(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGXIN_")}
    env.update(TONGXIN_DATA_DIR=str(root), TONGXIN_ADMIN_PASSWORD=DEMO_PASSWORD)
    res = subprocess.run([sys.executable, "-m", "etl", *args], check=False, cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, f"etl {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}"
    return res


def register_rows() -> list[list[str]]:
    """A first register: 8 children in 澄江街道, 6 in 白沙街道 (both drawn), 2 in 湖滨街道 (fewer than 5; split by
    the change list, so its rows stay under its own code)."""
    rows, n = [], 0
    for community, count in (("980402001001", 8), ("980411001001", 6), ("980411002001", 2)):
        for i in range(count):
            n += 1
            birth = f"2016{(i % 12) + 1:02d}{(i % 27) + 1:02d}"
            rows.append([str(n), make_id(birth, n % 100, male=i % 2 == 0, prefix=community[:6]), f"测试儿童{n}",
                         "男" if i % 2 == 0 else "女", birth, community, "", "", "流动儿童", "否"])
    return rows


def coloured_share(png: bytes) -> float:
    """Share of the map's pixels in a saturated colour (the register's classes), not grey (无数据) or white."""
    from PIL import Image

    hsv = Image.open(io.BytesIO(png)).convert("RGB").convert("HSV")
    pixels = list(hsv.getdata())
    return sum(1 for _, s, v in pixels if s > 60 and v > 60) / len(pixels)


def look(base: str, path: str, shot: str, wait_for: str):
    """Open `path` signed in as the administrator init made; returns (body text, coloured share of the map)."""
    with open_page(base, path, width=1366, height=768, user=None) as (page, outside, errors):
        sign_in(page, "admin", DEMO_PASSWORD)
        page.get_by_text(wait_for).first.wait_for(timeout=90_000)
        share = None
        if path == "/map":
            page.locator(MAP).first.wait_for(timeout=60_000)
            page.wait_for_timeout(3000)  # deck.gl and plotly draw after the element appears
            share = coloured_share(page.locator(MAP).first.screenshot())
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        # The region selector's value is drawn in an input: the page's HTML holds it, its text may not.
        body = page.locator("body").inner_text() + page.content()
        assert page.locator('[data-testid="stException"]').count() == 0, body
        assert not errors, errors
        assert not outside, outside
    return body, share


def test_a_city_goes_live_from_an_empty_server(tmp_path):
    root, files = tmp_path / "data", tmp_path / "files"
    files.mkdir()

    out = etl(root, "init", "--root", "980400", "--admin", "admin").stdout
    assert (root / "secret.key").stat().st_mode & 0o777 == 0o600
    assert "备份" in out  # the warning to back the key up

    out = etl(root, "land", "regions", str(rc.nbs_csv(files / "统计用区划代码_江清省.csv")), "--period", "2025").stdout
    outside = [c for c in rc.codes() if not c.startswith("9804") and c != rc.PROVINCE[0]]
    assert f"{len(outside)}" in out and "跳过" in out  # the other city's rows: counted and skipped
    etl(root, "land", "region_changes", str(rc.changes_csv(files / "区划变更对照表.csv")), "--period", "2026")
    out = etl(root, "boundaries", str(rg.datav_geojson(files / "980400_full.json"))).stdout
    assert "GCJ-02" in out
    out = etl(root, "boundaries", str(rg.shapefile_zip_4490(files / "乡镇街道.zip", level="street"))).stdout
    assert "柳溪镇" in out  # a street of the region table without a polygon is named
    etl(root, "build")
    # The map names each polygon as the region table does, not as the boundary file spells it.
    con = q.connect(q.current_snapshot_path(root))
    try:
        drawn = dict(zip(*geo.shapes(con, q.Scope.everything(), "street")[["region_code", "region_name"]].T.values))
    finally:
        con.close()
    official = {c: rc.name_of(c) for c in rc.codes(rc.ROOT)}
    assert drawn and all(official.get(c, name) == name for c, name in drawn.items()), drawn

    with serve(root, log_name="golive.log") as base:
        body, grey = look(base, "/map", "golive_map_before.png", "无数据")
        assert "江清市" in body and "流动儿童监测摸排台账" in body
        assert grey is not None and grey < 0.01, grey  # boundaries drawn, all grey
        body, _ = look(base, "/setup", "golive_setup_before.png", "各部门数据（")
        assert "下一步：" in body and "流动儿童监测摸排台账" in body

        reg = write_register_csv(files / "江清市流动儿童监测摸排台账.csv", rows=register_rows())
        assert REGISTER_HEADER[5] == "村（社区）代码"
        out = etl(root, "land", "civil_register", str(reg), "--period", "2026H1").stdout
        assert "16" in out
        etl(root, "build")

        body, coloured = look(base, "/map", "golive_map_after.png", "图例：人数")
        assert coloured is not None and coloured > grey + 0.02, (grey, coloured)
        assert "澄江街道" in body and "湖滨街道" in body
        body, _ = look(base, "/", "golive_overview.png", "江清市")
        assert "江清市" in body
