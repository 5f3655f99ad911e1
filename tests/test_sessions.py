"""Server-side sign-in sessions: hashed tokens in a private file, timeouts, revocation by user changes."""
from __future__ import annotations

import stat
import time

import pytest

from auth import sessions, users


@pytest.fixture()
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(tmp_path))
    users.add("amy", "correct-horse", "leader", ["990100"], root=tmp_path)
    users.add("bob", "correct-horse", "planner", ["990100"], root=tmp_path)
    return tmp_path


@pytest.fixture()
def limits(tmp_path, monkeypatch):
    """Write a settings.yaml with the given timeouts (minutes, hours) and point the app at it."""
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setenv("TONGXIN_CONFIG_DIR", str(folder))

    def write(idle_minutes: float, max_hours: float) -> None:
        (folder / "settings.yaml").write_text(
            f"session_idle_minutes: {idle_minutes}\nsession_max_hours: {max_hours}\n", encoding="utf-8")

    write(30, 8)
    return write


def test_token_is_stored_hashed_in_a_private_file(root):
    token = sessions.create("amy", root=root)
    assert len(token) >= 43  # 256 bits, URL-safe base64
    path = sessions.path(root)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert token.encode() not in raw
    assert sessions.hash_token(token).encode() in raw
    record, reason = sessions.check(token, root=root)
    assert reason is None and record.username == "amy" and record.id == sessions.hash_token(token)


def test_tokens_are_random_and_unknown_tokens_refused(root):
    a, b = sessions.create("amy", root=root), sessions.create("amy", root=root)
    assert a != b
    assert sessions.check("x" * 43, root=root) == (None, "missing")
    assert sessions.check(None, root=root) == (None, "missing")
    assert sessions.check("", root=root) == (None, "missing")


def test_idle_timeout_and_touch(root, limits):
    limits(30, 8)
    t0 = 1_000_000.0
    token = sessions.create("amy", root=root, now=t0)
    assert sessions.check(token, root=root, now=t0 + 29 * 60)[1] is None  # counts as activity
    # 29 + 29 minutes after sign-in, but only 29 idle: still valid
    assert sessions.check(token, root=root, now=t0 + 58 * 60, touch=False)[1] is None
    # a check that does not count as activity leaves last_seen where it was, and changes nothing
    assert sessions.check(token, root=root, now=t0 + 60 * 60, touch=False)[1] == "idle"
    assert sessions.get(sessions.hash_token(token), root=root).revoked is None
    # the rerun that finds it ended ends it
    assert sessions.check(token, root=root, now=t0 + 60 * 60)[1] == "idle"
    # and an expired record stays ended even if the limit is raised afterwards
    limits(600, 8)
    assert sessions.check(token, root=root, now=t0 + 61 * 60)[1] == "revoked"


def test_absolute_timeout(root, limits):
    limits(30, 1)
    t0 = 2_000_000.0
    token = sessions.create("amy", root=root, now=t0)
    for minutes in range(10, 60, 10):
        assert sessions.check(token, root=root, now=t0 + minutes * 60)[1] is None
    assert sessions.check(token, root=root, now=t0 + 61 * 60)[1] == "max"


def test_settings_change_takes_effect_at_next_check(root, limits):
    token = sessions.create("amy", root=root)
    assert sessions.check(token, root=root)[1] is None
    limits(0.0001, 8)  # 6 ms idle
    time.sleep(0.05)
    assert sessions.check(token, root=root)[1] == "idle"


def test_sign_out_revokes_one_record(root):
    one, two = sessions.create("amy", root=root), sessions.create("amy", root=root)
    sessions.revoke(one, root=root)
    assert sessions.check(one, root=root)[1] == "revoked"
    assert sessions.check(two, root=root)[1] is None


@pytest.mark.parametrize("change", [
    {"disabled": True},
    {"role": "planner"},
    {"scope": ["990102"]},
    {"password": "another-password"},
])
def test_user_changes_revoke_all_their_sessions(root, change):
    amy = [sessions.create("amy", root=root) for _ in range(2)]
    bob = sessions.create("bob", root=root)
    users.update("amy", root=root, **change)
    assert [sessions.check(t, root=root)[1] for t in amy] == ["revoked", "revoked"]
    assert sessions.check(bob, root=root)[1] is None


def test_enabling_a_user_does_not_revoke(root):
    token = sessions.create("amy", root=root)
    users.update("amy", root=root, disabled=False)
    assert sessions.check(token, root=root)[1] is None


def test_binding_of_streamlit_sessions():
    sessions.bind("st-1", "rec-a")
    assert sessions.bound("st-1") == "rec-a"
    sessions.unbind("st-1")
    assert sessions.bound("st-1") is None
