"""The notify state: `<data dir>/notify/events.jsonl`, one JSON event per line, folded into the current state.

Events: fire / clear (an alert condition for one user starts or stops holding), read (a user marks a firing read),
subscribe / unsubscribe, contact (a user's e-mail address), sent (an output delivered for a period). Lines are only
appended (O_APPEND, one write per event, fsync; 0600 in a 0700 folder, as auth/audit.py does); a rebuild or a new
snapshot never touches them. A torn last line (a crash mid-write) is skipped. Firings hold aggregate texts only
(region names, counts, rates): the rules never put a child's name or ID number in them.
"""
from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from settings import append_line, data_dir, open_private, private_dir, read_when_changed

TYPES = ("fire", "clear", "read", "subscribe", "unsubscribe", "contact", "sent")


def folder(root: Path | str | None = None) -> Path:
    """`<data dir>/notify/`, created 0700."""
    return private_dir(data_dir(root) / "notify", top=data_dir(root))


def events_path(root: Path | str | None = None) -> Path:
    return data_dir(root) / "notify" / "events.jsonl"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def lock(root: Path | str | None = None) -> Iterator[None]:
    """A decision that reads the state and appends to it (fire once; send once a period) runs under it whole."""
    with os.fdopen(open_private(folder(root) / ".lock", append=True), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def append(event: dict, root: Path | str | None = None) -> dict:
    """Append one event (its type among TYPES; `at` added) and return it."""
    if event.get("type") not in TYPES:
        raise ValueError(f"unknown notify event {event.get('type')!r}")
    event = {"at": now(), **event}
    path = folder(root) / "events.jsonl"
    line = (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")
    append_line(path, line)
    return event


def _parse(path: Path) -> list[dict]:
    out = []
    for raw in path.read_bytes().split(b"\n"):
        try:
            e = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(e, dict) and e.get("type") in TYPES:
            out.append(e)
    return out


_CACHE: dict = {}


def events(root: Path | str | None = None) -> list[dict]:
    """Every complete event in file order (torn or damaged lines skipped). Parsed again only when the file
    changes (size, mtime): the sidebar asks for the unread count on every rerun. Callers must not change them."""
    return read_when_changed(events_path(root), _CACHE, _parse) or []


def firing_id() -> str:
    """A new firing's handle, random: the same condition firing again after it cleared, even within the same
    second, is a new firing with its own read mark and its own delivery."""
    return secrets.token_hex(8)


@dataclass
class State:
    """The fold of the events: firings by id (open ones have no `cleared_at`), read ids per user, subscriptions
    per user, e-mail per user, and the (user, output, period) already delivered."""

    firings: dict[str, dict] = field(default_factory=dict)
    read: dict[str, set[str]] = field(default_factory=dict)
    subscriptions: dict[str, set[str]] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)
    sent: set[tuple[str, str, str]] = field(default_factory=set)

    def open_firings(self, user: str) -> dict[str, dict]:
        """The user's firings still holding, by condition key."""
        return {f["key"]: f for f in self.firings.values() if f["user"] == user and not f.get("cleared_at")}


def state(root: Path | str | None = None) -> State:
    s = State()
    for e in events(root):
        t, user = e["type"], str(e.get("user", ""))
        if t == "fire":
            s.firings[e["id"]] = {k: e.get(k) for k in ("id", "user", "key", "rule", "title", "text", "region",
                                                         "role", "scope")} | {"fired_at": e["at"]}
        elif t == "clear" and e.get("id") in s.firings:
            s.firings[e["id"]]["cleared_at"] = e["at"]
        elif t == "read":
            s.read.setdefault(user, set()).update(e.get("ids", []))
        elif t == "subscribe":
            s.subscriptions.setdefault(user, set()).add(e["output"])
        elif t == "unsubscribe":
            s.subscriptions.setdefault(user, set()).discard(e["output"])
        elif t == "contact":
            s.contacts[user] = str(e.get("email", ""))
        elif t == "sent":
            s.sent.add((user, str(e.get("output")), str(e.get("period"))))
    return s
