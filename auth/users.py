"""Local users file with argon2id password hashes, for small deployments (本地用户).

The file lives in the data folder (<data dir>/auth/users.json, mode 600), never in the repository.
Each user: username, display_name, role, scope (region codes; none = sees nothing), disabled,
password_hash, created_at, password_set_at, sso (an OIDC e-mail/subject mapped to this user, optional).
Failed sign-ins are rate-limited: after MAX_FAILURES failures within LOCK_MINUTES the account refuses
sign-in until the window has passed. Recent failures are kept per user in small files under
<data dir>/auth/failures (mode 700/600), checked and updated under a file lock (see `authenticate`);
the audit log records every attempt but is never read to decide.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from auth import audit
from auth.roles import role as get_role
from settings import data_dir

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 8
MAX_USERNAME = 64  # characters, after stripping spaces
MAX_PASSWORD = 256
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
    # The department the user works for (config/departments.csv), "" for none: it decides whose follow-up
    # queue and which leaders' instructions are theirs to answer.
    department: str = ""

    def public(self) -> dict:
        """What the session keeps (no hash)."""
        return {"username": self.username, "role": self.role, "scope": list(self.scope),
                "display_name": self.display_name or self.username, "department": self.department}


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
    if len(password) > MAX_PASSWORD:  # sign-in refuses longer ones unverified
        raise AuthError(f"密码最多 {MAX_PASSWORD} 位 / password must have at most {MAX_PASSWORD} characters")


EVERYWHERE = ""  # a scope entry that covers the whole deployment (the region prefix every code starts with)


def _check_scope(scope: list[str]) -> list[str]:
    from warehouse.queries import Scope

    codes = [str(c) for c in scope]
    if EVERYWHERE in codes:  # the whole deployment: nothing narrower beside it means anything
        return [EVERYWHERE]
    Scope.of(*codes) if codes else None  # raises on an invalid code
    return codes


def _check_department(department: str) -> str:
    """A department's canonical name from config/departments.csv (an alias is accepted); "" for none."""
    department = (department or "").strip()
    if not department:
        return ""
    from etl.contracts import departments

    names = departments()
    if department not in names:
        raise AuthError(f"未知部门 unknown department: {department}（可选 choose from: {'、'.join(sorted(set(names.values())))}）")
    return names[department]


def scope_text(scope: list[str]) -> str:
    """A scope for people: its codes, 全部 for the whole deployment, 无范围 for none (sees nothing)."""
    if EVERYWHERE in scope:
        return "全部 everywhere"
    return ",".join(scope) or "（无范围 no scope）"


def add(username: str, password: str, role: str, scope: list[str], *, display_name: str = "",
        sso: str = "", department: str = "", root: Path | str | None = None, by: str = "cli") -> User:
    if not username or username != username.strip() or len(username) > MAX_USERNAME:
        raise AuthError(f"用户名须为 1–{MAX_USERNAME} 个字符、首尾无空格 / "
                        f"user name must be 1–{MAX_USERNAME} characters without surrounding spaces")
    users = load(root)
    if username in users:
        raise AuthError(f"用户已存在 user already exists: {username}")
    get_role(role)
    _check_password(password)
    user = User(username, role, _check_scope(scope), display_name, False, _HASHER.hash(password), _now(), _now(),
                sso, _check_department(department))
    users[username] = user
    _save(users, root)
    audit.record("user_admin", user=by, what=f"add {username} role={role}", scope=tuple(scope), root=root)
    return user


def update(username: str, *, root: Path | str | None = None, by: str = "cli", password: str | None = None,
           disabled: bool | None = None, role: str | None = None, scope: list[str] | None = None,
           department: str | None = None) -> User:
    """Disable/enable, reset the password, change role, scope or department."""
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
    if department is not None:
        u.department = _check_department(department)
        changes.append(f"department={u.department or '(none)'}")
    _save(users, root)
    audit.record("user_admin", user=by, what=f"{username}: {'; '.join(changes)}", root=root)
    if password is not None or disabled or role is not None or scope is not None or department is not None:
        # Whoever is signed in as this user must sign in again under the new password, role or scope.
        from auth import sessions

        sessions.revoke_user(username, "; ".join(changes), root=root)
    return u


def _now_dt() -> datetime:
    return datetime.now(UTC)


def failures_dir(root: Path | str | None = None) -> Path:
    """<data dir>/auth/failures (mode 700): recent failed sign-ins per user, in 256 small bucket files."""
    return data_dir(root) / "auth" / "failures"


