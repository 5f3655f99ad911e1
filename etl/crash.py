"""Crash-test hook: `checkpoint(name)` kills the process at a named point when TONGXIN_CRASH_AT says so.

Production code calls it at the points where a crash could leave something half-done (tests/test_crash.py
kills `python -m etl land|build` at each and checks nothing published or landed is damaged). Unset, it
costs one environment lookup.
"""
from __future__ import annotations

import os
import signal

CRASH_ENV = "TONGXIN_CRASH_AT"


def checkpoint(name: str) -> None:
    """SIGKILL this process (no cleanup, no finally blocks) if TONGXIN_CRASH_AT equals name."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
