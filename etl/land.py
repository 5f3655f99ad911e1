"""Landing: accepted rows become immutable, content-addressed Parquet; rejected rows sit beside them.

Layout and load-log format: see DESIGN-INTERFACES.md. A file-level failure writes nothing.
Landing an identical file again for the same period is a no-op. A new file for the same (source, period)
supersedes earlier ones at build time as its mode says (etl/force.py: the whole period, the counties or
streets it holds, or the rows with its keys); a withdrawal takes a landing out of force. The load log is
append-only and keeps the whole history.
"""
from __future__ import annotations

import errno
import getpass
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from auth import audit
from settings import KeyMissing, data_dir, lock, open_private, private_dir, secret_key, settings

from . import force, sandbox
from .contracts import GRAIN_ZH, PERIOD_EXAMPLE, get_source, parse_period, period_from_filename
from .crash import checkpoint
from .errors import ExtractError
from .landed import (
    deployment_context,
    in_force,
    landed_dir,
    load_log_path,
    read_load_log,
    region_index,
)
from .read import read_extract
from .validate import REJECT_COLUMNS, ParquetOut, accepted_schema, validate


def needs_key(source) -> bool:
    """Whether landing this source hashes ID numbers (its contract has an id_card column): only then is the
    key asked for, so a region table, a plan catalogue or a team roster lands before any key exists."""
    return source.id_column is not None


