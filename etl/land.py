"""Landing: accepted rows become immutable, content-addressed Parquet; rejected rows sit beside them.

Layout and load-log format: see DESIGN-INTERFACES.md. A file-level failure writes nothing.
Landing an identical file again is a no-op; a new file for the same (source, period) supersedes the
earlier one at build time (the load log keeps the history).
"""
from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .contracts import GRAIN_ZH, PERIOD_EXAMPLE, get_source, parse_period, period_from_filename
from .crash import checkpoint
from .errors import ExtractError
from .private import open_private, private_dir
from .read import read_extract
from .validate import REJECT_COLUMNS, RegionIndex, validate

DATA_DIR_ENV = "TONGXIN_DATA_DIR"


def data_dir(override: Path | str | None = None) -> Path:
    """The data folder: argument, else TONGXIN_DATA_DIR, else ./data."""
    return Path(override or os.environ.get(DATA_DIR_ENV) or "data").resolve()


def landed_dir(root: Path) -> Path:
    return root / "landed"


def load_log_path(root: Path) -> Path:
    return landed_dir(root) / "load_log.jsonl"


def secret_key(root: Path) -> bytes:
    """The deployment's HMAC key: TONGXIN_SECRET, else data/secret.key (mode 600).

    Never created silently for real data: a missing key is an error (see auth/keys.py); only the demo
    (`create_secret_key`, called by `etl init-demo`) makes a random one.
    """
    env = os.environ.get("TONGXIN_SECRET")
    if env:
        return env.encode()
    path = root / "secret.key"
    if not path.exists():
        raise ExtractError(
            "NO_SECRET", "缺少身份证号哈希密钥：请设置环境变量 TONGXIN_SECRET，或在数据目录放置 secret.key（权限 600）",
            "the ID-hash key is missing: set TONGXIN_SECRET or put secret.key (mode 600) in the data folder")
    return path.read_text().strip().encode()


def create_secret_key(root: Path) -> Path:
    """A random key in data/secret.key (mode 600) unless one exists: for demo data folders only."""
    path = root / "secret.key"
    if not path.exists():
        private_dir(root)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path


@dataclass
class LoadEntry:
    load_id: str
    source: str
    period: str
    file_name: str
    sha256: str
    fmt: str
    encoding: str | None
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    status: str  # landed | all_rejected
    landed_at: str
    landed_by: str
    is_synthetic: bool
    accepted_path: str
    rejected_path: str
    person_path: str | None
    reasons: dict[str, int] | None = None  # rejected rows per reason code


