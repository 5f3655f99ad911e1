"""Where a deployment keeps its things, read by every package and importing none of them.

- The data folder (数据目录): `data_dir()` — an argument, else $TONGXIN_DATA_DIR, else ./data. Landed
  extracts, snapshots, users, sessions, the audit log and the key live there; `lock(root)` serialises the
  processes that change it.
- The config folder: `config_dir()` — $TONGXIN_CONFIG_DIR, else the repository's config/; `settings()` is
  its settings.yaml (thresholds, session timeouts, the DuckDB memory limit, the tile URL, landing limits).
- The ID-hash key (身份证号哈希密钥): $TONGXIN_SECRET, else <data folder>/secret.key (mode 600), never in the
  repository. `create_secret_key` makes one for `etl init`/`etl init-demo`; a landing never does.

It sits below auth, etl, geo, report, ui and warehouse, so that none of them reaches into another for these.
It also makes the data folder's private files and folders (`private_dir`, `open_private`, `make_private`):
0700 folders and 0600 files whatever the umask.
"""
from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import yaml

DATA_DIR_ENV = "TONGXIN_DATA_DIR"
CONFIG_DIR_ENV = "TONGXIN_CONFIG_DIR"
SECRET_ENV = "TONGXIN_SECRET"
REPO_DIR = Path(__file__).resolve().parent


def data_dir(override: Path | str | None = None) -> Path:
    """The data folder: argument, else TONGXIN_DATA_DIR, else ./data."""
    return Path(override or os.environ.get(DATA_DIR_ENV) or "data").resolve()


def config_dir() -> Path:
    """The deployment's config folder: TONGXIN_CONFIG_DIR, else the repository's config/."""
    return Path(os.environ.get(CONFIG_DIR_ENV) or REPO_DIR / "config")


_SETTINGS: dict[tuple, dict] = {}
T = TypeVar("T")


def settings() -> dict:
    """config/settings.yaml (or $TONGXIN_CONFIG_DIR/settings.yaml), as it is now on disk.

    Parsed again whenever the file changes (path, size, mtime), not on every call: the query door asks for
    the small-number threshold on every query, and parsing YAML cost more than most queries.
    """
    return dict(read_when_changed(config_dir() / "settings.yaml", _SETTINGS,
                                  lambda p: yaml.safe_load(p.read_text(encoding="utf-8")) or {}) or {})


_MISSING = object()


def read_when_changed(path: Path, cache: dict, parse: Callable[[Path], T]) -> T | None:
    """parse(path), kept in `cache` (one entry) until the file changes (path, size, mtime); None without a file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    key = (str(path), st.st_size, st.st_mtime_ns)
    value = cache.get(key, _MISSING)
    if value is _MISSING:  # the local, not cache[key]: another thread may clear the cache in between
        value = parse(path)
        cache.clear()
        cache[key] = value
    return value


class UserError(Exception):
    """A problem told to the user as it is: a code, a Chinese message and an English one, never a traceback.
    It lives here, at the bottom, because settings raises one (KeyMissing) and imports nothing of the project."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(f"{code}: {en}")
        self.code, self.zh, self.en = code, zh, en

    def __str__(self) -> str:
        return f"{self.zh} / {self.en} [{self.code}]"


class KeyMissing(UserError):
    """No usable ID-hash key."""


def key_available(root: Path | str | None = None) -> bool:
    """Whether the deployment has its key (without reading it)."""
    return bool(os.environ.get(SECRET_ENV)) or (data_dir(root) / "secret.key").is_file()


