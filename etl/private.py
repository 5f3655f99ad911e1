"""Private files: what holds children's data (landed and rejected rows with names and ID numbers, person
files, snapshots, load logs, demo extracts) is readable by the service account alone.

Files are created 0600 and folders 0700 whatever the process umask: os.open's and mkdir's modes are
filtered by the umask, so each is chmod-ed right after creation. The umask itself is left alone (the app
server creates files from several threads; changing a process-wide setting would race with them).
"""
from __future__ import annotations

import os
from pathlib import Path

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
