"""Reading an official boundary file: GeoJSON, Shapefile (plain or zipped) or GeoPackage, as a new city has it.

Which field holds the name is guessed from the usual names of Chinese boundary files; a DataV.GeoAtlas /
AMap file is recognised by its properties (its coordinates are GCJ-02 without exception). Landing the file
(codes checked against the region table, versions, the log) is etl/boundaries.py's, which calls this.
"""
from __future__ import annotations

from pathlib import Path

from settings import UserError

# Lower-case field names of the region name in Chinese boundary files, the likeliest first.
NAME_FIELDS = ("name", "名称", "区划名称", "行政区划名称", "单位名称", "region_name", "xzqmc", "xzqhmc", "qhmc",
               "name_chn", "name_zh", "mc")


class UnreadableBoundaryFile(UserError):
    """A boundary file that is missing or cannot be read as geodata."""


def read_boundary_file(path: Path):
    """GeoJSON / Shapefile (plain or .zip) / GeoPackage → GeoDataFrame; UnreadableBoundaryFile if it cannot."""
    import geopandas as gpd

    if not path.is_file():
        raise UnreadableBoundaryFile("NO_FILE", f"找不到文件：{path}", f"file not found: {path}")
    try:
        return gpd.read_file(path, engine="pyogrio")
    except Exception as e:  # noqa: BLE001 (pyogrio raises several types for unreadable data)
        raise UnreadableBoundaryFile("UNREADABLE", f"无法读取边界文件 {path.name}：{str(e).splitlines()[0][:120]}",
                                     f"cannot read boundary file {path.name}") from None


def fields(gdf) -> list[str]:
    """The attribute fields of a GeoDataFrame (its geometry column left out)."""
    return [str(c) for c in gdf.columns if c != gdf.geometry.name]


def guess_name_field(gdf) -> str | None:
    """The name field by the usual names (first in NAME_FIELDS' order), or None."""
    by_lower = {c.strip().lower(): c for c in fields(gdf)}
    return next((by_lower[n] for n in NAME_FIELDS if n in by_lower), None)


def is_datav(gdf) -> bool:
    """A DataV.GeoAtlas / AMap file: `adcode` and `level` properties (these are always GCJ-02)."""
    return {"adcode", "level"} <= {c.strip().lower() for c in fields(gdf)}
