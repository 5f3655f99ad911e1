"""Page query timings (warm and cold) and the 16-thread concurrency test, on a published snapshot.

Warm = the same read-only connection as the app keeps (st.cache_resource); cold = a fresh connection
opened with no other connection to that file in the process (DuckDB would otherwise hand back the
open instance), so its buffer pool starts empty. Every call goes through `warehouse.queries.run`.
The concurrency test runs in its own process (`python -m bench.queries concurrency ROOT …`) so its
peak RSS is its own.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb

from bench import peak_rss_mb
from bench.pages import child_keys, plans
from warehouse import queries as q
from warehouse.queries import ledger as lq
from warehouse.queries import privacy

REPO = Path(__file__).resolve().parents[1]


def pct(xs: list[float], p: float) -> float:
    """Nearest-rank percentile of seconds, in milliseconds."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    return 1000 * s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def _as_role(fn, scope: q.Scope) -> q.Scope:
    """The scope a page's user has for `fn`: child lists are only served to case roles (exact figures)."""
    return q.Scope(scope.prefixes, exact=True) if privacy.is_child_list(fn) else scope


def _page(con, scope, calls) -> dict[str, float]:
    out = {}
    for label, fn, args in calls:
        t = time.perf_counter()
        q.run(fn, con, _as_role(fn, scope), *args)
        out[label] = time.perf_counter() - t
    return out


def _app_page(wh, scope, calls) -> float:
    """One page view through the app's cache (ui.data.Warehouse.query: keyed by snapshot, scope, args)."""
    t = time.perf_counter()
    for _label, fn, args in calls:
        wh.query(fn, _as_role(fn, scope), *args)
    return time.perf_counter() - t


def _warehouse(con: duckdb.DuckDBPyConnection):
    """The app's Warehouse over `con` (st.cache_data runs without a Streamlit server, in memory)."""
    import logging

    import streamlit.runtime.caching.cache_data_api  # noqa: F401 (creates the logger silenced below)

    # "No runtime found, using MemoryCacheStorageManager", once per cached function: expected here.
    logging.getLogger("streamlit.runtime.caching.cache_data_api").setLevel(logging.ERROR)
    from ui.data import Warehouse

    return Warehouse(con, q.snapshot_info(con))


