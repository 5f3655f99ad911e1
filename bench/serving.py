"""Serve the app as `make run` does, on a free local port, and the Chromium that opens it: for the browser
tests and the bench's browser section.

One place for starting the server, waiting for its health check and stopping it: the tests and the bench
differ only in how the process is launched (the bench wraps it to record each script run's times).
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"  # Debian's, driven by Playwright
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# `python -m streamlit`: the launcher `make run` uses.
STREAMLIT = ("-m", "streamlit")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(env: dict[str, str], log: Path, launcher: Sequence[str] = STREAMLIT,
                     extra: Sequence[str] = (), timeout_s: float = 60) -> Iterator[tuple[str, subprocess.Popen]]:
    """`<python> <launcher> run server.py` headless on a free 127.0.0.1 port, its output in `log`; yields (base
    URL, process) once /_stcore/health answers, and stops the server on leaving. RuntimeError if it exits or
    is not healthy within `timeout_s`."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, *launcher, "run", "server.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", *extra],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while not _healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not become healthy (see {log})")
                time.sleep(0.3)
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False
