"""Deterministic demo data: the 21 department extracts of the fictional 示范市 (or 示范省).

`generate(out_dir, scale, seed)` writes extracts the way departments hand them over — a mix of UTF-8,
UTF-8-with-BOM and GB18030 CSV and .xlsx with title rows, varied Chinese headers, varied date formats,
names instead of codes in some files — plus about 1–2 % intentionally bad rows per file (counted in
the manifest). Everything is synthetic: province code 99 does not exist, names are random
combinations of common characters, ID numbers are well-formed but belong to nobody.

Same (scale, seed) → byte-identical files. The province scale streams city by city, so memory stays
bounded by one city's children.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from demo.departments import GENERATORS
from demo.geography import build_geography
from demo.sources import SOURCES, Plan, file_plans
from demo.world import World
from demo.writer import DemoFile, Writer
from settings import make_private, private_dir

SCALES = ("tiny", "city", "province")
Progress = Callable[[str, int, int], None]


def generate(out_dir: Path, scale: str = "city", seed: int = 7, progress: Progress | None = None, *,
             _cities: int | None = None, _children_per_city: int | None = None,
             _workers: int | None = None) -> list[DemoFile]:
    """Write the demo extracts and manifest.json into out_dir; return the files in landing order.

    `progress(label, done, total)` is called after each file (each city × file at province scale).
    `_cities` / `_children_per_city` override the size (used to test the province code path small);
    `_workers` sets the number of processes for the city scale (default: 2 where fork is available).
    The output does not depend on the number of workers.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    out_dir = private_dir(Path(out_dir))  # 0700 before the first file: the extracts hold names and ID numbers
    geo = build_geography(scale, seed, _cities=(_cities or 13) if scale == "province" else None)
    per_city = _children_per_city or {"tiny": 1_500, "city": 100_000, "province": 800_000}[scale]
    plans = file_plans(scale, seed)
    workers = _workers if _workers is not None else (2 if scale == "city" else 1)
    if workers > 1 and scale != "province" and _fork_available():
        results = _run_parallel(geo, out_dir, scale, seed, per_city, plans, workers, progress)
    else:
        results = _run_serial(geo, out_dir, scale, seed, per_city, plans, progress)
    summary: dict[str, int] = {}
    for _, _, summ in results:
        for k, v in summ.items():
            summary[k] = max(summary.get(k, 0), v)      # school_places re-counts students_2025H2
    bounds = geo.write_geojson(out_dir)
    manifest = {
        "scale": scale, "seed": seed, "synthetic": True,
        "note": "示意数据，非真实数据 synthetic demo data (fictional province code 99)",
        "files": [{"source": f.source, "period": f.period, "file": f.path.name, "rows": f.rows,
                   "bad_rows": f.bad_rows, "bad_kinds": kinds, "format": p.fmt, "encoding": p.encoding}
                  for (f, kinds, _), p in zip(results, plans)],
        "boundaries": [{"level": lvl, "file": p.name} for lvl, p in bounds],
        "summary": dict(sorted(summary.items())),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                                           encoding="utf-8")
    make_private(out_dir)  # the writers (csv, xlsxwriter, GeoJSON) create files by the umask: narrow them
    return [r[0] for r in results]


def _run_serial(geo, out_dir, scale, seed, per_city, plans, progress):
    """All files in one process, city by city (streams at province scale)."""
    cities = list(geo.cities.city_code)
    single = len(cities) == 1
    writers = [None if single else Writer(out_dir, p, seed, scale) for p in plans]
    closed: list = [None] * len(plans)
    total, done = len(cities) * len(plans), 0
    summaries: list[dict] = [{} for _ in plans]
    for ci, city_code in enumerate(cities):
        world = World(geo, city_code, ci, per_city, seed, scale)
        for i, plan in enumerate(plans):
            writer = writers[i] or Writer(out_dir, plan, seed, scale)
            world.summary = {}
            for chunk in GENERATORS[plan.source](world, plan):
                writer.write(chunk, world)
            for k, v in world.summary.items():
                summaries[i][k] = summaries[i].get(k, 0) + v        # summed over cities
            if single:                                             # one city: finish the file now
                closed[i] = (writer.close(), writer.bad_kinds)
            done += 1
            if progress:
                progress(f"{world.city_name} {plan.source} {plan.period}", done, total)
        del world
    if not single:
        closed = [(w.close(), w.bad_kinds) for w in writers]
    return [(f, kinds, summ) for (f, kinds), summ in zip(closed, summaries)]


_WORKER: dict = {}


def _fork_available() -> bool:
    """Fork only from a single-threaded process (forking a threaded server can deadlock the child)."""
    import multiprocessing as mp
    import threading

    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1


def _worker_init(out_dir, scale, seed, per_city):
    geo = build_geography(scale, seed)
    _WORKER.update(world=World(geo, geo.cities.city_code.iloc[0], 0, per_city, seed, scale),
                   out_dir=Path(out_dir), scale=scale, seed=seed)


def _worker_run(plan: Plan):
    w = _WORKER["world"]
    w.summary = {}
    writer = Writer(_WORKER["out_dir"], plan, _WORKER["seed"], _WORKER["scale"])
    for chunk in GENERATORS[plan.source](w, plan):
        writer.write(chunk, w)
    return writer.close(), writer.bad_kinds, dict(w.summary)


def _run_parallel(geo, out_dir, scale, seed, per_city, plans, workers, progress):
    """One city's files spread over worker processes; each worker draws the same world."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    order = sorted(range(len(plans)), key=lambda i: -SOURCES[plans[i].source].cost)
    results: list = [None] * len(plans)
    with ctx.Pool(workers, initializer=_worker_init, initargs=(str(out_dir), scale, seed, per_city)) as pool:
        it = pool.imap(_worker_run, [plans[i] for i in order])
        for done, i in enumerate(order, 1):
            results[i] = it.next()
            if progress:
                progress(f"{plans[i].source} {plans[i].period}", done, len(plans))
    return results


def tqdm_progress(desc: str = "生成演示数据"):
    """A progress callback that drives a tqdm bar (call .close() on the returned object when done)."""
    from tqdm import tqdm

    bar = tqdm(total=None, desc=desc, unit="步")

    def cb(label: str, done: int, total: int) -> None:
        bar.total = total
        bar.set_postfix_str(label, refresh=False)
        bar.update(done - bar.n)

    cb.close = bar.close  # type: ignore[attr-defined]
    return cb