def secret_key(root: Path) -> bytes:
    """The deployment's HMAC key: TONGXIN_SECRET, else data/secret.key (mode 600). Raises KeyMissing.

    Never created silently while landing: a missing key is an error (auth/keys.py says what to do);
    `etl init` (a real deployment, with a warning to back it up) and `etl init-demo` make a random one
    (`create_secret_key`).
    """
    env = os.environ.get(SECRET_ENV)
    if env:
        return env.encode()
    path = Path(root) / "secret.key"
    if not path.exists():
        raise KeyMissing(
            "NO_SECRET", "缺少身份证号哈希密钥：请设置环境变量 TONGXIN_SECRET，或在数据目录放置 secret.key（权限 600）",
            "the ID-hash key is missing: set TONGXIN_SECRET or put secret.key (mode 600) in the data folder")
    key = path.read_text().strip().encode()
    if not key:  # an empty key would hash ID numbers with no secret at all
        raise KeyMissing("NO_SECRET", f"身份证号哈希密钥文件为空：{path}（请从备份恢复）",
                         f"the ID-hash key file is empty: {path} (restore it from the backup)")
    return key


def create_secret_key(root: Path) -> Path:
    """A random key in data/secret.key (mode 600) unless one exists (never overwritten: the linkage of every
    landed period depends on it). Called by `etl init` and `etl init-demo`, never by a landing."""
    root = Path(root)
    path = root / "secret.key"
    if not path.exists():
        private_dir(root)
        # Written whole under a temporary name, then linked into place: a crash never leaves an empty key
        # (which would hash with no secret at all), and a key made meanwhile by another process wins.
        tmp = root / f".secret.key.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        with os.fdopen(open_private(tmp), "w") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path


@contextmanager
def lock(root: Path) -> Iterator[None]:
    """The data folder's lock (landed/.lock): one landing, withdrawal or boundary change at a time."""
    root = Path(root)
    private_dir(root / "landed", root)  # the data folder and landed/ are 0700, whatever the umask
    with os.fdopen(open_private(root / "landed" / ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# ---- private files: what holds children's data is readable by the service account alone --------------
# Files are created 0600 and folders 0700 whatever the process umask: os.open's and mkdir's modes are
# filtered by the umask, so each is chmod-ed right after creation. The umask itself is left alone (the app
# server creates files from several threads; changing a process-wide setting would race with them).
FILE_MODE = 0o600
DIR_MODE = 0o700


def _chmod_own(path: Path, mode: int) -> None:
    """chmod a path this process owns (a folder an administrator made for us is theirs to set)."""
    if path.stat().st_uid == os.geteuid():
        os.chmod(path, mode)


def private_dir(path: Path | str, top: Path | str | None = None) -> Path:
    """Create `path` (and its missing parents) as 0700 folders; folders between `top` and `path` and
    `path` itself are made 0700 even if they existed (top is the data folder: it is private too)."""
    path = Path(path)
    top = Path(top) if top is not None else path
    chain = [path, *path.parents]
    inside = chain[: chain.index(top) + 1] if top in chain else [path]
    for folder in reversed(chain):
        if not folder.exists():
            try:
                folder.mkdir(mode=DIR_MODE)
            except FileExistsError:  # made meanwhile by another process
                pass
            _chmod_own(folder, DIR_MODE)
        elif folder in inside:
            _chmod_own(folder, DIR_MODE)
    return path


def append_line(path: Path | str, line: bytes) -> None:
    """Append one line to an append-only event file (0600 whatever the umask), fsync'd. A torn last line (a
    crash mid-write) must not swallow it: it then starts on a line of its own. Read-write, not
    open_private's write-only, so the last byte can be checked."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def open_private(path: Path | str, append: bool = False) -> int:
    """A file descriptor for writing a 0600 file (truncated, or appended to), whatever the umask."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # also narrows a file an older version created world-readable
    return fd


def make_private(path: Path | str) -> None:
    """Narrow an existing file (written by a library that opens its own files) or folder tree to 0600/0700."""
    path = Path(path)
    if path.is_dir():
        _chmod_own(path, DIR_MODE)
        for p in path.rglob("*"):
            if not p.is_symlink():
                _chmod_own(p, DIR_MODE if p.is_dir() else FILE_MODE)
    elif path.exists():
        _chmod_own(path, FILE_MODE)
