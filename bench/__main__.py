"""`make bench`: landing, build, page queries, pandas comparison and concurrency, in ONE run.

Scale (BENCH_SCALE): `city` (quick: a few minutes once the fixtures exist), `province` (≥10M
children, ≥50M visits; the data set is generated and landed once by `python -m bench.prepare
province DIR`, ~16 GB of extracts), or `auto` (default: province if BENCH_DIR/province has a published
snapshot, else city). BENCH_DIR (default bench/results/data) holds the generated data sets, outside
git. BENCH_SECTIONS picks sections (land,preview,build,queries,pandas,concurrency,browser; default all); BENCH_BUILD=0
skips rebuilding (the build figure then comes from the data set's prepare.json, marked as such).
BENCH_REPEAT (3), BENCH_WARM_REPS (20), BENCH_COLD_REPS (5), BENCH_CONCURRENCY_S (60) set repetitions.
BENCH_LAND_10M=1 (the default at province scale) also lands a generated 10M-row register (UTF-8 and GB18030,
~0.85 GB each, generated once into BENCH_DIR/register) to show that peak memory does not grow with the file.

Figures come from one run on a shared machine: the goals are stated as ratios to references measured
in the same run where possible (DuckDB's own read_csv for landing). Results: bench/results/latest.{json,md}.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
OUT = Path(__file__).parent / "results"
SECTIONS = ("land", "preview", "build", "queries", "pandas", "concurrency", "browser")


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _machine() -> dict:
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    return {"date": date.today().isoformat(), "cpus": os.cpu_count(), "ram_gb": round(mem / 2**20, 1),
            "python": sys.version.split()[0], "duckdb": duckdb.__version__, "machine": platform.machine(),
            "load_avg_at_start": os.getloadavg()[0]}


# ---- landing -------------------------------------------------------------------------------------


def _land_once(source: str, path: Path, period: str, template: Path, scratch: Path) -> dict:
    from bench.fixtures import fresh_root

    root = fresh_root(template, scratch / "land")
    r = subprocess.run([sys.executable, "-m", "bench.land_one", source, str(path), period, str(root)],
                       check=False, cwd=REPO, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def _reference(path: Path, scratch: Path) -> dict:
    """DuckDB's own read_csv of the UTF-8 register: into a .duckdb file (R) and into memory."""
    db = scratch / "ref.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    t = time.perf_counter()
    con.execute("create table t as select * from read_csv(?, all_varchar = true)", [str(path)])
    to_file = time.perf_counter() - t
    con.close()
    db.unlink(missing_ok=True)
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute("create table t as select * from read_csv(?, all_varchar = true)", [str(path)])
    to_mem = time.perf_counter() - t
    con.close()
    return {"file_s": to_file, "memory_s": to_mem}


def bench_land(base: Path, scratch: Path, repeat: int, big: bool = False) -> dict:
    """Land the 1M-row register as UTF-8 CSV, GB18030 CSV and xlsx (each in a fresh process and data
    folder, full validation); R measured interleaved with the UTF-8 landings. Medians of `repeat`."""
    from bench.fixtures import register_fixtures

    fx = register_fixtures(base)
    refs, runs = [], {"utf8": [], "gb18030": [], "xlsx": []}
    for i in range(repeat):
        refs.append(_reference(fx["utf8"], scratch))
        for fmt in ("utf8", "gb18030") + (("xlsx",) if i == 0 else ()):  # xlsx once: it is the slow one
            runs[fmt].append(_land_once("civil_register", fx[fmt], "2026H1", fx["root"], scratch))
    rows = fx["rows"]
    r_file = statistics.median(r["file_s"] for r in refs)
    r_mem = statistics.median(r["memory_s"] for r in refs)
    out = {"rows": rows, "reference": {"read_csv_to_file_s": r_file, "read_csv_to_file_rows_s": rows / r_file,
                                       "read_csv_to_memory_s": r_mem, "read_csv_to_memory_rows_s": rows / r_mem,
                                       "runs": refs}}
    for fmt, rs in runs.items():
        s = statistics.median(r["land_s"] for r in rs)
        out[fmt] = {"seconds": s, "rows_s": rows / s, "bytes": rs[0]["bytes"],
                    "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
                    "child_peak_rss_mb": max(r.get("child_peak_rss_mb", 0) for r in rs), "accepted": rs[0]["accepted"],
                    "rejected": rs[0]["rejected"], "runs": [r["land_s"] for r in rs]}
        out[fmt]["peak_over_file"] = out[fmt]["peak_rss_mb"] * 2**20 / out[fmt]["bytes"]
        out[fmt]["child_peak_over_file"] = out[fmt]["child_peak_rss_mb"] * 2**20 / out[fmt]["bytes"]
    out["utf8"]["vs_reference"] = out["utf8"]["rows_s"] / out["reference"]["read_csv_to_file_rows_s"]
    out["gb18030"]["vs_utf8"] = out["gb18030"]["rows_s"] / out["utf8"]["rows_s"]
    if big:
        out["big"] = _bench_big(base, scratch, refs[-1] if refs else None)
    shutil.rmtree(scratch / "land", ignore_errors=True)
    return out


