"""Local users, argon2 hashes, rate-limited sign-in, the audit log, the CLI, and the ID-hash key rule."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from auth import audit, users
from auth.users import MAX_FAILURES, AuthError

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def test_users_file_holds_salted_argon2_hashes_only(tmp_path):
    users.add("li", "correct horse", "leader", ["990100000000"], root=tmp_path)
    users.add("wang", "correct horse", "planner", ["990100000000"], root=tmp_path)
    path = users.users_path(tmp_path)
    raw = path.read_text(encoding="utf-8")
    assert "correct horse" not in raw
    hashes = [u["password_hash"] for u in json.loads(raw)["users"]]
    assert all(h.startswith("$argon2id$") for h in hashes) and hashes[0] != hashes[1]  # salted
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert users.authenticate("li", "correct horse", root=tmp_path).role == "leader"


def test_wrong_password_disabled_user_and_lockout_are_refused_and_logged(tmp_path):
    users.add("li", "correct horse", "leader", ["990100000000"], root=tmp_path)
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError, match="wrong user name or password"):
            users.authenticate("li", "wrong", root=tmp_path)
    # Locked: even the right password is refused for a while.
    with pytest.raises(AuthError, match="too many failed sign-ins"):
        users.authenticate("li", "correct horse", root=tmp_path)
    log = audit.events(tmp_path)
    assert (log.action == "login_failed").sum() == MAX_FAILURES and (log.action == "login_locked").sum() == 1
    later = datetime.now(UTC) + timedelta(minutes=users.LOCK_MINUTES + 1)
    assert users.locked_until("li", tmp_path, now=later) is None  # the lock expires

    users.update("li", disabled=True, root=tmp_path)
    assert users.locked_until("li", tmp_path, now=later) is None
    with pytest.raises(AuthError):
        users.authenticate("nobody", "correct horse", root=tmp_path)
    assert "password" not in (audit.log_path(tmp_path).read_text(encoding="utf-8").lower().replace("password:", ""))


def test_audit_log_is_append_only(tmp_path):
    audit.record("export", user="li", role="leader", what="表", scope=("9901",), root=tmp_path)
    first = audit.log_path(tmp_path).read_bytes()
    audit.record("upload", user="li", role="leader", what="表2", root=tmp_path)
    assert audit.log_path(tmp_path).read_bytes().startswith(first)
    with pytest.raises(ValueError):
        audit.record("delete_everything", user="li", root=tmp_path)
    assert list(audit.events(tmp_path).action) == ["upload", "export"]


def test_cli_adds_disables_resets_and_exports(tmp_path):
    env = {**os.environ, "TONGXIN_DATA_DIR": str(tmp_path)}

    def cli(*args, stdin=""):
        return subprocess.run([sys.executable, "-m", "auth", *args], check=False, input=stdin, text=True,
                              capture_output=True,
                              cwd=ROOT, env=env, timeout=60)

    assert cli("add", "zhao", "--role", "county_officer", "--scope", "990102000000", stdin="s3cret-pass\n").returncode == 0
    assert users.authenticate("zhao", "s3cret-pass", root=tmp_path).scope == ["990102000000"]
    bad = cli("add", "qian", "--role", "emperor", stdin="s3cret-pass\n")
    assert bad.returncode != 0
    short = cli("add", "sun", "--role", "leader", stdin="short\n")
    assert short.returncode == 1 and "至少" in short.stderr and "at least" in short.stderr
    assert cli("disable", "zhao").returncode == 0
    with pytest.raises(AuthError):
        users.authenticate("zhao", "s3cret-pass", root=tmp_path)
    assert cli("enable", "zhao").returncode == 0 and cli("reset", "zhao", stdin="n3w-password\n").returncode == 0
    assert users.authenticate("zhao", "n3w-password", root=tmp_path)
    out = tmp_path / "audit.csv"
    assert cli("audit", "--csv", str(out)).returncode == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "user_admin" in text and "login" in text and "n3w-password" not in text


def test_sign_in_form_for_any_url_and_sign_in(data_dir):
    """The form posts to /auth/signin, which sets the session cookie (tests/test_session_web.py); a failed
    sign-in comes back as ?e=… and shows a fixed message, never what was typed."""
    from tests.files import signed_in

    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("登录" in t.value for t in at.subheader)
    assert not at.metric and not at.dataframe  # nothing before signing in
    form = at.get("html")[0].proto.body
    assert 'action="/auth/signin"' in form and "用户名 User name" in form and "密码 Password" in form
    at.query_params["e"] = "bad"
    at.run()
    assert any("wrong user name or password" in e.value for e in at.error)
    signed_in(at, "leader").run()  # a session record, as the route makes it
    assert not at.exception and at.button(key="sign_out")  # signed in: the leader's first page
    assert at.session_state["tongxin_user"]["role"] == "leader"


def test_session_expires_after_idle_time(data_dir):
    import sqlite3

    from auth import sessions
    from tests.files import signed_in

    at = signed_in(AppTest.from_file(APP, default_timeout=60)).run()
    assert at.button(key="sign_out")
    record = sessions.hash_token(at.session_state["tongxin_test_session_token"])
    with sqlite3.connect(sessions.path()) as con:  # last used 31 minutes ago
        con.execute("update sessions set last_seen = last_seen - 31 * 60 where token_hash = ?", (record,))
    at.run()
    assert "tongxin_user" not in at.session_state and not any(b.key == "sign_out" for b in at.button)
    assert any("会话已过期" in i.value for i in at.info)
    assert sessions.get(record).revoked is not None


def test_real_data_without_the_id_key_is_refused(root, tmp_path, monkeypatch):
    """Landing real data needs the key; the demo creates its own; the app refuses to serve real data without it."""
    from etl.errors import ExtractError
    from etl.land import land
    from tests.files import write_register_csv

    monkeypatch.delenv("TONGXIN_SECRET")
    extract = write_register_csv(tmp_path / "台账.csv")
    with pytest.raises(ExtractError) as e:
        land("civil_register", extract, "2026H1", root=root)
    assert "TONGXIN_SECRET" in str(e.value) and "密钥" in str(e.value)
    assert not (root / "secret.key").exists()


def test_app_refuses_to_serve_real_data_without_the_key(data_dir, tmp_path, monkeypatch):
    import duckdb

    from warehouse.build import published

    copy = tmp_path / "data"
    (copy / "snapshots").mkdir(parents=True)
    snap = published(data_dir)
    target = copy / "snapshots" / snap.name
    target.write_bytes(snap.read_bytes())
    (copy / "snapshots" / "CURRENT").write_text(snap.name)
    con = duckdb.connect(str(target))
    con.execute("update meta set is_demo = false")
    con.close()
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(copy))
    monkeypatch.delenv("TONGXIN_SECRET")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert any("TONGXIN_SECRET" in e.value for e in at.error)
    assert not at.text_input  # no sign-in form, no data
