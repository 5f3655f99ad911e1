"""Sign-in limits: at most MAX_FAILURES password checks per lock window even under concurrency, input
length caps that keep the audit log small, and a lock check whose cost does not grow with the log."""
from __future__ import annotations

import builtins
import json
import pathlib
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from auth import audit, users
from auth.users import MAX_FAILURES, AuthError

RIGHT = "correct horse"
ROOT = pathlib.Path(__file__).resolve().parents[1]


def _try(name: str, password: str, root) -> str:
    try:
        users.authenticate(name, password, root=root)
        return "ok"
    except AuthError as e:
        return "locked" if "too many failed sign-ins" in str(e) else "bad"


# Each guess in a fresh interpreter of its own: a multiprocessing pool would re-run whatever script an
# earlier test left as __main__ (AppTest runs app.py), so plain processes are started instead.
_GUESS = """
import sys
from auth import users
try:
    users.authenticate(sys.argv[1], sys.argv[2], root=sys.argv[3])
    print("ok")
except users.AuthError as e:
    print("locked" if "too many failed sign-ins" in str(e) else "bad")
"""


def _guesses_in_processes(name: str, passwords: list[str], root) -> list[str]:
    procs = [subprocess.Popen([sys.executable, "-c", _GUESS, name, p, str(root)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True) for p in passwords]
    return [p.communicate(timeout=300)[0].strip() for p in procs]


class _Counting:
    """The password hasher, counting verifications."""

    def __init__(self, hasher, seen: list):
        self.hasher, self.seen = hasher, seen

    def verify(self, h, p):
        self.seen.append(p)
        return self.hasher.verify(h, p)

    def hash(self, p):
        return self.hasher.hash(p)


def _actions(root, name: str) -> list[str]:
    log = audit.events(root)
    return list(log[log.user == name].action)


def test_parallel_wrong_passwords_make_at_most_max_failures_checks(tmp_path, monkeypatch):
    users.add("li", RIGHT, "leader", ["990100000000"], root=tmp_path)
    checks = []
    monkeypatch.setattr(users, "_HASHER", _Counting(users._HASHER, checks))
    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(lambda i: _try("li", f"wrong-{i}", tmp_path), range(16)))
    actions = _actions(tmp_path, "li")
    assert actions.count("login_failed") == MAX_FAILURES, actions
    assert actions.count("login_locked") == 16 - MAX_FAILURES
    assert outcomes.count("bad") == MAX_FAILURES and outcomes.count("locked") == 16 - MAX_FAILURES
    assert len(checks) == MAX_FAILURES  # no more guesses were verified than the lock allows
    # Locked: the right password is refused until the window has passed.
    assert _try("li", RIGHT, tmp_path) == "locked"
    later = datetime.now(UTC) + timedelta(minutes=users.LOCK_MINUTES + 1)
    monkeypatch.setattr(users, "_now_dt", lambda: later)
    assert users.locked_until("li", tmp_path) is None
    assert _try("li", RIGHT, tmp_path) == "ok"


def test_parallel_wrong_passwords_from_several_processes(tmp_path):
    users.add("wang", RIGHT, "leader", ["990100000000"], root=tmp_path)
    outcomes = _guesses_in_processes("wang", [f"wrong-{i}" for i in range(12)], tmp_path)
    actions = _actions(tmp_path, "wang")
    assert actions.count("login_failed") == MAX_FAILURES, actions
    assert outcomes.count("locked") == 12 - MAX_FAILURES


def test_a_success_clears_earlier_failures(tmp_path):
    users.add("zhao", RIGHT, "leader", ["990100000000"], root=tmp_path)
    for _ in range(MAX_FAILURES - 1):
        assert _try("zhao", "wrong", tmp_path) == "bad"
    assert _try("zhao", RIGHT, tmp_path) == "ok"
    for _ in range(MAX_FAILURES - 1):
        assert _try("zhao", "wrong", tmp_path) == "bad"
    assert _try("zhao", RIGHT, tmp_path) == "ok"


