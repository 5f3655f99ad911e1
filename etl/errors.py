"""User-facing errors: a code, a Chinese message and an English one, never a traceback."""
from __future__ import annotations

from settings import UserError


class ExtractError(UserError):
    """A file-level problem: nothing from this file is written."""