def _bench_big(base: Path, scratch: Path, ref_1m: dict | None) -> dict:
    """A generated 10M-row register, UTF-8 and GB18030, landed once each: peak memory must not grow with the
    file (compare the 1M rows above), and speed is compared with read_csv of the same file in the same run."""
    from bench.fixtures import big_register_fixture

    fx = big_register_fixture(base)
    rows = fx["rows"]
    ref = _reference(fx["utf8"], scratch)
    out = {"rows": rows, "reference": {"read_csv_to_file_s": ref["file_s"], "read_csv_to_file_rows_s": rows / ref["file_s"]}}
    for fmt in ("utf8", "gb18030"):
        r = _land_once("civil_register", fx[fmt], "2026H1", fx["root"], scratch)
        out[fmt] = {"seconds": r["land_s"], "rows_s": rows / r["land_s"], "bytes": r["bytes"],
                    "peak_rss_mb": r["peak_rss_mb"], "child_peak_rss_mb": r.get("child_peak_rss_mb"),
                    "accepted": r["accepted"], "rejected": r["rejected"],
                    "vs_reference": rows / r["land_s"] / out["reference"]["read_csv_to_file_rows_s"]}
    return out


# ---- main ----------------------------------------------------------------------------------------
def main() -> int:
    from bench.prepare import prepare, timed_build

    base = Path(_env("BENCH_DIR", str(OUT / "data"))).resolve()
    scale = _env("BENCH_SCALE", "auto")
    if scale == "auto":
        scale = "province" if (base / "province" / "data" / "snapshots" / "CURRENT").exists() else "city"
    sections = [s for s in _env("BENCH_SECTIONS", ",".join(SECTIONS)).split(",") if s]
    repeat = int(_env("BENCH_REPEAT", "3"))
    scratch = base / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    res: dict = {"scale": scale, "bench_dir": str(base), "machine": _machine(), "sections": sections}
    t_all = time.perf_counter()

    def say(msg: str) -> None:
        print(f"[bench {time.perf_counter() - t_all:7.1f}s] {msg}", file=sys.stderr, flush=True)

    if "land" in sections:
        say("landing the 1M-row register (UTF-8, GB18030, xlsx) and DuckDB read_csv reference…")
        big = _env("BENCH_LAND_10M", "1" if scale == "province" else "0") != "0"
        res["land"] = bench_land(base, scratch, repeat, big)
    if "preview" in sections:
        from bench.preview_land import bench_preview

        say("preview vs land of a 1M-row activities CSV…")
        res["preview"] = bench_preview(base, scratch, repeat)
    data_set = base / scale
    root = data_set / "data"
    if not (root / "snapshots" / "CURRENT").exists():
        say(f"preparing the {scale} data set in {data_set} (generate + land; once)…")
        prepare(scale, data_set, build=False)
    prep = json.loads((data_set / "prepare.json").read_text(encoding="utf-8")) \
        if (data_set / "prepare.json").exists() else {}
    res["data_set"] = {k: v for k, v in prep.items() if k in ("land", "generate_s")}
    with duckdb.connect() as c:
        res["data_set"]["landed_rows"] = c.execute(
            "select count(*) from read_json_auto(?)", [str(root / "landed" / "load_log.jsonl")]).fetchall()[0][0]
    if "build" in sections and (_env("BENCH_BUILD", "1") != "0" or "build" not in prep):
        say(f"building the {scale} snapshot…")
        res["build"] = {**timed_build(root), "source": "this run"}
    elif "build" in sections and "build" in prep:
        res["build"] = {**prep["build"], "source": "prepare.json (BENCH_BUILD=0)"}
    from warehouse import queries as q

    snap = q.current_snapshot_path(root)
    with q.connect(snap) as con:
        res["size"] = dict(zip(
            ("children", "visits", "key_children"),
            con.execute("""select (select count(distinct person_key) from stg_civil_register),
                                  (select count(*) from stg_visits), (select count(*) from ledger_children)""").fetchall()[0]))
    if "queries" in sections:
        from bench.queries import page_timings

        say("page queries, warm and cold…")
        res["queries"] = page_timings(snap, int(_env("BENCH_WARM_REPS", "20")), int(_env("BENCH_COLD_REPS", "5")))
    if "pandas" in sections:
        from bench.pandas_pages import compare
        from bench.queries import pick_county

        say("the same figures in pandas…")
        with q.connect(snap) as con:
            res["pandas"] = compare(con, pick_county(con)[0])
    if "concurrency" in sections:
        from bench.queries import run_concurrency

        small = base / "city" / "data"
        build_root = small if (small / "snapshots" / "CURRENT").exists() else None
        say("16 threads on one connection while a build publishes…")
        seconds = float(_env("BENCH_CONCURRENCY_S", "60"))
        res["concurrency"] = run_concurrency(root, seconds, 16, build_root)
        say("16 sessions through the app's snapshot-keyed cache…")
        res["concurrency_cached"] = run_concurrency(root, seconds, 16, None, cached=True)
    if "browser" in sections:
        from bench.browser import bench_browser

        say("pages in Chromium: a county and a city user, each page after a restart, a publish and on repeat…")
        res["browser"] = bench_browser(root)
    res["total_s"] = time.perf_counter() - t_all
    OUT.mkdir(exist_ok=True)
    (OUT / "latest.json").write_text(json.dumps(res, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    from bench.report import markdown

    md = markdown(res)
    if "preview" in res:  # its own section, placed before the goals table
        from bench.preview_land import markdown as preview_md

        head, sep, goals = md.partition("## Goals")
        md = head + "\n".join(preview_md(res["preview"])) + "\n" + sep + goals
    if "browser" in res:  # its own section and goals, placed before the goals table
        from bench.browser import markdown as browser_md

        head, sep, goals = md.partition("## Goals")
        md = head + "\n".join(browser_md(res["browser"], scale)) + "\n" + sep + goals
    (OUT / "latest.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