def test_a_huge_user_name_is_refused_and_logged_short(tmp_path, monkeypatch):
    users.add("li", RIGHT, "leader", ["990100000000"], root=tmp_path)
    size = audit.log_path(tmp_path).stat().st_size
    checks = []
    monkeypatch.setattr(users, "_HASHER", _Counting(users._HASHER, checks))
    with pytest.raises(AuthError):
        users.authenticate("李" * 300_000, RIGHT, root=tmp_path)
    with pytest.raises(AuthError):
        users.authenticate("li", "x" * 100_000, root=tmp_path)
    assert not checks  # neither was worth an argon2 verification
    with pytest.raises(AuthError):
        users.authenticate(" " + "a" * (users.MAX_USERNAME + 1), RIGHT, root=tmp_path)
    lines = audit.log_path(tmp_path).read_bytes()[size:].splitlines()
    assert len(lines) == 3 and all(len(line) < 1000 for line in lines)
    first = json.loads(lines[0])
    assert first["action"] == "login_failed" and first["user"] == "李" * users.MAX_USERNAME
    # Names at the cap (after stripping) are still names.
    users.add("b" * users.MAX_USERNAME, RIGHT, "leader", ["990100000000"], root=tmp_path)
    monkeypatch.undo()
    assert users.authenticate(" " + "b" * users.MAX_USERNAME + " ", RIGHT, root=tmp_path)


def test_the_lock_check_does_not_read_the_audit_log(tmp_path, monkeypatch):
    users.add("li", RIGHT, "leader", ["990100000000"], root=tmp_path)
    for _ in range(MAX_FAILURES - 1):
        _try("li", "wrong", tmp_path)
    log = audit.log_path(tmp_path)
    with log.open("a", encoding="utf-8") as f:  # a long history (other users' events)
        line = json.dumps({"at": datetime.now(UTC).isoformat(), "user": "x", "action": "export"}) + "\n"
        f.write(line * 50_000)
    read = []
    real_open, real_read_text, real_read_bytes = builtins.open, pathlib.Path.read_text, pathlib.Path.read_bytes

    def spy_open(file, mode="r", *a, **k):
        if "r" in mode or "+" in mode:
            read.append(pathlib.Path(file).resolve())
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(pathlib.Path, "read_text", lambda self, *a, **k: read.append(self.resolve()) or
                        real_read_text(self, *a, **k))
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self, *a, **k: read.append(self.resolve()) or
                        real_read_bytes(self, *a, **k))
    monkeypatch.setattr(audit, "events", lambda *a, **k: pytest.fail("the lock check read the whole audit log"))
    assert users.locked_until("li", tmp_path) is None
    assert _try("li", "wrong", tmp_path) == "bad"
    assert users.locked_until("li", tmp_path) is not None
    assert _try("li", RIGHT, tmp_path) == "locked"
    assert log.resolve() not in read
    assert sum(p.stat().st_size for p in set(read) if p.exists()) < 64_000  # users.json and small state only


def test_failure_state_is_private(tmp_path):
    users.add("li", RIGHT, "leader", ["990100000000"], root=tmp_path)
    _try("li", "wrong", tmp_path)
    folder = users.failures_dir(tmp_path)
    state = [p for p in folder.rglob("*") if p.is_file()]
    assert state and stat.S_IMODE(folder.stat().st_mode) == 0o700
    for p in state:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert not any("li" in p.name for p in state)  # file names do not carry user names


def test_no_audit_event_is_longer_than_a_few_kilobytes(tmp_path):
    # Whatever reaches the log (a page path typed into the URL, an error excerpt), one line stays small.
    event = audit.record("refused", user="u" * 10_000, what="/" + "x" * 1_000_000, detail="d" * 100_000,
                         scope=("99" * 5_000,), root=tmp_path)
    line = audit.log_path(tmp_path).read_bytes()
    assert len(line) < 8_000 and json.loads(line)["what"] == event["what"]
    assert event["what"].startswith("/xxx") and event["user"] == "u" * users.MAX_USERNAME
