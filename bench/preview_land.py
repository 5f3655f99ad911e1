"""Bench section `preview`: etl.land.preview of a 1M-row activities CSV against etl.land.land of the same file.

The upload page runs the preview in the page (the data officer waits for it) and the landing in a
background job; the ratio preview ÷ land says how much of a landing's time the page itself spends.
Each run is a fresh process on a fresh copy of a data folder holding only the region table, so neither
run finds the other's landing. The file repeats the rows of a demo activities sheet (its deliberate bad
rows included) with unique activity numbers; it is cached under BENCH_DIR/preview.

`python -m bench.preview_land {preview,land} FILE PERIOD ROOT` times one run and prints JSON.
"""
from __future__ import annotations

import csv
import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROWS = 1_000_000
OVER = ("preview_diff", "land_over")  # runs over a data folder where the month is already landed
REPO = Path(__file__).resolve().parents[1]


def activities_fixture(base: Path) -> dict:
    """{"csv": the 1M-row UTF-8 CSV, "period", "root": template data folder (regions landed), "rows"}."""
    d = base / "preview"
    gen, root, out = d / "gen", d / "data", d / "activities_1m.csv"
    if not (gen / "manifest.json").exists():
        from demo import generate

        generate(gen, scale="tiny", seed=7)
    files = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))["files"]
    sheet = next(f for f in files if f["source"] == "activities" and f["file"].endswith(".csv"))
    if not out.exists():
        _repeat_sheet(gen / sheet["file"], out)
    if not (root / "landed" / "load_log.jsonl").exists():
        import shutil

        from etl.land import land
        from settings import create_secret_key

        reg = next(f for f in files if f["source"] == "regions")
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        create_secret_key(root)
        land("regions", gen / reg["file"], reg["period"], root=root, synthetic=True, user="bench")
    # A resubmission of the same month over the landed file: the same rows in a new file (its own sha), so
    # preview + diff and the landing both compare 1M rows with the 1M rows in force.
    resub, over = d / "activities_1m_resubmitted.csv", d / "data_landed"
    if not resub.exists():
        resub.write_bytes(out.read_bytes() + b"\n")
    if not (over / "landed" / "load_log.jsonl").exists() or \
            len((over / "landed" / "load_log.jsonl").read_text(encoding="utf-8").splitlines()) < 2:
        import shutil

        from etl.land import land

        shutil.rmtree(over, ignore_errors=True)
        shutil.copytree(root, over)
        land("activities", out, sheet["period"], root=over, synthetic=True, user="bench")
    return {"csv": out, "period": sheet["period"], "root": root, "rows": ROWS, "resubmitted": resub, "over": over}


def _repeat_sheet(src: Path, dst: Path) -> None:
    """Header + ROWS rows cycling through the sheet's rows, each with its own activity number."""
    from etl.contracts import get_source
    from etl.read import HEADER_SCAN_ROWS, _find_header, detect_encoding, header_index

    source = get_source("activities")
    text = src.read_text(encoding=detect_encoding(src))
    lines = list(csv.reader(io.StringIO(text)))
    hdr, hits = _find_header(lines[:HEADER_SCAN_ROWS], header_index(source))
    header, rows = lines[hdr], [r for r in lines[hdr + 1:] if any(c.strip() for c in r)]
    i_id = hits["activity_id"]
    tmp = dst.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for n in range(ROWS):
            row = list(rows[n % len(rows)])
            if row[i_id].strip():  # a row missing its number stays a bad row
                row[i_id] = f"B{n:07d}"
            w.writerow(row)
    tmp.replace(dst)


def _once(what: str, fx: dict, scratch: Path) -> dict:
    from bench.fixtures import fresh_root

    over = what in OVER
    root = fresh_root(fx["over"] if over else fx["root"], scratch / "preview")
    csv_path = fx["resubmitted"] if over else fx["csv"]
    r = subprocess.run([sys.executable, "-m", "bench.preview_land", what, str(csv_path), fx["period"], str(root)],
                       check=False, cwd=REPO, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def bench_preview(base: Path, scratch: Path, repeat: int) -> dict:
    """Medians of `repeat` previews and landings, interleaved, each in its own process and data folder."""
    import shutil

    fx = activities_fixture(base)
    runs: dict[str, list[dict]] = {"preview": [], "land": [], "preview_diff": [], "land_over": []}
    for _ in range(repeat):
        for what, done in runs.items():
            done.append(_once(what, fx, scratch))
    shutil.rmtree(scratch / "preview", ignore_errors=True)
    out: dict = {"rows": fx["rows"], "bytes": fx["csv"].stat().st_size, "period": fx["period"]}
    for what, rs in runs.items():
        s = statistics.median(r["seconds"] for r in rs)
        out[what] = {"seconds": s, "rows_s": fx["rows"] / s, "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
                     "accepted": rs[0]["accepted"], "rejected": rs[0]["rejected"], "runs": [r["seconds"] for r in rs]}
    out["ratio"] = out["preview"]["seconds"] / out["land"]["seconds"]
    out["ratio_over"] = out["preview_diff"]["seconds"] / out["land_over"]["seconds"]
    out["ratio_land_over"] = out["land_over"]["seconds"] / out["land"]["seconds"]
    return out


def markdown(p: dict) -> list[str]:
    """The section's lines for bench/results/latest.md."""
    lines = [f"## Preview vs landing a {p['rows']:,}-row activities CSV ({p['bytes'] / 2**20:.0f} MB, own process each)",
             "",
             "| what | seconds | rows/s | peak RSS | accepted | rejected |", "|---|---:|---:|---:|---:|---:|"]
    for what, label in (("preview", "etl.land.preview (upload page, writes nothing), first landing of the month"),
                        ("land", "etl.land.land (background job, before the build), first landing"),
                        ("preview_diff", "preview + diff (county) of a resubmission over 1M rows in force"),
                        ("land_over", "land (county) of that resubmission, its removal check included")):
        r = p[what]
        lines.append(f"| {label} | {r['seconds']:.2f} | {r['rows_s']:,.0f} | {r['peak_rss_mb']:,.0f} MB | "
                     f"{r['accepted']:,} | {r['rejected']:,} |")
    lines += ["", (f"Preview ÷ land = **{p['ratio']:.2f}** (medians of {len(p['land']['runs'])} runs, same file, "
                   "same machine, same run)."),
              (f"Over a month already landed: preview + diff ÷ land = **{p['ratio_over']:.2f}**; the landing "
               f"with its diff ÷ the first landing = **{p['ratio_land_over']:.2f}** (the diff's share of a "
               "landing)."), ""]
    return lines


def main(argv: list[str]) -> int:
    what, path, period, root = argv[0], Path(argv[1]), argv[2], Path(argv[3])
    from bench import peak_rss_mb
    from etl.land import diff, land, preview

    t = time.perf_counter()
    if what in ("preview", "preview_diff"):
        p = preview("activities", path, period, root=root)
        if what == "preview_diff":
            diff(p, "county")
        accepted, rejected = p.rows_accepted, p.rows_rejected
    else:
        e = land("activities", path, period, root=root, synthetic=True, user="bench", mode="county",
                 allow_removal=False).entry
        accepted, rejected = (e.rows_accepted, e.rows_rejected) if e else (0, 0)
    seconds = time.perf_counter() - t
    print(json.dumps({"what": what, "seconds": seconds, "accepted": accepted, "rejected": rejected,
                      "peak_rss_mb": peak_rss_mb()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
