"""Markdown for bench results: one table per section, each goal with met / not met and the margin."""
from __future__ import annotations

import math


def _ok(ok: bool) -> str:
    return "✅ met" if ok else "❌ not met"


def _n(x: float, d: int = 0) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{d}f}"


def markdown(res: dict) -> str:
    m = res["machine"]
    out = [f"# Benchmark — {res['scale']} scale, one run, {m['date']}", "",
           (f"Machine: {m['cpus']} cores, {m['ram_gb']} GB RAM (shared; load average {m['load_avg_at_start']:.1f} "
           f"at start), Python {m['python']}, DuckDB {m['duckdb']}. Ratios are from this one run."), ""]
    if "size" in res:
        s = res["size"]
        out += [(f"Data set: {_n(s['children'])} children on the register, {_n(s['visits'])} visit records, "
                f"{_n(s['key_children'])} key children; {_n(res['data_set'].get('landed_rows'))} landings in the log."), ""]
    goals: list[tuple[str, str, bool]] = []
    if "land" in res:
        la = res["land"]
        ref = la["reference"]
        out += ["## Landing a 1M-row register (full validation, real landing code, own process)", "",
                "Peak RSS: the landing process, and its sandbox (etl/sandbox.py: the child that reads and validates).",
                "", "| what | seconds | rows/s | peak RSS landing + sandbox | (landing + sandbox) ÷ file size |",
                "|---|---:|---:|---:|---:|",
                f"| R: DuckDB read_csv → .duckdb file | {ref['read_csv_to_file_s']:.2f} | {_n(ref['read_csv_to_file_rows_s'])} | | |",
                f"| DuckDB read_csv → memory | {ref['read_csv_to_memory_s']:.2f} | {_n(ref['read_csv_to_memory_rows_s'])} | | |"]
        for fmt, label in (("utf8", "land UTF-8 CSV"), ("gb18030", "land GB18030 CSV"), ("xlsx", "land .xlsx")):
            r = la[fmt]
            out.append(f"| {label} ({r['bytes'] / 2**20:.0f} MB; {_n(r['accepted'])} accepted, {_n(r['rejected'])} rejected) "
                       f"| {r['seconds']:.2f} | {_n(r['rows_s'])} | {_peak(r)} | {_over(r)} |")
        out.append(f"\nLanding UTF-8 runs at {la['utf8']['vs_reference']:.0%} of R (same run, same file).")
        out.append("")
        u, g, x = la["utf8"], la["gb18030"], la["xlsx"]
        goals += [("CSV landing ≥ 50 % of R", f"{u['vs_reference']:.0%} of R", u["vs_reference"] >= 0.5),
                  ("xlsx ≥ 30k rows/s", f"{_n(x['rows_s'])} rows/s", x["rows_s"] >= 30_000),
                  ("GB18030 ≥ 60 % of UTF-8", f"{g['vs_utf8']:.0%}", g["vs_utf8"] >= 0.6)]
        if "big" in la:
            big = la["big"]
            bref = big["reference"]
            out += [f"### {_n(big['rows'])} rows (generated register, all rows good)", "",
                    "| what | seconds | rows/s | % of R | peak RSS landing + sandbox | (landing + sandbox) ÷ file size |",
                    "|---|---:|---:|---:|---:|---:|",
                    (f"| R: DuckDB read_csv → .duckdb file | {bref['read_csv_to_file_s']:.2f} | "
                     f"{_n(bref['read_csv_to_file_rows_s'])} | | | |")]
            for fmt, label in (("utf8", "land UTF-8 CSV"), ("gb18030", "land GB18030 CSV")):
                r = big[fmt]
                out.append(f"| {label} ({r['bytes'] / 2**20:.0f} MB) | {r['seconds']:.2f} | {_n(r['rows_s'])} | "
                           f"{r['vs_reference']:.0%} | {_peak(r)} | {_over(r)} |")
            out.append("")
        for fmt in ("utf8", "gb18030", "xlsx"):
            goals.append((f"peak memory, landing + sandbox ≤ 2 GB ({fmt})", f"{_n(_total(la[fmt]))} MB",
                          _total(la[fmt]) <= 2048))
        if "big" in la:
            for fmt in ("utf8", "gb18030"):
                goals.append((f"peak memory, landing + sandbox ≤ 2 GB at {_n(la['big']['rows'])} rows ({fmt})",
                              f"{_n(_total(la['big'][fmt]))} MB", _total(la["big"][fmt]) <= 2048))
    if "build" in res:
        b = res["build"]
        limit = 600 if res["scale"] == "province" else 120
        out += ["## Build", "", (f"Build + publish of the {res['scale']} snapshot: **{b['seconds']:.0f} s**, "
                f"snapshot {b.get('bytes', 0) / 2**30:.1f} GB, peak RSS {_n(b.get('peak_rss_mb'))} MB ({b['source']})."), ""]
        goals.append((f"build < {limit // 60} min ({res['scale']})", f"{b['seconds']:.0f} s", b["seconds"] < limit))
    if "queries" in res:
        qr = res["queries"]
        out += ["## Page queries (through `queries.run`, sum of a page's queries; ms)", "",
                f"County scope: {qr['county_name']} ({qr['county']}, the median county by children).", "",
                ("Door = every query runs (`queries.run`, buffer pool warm or cold). App = through `ui.data.Warehouse`, "
                "whose cache is keyed by snapshot, scope and arguments and shared by all sessions: the first view of "
                "a page fills it, a repeat view (any session) is served from it."), "",
                ("| page | scope | queries | door warm p50 | door warm p95 | door cold p50 | door cold p95 | "
                "app first view | app repeat p95 | slowest query (door warm p95) |"),
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        worst = {"county": 0.0, "province": 0.0}
        app = {"county": 0.0, "province": 0.0}
        for page, kinds in qr["pages"].items():
            for kind in ("county", "province"):
                r = kinds.get(kind)
                if not r:
                    continue
                slow = max(r["per_query_p95_ms"].items(), key=lambda kv: kv[1])
                out.append(f"| {page} | {kind} | {r['queries']} | {r['warm_p50_ms']:.1f} | {r['warm_p95_ms']:.1f} | "
                           f"{_n(r.get('cold_p50_ms'), 1)} | {_n(r.get('cold_p95_ms'), 1)} | "
                           f"{_n(r.get('app_first_ms'), 1)} | {_n(r.get('app_repeat_p95_ms'), 2)} | {slow[0]} {slow[1]:.1f} |")
                worst[kind] = max(worst[kind], r["warm_p95_ms"])
                app[kind] = max(app[kind], r.get("app_repeat_p95_ms") or 0.0)
        c = qr["child_file"]
        out += [(f"| a child's file (个案档案) | county, exact | 3 | {c['warm_p50_ms']:.1f} | {c['warm_p95_ms']:.1f} | "
                f"{c['cold_p50_ms']:.1f} | {c['cold_p95_ms']:.1f} | (never cached) | | |")]
        for t, r in c.get("visits_query", {}).items():
            out.append(f"| – its visits query on `{t}` | county, exact | 1 | {r['warm_p50_ms']:.1f} | {r['warm_p95_ms']:.1f} "
                       "| | | | | |")
        out.append("")
        goals += [("county pages ≤ 20 ms (door, warm p95, slowest page)", f"{worst['county']:.1f} ms", worst["county"] <= 20),
                  ("province-wide pages ≤ 250 ms (door, warm p95, slowest page)", f"{worst['province']:.1f} ms",
                   worst["province"] <= 250),
                  ("county pages ≤ 20 ms (app repeat view p95, slowest page)", f"{app['county']:.2f} ms",
                   app["county"] <= 20),
                  ("province-wide pages ≤ 250 ms (app repeat view p95, slowest page)", f"{app['province']:.2f} ms",
                   app["province"] <= 250),
                  ("a child's history ≤ 20 ms (warm p95)", f"{c['warm_p95_ms']:.1f} ms", c["warm_p95_ms"] <= 20)]
    if "pandas" in res:
        p = res["pandas"]
        ld = p["load"]
        out += ["## The same figures the pandas way (staging rows cached in pandas, filtered per view)", "",
                (f"Loading into pandas: register {_n(ld['register_rows'])} rows in {ld['register_load_s']:.1f} s, key "
                f"children {_n(ld['key_rows'])} rows in {ld['key_load_s']:.1f} s, {ld['pandas_mb']:,.0f} MB in pandas."), "",
                "| page figure | scope | pandas p50 ms | page query p50 ms | ratio | same figures |",
                "|---|---|---:|---:|---:|---|"]
        low = math.inf
        for name, kinds in p["pages"].items():
            for kind, r in kinds.items():
                out.append(f"| {name} | {kind} | {r['pandas_p50_ms']:.1f} | {r['duckdb_p50_ms']:.1f} | "
                           f"{r['ratio']:.1f}× | {'yes' if r['same_figures'] else 'NO'} |")
                low = min(low, r["ratio"])
        out.append("")
        goals.append(("≥ 10× faster than pandas on every page checked", f"lowest {low:.1f}×", low >= 10))
    if "concurrency" in res:
        c = res["concurrency"]
        out += ["## Concurrency", "", (f"{c.get('threads', 16)} threads, one read-only connection, a cursor each, county "
                f"pages for {c.get('seconds', 0):.0f} s while a build published a snapshot and CURRENT was swapped: "
                f"{_n(c.get('page_views'))} page views, p50 {_n(c.get('p50_ms'), 1)} ms, p95 {_n(c.get('p95_ms'), 1)} ms, "
                f"{c.get('errors')} errors, peak RSS {_n(c.get('peak_rss_mb'))} MB; a new connection on the new "
                f"CURRENT served a page in {_n(c.get('new_connection_page_ms'), 1)} ms."), ""]
        out += _errors(c)
        goals += [_p95_goal(c, "16 threads: p95 ≤ 300 ms (door, every view runs its queries)"),
                  ("no lock error while a snapshot is published", f"{c.get('errors')} errors", c.get("errors") == 0),
                  _rss_goal(c, "process RSS ≤ 1.5 GB")]
    if "concurrency_cached" in res:
        c = res["concurrency_cached"]
        out += [(f"Through the app's cache: {c.get('threads', 16)} sessions, each a county officer browsing their "
                 f"county's pages in random order for {c.get('seconds', 0):.0f} s (first views miss the cache, later "
                 f"ones hit it): {_n(c.get('page_views'))} page views, p50 {_n(c.get('p50_ms'), 1)} ms, p95 "
                 f"{_n(c.get('p95_ms'), 1)} ms, {c.get('errors')} errors, peak RSS {_n(c.get('peak_rss_mb'))} MB."), ""]
        out += _errors(c)
        goals += [_p95_goal(c, "16 sessions: p95 ≤ 300 ms (app, snapshot-keyed cache)"),
                  _rss_goal(c, "process RSS ≤ 1.5 GB (app, cache filled)")]
    out += ["## Goals", "", "| goal | measured | |", "|---|---|---|"]
    out += [f"| {g} | {v} | {_ok(ok)} |" for g, v, ok in goals]
    out += ["", f"Total bench time {res['total_s'] / 60:.1f} min."]
    return "\n".join(out) + "\n"


def _errors(c: dict) -> list[str]:
    """A concurrency run's sample errors, as report lines (none when it had none)."""
    return ["Errors: " + "; ".join(c["error_samples"]), ""] if c.get("error_samples") else []


def _p95_goal(c: dict, goal: str) -> tuple[str, str, bool]:
    return goal, f"{_n(c.get('p95_ms'), 1)} ms", (c.get("p95_ms") or 1e9) <= 300


def _rss_goal(c: dict, goal: str) -> tuple[str, str, bool]:
    return goal, f"{_n(c.get('peak_rss_mb'))} MB", (c.get("peak_rss_mb") or 1e9) <= 1536


def _total(r: dict) -> float:
    """Peak RSS of a landing plus its sandbox child (an upper bound: the two peaks need not coincide)."""
    return r["peak_rss_mb"] + (r.get("child_peak_rss_mb") or 0)


def _peak(r: dict) -> str:
    return f"{_n(r['peak_rss_mb'])} + {_n(r.get('child_peak_rss_mb') or 0)} MB"


def _over(r: dict) -> str:
    return f"{_total(r) * 2**20 / r['bytes']:.1f}×"
