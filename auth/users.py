"""Local users file with argon2id password hashes, for small deployments (本地用户).

The file lives in the data folder (<data dir>/auth/users.json, mode 600), never in the repository.
Each user: username, display_name, role, scope (region codes; none = sees nothing), disabled,
password_hash, created_at, password_set_at, sso (an OIDC e-mail/subject mapped to this user, optional).
Failed sign-ins are rate-limited from the audit log: after MAX_FAILURES failures within
LOCK_MINUTES the account refuses sign-in until the window has passed.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from auth import audit
from auth.roles import role as get_role
from etl.land import data_dir

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 8
_HASHER = PasswordHasher()  # argon2id, salted, library defaults
# Verified against when the user does not exist, so timing does not tell which names exist.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")


class AuthError(Exception):
    """A refused sign-in or user-file operation; the message is bilingual."""


@dataclass
class User:
    username: str
    role: str
    scope: list[str] = field(default_factory=list)
    display_name: str = ""
    disabled: bool = False
    password_hash: str = ""
    created_at: str = ""
    password_set_at: str = ""
    sso: str = ""

    def public(self) -> dict:
        """What the session keeps (no hash)."""
        return {"username": self.username, "role": self.role, "scope": list(self.scope),
                "display_name": self.display_name or self.username}


def users_path(root: Path | str | None = None) -> Path:
    return data_dir(root) / "auth" / "users.json"


def load(root: Path | str | None = None) -> dict[str, User]:
    path = users_path(root)
    if not path.exists():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {u["username"]: User(**u) for u in raw.get("users", [])}


def _save(users: dict[str, User], root: Path | str | None = None) -> None:
    path = users_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"users": [asdict(u) for u in users.values()]}, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"密码至少 {MIN_PASSWORD} 位 / password must have at least {MIN_PASSWORD} characters")


def _check_scope(scope: list[str]) -> list[str]:
    from warehouse.queries import Scope

    Scope.of(*scope) if scope else None  # raises on an invalid code
    return [str(c) for c in scope]


def add(username: str, password: str, role: str, scope: list[str], *, display_name: str = "",
        sso: str = "", root: Path | str | None = None, by: str = "cli") -> User:
    users = load(root)
    if username in users:
        raise AuthError(f"用户已存在 user already exists: {username}")
    get_role(role)
    _check_password(password)
    user = User(username, role, _check_scope(scope), display_name, False, _HASHER.hash(password), _now(), _now(),
                sso)
    users[username] = user
    _save(users, root)
    audit.record("user_admin", user=by, what=f"add {username} role={role}", scope=tuple(scope), root=root)
    return user


def update(username: str, *, root: Path | str | None = None, by: str = "cli", password: str | None = None,
           disabled: bool | None = None, role: str | None = None, scope: list[str] | None = None) -> User:
    """Disable/enable, reset the password, change role or scope."""
    users = load(root)
    if username not in users:
        raise AuthError(f"无此用户 no such user: {username}")
    u = users[username]
    changes = []
    if password is not None:
        _check_password(password)
        u.password_hash, u.password_set_at = _HASHER.hash(password), _now()
        changes.append("reset password")
    if disabled is not None:
        u.disabled = disabled
        changes.append("disable" if disabled else "enable")
    if role is not None:
        get_role(role)
        u.role = role
        changes.append(f"role={role}")
    if scope is not None:
        u.scope = _check_scope(scope)
        changes.append(f"scope={','.join(scope) or '(none)'}")
    _save(users, root)
    audit.record("user_admin", user=by, what=f"{username}: {'; '.join(changes)}", root=root)
    if password is not None or disabled or role is not None or scope is not None:
        # Whoever is signed in as this user must sign in again under the new password, role or scope.
        from auth import sessions

        sessions.revoke_user(username, "; ".join(changes), root=root)
    return u


def locked_until(username: str, root: Path | str | None = None, now: datetime | None = None) -> datetime | None:
    """When the account's lock ends, if MAX_FAILURES failed sign-ins fell within the last LOCK_MINUTES."""
    now = now or datetime.now(UTC)
    window = now - timedelta(minutes=LOCK_MINUTES)
    failures = []
    log = audit.events(root)
    for e in log[log["user"] == username].itertuples():  # newest first
        at = datetime.fromisoformat(e.at)
        if at < window or e.action == "login":
            break
        if e.action == "login_failed":
            failures.append(at)
    if len(failures) >= MAX_FAILURES:
        return failures[MAX_FAILURES - 1] + timedelta(minutes=LOCK_MINUTES)
    return None


def authenticate(username: str, password: str, root: Path | str | None = None) -> User:
    """The user, if the password matches and the account is enabled and not locked; else AuthError.

    Every outcome is written to the audit log.
    """
    username = (username or "").strip()
    until = locked_until(username, root)
    if until is not None:
        audit.record("login_locked", user=username, ok=False, root=root)
        raise AuthError(f"失败次数过多，账户已暂时锁定，请于 {until.astimezone().strftime('%H:%M')} 后再试 / "
                        f"too many failed sign-ins; try again after {until.astimezone().strftime('%H:%M')}")
    user = load(root).get(username)
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password or "")
        ok = user is not None and not user.disabled
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        reason = "disabled" if user is not None and user.disabled else "bad credentials"
        audit.record("login_failed", user=username, ok=False, detail=reason, root=root)
        raise AuthError("用户名或密码错误，或账户已停用 / wrong user name or password, or account disabled")
    audit.record("login", user=username, role=user.role, scope=tuple(user.scope), root=root)
    return user


def by_sso(identity: str, root: Path | str | None = None) -> User | None:
    """The enabled local user mapped to an OIDC identity (e-mail or subject), if any."""
    for u in load(root).values():
        if u.sso and u.sso == identity and not u.disabled:
            return u
    return None
