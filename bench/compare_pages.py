"""Each page's queries, this tree against an earlier commit, on the same snapshot: is any page slower?

    python -m bench.compare_pages BASE_REV [SNAPSHOT_DATA_DIR] [ROUNDS]
    make bench-compare BASE=9c4bbd7

Two long-lived worker processes, one per tree (the earlier commit checked out in a temporary git worktree),
open the same snapshot and run one page's queries through the door on request; the driver asks them in
turn, alternating which goes first, ROUNDS times per page, for the city-wide view and one county. It records
CPU time (process_time, DuckDB's threads included), not wall time: on a shared, busy machine wall time moved
by ±30 % between runs minutes apart, CPU time by a few per cent. It prints each page's best CPU time per tree
and the median of the paired ratios (new ÷ old); a ratio above 1 is a slower page.

The snapshot must be readable by both trees (the earlier tree ignores marts it does not know). Default data
directory: the bench's city data set (bench/results/data/city/data).
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / "bench" / "results" / "data" / "city" / "data"


def worker(data_dir: str) -> None:
    """Serve page timings on stdin/stdout: first the list of [view, page], then one CPU time per request.

    Runs as a script in the tree it times (cwd): that tree's bench and warehouse are the ones imported."""
    from bench.queries import _page, pick_county, plans
    from warehouse import queries as q

    con = q.connect(q.current_snapshot_path(data_dir))
    everything = q.Scope.everything()
    county, _ = pick_county(con)
    views = {"city": (everything, None), "county": (everything, county)}
    pages = {k: plans(con, s, c) for k, (s, c) in views.items()}
    for k, (s, c) in views.items():
        for calls in pages[k].values():
            _page(con, s.narrow(c), calls)  # first touch: caches and cube patterns filled in both trees
    print(json.dumps([[k, p] for k in pages for p in pages[k]]), flush=True)
    for line in sys.stdin:
        k, page = json.loads(line)
        print(json.dumps(min(_cpu(_page, con, views[k], pages[k][page]) for _ in range(3))), flush=True)


def _cpu(page, con, view, calls) -> float:
    scope, county = view
    t = time.process_time()
    page(con, scope.narrow(county), calls)
    return time.process_time() - t


def compare(base: str, data_dir: Path, rounds: int) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="tongxin-base-") as tmp:
        old_tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-f", "--detach", str(old_tree), base],
                       check=True, capture_output=True)
        try:
            return _drive({"old": old_tree, "new": REPO}, data_dir, rounds)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old_tree)],
                           check=False, capture_output=True)


def _drive(trees: dict[str, Path], data_dir: Path, rounds: int) -> list[dict]:
    procs = {t: subprocess.Popen([sys.executable, __file__, "--worker", str(data_dir)], cwd=d, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True) for t, d in trees.items()}
    try:
        listed = {t: [tuple(x) for x in json.loads(p.stdout.readline())] for t, p in procs.items()}
        common = [k for k in listed["new"] if k in listed["old"]]
        times: dict = {k: {"old": [], "new": []} for k in common}
        for r in range(rounds):
            for k in common:
                for t in ("old", "new") if r % 2 == 0 else ("new", "old"):
                    procs[t].stdin.write(json.dumps(k) + "\n")
                    procs[t].stdin.flush()
                    times[k][t].append(json.loads(procs[t].stdout.readline()))
    finally:
        for p in procs.values():
            p.stdin.close()
            p.wait(timeout=60)
    return [{"view": k[0], "page": k[1], "old_ms": 1000 * min(v["old"]), "new_ms": 1000 * min(v["new"]),
             "median_ratio": statistics.median(b / a for a, b in zip(v["old"], v["new"]))}
            for k, v in times.items()]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    data_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_DATA
    rows = compare(argv[0], data_dir, int(argv[2]) if len(argv) > 2 else 8)
    print(f"| page | view | {argv[0]} CPU ms | this tree CPU ms | median ratio |\n|---|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['page']} | {r['view']} | {r['old_ms']:.1f} | {r['new_ms']:.1f} | {r['median_ratio']:.3f} |")
    slower = [r for r in rows if r["median_ratio"] > 1]
    print(f"\n{len(slower)} of {len(rows)} page views slower" + (": " + ", ".join(
        f"{r['page']} ({r['view']})" for r in slower) if slower else ""))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        # The script's folder (bench/) must not shadow top-level packages (bench/report.py vs report/), and
        # the tree timed is the working directory's, not the installed one.
        sys.path[0] = str(Path.cwd())
        worker(sys.argv[2])
    else:
        sys.exit(main(sys.argv[1:]))