def read_load_log(root: Path) -> list[dict]:
    path = load_log_path(root)
    if not path.exists():
        return []
    with path.open(encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    # A line cut short by a crash mid-append (no newline, or healed by the next append) is a landing
    # that never completed: skip it.
    out = []
    for line in lines:
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            if not line.startswith("{") or line.rstrip().endswith("}"):
                raise  # not a torn append: a damaged log must not be read past silently
    return out


def current_loads(log: list[dict]) -> dict[tuple[str, str], dict]:
    """The landing in force for each (source, period): the latest one that landed rows."""
    cur: dict[tuple[str, str], dict] = {}
    for e in log:
        if e["status"] == "landed":
            cur[(e["source"], e["period"])] = e
    return cur


@contextmanager
def _lock(root: Path):
    private_dir(landed_dir(root), top=root)  # the data folder and landed/ are 0700, whatever the umask
    with os.fdopen(open_private(landed_dir(root) / ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def region_index(root: Path) -> RegionIndex | None:
    """The region dimension from every landed region table in force (codes may change across years)."""
    files = [e["accepted_path"] for e in current_loads(read_load_log(root)).values() if e["source"] == "regions"]
    if not files:
        return None
    tables = [pq.read_table(landed_dir(root) / f, columns=["region_code", "region_name", "level", "parent_code"])
              for f in files]
    # Latest year first so a renamed region shows its newest name.
    t = pa.concat_tables(reversed(tables))
    seen, keep = set(), []
    for i, c in enumerate(t.column("region_code").to_pylist()):
        if c not in seen:
            seen.add(c)
            keep.append(i)
    return RegionIndex(t.take(keep))


def _write_parquet(table: pa.Table, path: Path) -> None:
    """Write to a temp name, fsync, then rename: a crash never leaves a half file under the final name."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with os.fdopen(open_private(tmp), "wb") as f:  # 0600: rejected and person files hold names and IDs
        pq.write_table(table, f, compression="zstd")
        f.flush()
        os.fsync(f.fileno())
    checkpoint("land:parquet_tmp_written")
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename must be on disk before the load log names the file
    finally:
        os.close(dir_fd)


def _clean_temp_files(root: Path) -> None:
    """Remove temp files a killed landing left behind (called under the lock: nobody is writing them)."""
    for p in landed_dir(root).glob("*/*/*.tmp"):
        p.unlink(missing_ok=True)


@dataclass
class LandOutcome:
    entry: LoadEntry | None
    already: dict | None = None  # the earlier landing, when this file was landed before

    @property
    def message(self) -> str:
        if self.already:
            a = self.already
            return (f"已导入过，未做任何更改 / already landed, nothing changed: {a['source']} {a['period']} "
                    f"({a['file_name']}, {a['landed_at']})")
        e = self.entry
        head = "已导入 landed" if e.status == "landed" else "全部行被拒绝，未替换已有数据 / every row rejected"
        text = (f"{head}: {e.source} {e.period} — 读取 read {e.rows_read}, 接收 accepted {e.rows_accepted}, "
                f"拒绝 rejected {e.rows_rejected}")
        if e.reasons:
            top = "；".join(f"{REASON_ZH.get(code, code)} {code} ×{n}" for code, n in list(e.reasons.items())[:5])
            text += f"\n  拒绝原因 reasons: {top}"
        return text


def _reason_counts(rejected: pa.Table) -> dict[str, int]:
    """Rejected rows per reason code, most common first."""
    if rejected.num_rows == 0:
        return {}
    counts = rejected.group_by(REJECT_COLUMNS[1]).aggregate([(REJECT_COLUMNS[1], "count")])
    pairs = zip(counts.column(REJECT_COLUMNS[1]).to_pylist(), counts.column(f"{REJECT_COLUMNS[1]}_count").to_pylist())
    return dict(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))


REASON_ZH = {
    "REQUIRED_MISSING": "必填项为空", "ID_FORMAT": "身份证号格式错误", "ID_CHECKSUM": "身份证号校验位错误",
    "ID_BIRTH": "身份证号出生日期无效", "BIRTH_MISMATCH": "出生日期与身份证号不一致",
    "SEX_MISMATCH": "性别与身份证号不一致", "NOT_CHILD": "年龄超出范围", "BAD_DATE": "日期无法识别",
    "BAD_NUMBER": "数字无效", "OUT_OF_RANGE": "数值超出范围", "BAD_ENUM": "取值不在允许范围",
    "UNKNOWN_DIVISION": "区划代码不存在", "UNRESOLVED_NAME": "街道/社区名称无法识别", "DUPLICATE_KEY": "重复记录",
    "ID_PRECISION": "身份证号被 Excel 存成数字、后几位已丢失", "CELL_TOO_LONG": "单元格内容过长",
    "EXTRA_FIELDS": "列数多于表头、各列错位", "UNKNOWN_DEPARTMENT": "单位不在部门名录中", "DATE_ORDER": "日期先后顺序不对",
}


MAX_FILE_NAME = 120  # characters of a file's name kept in the load log


def clean_file_name(name: str) -> str:
    """A file's name as data for the load log: no folders, no control characters, at most MAX_FILE_NAME
    characters (the suffix kept). An upload's name may be longer than any file system allows: files on
    disk are named after the content's sha256, never after this."""
    name = re.split(r"[/\\]", str(name))[-1]
    name = re.sub(r"[\x00-\x1f\x7f]+", " ", name).strip() or "未命名 unnamed"
    if len(name) > MAX_FILE_NAME:
        suffix = Path(name).suffix if len(Path(name).suffix) <= 10 else ""
        name = name[: MAX_FILE_NAME - 1 - len(suffix)] + "…" + suffix
    return name


def resolve_period(source_name: str, file_name: str, period: str | None) -> tuple[str, tuple]:
    src = get_source(source_name)
    p = period or period_from_filename(file_name, src.period)
    if not p:
        raise ExtractError("NO_PERIOD", f"请用 --period 指定统计期（{GRAIN_ZH[src.period]}，如 {PERIOD_EXAMPLE[src.period]}）",
                           f"give --period (a {src.period}, e.g. {PERIOD_EXAMPLE[src.period]})")
    try:
        return p.strip(), parse_period(p, src.period)  # the period names a folder: its checked form only
    except ValueError as e:
        raise ExtractError("BAD_PERIOD", str(e).split(" / ")[0], str(e).split(" / ")[-1]) from None


def _check_file(source_name: str, path: Path, period: str | None, root: Path, say, file_name: str) -> tuple:
    """Resolve source and period, hash the file, and say if an identical file was landed before."""
    try:
        source = get_source(source_name)
    except KeyError as e:
        raise ExtractError("UNKNOWN_SOURCE", str(e).strip("'\""), f"unknown source {source_name!r}") from None
    if not path.is_file():
        raise ExtractError("NO_FILE", f"找不到文件：{path}", f"file not found: {path}")
    period, (_, period_end) = resolve_period(source_name, file_name, period)
    sha = file_sha256(path)
    already = next((e for e in read_load_log(root) if e["source"] == source_name and e["sha256"] == sha), None)
    return source, period, period_end, sha, already


def _validate_file(source, path: Path, period: str, period_end, sha: str, root: Path, say):
    say("读取 read", 0, 3)
    ext = read_extract(path, source)
    say(f"校验 validate {ext.table.num_rows:,} 行", 1, 3)
    regions = None if source.name == "regions" else region_index(root)
    return ext, validate(ext, source, period, period_end, sha[:16], regions, secret_key(root))


@dataclass
class Preview:
    """What landing a file would do, computed without writing anything (for the upload page)."""

    source: str
    period: str
    file_name: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    reasons: dict[str, int]
    rejected: pa.Table  # original values + row number + reason, for the data officer to correct
    already: dict | None  # an identical file was landed before: confirming would change nothing
    overlap: int  # accepted rows whose natural key is already in the landing in force for this period
    supersedes: dict | None  # the landing in force for this (source, period) that confirming would replace


def preview(source_name: str, path: Path | str, period: str | None = None, root: Path | None = None,
            progress: Callable[[str, int, int], None] | None = None, file_name: str | None = None) -> Preview:
    """Read and validate a file exactly as `land` would, and report; writes nothing.

    file_name: the name the user gave the file (an upload's), when `path` is a temp copy named otherwise.
    """
    say = progress or (lambda *_: None)
    root, path = data_dir(root), Path(path)
    file_name = file_name or path.name
    source, period, period_end, sha, already = _check_file(source_name, path, period, root, say, file_name)
    _, res = _validate_file(source, path, period, period_end, sha, root, say)
    current = current_loads(read_load_log(root)).get((source_name, period))
    overlap = 0
    if current is not None and res.accepted.num_rows:
        keys = ["person_key" if source.column(k).type == "id_card" else k for k in source.key]
        old = pq.read_table(landed_dir(root) / current["accepted_path"], columns=keys)
        new = res.accepted.select(keys)
        overlap = new.join(old.group_by(keys).aggregate([]), keys=keys, join_type="inner").num_rows
    say("完成 done", 3, 3)
    return Preview(source_name, period, file_name, res.rows_read, res.accepted.num_rows, res.rejected.num_rows,
                   _reason_counts(res.rejected), res.rejected, already, overlap, current)


def land(source_name: str, path: Path | str, period: str | None = None, root: Path | None = None,
         synthetic: bool = False, user: str | None = None,
         progress: Callable[[str, int, int], None] | None = None, file_name: str | None = None) -> LandOutcome:
    """Land one extract. Raises ExtractError (and writes nothing) on a file-level failure.

    file_name: the name the user gave the file (an upload's), when `path` is a temp copy named otherwise;
    it guesses the period and goes to the load log, never to a name on disk.
    """
    say = progress or (lambda *_: None)
    root, path = data_dir(root), Path(path)
    file_name = file_name or path.name
    with _lock(root):
        _clean_temp_files(root)
        source, period, period_end, sha, already = _check_file(source_name, path, period, root, say, file_name)
        if already is not None:
            return LandOutcome(None, already=already)
        ext, res = _validate_file(source, path, period, period_end, sha, root, say)
        checkpoint("land:validated")
        load_id = sha[:16]
        say("写入 write", 2, 3)
        rel = Path(source_name) / period
        target = landed_dir(root) / rel
        private_dir(target, top=root)
        acc, rej = rel / f"{sha}.parquet", rel / f"{sha}.rejected.parquet"
        per = rel / f"{sha}.person.parquet" if res.persons is not None else None
        _write_parquet(res.accepted, landed_dir(root) / acc)
        checkpoint("land:accepted_written")
        _write_parquet(res.rejected, landed_dir(root) / rej)
        if per is not None:
            _write_parquet(res.persons, landed_dir(root) / per)
        entry = LoadEntry(
            load_id=load_id, source=source_name, period=period, file_name=clean_file_name(file_name), sha256=sha, fmt=ext.fmt,
            encoding=ext.encoding, rows_read=res.rows_read, rows_accepted=res.accepted.num_rows,
            rows_rejected=res.rejected.num_rows,
            status="landed" if res.accepted.num_rows else "all_rejected",
            landed_at=datetime.now().isoformat(timespec="seconds"),
            landed_by=user or os.environ.get("TONGXIN_USER") or getpass.getuser(),
            is_synthetic=synthetic, accepted_path=str(acc), rejected_path=str(rej),
            person_path=str(per) if per else None,
            reasons=_reason_counts(res.rejected),
        )
        # The log line is written last: a crash before it leaves only unreferenced files.
        checkpoint("land:before_log")
        log_path = load_log_path(root)
        torn = False
        if log_path.exists() and log_path.stat().st_size:
            with log_path.open("rb") as f:
                f.seek(-1, os.SEEK_END)
                torn = f.read(1) != b"\n"
        with os.fdopen(open_private(log_path, append=True), "a", encoding="utf-8") as f:
            # After a crash mid-append, start a fresh line (read_load_log ignores the torn one).
            f.write(("\n" if torn else "") + json.dumps(asdict(entry), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        checkpoint("land:after_log")
    say("完成 done", 3, 3)
    return LandOutcome(entry)
