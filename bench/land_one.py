"""Land one file in a fresh process and print timings and peak memory as JSON (used by bench).

`python -m bench.land_one SOURCE FILE PERIOD ROOT` — peak RSS is this process's own high-water mark
(VmHWM, see bench.peak_rss_mb), so the parent can compare it with the file size; child_peak_rss_mb is the
largest of its children's (the sandbox that reads and validates: etl/sandbox.py), from getrusage. The two
peaks need not coincide in time: their sum is an upper bound of what the landing held at once.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench import child_peak_rss_mb, peak_rss_mb


def main(argv: list[str]) -> int:
    source, path, period, root = argv[0], Path(argv[1]), argv[2], Path(argv[3])
    t0 = time.perf_counter()
    from etl.land import land  # imports count towards the process's memory, not its time

    t1 = time.perf_counter()
    out = land(source, path, period, root=root, synthetic=True, user="bench")
    t2 = time.perf_counter()
    e = out.entry
    print(json.dumps({
        "source": source, "file": path.name, "bytes": path.stat().st_size, "import_s": t1 - t0, "land_s": t2 - t1,
        "rows": e.rows_read if e else 0, "accepted": e.rows_accepted if e else 0,
        "rejected": e.rows_rejected if e else 0, "already": out.already is not None,
        "peak_rss_mb": peak_rss_mb(), "child_peak_rss_mb": child_peak_rss_mb(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
