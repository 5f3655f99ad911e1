"""What the data folder holds, read: the load log, the landings in force, and what validation takes from them.

Writing (landing, withdrawing) is etl/land.py's; this module only reads, so the reading of an extract
(etl/validate.py, etl/sandbox.py), the build and the map's boundaries can use it without importing the
landing that calls them. Layout and load-log format: see DESIGN-INTERFACES.md.
"""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from . import force
from .contracts import Source
from .deployment import root_code
from .validate import OFFICIAL_CODES, RegionIndex, follow_changes


def landed_dir(root: Path) -> Path:
    return root / "landed"


def load_log_path(root: Path) -> Path:
    return landed_dir(root) / "load_log.jsonl"


def read_load_log(root: Path) -> list[dict]:
    """The landings in log order. A withdrawal (a later line {"event": "withdraw", …}) is not a landing:
    it marks the landing it names with "withdrawn": {"at", "by", "reason"}."""
    out: list[dict] = []
    for line in read_log_lines(root):
        if line.get("event") == "withdraw":
            for e in out:
                if (e["load_id"], e["source"], e["period"]) == (line["load_id"], line["source"], line["period"]) \
                        and not e.get("withdrawn"):
                    e["withdrawn"] = {k: line.get(k) for k in ("at", "by", "reason")}
        else:
            out.append(line)
    return out


def read_log_lines(root: Path) -> list[dict]:
    """Every line of the load log (landings and withdrawals), in order."""
    path = load_log_path(root)
    if not path.exists():
        return []
    with path.open(encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    # A line cut short by a crash mid-append (no newline, or healed by the next append) is a landing
    # that never completed: skip it.
    out = []
    for line in lines:
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            if not line.startswith("{") or line.rstrip().endswith("}"):
                raise  # not a torn append: a damaged log must not be read past silently
    return out


def current_loads(log: list[dict]) -> dict[tuple[str, str], dict]:
    """The latest landing in force for each (source, period) (earlier ones may hold rows in force too:
    see `in_force`)."""
    return {k: v[-1] for k, v in in_force(log).items()}


def in_force(log: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """For each (source, period), the landings that can hold rows in force, oldest first (etl/force.py)."""
    by: dict[tuple[str, str], list[dict]] = {}
    for e in log:
        if not e.get("withdrawn"):
            by.setdefault((e["source"], e["period"]), []).append(e)
    out = {k: force.chain(v) for k, v in by.items()}
    return {k: v for k, v in out.items() if v}


def region_index(root: Path) -> RegionIndex | None:
    """The region dimension from every landed region table in force (codes may change across years)."""
    files = [e["accepted_path"] for (s, _), chain in in_force(read_load_log(root)).items() if s == "regions"
             for e in chain]
    if not files:
        return None
    tables = [pq.read_table(landed_dir(root) / f, columns=["region_code", "region_name", "level", "parent_code"])
              for f in files]
    # Latest year first so a renamed region shows its newest name.
    t = pa.concat_tables(reversed(tables))
    seen, keep = set(), []
    for i, c in enumerate(t.column("region_code").to_pylist()):
        if c not in seen:
            seen.add(c)
            keep.append(i)
    return RegionIndex(t.take(keep))


def code_changes(data) -> dict[str, list[str]]:
    """The landed change tables in force (every year), as old code → current code(s)."""
    files = [landed_dir(data) / e["accepted_path"] for (s, _), chain in in_force(read_load_log(data)).items()
             if s == "region_changes" for e in chain]
    edges: dict[str, set[str]] = {}
    for f in files:
        t = pq.read_table(f, columns=["old_code", "new_code"])
        for old, new in zip(t.column("old_code").to_pylist(), t.column("new_code").to_pylist()):
            if old and new and old != new:
                edges.setdefault(old, set()).add(new)
    return follow_changes(edges)


def deployment_context(data, source: Source) -> dict:
    """What validation needs from the data folder besides the region table and the key, as keyword
    arguments of `validate`: the deployment's root region (official tables), the code changes (extracts)."""
    if source.name in OFFICIAL_CODES:
        return {"root_region": root_code(data)}
    if any(c.type == "division" for c in source.columns):
        return {"code_changes": code_changes(data)}
    return {}