@contextmanager
def _bucket(username: str, root: Path | str | None = None):
    """Hold the exclusive lock of the user's bucket; yields the bucket's state file.

    flock locks an open file description, so threads of one app process exclude each other as well as
    other processes: check → verify → record runs for one user at a time. The bucket is a hash of the
    name, so file names carry no user names and there are at most 256 of each file.
    """
    folder = failures_dir(root)
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    key = hashlib.sha256(username.encode("utf-8")).hexdigest()[:2]
    fd = os.open(folder / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder / f"{key}.json"
    finally:
        os.close(fd)  # releases the lock


def _read_failures(path: Path) -> dict[str, list[str]]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_failures(path: Path, state: dict[str, list[str]]) -> None:
    tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(state, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _recent(times: list[str], now: datetime) -> list[datetime]:
    """Failure times within the lock window, oldest first."""
    window = now - timedelta(minutes=LOCK_MINUTES)
    out = []
    for t in times:
        try:
            at = datetime.fromisoformat(t)
        except (TypeError, ValueError):
            continue
        if window <= at <= now:
            out.append(at)
    return sorted(out)


def _lock_end(times: list[str], now: datetime) -> datetime | None:
    recent = _recent(times, now)
    if len(recent) >= MAX_FAILURES:
        return recent[-MAX_FAILURES] + timedelta(minutes=LOCK_MINUTES)
    return None


def locked_until(username: str, root: Path | str | None = None, now: datetime | None = None) -> datetime | None:
    """When the account's lock ends, if MAX_FAILURES failed sign-ins fell within the last LOCK_MINUTES.

    Reads the user's small bucket file (a few hundred bytes), never the audit log.
    """
    name = (username or "").strip()
    if len(name) > MAX_USERNAME:
        return None
    key = hashlib.sha256(name.encode("utf-8")).hexdigest()[:2]
    state = _read_failures(failures_dir(root) / f"{key}.json")
    return _lock_end(state.get(name, []), now or _now_dt())


def authenticate(username: str, password: str, root: Path | str | None = None) -> User:
    """The user, if the password matches and the account is enabled and not locked; else AuthError.

    Every outcome is written to the audit log. A name over MAX_USERNAME or a password over MAX_PASSWORD
    characters is refused unverified (no account has one), and only its first MAX_USERNAME characters are
    logged. Lock check, password check and the record of a failure happen under the user's lock, so at
    most MAX_FAILURES wrong passwords are verified per window however many arrive at once.
    """
    name = (username or "").strip()
    password = password or ""
    if len(name) > MAX_USERNAME or len(password) > MAX_PASSWORD:
        audit.record("login_failed", user=name[:MAX_USERNAME], ok=False, detail="input too long", root=root)
        raise AuthError(f"用户名或密码过长（用户名最多 {MAX_USERNAME} 个字符，密码最多 {MAX_PASSWORD} 个）/ "
                        f"user name or password too long (at most {MAX_USERNAME} and {MAX_PASSWORD} characters)")
    with _bucket(name, root) as state_path:
        now = _now_dt()
        state = _read_failures(state_path)
        until = _lock_end(state.get(name, []), now)
        if until is not None:
            audit.record("login_locked", user=name, ok=False, root=root)
            at = until.astimezone().strftime("%H:%M")
            raise AuthError(f"失败次数过多，账户已暂时锁定，请于 {at} 后再试 / "
                            f"too many failed sign-ins; try again after {at}")
        user = load(root).get(name)
        try:
            _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
            ok = user is not None and not user.disabled
        except (VerificationError, InvalidHashError):
            ok = False
        # Drop names whose failures have all left the window, so a bucket stays small.
        kept = {k: [t.isoformat() for t in _recent(v, now)] for k, v in state.items() if k != name}
        kept = {k: v for k, v in kept.items() if v}
        if not ok:
            kept[name] = [t.isoformat() for t in _recent(state.get(name, []), now)] + [now.isoformat()]
            _write_failures(state_path, kept)
            reason = "disabled" if user is not None and user.disabled else "bad credentials"
            audit.record("login_failed", user=name, ok=False, detail=reason, root=root)
            raise AuthError("用户名或密码错误，或账户已停用 / wrong user name or password, or account disabled")
        if name in state:
            _write_failures(state_path, kept)
    audit.record("login", user=user.username, role=user.role, scope=tuple(user.scope), root=root)
    return user


def by_sso(identity: str, root: Path | str | None = None) -> User | None:
    """The enabled local user mapped to an OIDC identity (e-mail or subject), if any."""
    for u in load(root).values():
        if u.sso and u.sso == identity and not u.disabled:
            return u
    return None