def _read(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """One of the bench's own reads, not a page's query (so not through the door): on a fresh cursor and into a
    DataFrame, as a page query's result ends up."""
    cur = con.cursor()
    try:
        return cur.execute(sql, params or []).df()
    finally:
        cur.close()


def pick_county(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """The county with the median number of register children (a typical county, not the smallest)."""
    rows = con.execute("""select county_code, sum(children) as n from children_by_area
                          where period = (select max(period) from children_by_area) group by 1 order by 2""").fetchall()
    code = rows[len(rows) // 2][0]
    name = con.execute("select region_name from regions where region_code = ?", [code]).fetchall()
    return code, (name[0][0] if name else code)


def page_timings(path: Path, warm_reps: int = 20, cold_reps: int = 5, child_reps: int = 30) -> dict:
    """p50/p95 per page (sum of its queries) and per query, warm and cold, county and province-wide."""
    con = q.connect(path)
    everything = q.Scope.everything()
    county, county_name = pick_county(con)
    scopes = {"province": (everything, None), "county": (everything, county)}
    res: dict = {"county": county, "county_name": county_name, "pages": {}}
    page_plans = {k: plans(con, s, c) for k, (s, c) in scopes.items()}
    for kind, (scope, c) in scopes.items():
        view = scope.narrow(c)
        for page, calls in page_plans[kind].items():
            _page(con, view, calls)  # first touch
            totals, per = [], {label: [] for label, _, _ in calls}
            for _ in range(warm_reps):
                t = _page(con, view, calls)
                totals.append(sum(t.values()))
                for k, v in t.items():
                    per[k].append(v)
            res["pages"].setdefault(page, {})[kind] = {
                "queries": len(calls), "warm_p50_ms": pct(totals, 50), "warm_p95_ms": pct(totals, 95),
                "per_query_p95_ms": {k: pct(v, 95) for k, v in per.items()}}
    # The app's path: the first view of a page fills the snapshot-keyed cache, every later view of the
    # same page, area and arguments (any session) is served from it.
    wh = _warehouse(con)
    for kind, (scope, c) in scopes.items():
        view = scope.narrow(c)
        for page, calls in page_plans[kind].items():
            first = _app_page(wh, view, calls)
            again = [_app_page(wh, view, calls) for _ in range(warm_reps)]
            res["pages"][page][kind].update(app_first_ms=1000 * first, app_repeat_p95_ms=pct(again, 95))
    keys = child_keys(con, county, child_reps)
    con.close()
    # Cold: nothing else open on the file, a new connection per page view.
    for kind, (scope, c) in scopes.items():
        view = scope.narrow(c)
        for page, calls in page_plans[kind].items():
            totals, connects = [], []
            for _ in range(cold_reps):
                t0 = time.perf_counter()
                cc = q.connect(path)
                connects.append(time.perf_counter() - t0)
                totals.append(sum(_page(cc, view, calls).values()))
                cc.close()
            r = res["pages"][page][kind]
            r.update(cold_p50_ms=pct(totals, 50), cold_p95_ms=pct(totals, 95), connect_p50_ms=pct(connects, 50))
    # A child's file (case roles: exact scope), county scope.
    exact = q.Scope.everything(exact=True).narrow(county)
    con = q.connect(path)
    warm = []
    for k in keys:
        q.run(lq.child_file, con, exact, k)
    for k in keys:
        t = time.perf_counter()
        q.run(lq.child_file, con, exact, k)
        warm.append(time.perf_counter() - t)
    # The visits part of the file alone: from stg_visits (as child_file reads it now) and from the
    # ledger_visits mart (sorted by person_key), same SQL otherwise.
    visits_sql = ("select visit_date, visit_type, director_id, needs, r.region_name as street_name "
                  "from {t} v left join regions r on r.region_code = v.street_code "
                  "where person_key = ? order by visit_date desc")
    parts = {}
    has_mart = con.execute("select count(*) from duckdb_tables() where table_name = 'ledger_visits'").fetchall()[0][0]
    for t in ("stg_visits", "ledger_visits") if has_mart else ("stg_visits",):
        ts = []
        for k in keys:
            t0 = time.perf_counter()
            _read(con, visits_sql.format(t=t), [k])
            ts.append(time.perf_counter() - t0)
        parts[t] = {"warm_p50_ms": pct(ts, 50), "warm_p95_ms": pct(ts, 95)}
    con.close()
    cold = []
    for k in keys[:cold_reps]:
        cc = q.connect(path)
        t = time.perf_counter()
        q.run(lq.child_file, cc, exact, k)
        cold.append(time.perf_counter() - t)
        cc.close()
    res["child_file"] = {"children": len(keys), "warm_p50_ms": pct(warm, 50), "warm_p95_ms": pct(warm, 95),
                         "cold_p50_ms": pct(cold, 50), "cold_p95_ms": pct(cold, 95), "visits_query": parts}
    return res


# ---- concurrency -------------------------------------------------------------------------------
def concurrency(root: Path, seconds: float, threads: int, build_root: Path | None, cached: bool = False) -> dict:
    """`threads` threads, each with its own cursor on ONE read-only connection, load county pages while
    a build publishes a new snapshot (build_root) and this root's CURRENT is swapped to another name.

    Uncached (default), every view runs its queries: the worst case, as if no two views were alike.
    `cached`: as the app serves them, through ui.data's snapshot-keyed cache shared by all sessions;
    each thread is one county officer's session (threads spread over the chosen counties) browsing
    its county's pages in random order, so first views miss the cache and later ones hit it."""
    from warehouse.build import publish, snapshots_dir

    path = q.current_snapshot_path(root)
    con = q.connect(path)
    everything = q.Scope.everything()
    counties = list(q.counties(con, everything)["county_code"])
    rnd = random.Random(7)
    chosen = rnd.sample(counties, min(6, len(counties)))
    work = [(c, page, calls) for c in chosen for page, calls in plans(con, everything, c).items()]
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    wh = _warehouse(con) if cached else None

    def worker(i: int) -> None:
        cur = con.cursor()
        r = random.Random(i)
        mine = [w for w in work if w[0] == chosen[i % len(chosen)]] if cached else work
        while time.perf_counter() < stop:
            c, _page_name, calls = r.choice(mine)
            t = time.perf_counter()
            try:
                if cached:
                    _app_page(wh, everything.narrow(c), calls)
                else:
                    _page(cur, everything.narrow(c), calls)
            except Exception as e:  # noqa: BLE001 — counted and reported, the test goes on
                with lock:
                    errors.append(f"{type(e).__name__}: {str(e)[:200]}")
                continue
            with lock:
                lat.append(time.perf_counter() - t)
        cur.close()

    ths = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ths:
        t.start()
    events: dict = {}
    # A real build of another data folder, publishing its snapshot, while the readers run.
    build_proc = None
    if build_root is not None:
        code = "import sys\nfrom pathlib import Path\nfrom warehouse.build import build\nbuild(Path(sys.argv[1]))"
        build_proc = subprocess.Popen([sys.executable, "-c", code, str(build_root)], cwd=REPO,
                                      env={**os.environ, "TONGXIN_DATA_DIR": str(build_root)},
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    same = build_root is not None and build_root.resolve() == root.resolve()
    alias = snapshots_dir(root) / f"{path.stem}-bench{os.getpid()}.duckdb"
    if not same:
        # Publish a new snapshot name here too (a hard link to the same bytes) while the readers hold the old.
        time.sleep(min(5.0, seconds / 4))
        try:
            os.link(path, alias)
            publish(root, alias.name)
            events["swapped_to"] = alias.name
        except OSError as e:
            errors.append(f"swap: {type(e).__name__}: {str(e)[:200]}")
    if build_proc is not None:
        _, err = build_proc.communicate()
        events["build_returncode"] = build_proc.returncode
        if build_proc.returncode:
            errors.append(f"build: {err[-300:]}")
    events["build_finished_during_test"] = time.perf_counter() < stop
    for t in ths:
        t.join()
    try:  # what the app's next rerun does: a new connection on the snapshot CURRENT names now
        new_path = q.current_snapshot_path(root)
        events["current_changed"] = new_path != path
        fresh = q.connect(new_path)
        c, _, calls = work[0]
        t = time.perf_counter()
        _page(fresh, everything.narrow(c), calls)
        events["new_connection_page_ms"] = 1000 * (time.perf_counter() - t)
        fresh.close()
    except Exception as e:  # noqa: BLE001
        errors.append(f"reopen: {type(e).__name__}: {str(e)[:200]}")
    if not same:
        publish(root, path.name)
        alias.unlink(missing_ok=True)
    con.close()
    return {"threads": threads, "seconds": seconds, "cached": cached, "page_views": len(lat), "p50_ms": pct(lat, 50),
            "p95_ms": pct(lat, 95), "errors": len(errors), "error_samples": errors[:5], **events,
            "peak_rss_mb": peak_rss_mb()}


def run_concurrency(root: Path, seconds: float = 60, threads: int = 16, build_root: Path | None = None,
                    cached: bool = False) -> dict:
    """The concurrency test in a child process (its own peak RSS)."""
    args = [sys.executable, "-m", "bench.queries", "concurrency", str(root), str(seconds), str(threads),
            "cached" if cached else "uncached"]
    if build_root is not None:
        args.append(str(build_root))
    r = subprocess.run(args, check=False, cwd=REPO, capture_output=True, text=True)
    if r.returncode:
        return {"errors": 1, "error_samples": [r.stderr[-1000:]]}
    return json.loads(r.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    if sys.argv[1] == "concurrency":
        br = Path(sys.argv[6]) if len(sys.argv) > 6 else None
        print(json.dumps(concurrency(Path(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), br,
                                     cached=sys.argv[5] == "cached")))