def _key(root: Path) -> bytes:
    """The ID-hash key (settings.secret_key), its absence a file-level error like any other."""
    try:
        return secret_key(root)
    except KeyMissing as e:
        raise ExtractError(e.code, e.zh, e.en) from None


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
    mode: str = "period"  # how it supersedes earlier landings of the period (etl/force.py MODES)
    areas: list[str] | None = None  # county/street mode: the region prefixes it replaces
    scope: list[str] | None = None  # the uploader's area: nothing outside it goes out of force
    rows_skipped: int = 0  # an official division table's rows outside the deployment's root region
    skip_note: str | None = None  # "跳过 N 行（不在本部署范围 … 内）"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _write_parquet(table: pa.Table | ParquetOut, path: Path) -> None:
    """Write to a temp name, fsync, then rename: a crash never leaves a half file under the final name.

    A table the sandbox already wrote (ParquetOut, 0600, fsynced, in the work folder under the same data
    folder) is moved to the temp name instead of read and written again."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    if isinstance(table, ParquetOut):
        try:
            os.replace(table.path, tmp)
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
            with table.path.open("rb") as src, os.fdopen(open_private(tmp), "wb") as f:
                shutil.copyfileobj(src, f, 1 << 22)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    else:
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
    """Remove what a killed landing left behind (called under the lock: nobody is writing them): temp
    files, and Parquet files written before the load log named them (rejected and person files hold
    names and ID numbers)."""
    from .contracts import sources

    for p in landed_dir(root).glob("*/*/*.tmp"):
        p.unlink(missing_ok=True)
    named = {e.get(k) for e in read_load_log(root) for k in ("accepted_path", "rejected_path", "person_path")}
    for name in sources():
        for p in (landed_dir(root) / name).glob("*/*.parquet"):
            if str(p.relative_to(landed_dir(root))) not in named:
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
        if e.skip_note:
            text += f"\n  {e.skip_note} / skipped {e.rows_skipped} rows outside the deployment's region"
        return text


def _reason_counts(rejected: pa.Table | ParquetOut) -> dict[str, int]:
    """Rejected rows per reason code, most common first."""
    if rejected.num_rows == 0:
        return {}
    if isinstance(rejected, ParquetOut):
        rejected = pq.read_table(rejected.path, columns=[REJECT_COLUMNS[1]])  # one short column
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
    "OUT_OF_SCOPE": "不在本人管辖区域", "BAD_CHARACTER": "单元格含有不可见的控制字符（NUL）",
    "LEVEL_MISMATCH": "层级与区划代码不符", "BAD_DIVISION_CODE": "区划代码格式不对", "SPLIT_DIVISION": "区划已拆分、无法自动对应",
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


def _check_file(source_name: str, path: Path, period: str | None, root: Path, file_name: str) -> tuple:
    """Resolve source and period, hash the file, and say if the same file is landed for that period."""
    try:
        source = get_source(source_name)
    except KeyError as e:
        raise ExtractError("UNKNOWN_SOURCE", str(e).strip("'\""), f"unknown source {source_name!r}") from None
    if not path.is_file():
        raise ExtractError("NO_FILE", f"找不到文件：{path}", f"file not found: {path}")
    period, (_, period_end) = resolve_period(source_name, file_name, period)
    sha = file_sha256(path)
    # A file landed under a wrong period, or withdrawn, can be landed again.
    already = next((e for e in read_load_log(root) if e["source"] == source_name and e["sha256"] == sha
                    and e["period"] == period and not e.get("withdrawn")), None)
    return source, period, period_end, sha, already


def _validate_file(source, path: Path, period: str, period_end, sha: str, root: Path, say, scope=None,
                   isolate: bool = True):
    """(format, encoding, validation result) of a file, as landing would see it.

    isolate: read and validate in a child process with memory and time limits (etl/sandbox.py), so a file
    built to exhaust memory or crash a reader cannot take down the app or the worker. Only files this
    product wrote itself (the demo, test fixtures) are read in-process, to save the child's start-up.
    """
    say("读取 read", 0, 3)
    if isolate:
        return sandbox.read_and_validate(source, path, period, period_end, sha[:16], root, scope)
    return _validate_in_process(source, path, period, period_end, sha, root, say, scope)


def _validate_in_process(source, path: Path, period: str, period_end, sha: str, root: Path, say, scope=None):
    ext = read_extract(path, source)
    say(f"校验 validate {ext.table.num_rows:,} 行", 1, 3)
    regions = None if source.name == "regions" else region_index(root)
    key = _key(root) if needs_key(source) else b""  # no ID column: nothing is hashed
    res = validate(ext, source, period, period_end, sha[:16], regions, key, scope=scope,
                   **deployment_context(root, source))
    return ext.fmt, ext.encoding, res


@dataclass
class Diff:
    """What a landing would change in the rows in force for its source and period (etl/force.py)."""

    mode: str
    level: str  # the breakdown's level: "county", or "street" for small files; "all" without a region column
    table: pd.DataFrame  # per area touched: area_code, area_name, rows_before, kept, added, changed, removed,
    #                      rows_after, figure_before, figure_after
    rows_before: int
    kept: int
    added: int
    changed: int
    removed: int
    rows_after: int
    figure: str  # what the pages count for this source ("服务人次", "儿童人数", "记录数")
    figure_before: float
    figure_after: float
    removed_share: float
    needs_confirmation: bool
    removed_text: str  # what disappears, by area: "东湖区 120 行、青石县 300 行"


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
    overlap: int  # accepted rows whose natural key is already in force for this period
    supersedes: dict | None  # the latest landing in force for this (source, period)
    accepted: pa.Table | None = None  # the rows that would land (for `diff`; never shown)
    modes: tuple[str, ...] = ()
    default_mode: str = "period"
    scope: tuple[str, ...] = ()
    root: Path | None = None
    skipped: int = 0  # rows outside the deployment's root region (an official division table)
    skip_note: str | None = None


STREET_BREAKDOWN_ROWS = 500  # files up to this many rows get their diff by street, larger ones by county


def _con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})


@contextmanager
def _diff_con(root: Path):
    """An in-memory DuckDB for comparing a landing with what is in force, capped at `duckdb_memory_limit`
    (config/settings.yaml, as the app's connections are): both versions of the period are tables here, and a
    resubmitted province register would otherwise take many GB of the server the app runs on. Past the cap
    DuckDB spills to a private work folder (accepted rows only: keyed, no names or ID numbers), removed after,
    or swept by the next landing if this process dies."""
    work = sandbox.new_work(root)
    limit = str(settings().get("duckdb_memory_limit") or "1GB")
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                                 "memory_limit": limit, "temp_directory": str(work / "spill"),
                                 "preserve_insertion_order": False})  # every result here is ordered or a count
    try:
        yield con
    finally:
        con.close()
        shutil.rmtree(work, ignore_errors=True)


def _candidate(accepted: pa.Table | ParquetOut, source, mode: str, scope) -> dict:
    areas = accepted
    col = force.area_column(source)
    if isinstance(accepted, ParquetOut) and col is not None and mode in force.AREA_DIGITS:
        with _con() as con:  # the distinct codes only, not the rows
            areas = con.sql(f"select distinct {col} from read_parquet(?)", params=[str(accepted.path)]).to_arrow_table()
    return {"status": "landed", "mode": mode, "areas": force.areas_of(areas, source, mode),
            "scope": force.clean_scope(scope), "_table": accepted}


def removal_share_limit() -> float:
    return float(settings().get("landing_removal_confirm_share", 0.2))


def _diff(root: Path, source, before: list[dict], candidate: dict, mode: str) -> Diff:
    """Rows in force before and after `candidate` joins the chain `before`, compared key by key."""
    with _diff_con(root) as con:
        cols = ", ".join(f"{c} {t}" for c, t in accepted_schema(source))
        new = candidate["_table"]
        if not isinstance(new, ParquetOut):
            con.register("_new", new)

        def scan(e: dict):
            if "_table" in e and isinstance(new, ParquetOut):
                return "select * from read_parquet(?)", [str(new.path)]
            if "_table" in e:
                return "select * from _new", []
            return "select * from read_parquet(?)", [str(landed_dir(root) / e["accepted_path"])]

        con.execute(f"create table b ({cols})")
        force.load_in_force(con, "b", source, before, scan)
        con.execute(f"create table a ({cols})")
        force.load_in_force(con, "a", source, force.chain([*before, candidate]), scan)
        area = force.area_column(source)
        scope = candidate.get("scope")
        if scope and area:  # a scoped uploader sees and changes their own area only
            for t in ("a", "b"):
                con.execute(f"delete from {t} where not {force.in_area(area, '?')}", [scope])
        small = candidate["_table"].num_rows <= STREET_BREAKDOWN_ROWS
        level = "all" if area is None else ("street" if small else "county")
        n = force.AREA_DIGITS.get(level)
        area_sql = (f"coalesce(rpad(substr({area}, 1, {n}), 12, '0'), '')" if n else "''")
        key_cols = force.key_columns(source)
        keys = ", ".join(key_cols)
        # A blank key part (a plan row without a county) must still meet its counterpart in the join.
        key_sel = ", ".join(f"coalesce({k}::varchar, chr(0)) as {k}" for k in key_cols)
        values = [c for c, _ in accepted_schema(source) if c not in ("load_id", "period")]
        sig = "hash(struct_pack(" + ", ".join(f"{c} := {c}" for c in values) + "))"
        label, expr = force.figure(source)
        per_key = (f"select {key_sel}, any_value({area_sql}) as area, bit_xor({sig}) as sig "
                   f"from {{t}} group by all")
        rows = con.execute(f"""
            with kb as ({per_key.format(t='b')}), ka as ({per_key.format(t='a')}),
            j as (
                select coalesce(kb.area, ka.area) as area_code, kb.sig as sb, ka.sig as sa
                from kb full join ka using ({keys})
            ),
            counts as (
                select area_code,
                       count(sb) as rows_before,
                       count(*) filter (where sb is not null and sa is not null and sb = sa) as kept,
                       count(*) filter (where sb is null) as added,
                       count(*) filter (where sb is not null and sa is not null and sb <> sa) as changed,
                       count(*) filter (where sa is null) as removed,
                       count(sa) as rows_after
                from j group by area_code
            ),
            fb as (select {area_sql} as area_code, {expr} as figure_before from b group by all),
            fa as (select {area_sql} as area_code, {expr} as figure_after from a group by all)
            select c.*, coalesce(fb.figure_before, 0) as figure_before, coalesce(fa.figure_after, 0) as figure_after
            from counts c left join fb using (area_code) left join fa using (area_code)
            order by area_code""").fetchdf()
        totals = con.execute(f"select (select {expr} from b), (select {expr} from a)").fetchall()[0]
    regions = region_index(root)
    names = regions.name if regions is not None else {}
    rows.insert(1, "area_name", [names.get(c, c or "（未标区划）") if level != "all" else "全部"
                                 for c in rows["area_code"]])
    touched = rows[(rows.added + rows.changed + rows.removed) > 0].reset_index(drop=True)
    total = {k: int(rows[k].sum()) for k in ("rows_before", "kept", "added", "changed", "removed", "rows_after")}
    share = total["removed"] / total["rows_before"] if total["rows_before"] else 0.0
    gone = touched[touched.removed > 0].sort_values("removed", ascending=False)
    parts = [f"{r.area_name} {int(r.removed):,} 行" for r in gone.head(8).itertuples()]
    if len(gone) > 8:
        parts.append(f"等 {len(gone)} 个区域，共 {total['removed']:,} 行")
    return Diff(mode=mode, level=level, table=touched, **total, figure=label,
                figure_before=float(totals[0] or 0), figure_after=float(totals[1] or 0), removed_share=share,
                needs_confirmation=share > removal_share_limit(), removed_text="、".join(parts))


def preview(source_name: str, path: Path | str, period: str | None = None, root: Path | None = None,
            progress: Callable[[str, int, int], None] | None = None, file_name: str | None = None,
            scope: tuple[str, ...] | list[str] = (), isolate: bool = True) -> Preview:
    """Read and validate a file exactly as `land` would, and report; writes nothing.

    file_name: the name the user gave the file (an upload's), when `path` is a temp copy named otherwise.
    scope: the uploader's region prefixes (rows outside are refused, nothing outside goes out of force).
    """
    say = progress or (lambda *_: None)
    root, path = data_dir(root), Path(path)
    file_name = file_name or path.name
    with _os_errors():
        source, period, period_end, sha, already = _check_file(source_name, path, period, root, file_name)
        _, _, res = _validate_file(source, path, period, period_end, sha, root, say, scope, isolate)
        chain = in_force(read_load_log(root)).get((source_name, period), [])
    overlap = 0
    if chain and res.accepted.num_rows:
        keys = force.key_columns(source)
        old = pa.concat_tables([pq.read_table(landed_dir(root) / e["accepted_path"], columns=keys) for e in chain])
        new = res.accepted.select(keys)
        overlap = new.join(old.group_by(keys).aggregate([]), keys=keys, join_type="inner").num_rows
    say("完成 done", 3, 3)
    return Preview(source_name, period, file_name, res.rows_read, res.accepted.num_rows, res.rejected.num_rows,
                   _reason_counts(res.rejected), res.rejected, already, overlap, chain[-1] if chain else None,
                   accepted=res.accepted, modes=force.modes(source), default_mode=force.default_mode(source),
                   scope=tuple(force.clean_scope(scope) or ()), root=root, skipped=res.skipped,
                   skip_note=res.skip_note)


def diff(p: Preview, mode: str | None = None, root: Path | None = None) -> Diff:
    """What landing the previewed file with `mode` would change (cheap: the file is not read again)."""
    root = data_dir(root or p.root)
    source = get_source(p.source)
    mode = mode or p.default_mode
    _check_mode(source, mode)
    before = in_force(read_load_log(root)).get((p.source, p.period), [])
    return _diff(root, source, before, _candidate(p.accepted, source, mode, p.scope), mode)


def _check_mode(source, mode: str) -> None:
    if mode not in force.modes(source):
        allowed = "、".join(f"{m}（{force.MODES[m].split('：')[0]}）" for m in force.modes(source))
        raise ExtractError("BAD_MODE", f"“{source.title}”不能用导入方式 {mode}，可选：{allowed}",
                           f"{source.name} cannot be landed with mode {mode!r}; choose one of {force.modes(source)}")


def _append_log(root: Path, line: dict) -> None:
    """Append one line to the load log, fsynced (called under the lock)."""
    log_path = load_log_path(root)
    torn = False
    if log_path.exists() and log_path.stat().st_size:
        with log_path.open("rb") as f:
            f.seek(-1, os.SEEK_END)
            torn = f.read(1) != b"\n"
    with os.fdopen(open_private(log_path, append=True), "a", encoding="utf-8") as f:
        # After a crash mid-append, start a fresh line (read_load_log ignores the torn one).
        f.write(("\n" if torn else "") + json.dumps(line, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def _os_errors():
    """A file or folder the process may not read or write is the user's problem to fix, not a traceback."""
    try:
        yield
    except PermissionError as e:
        where = e.filename or ""
        raise ExtractError("NO_PERMISSION", f"没有权限读取或写入：{where}（请检查文件和数据目录的权限）",
                           f"permission denied: {where} (check the file's and the data folder's permissions)") from None
    except IsADirectoryError as e:
        raise ExtractError("NO_FILE", f"这是一个文件夹，不是文件：{e.filename}", f"a folder, not a file: {e.filename}") from None


def _audit(action: str, user: str | None, role: str | None, what: str, detail: str, root: Path, ok: bool = True):
    audit.record(action, user=user, role=role, what=what, ok=ok, detail=detail, root=root)


def land(source_name: str, path: Path | str, period: str | None = None, root: Path | None = None,
         synthetic: bool = False, user: str | None = None,
         progress: Callable[[str, int, int], None] | None = None, file_name: str | None = None,
         mode: str | None = None, scope: tuple[str, ...] | list[str] = (), allow_removal: bool = False,
         role: str | None = None, isolate: bool = True) -> LandOutcome:
    """Land one extract. Raises ExtractError (and writes nothing) on a file-level failure.

    file_name: the name the user gave the file (an upload's), when `path` is a temp copy named otherwise;
    it guesses the period and goes to the load log, never to a name on disk.
    mode: how it supersedes earlier landings of the period (etl/force.py; default: the source's default).
    scope: the uploader's region prefixes: rows outside are refused and nothing outside goes out of force.
    allow_removal: the user confirmed taking more than the configured share of the period's rows out of force.
    isolate: read in a limited child process (see _validate_file); False only for files we wrote.
    Every landing, refused or not, is audited.
    """
    say = progress or (lambda *_: None)
    root, path = data_dir(root), Path(path)
    file_name = file_name or path.name
    user = user or os.environ.get("TONGXIN_USER") or getpass.getuser()
    what = f"{source_name} {str(period or '').strip()}".strip()
    try:
        with _os_errors():
            out = _land(source_name, path, period, root, synthetic, user, say, file_name, mode, scope, allow_removal,
                        isolate)
    except ExtractError as e:
        try:
            _audit("land", user, role, what, f"{clean_file_name(file_name)}：{e}", root, ok=False)
        except OSError:  # a data folder nobody may write: the error says so already
            pass
        raise
    if out.already:
        a = out.already
        _audit("land", user, role, f"{a['source']} {a['period']}",
               f"已导入过，未做更改 sha256={a['sha256'][:16]} {clean_file_name(file_name)}", root)
    else:
        e = out.entry
        _audit("land", user, role, f"{e.source} {e.period}",
               f"sha256={e.sha256[:16]} 方式 mode={e.mode} 区域 areas={','.join(e.areas or []) or '—'} "
               f"范围 scope={','.join(e.scope or []) or '全部'} 读取 {e.rows_read} 接收 {e.rows_accepted} "
               f"拒绝 {e.rows_rejected} 文件 {e.file_name}", root)
    say("完成 done", 3, 3)
    return out


def _land(source_name, path, period, root, synthetic, user, say, file_name, mode, scope, allow_removal, isolate):
    with lock(root):
        _clean_temp_files(root)
        sandbox.clean_work(root)  # what killed readings left (UTF-8 copies of GB18030 files: names, IDs)
        source, period, period_end, sha, already = _check_file(source_name, path, period, root, file_name)
        mode = mode or force.default_mode(source)
        _check_mode(source, mode)
        if already is not None:
            return LandOutcome(None, already=already)
        with _validated(source, path, period, period_end, sha, root, say, scope, isolate) as (fmt, encoding, res):
            return _land_validated(source, source_name, path, period, root, synthetic, user, say, file_name, mode,
                                   scope, allow_removal, sha, fmt, encoding, res)


@contextmanager
def _validated(source, path: Path, period: str, period_end, sha: str, root: Path, say, scope, isolate: bool):
    """(format, encoding, validation result) as `_validate_file`, but a sandboxed result's rows stay in Parquet
    files (ParquetOut) in its work folder while the block runs: a landing moves them into place unread."""
    say("读取 read", 0, 3)
    if not isolate:
        yield _validate_in_process(source, path, period, period_end, sha, root, say, scope)
        return
    with sandbox.validated_files(source, path, period, period_end, sha[:16], root, scope) as out:
        yield out


def _land_validated(source, source_name, path, period, root, synthetic, user, say, file_name, mode, scope,
                    allow_removal, sha, fmt, encoding, res):
    checkpoint("land:validated")
    candidate = _candidate(res.accepted, source, mode, scope)
    before = in_force(read_load_log(root)).get((source_name, period), [])
    if before and res.accepted.num_rows and not allow_removal:
        d = _diff(root, source, before, candidate, mode)
        if d.needs_confirmation:
            raise ExtractError(
                "REMOVAL_NOT_CONFIRMED",
                f"本次导入将使该期已有数据中的 {d.removed:,} 行（{d.removed_share:.0%}）不再生效：{d.removed_text}。"
                f"请在上传页面再次确认，或在命令行加 --allow-removal；只更正部分记录请用 --mode key",
                f"this landing would take {d.removed:,} rows ({d.removed_share:.0%}) of the period out of "
                f"force; confirm with --allow-removal, or use --mode key for a correction")
    load_id = sha[:16]
    say("写入 write", 2, 3)
    rel = Path(source_name) / period
    target = landed_dir(root) / rel
    private_dir(target, top=root)
    acc, rej = rel / f"{sha}.parquet", rel / f"{sha}.rejected.parquet"
    per = rel / f"{sha}.person.parquet" if res.persons is not None else None
    reasons = _reason_counts(res.rejected)  # before the sandbox's file is moved into place
    _write_parquet(res.accepted, landed_dir(root) / acc)
    checkpoint("land:accepted_written")
    _write_parquet(res.rejected, landed_dir(root) / rej)
    if per is not None:
        _write_parquet(res.persons, landed_dir(root) / per)
    entry = LoadEntry(
        load_id=load_id, source=source_name, period=period, file_name=clean_file_name(file_name), sha256=sha,
        fmt=fmt, encoding=encoding, rows_read=res.rows_read, rows_accepted=res.accepted.num_rows,
        rows_rejected=res.rejected.num_rows,
        status="landed" if res.accepted.num_rows else "all_rejected",
        landed_at=datetime.now().isoformat(timespec="seconds"), landed_by=user,
        is_synthetic=synthetic, accepted_path=str(acc), rejected_path=str(rej),
        person_path=str(per) if per else None,
        reasons=reasons,
        mode=mode, areas=candidate["areas"], scope=candidate["scope"],
        rows_skipped=res.skipped, skip_note=res.skip_note,
    )
    # The log line is written last: a crash before it leaves only unreferenced files (removed by
    # the next landing, under this lock).
    checkpoint("land:before_log")
    _append_log(root, asdict(entry))
    checkpoint("land:after_log")
    return LandOutcome(entry)


MAX_REASON = 500  # characters of a withdrawal's reason kept in the load log


def withdraw(load_id: str, source: str, period: str, reason: str, user: str | None = None,
             root: Path | None = None, role: str | None = None) -> dict:
    """Take a landing out of force: the landings before it come back at the next build.

    Appends a withdrawal line to the load log (the landing and its files stay: history is never lost).
    """
    root = data_dir(root)
    user = user or os.environ.get("TONGXIN_USER") or getpass.getuser()
    reason = re.sub(r"[\x00-\x1f\x7f]+", " ", str(reason or "")).strip()[:MAX_REASON]
    what = f"{source} {period} {load_id}"
    if not reason:
        _audit("withdraw", user, role, what, "未填写撤回原因", root, ok=False)
        raise ExtractError("NO_REASON", "撤回导入需要填写原因", "a withdrawal needs a reason")
    with lock(root):
        target = next((e for e in read_load_log(root) if (e["load_id"], e["source"], e["period"])
                       == (load_id, source, period) and not e.get("withdrawn")), None)
        if target is None:
            _audit("withdraw", user, role, what, "没有这次导入或已撤回", root, ok=False)
            raise ExtractError("NO_LANDING", f"没有可撤回的导入：{source} {period} {load_id}（不存在或已撤回）",
                               f"no landing to withdraw: {source} {period} {load_id} (unknown or withdrawn)")
        line = {"event": "withdraw", "load_id": load_id, "source": source, "period": period, "reason": reason,
                "by": user, "at": datetime.now().isoformat(timespec="seconds")}
        _append_log(root, line)
    _audit("withdraw", user, role, what, f"{target['file_name']}（{target['landed_at']} {target['landed_by']}）"
           f"原因：{reason}", root)
    return line


def landings(root: Path | None = None, source: str | None = None) -> list[dict]:
    """Load-log landings newest first, each with "in_force" (may still hold rows in force) and "withdrawn"."""
    log = read_load_log(data_dir(root))
    live = {id(e) for chain in in_force(log).values() for e in chain}
    out = []
    for e in reversed(log):
        if source is None or e["source"] == source:
            out.append({**e, "mode": force.entry_mode(e), "areas": e.get("areas"), "scope": e.get("scope"),
                        "withdrawn": e.get("withdrawn"), "in_force": id(e) in live})
    return out
