"""The loop's append-only event store: `<data dir>/loop/events.jsonl`, one JSON event per line.

Each event: {"v": 1, "at": UTC ISO time, "user", "role", "kind": signoff | followup | instruction,
"subject": {key fields of what it is about}, "action", "fields": {what the action carries}}. Lines are only
appended (O_APPEND, one write per event, fsync; 0600 in a 0700 folder, as auth/audit.py does) and the
current state is a fold over them, so a rebuild or a new snapshot never touches it.

A crash mid-write (kill -9) can leave a torn last line: reading skips it and everything before it stands;
the next append starts on a new line, so the torn piece never swallows a later event.
Subjects hold keys only; free text (a reason, a note) holding something shaped like an ID number is refused.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from settings import UserError, append_line, data_dir, open_private, private_dir, read_when_changed

KINDS = {"signoff": "数据确认", "followup": "督办", "instruction": "领导批示"}
# The keys a subject may have, per kind: keys only, so no event can name a child. A worklist item is its
# linkage key (the keyed hash of the ID number: 32 hex characters as etl/validate.py cuts it, or a whole
# 64) and the check that listed it.
SUBJECT_KEYS = {
    "signoff": ("source", "period", "county_code", "load_id", "landed_at"),
    "followup": ("person_key", "check"),
    "instruction": ("instruction_id",),
}
PERSON_KEY = re.compile(r"[0-9a-f]{32}|[0-9a-f]{64}")
VERSION = 1
MAX_USER_CHARS = 64
MAX_KEY_CHARS = 80
MAX_TEXT_CHARS = 500
# An 18-character resident ID (17 digits and a digit or X) or a 15-digit old one, standing alone.
ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


class LoopError(UserError):
    """A refused loop action (wrong role, scope or order; bad input): bilingual, exit code ≠ 0 on the CLI."""


def events_path(root: Path | str | None = None) -> Path:
    return data_dir(root) / "loop" / "events.jsonl"


def looks_like_id(text: str) -> bool:
    """Whether text holds something shaped like a resident ID number (full-width digits folded first)."""
    folded = str(text).translate({0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF38: 0x58, 0xFF58: 0x78})
    return bool(ID_LIKE.search(re.sub(r"[\s\-]", "", folded)) or ID_LIKE.search(folded))


def clean_text(text: str, what: str = "说明") -> str:
    """Free text for an event: control characters folded to spaces, cut to length, no ID numbers."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(text or "")).strip()[:MAX_TEXT_CHARS]
    if looks_like_id(text):
        raise LoopError("ID_IN_TEXT", f"{what}中不得填写身份证号（请改用区划或编号描述）",
                        f"the {what} must not hold an ID number")
    return text


def _check_subject(kind: str, subject: dict) -> dict:
    if set(subject) != set(SUBJECT_KEYS[kind]):
        raise ValueError(f"a {kind} subject has the keys {SUBJECT_KEYS[kind]}, not {tuple(subject)}")
    out = {}
    for k in SUBJECT_KEYS[kind]:
        v = "" if subject[k] is None else str(subject[k])
        bad = len(v) > MAX_KEY_CHARS or re.search(r"[\x00-\x1f\x7f]", v) \
            or (PERSON_KEY.fullmatch(v) is None if k == "person_key" else looks_like_id(v))
        if bad:
            raise LoopError("BAD_SUBJECT", f"主题键“{k}”无效", f"subject key {k!r} is not valid")
        out[k] = v
    return out


def _check_fields(fields: dict) -> dict:
    for k, v in fields.items():
        if isinstance(v, str) and looks_like_id(v):
            raise LoopError("ID_IN_TEXT", "不得填写身份证号", f"field {k!r} must not hold an ID number")
    return dict(fields)


@contextmanager
def lock(root: Path | str | None = None) -> Iterator[None]:
    """The store's lock: a decision that reads the state and appends to it runs under it whole."""
    path = events_path(root)
    private_dir(path.parent, top=data_dir(root))
    with os.fdopen(open_private(path.parent / ".lock", append=True), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def append(kind: str, subject: dict, action: str, fields: dict | None = None, *, user: str | None,
           role: str | None = None, root: Path | str | None = None) -> dict:
    """Append one event (and return it). Callers deciding on the current state hold `lock(root)`."""
    if kind not in KINDS:
        raise ValueError(f"unknown loop kind {kind!r}")
    event = {"v": VERSION, "at": datetime.now(UTC).isoformat(timespec="seconds"),
             "user": (user or "")[:MAX_USER_CHARS], "role": (role or "")[:MAX_USER_CHARS], "kind": kind,
             "subject": _check_subject(kind, subject), "action": str(action), "fields": _check_fields(fields or {})}
    path = events_path(root)
    private_dir(path.parent, top=data_dir(root))  # 0700: events name users and what they decided
    line = (json.dumps(event, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
    append_line(path, line)
    return event


def _parse(path: Path) -> tuple[tuple[dict, ...], int]:
    events, skipped = [], 0
    with path.open("rb") as f:
        data = f.read()
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        try:
            e = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            skipped += 1  # a torn line: the event never completed
            continue
        if isinstance(e, dict) and e.get("kind") in KINDS and isinstance(e.get("subject"), dict):
            events.append(e)
        else:
            skipped += 1
    return tuple(events), skipped


_CACHE: dict = {}


def read(root: Path | str | None = None) -> tuple[tuple[dict, ...], int]:
    """Every complete event in file order, and how many lines were skipped as torn or damaged.
    Parsed again only when the file changes (size, mtime): pages ask on every rerun."""
    return read_when_changed(events_path(root), _CACHE, _parse) or ((), 0)


def version(root: Path | str | None = None) -> tuple[int, int]:
    """(size, mtime_ns) of the event file, (0, 0) before the first event. Every append changes it, so anything
    folded from the events may be cached under it."""
    try:
        st = events_path(root).stat()
    except FileNotFoundError:
        return (0, 0)
    return (st.st_size, st.st_mtime_ns)


def events(kind: str | None = None, root: Path | str | None = None) -> list[dict]:
    """The complete events of one kind (all kinds: None), in the order they were written."""
    return [e for e in read(root)[0] if kind is None or e["kind"] == kind]
