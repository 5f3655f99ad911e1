"""`python -m bench.server_runs RUNS PROFILES run server.py …`: the app served as `streamlit run` serves it, each
script run's start and end (epoch ms), its thread's CPU and Streamlit's garbage collection after it appended to
RUNS (JSON lines), for the browser section
to tell the server's part of a wait from the browser's. With PROFILES other than "-", each run is also profiled
(cProfile, in the script thread that runs it) into PROFILES/<n>.prof for the CPU split (BENCH_BROWSER_PROFILE=1);
profiling slows Python code down, so a profiled run's times are not the ones to quote, its split is.
"""
from __future__ import annotations

import cProfile
import gc
import itertools
import json
import sys
import threading
import time
from pathlib import Path

# Where a function's own time goes, by where it lives (first match). Builtins are named by their type's module.
# cProfile's clock is the wall clock: a query's time includes DuckDB's worker threads, a lock's the wait.
CATEGORIES = (
    ("gc", ("gc.collect",)),
    ("waiting", ("<method 'acquire' of '_thread", "time.sleep", "<method 'wait' of", "select.", "<method 'poll'")),
    ("queries", ("duckdb", "/warehouse/")),
    ("figures", ("/plotly/", "/_plotly_utils/", "/pydeck/", "/shapely/", "/geopandas/", "/ui/map.py",
                 "/ui/charts.py")),
    ("excel", ("/xlsxwriter/", "/openpyxl/", "/python_calamine/")),
    ("pack", ("/fpdf/", "/kaleido/", "/report/", "/pypdf/")),
    ("pandas", ("/pandas/", "pandas._libs", "/numpy/", "numpy.", "/pyarrow/", "pyarrow.")),
    ("cache", ("/streamlit/runtime/caching/", "_pickle.", "/pickle.py")),
    ("serialisation", ("/streamlit/", "/google/protobuf/", "/json/", "_json.", "protobuf", "/tornado/",
                       "/starlette/")),
    ("imports", ("<frozen importlib", "importlib", "<built-in method marshal", "<built-in method _imp")),
    ("page code", ("/ui/", "/views/", "/auth/", "/app.py", "/settings.py", "/etl/", "/geo/")),
)


def category(func: tuple[str, int, str]) -> str:
    """The category of one profiled function (file, line, name)."""
    where = func[0] + " " + func[2] if func[0] == "~" else func[0]
    for name, marks in CATEGORIES:
        if any(m in where for m in marks):
            return name
    return "other"


def split(paths: list[Path]) -> dict[str, float]:
    """Seconds of own time per category over the profiles of some script runs (cProfile's tottime)."""
    import pstats

    out: dict[str, float] = {}
    if not paths:
        return out
    stats = pstats.Stats(*[str(p) for p in paths])
    for func, (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        k = category(func)
        out[k] = out.get(k, 0.0) + tt
    return out


def main() -> None:
    runs, profiles = Path(sys.argv[1]), None if sys.argv[2] == "-" else Path(sys.argv[2])
    if profiles:
        profiles.mkdir(parents=True, exist_ok=True)
    from streamlit.runtime.scriptrunner import script_runner

    run_script = script_runner.ScriptRunner._run_script
    numbers, lock = itertools.count(1), threading.Lock()
    local = threading.local()

    class TimedGC:
        """Streamlit's `gc` as the script runner sees it: its collection after each run (runner.postScriptGC),
        which comes after the run's script_finished message, is timed apart."""

        def __getattr__(self, name):
            return getattr(gc, name)

        def collect(self, *args):
            t = time.perf_counter()
            try:
                return gc.collect(*args)
            finally:
                local.gc_s = getattr(local, "gc_s", 0.0) + time.perf_counter() - t

    script_runner.gc = TimedGC()

    def timed(self, rerun_data) -> None:
        prof = cProfile.Profile() if profiles else None
        start, cpu, local.gc_s = time.time() * 1000, time.thread_time(), 0.0
        if prof:
            prof.enable()
        try:
            run_script(self, rerun_data)
        finally:
            if prof:
                prof.disable()
            rec = {"start": start, "end": time.time() * 1000, "thread_cpu_s": time.thread_time() - cpu,
                   "gc_s": local.gc_s}
            with lock:
                n = next(numbers)
                with runs.open("a", encoding="utf-8") as f:
                    f.write(json.dumps({"n": n, **rec}) + "\n")
            if prof:
                prof.dump_stats(str(profiles / f"{n:05d}.prof"))

    script_runner.ScriptRunner._run_script = timed
    from streamlit.web.cli import main as cli

    sys.argv = ["streamlit", *sys.argv[3:]]
    cli(prog_name="streamlit")


if __name__ == "__main__":
    main()
