"""User-facing errors: a code, a Chinese message and an English one, never a traceback."""
from __future__ import annotations


class UserError(Exception):
    """A problem told to the user as it is: a code, a Chinese message and an English one."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(f"{code}: {en}")
        self.code, self.zh, self.en = code, zh, en

    def __str__(self) -> str:
        return f"{self.zh} / {self.en} [{self.code}]"


class ExtractError(UserError):
    """A file-level problem: nothing from this file is written."""
