"""Prepare a benchmark data folder: generate the demo at a scale, land every file (each in its own
process, timed, peak memory recorded), land the boundaries, then build and publish a snapshot.

`python -m bench.prepare SCALE DIR` writes DIR/extracts, DIR/data and DIR/prepare.json. Safe to rerun:
files already landed are skipped (landing is idempotent) and the build runs again only if asked.
Province scale writes ~16 GB of extracts and lands ~163M rows: run it once, in the background.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _py(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], check=False, cwd=REPO, capture_output=True, text=True, env=env)


def prepare(scale: str, base: Path, build: bool = True) -> dict:
    from settings import create_secret_key

    extracts, root = base / "extracts", base / "data"
    root.mkdir(parents=True, exist_ok=True)
    create_secret_key(root)
    info: dict = {"scale": scale}
    manifest = extracts / "manifest.json"
    if not manifest.exists():
        t = time.perf_counter()
        r = _py("-m", "etl", "demo", "--scale", scale, "--out", str(extracts))
        if r.returncode:
            raise RuntimeError(r.stderr[-2000:])
        info["generate_s"] = time.perf_counter() - t
    files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    log = base / "land_times.jsonl"
    done = set()
    if log.exists():
        done = {json.loads(line)["file"] for line in log.read_text(encoding="utf-8").splitlines() if line.strip()}
    for f in files:
        if f["file"] in done:
            continue
        r = _py("-m", "bench.land_one", f["source"], str(extracts / f["file"]), f["period"], str(root))
        if r.returncode:
            raise RuntimeError(f"{f['file']}: {r.stderr[-2000:]}")
        rec = json.loads(r.stdout.strip().splitlines()[-1])
        with log.open("a", encoding="utf-8") as out:
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        print(f"{rec['land_s']:7.1f}s {rec['rows']:>10,} rows {rec['peak_rss_mb']:7.0f} MB  {f['file']}", flush=True)
    recs = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    info["land"] = {"files": len(recs), "rows": sum(r["rows"] for r in recs), "seconds": sum(r["land_s"] for r in recs),
                    "peak_rss_mb": max(r["peak_rss_mb"] for r in recs)}
    from etl.__main__ import land_demo_boundaries

    land_demo_boundaries(extracts, root)
    if build:
        info["build"] = timed_build(root)
    (base / "prepare.json").write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    return info


def timed_build(root: Path) -> dict:
    """Build + publish in a child process: wall time and the child's peak RSS."""
    code = ("import json,sys,time\nfrom pathlib import Path\nfrom warehouse.build import build\nfrom bench import peak_rss_mb\n"
            "t=time.perf_counter(); p=build(Path(sys.argv[1])); s=time.perf_counter()-t\n"
            "print(json.dumps({'seconds': s, 'snapshot': str(p), 'bytes': p.stat().st_size,"
            " 'peak_rss_mb': peak_rss_mb()}))")
    r = _py("-c", code, str(root), env={**os.environ, "TONGXIN_DATA_DIR": str(root)})
    if r.returncode:
        raise RuntimeError(r.stderr[-3000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    scale, base = sys.argv[1], Path(sys.argv[2])
    print(json.dumps(prepare(scale, base, build="--no-build" not in sys.argv), ensure_ascii=False, indent=2))
