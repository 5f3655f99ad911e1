"""`make bench`: time the demo path at city scale in one run and write JSON + a Markdown table.

Figures are from one run on a shared machine: read them as ratios, not as absolutes.
Issue 10 extends this with province scale, page queries and concurrency.
"""
from __future__ import annotations

import json
import platform
import resource
import shutil
import sys
import time
from pathlib import Path

import duckdb

from etl.demo import generate
from etl.land import land
from warehouse.build import build

OUT = Path(__file__).parent / "results"


def _rows(path: Path) -> int:
    con = duckdb.connect()
    n = con.sql(f"select count(*) from read_csv('{path}', all_varchar=true, header=false)").fetchall()[0][0]
    con.close()
    return n


def main(scale: str = "city") -> int:
    work = OUT / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    root, extracts = work / "data", work / "extracts"
    res: dict = {"scale": scale, "python": sys.version.split()[0], "duckdb": duckdb.__version__,
                 "machine": platform.machine(), "cpus": __import__("os").cpu_count()}

    t = time.perf_counter()
    files = generate(extracts, scale=scale, seed=7)
    res["generate_s"] = time.perf_counter() - t

    manifest = json.loads((extracts / "manifest.json").read_text(encoding="utf-8"))["files"]
    t = time.perf_counter()
    rows = 0
    per_source: dict[str, dict] = {}
    for f in manifest:
        t1 = time.perf_counter()
        out = land(f["source"], extracts / f["file"], f["period"], root=root, synthetic=True, user="bench")
        dt = time.perf_counter() - t1
        n = out.entry.rows_read if out.entry else 0
        rows += n
        s = per_source.setdefault(f["source"], {"rows": 0, "seconds": 0.0, "files": 0})
        s["rows"] += n
        s["seconds"] += dt
        s["files"] += 1
    res["land_s"], res["land_rows"] = time.perf_counter() - t, rows
    res["land_per_source"] = per_source

    # Reference rate R: DuckDB's own read_csv of the largest UTF-8 CSV into a .duckdb file.
    csvs = [extracts / f["file"] for f in manifest if f["file"].endswith(".csv")]
    utf8 = [p for p in csvs if _is_utf8(p)]
    if utf8:
        big = max(utf8, key=lambda p: p.stat().st_size)
        n = _rows(big)
        con = duckdb.connect(str(work / "ref.duckdb"))
        t = time.perf_counter()
        con.execute(f"create table t as select * from read_csv('{big}', all_varchar=true, header=false, "
                    "null_padding=true, strict_mode=false)")
        ref = time.perf_counter() - t
        con.close()
        src = next(f["source"] for f in manifest if extracts / f["file"] == big)
        mine = per_source[src]
        res["reference"] = {"file": big.name, "source": src, "rows": n, "duckdb_read_csv_s": ref,
                            "rows_per_s": n / ref,
                            "landing_vs_reference": (mine["rows"] / mine["seconds"]) / (n / ref)}

    t = time.perf_counter()
    build(root)
    res["build_s"] = time.perf_counter() - t
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res["goals"] = {"build_under_120s": res["build_s"] < 120}

    OUT.mkdir(exist_ok=True)
    (OUT / "latest.json").write_text(json.dumps(res, ensure_ascii=False, indent=2), encoding="utf-8")
    md = [f"# Benchmark ({scale} scale, one run)", "",
          "| step | seconds | rows | rows/s |", "|---|---:|---:|---:|",
          f"| generate demo extracts ({len(files)} files) | {res['generate_s']:.1f} | | |",
          f"| land all files (read + validate + write) | {res['land_s']:.1f} | {rows:,} | {rows / res['land_s']:,.0f} |"]
    if "reference" in res:
        r = res["reference"]
        md.append(f"| reference: DuckDB read_csv of {r['file']} | {r['duckdb_read_csv_s']:.2f} | {r['rows']:,} | "
                  f"{r['rows_per_s']:,.0f} |")
        md.append(f"| ratio: landing {r['source']} (full validation) / reference | | | "
                  f"{r['landing_vs_reference']:.2f} |")
    md += [f"| build snapshot (goal < 120 s) | {res['build_s']:.1f} | | |", "",
           "| source | files | rows | seconds | rows/s |", "|---|---:|---:|---:|---:|"]
    for name, s in sorted(per_source.items(), key=lambda kv: -kv[1]["rows"]):
        md.append(f"| {name} | {s['files']} | {s['rows']:,} | {s['seconds']:.2f} | "
                  f"{s['rows'] / s['seconds'] if s['seconds'] else 0:,.0f} |")
    md.append(f"\nPeak RSS {res['peak_rss_mb']:.0f} MB. Machine: {res['cpus']} CPUs, DuckDB {res['duckdb']}.")
    (OUT / "latest.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    shutil.rmtree(work, ignore_errors=True)
    return 0


def _is_utf8(p: Path) -> bool:
    try:
        with p.open(encoding="utf-8") as f:
            while f.read(1 << 20):
                pass
        return True
    except UnicodeDecodeError:
        return False


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "city"))
