"""Server-side sign-in sessions (会话): one record per sign-in, named by an HttpOnly cookie.

The browser holds a random 256-bit token (cookie `tongxin_session`); the server keeps only its
sha256 in <data dir>/auth/sessions.sqlite (mode 600), with the user name, when the record was created
and last used, and whether it was revoked. A record ends after `session_idle_minutes` without use or
`session_max_hours` after sign-in (config/settings.yaml), on sign-out, and when the user is disabled,
changes role or scope, or has the password reset. The record is the truth: role and scope are read from
users.json on every rerun, never kept from the moment of sign-in.

Besides the file, this process remembers which Streamlit session ids ran for which record (`bind`), so
the web layer can tell whether a request with a cookie may touch a given Streamlit session's uploads
and downloads.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from settings import data_dir, settings

COOKIE = "tongxin_session"
# last_seen is written at most this often (seconds): every rerun checks the record, few need a write.
_TOUCH_EVERY = 5.0
# Expired and revoked records are kept this long after they end (for the record), then pruned.
_KEEP_ENDED = 7 * 24 * 3600

_SCHEMA = """
create table if not exists sessions (
    token_hash text primary key,
    username   text not null,
    via        text not null,
    created    real not null,
    last_seen  real not null,
    revoked    real,
    reason     text not null default ''
)
"""


@dataclass(frozen=True)
class Session:
    id: str  # sha256 of the token, hex: what the file and the logs may name
    username: str
    via: str  # "password" or "sso"
    created: float
    last_seen: float
    revoked: float | None = None
    reason: str = ""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def path(root: Path | str | None = None) -> Path:
    return data_dir(root) / "auth" / "sessions.sqlite"


def _connect(root: Path | str | None = None) -> sqlite3.Connection:
    p = path(root)
    p.parent.mkdir(parents=True, exist_ok=True)
    if not p.exists():
        # Created 600 before sqlite opens it; sqlite gives its journal the database file's mode.
        os.close(os.open(p, os.O_WRONLY | os.O_CREAT, 0o600))
    con = sqlite3.connect(p, timeout=10, isolation_level=None)
    con.execute(_SCHEMA)
    return con


def timeouts() -> tuple[float, float]:
    """(idle, absolute) limits in seconds, from config/settings.yaml as it is now."""
    s = settings()
    try:
        idle = float(s.get("session_idle_minutes", 30)) * 60
        most = float(s.get("session_max_hours", 8)) * 3600
    except (TypeError, ValueError):
        idle, most = 30 * 60.0, 8 * 3600.0
    return idle, most


def create(username: str, *, via: str = "password", root: Path | str | None = None,
           now: float | None = None) -> str:
    """A new record for a user who has just proved who they are; returns the token (only the browser keeps it)."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    with closing(_connect(root)) as con:
        con.execute("insert into sessions (token_hash, username, via, created, last_seen) values (?, ?, ?, ?, ?)",
                    (hash_token(token), username, via, now, now))
        con.execute("delete from sessions where coalesce(revoked, last_seen) < ?", (now - _KEEP_ENDED,))
    return token


def _row(con: sqlite3.Connection, token_hash: str) -> Session | None:
    row = con.execute("select token_hash, username, via, created, last_seen, revoked, reason from sessions "
                      "where token_hash = ?", (token_hash,)).fetchone()
    return Session(*row) if row else None


def get(session_id: str, root: Path | str | None = None) -> Session | None:
    """The record by its id (the token's hash), whatever its state."""
    with closing(_connect(root)) as con:
        return _row(con, session_id)


def why_ended(s: Session | None, now: float | None = None) -> str | None:
    """None while the record is valid; else "missing", "revoked", "idle" or "max"."""
    if s is None:
        return "missing"
    if s.revoked is not None:
        return "revoked"
    now = time.time() if now is None else now
    idle, most = timeouts()
    if now - s.last_seen > idle:
        return "idle"
    if now - s.created > most:
        return "max"
    return None


def check(token: str | None, *, touch: bool = True, root: Path | str | None = None,
          now: float | None = None) -> tuple[Session | None, str | None]:
    """(record, None) for a valid token, else (record or None, why it is not valid).

    `touch` counts this as activity (a rerun the user caused) and revokes a record found expired, so it
    cannot come back if the limits are raised later; a periodic or passive check passes False and
    changes nothing.
    """
    if not token or len(token) > 256:
        return None, "missing"
    now = time.time() if now is None else now
    token_hash = hash_token(token)
    with closing(_connect(root)) as con:
        s = _row(con, token_hash)
        reason = why_ended(s, now)
        if reason in ("idle", "max") and touch:
            con.execute("update sessions set revoked = ?, reason = ? where token_hash = ? and revoked is null",
                        (now, f"expired {reason}", token_hash))
        elif reason is None and touch and now - s.last_seen >= min(_TOUCH_EVERY, timeouts()[0] / 10):
            con.execute("update sessions set last_seen = ? where token_hash = ? and last_seen < ?",
                        (now, token_hash, now))
    return (s, None) if reason is None else (s, reason)


def revoke(token_or_id: str, reason: str = "signed out", *, root: Path | str | None = None) -> None:
    """End one record, named by the browser's token or by the record's id."""
    ids = (token_or_id, hash_token(token_or_id))
    with closing(_connect(root)) as con:
        con.execute("update sessions set revoked = ?, reason = ? where token_hash in (?, ?) and revoked is null",
                    (time.time(), reason, *ids))


def revoke_user(username: str, reason: str, *, root: Path | str | None = None) -> int:
    """End every record of a user (disabled, new role or scope, password reset); how many were open."""
    with closing(_connect(root)) as con:
        cur = con.execute("update sessions set revoked = ?, reason = ? where username = ? and revoked is null",
                          (time.time(), reason, username))
        return cur.rowcount


# --- this process: which Streamlit sessions ran for which record -----------------------------------

_LOCK = threading.Lock()
_BOUND: dict[str, str] = {}  # Streamlit session id -> record id


def bind(streamlit_session_id: str, record_id: str) -> None:
    """Remember that a rerun of this Streamlit session was checked against this record."""
    with _LOCK:
        _BOUND[streamlit_session_id] = record_id


def unbind(streamlit_session_id: str) -> None:
    with _LOCK:
        _BOUND.pop(streamlit_session_id, None)


def bound(streamlit_session_id: str) -> str | None:
    """The record the session last ran for, if any."""
    with _LOCK:
        return _BOUND.get(streamlit_session_id)
