"""Append-only audit log (审计日志): logins, views of a child's file, exports and uploads.

One JSON object per line in <data dir>/audit/audit.jsonl: at (UTC ISO), user, role, action, what,
scope (region prefixes), ok, detail. Lines are only ever appended (O_APPEND, one write per event, fsync),
never rewritten. It holds no child's name or ID number: a file view records the child's person_key.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from settings import data_dir, private_dir

ACTIONS = {
    "login": "登录", "login_failed": "登录失败", "login_locked": "登录被锁定", "logout": "退出",
    "view_child": "查看儿童档案", "export": "导出", "upload": "上传", "refused": "拒绝访问",
    "user_admin": "用户管理", "land": "导入数据", "withdraw": "撤回导入", "rebuild": "重建数据仓库",
    "job": "后台任务", "signoff_confirm": "数据确认", "signoff_return": "数据退回",
    "followup": "督办", "instruction_issue": "下达批示", "instruction_answer": "答复批示",
    "instruction_close": "批示办结", "instruction_reopen": "批示重开",
}


# Longest text kept per field: anything from outside (a typed user name, a URL path, an error excerpt)
# is cut, so no event can grow the log by more than a few kilobytes.
MAX_USER_CHARS = 64
MAX_TEXT_CHARS = 1000


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def log_path(root: Path | str | None = None) -> Path:
    return data_dir(root) / "audit" / "audit.jsonl"


def record(action: str, *, user: str | None, role: str | None = None, what: str = "",
           scope: tuple[str, ...] | list[str] = (), ok: bool = True, detail: str = "",
           root: Path | str | None = None) -> dict:
    """Append one event (and return it)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": (user or "")[:MAX_USER_CHARS], "role": (role or "")[:MAX_USER_CHARS], "action": action,
        "what": _cut(str(what), MAX_TEXT_CHARS),
        "scope": _cut(",".join(p or "全部" for p in scope), MAX_TEXT_CHARS), "ok": bool(ok),
        "detail": _cut(str(detail), MAX_TEXT_CHARS),
    }
    path = log_path(root)
    private_dir(path.parent, top=data_dir(root))  # 0700: the log names users and what they opened
    line = (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    return event


def events(root: Path | str | None = None) -> pd.DataFrame:
    """The whole log as a frame, newest first (a torn last line from a crash is skipped)."""
    path = log_path(root)
    rows = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    cols = ["at", "user", "role", "action", "what", "scope", "ok", "detail"]
    df = pd.DataFrame(rows, columns=cols)
    df["action_label"] = df["action"].map(ACTIONS)
    return df.iloc[::-1].reset_index(drop=True)
