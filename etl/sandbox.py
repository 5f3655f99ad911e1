"""Read and validate an extract in a child process with limits, so that no file can take the app down.

A file from outside can make a reader ask for more memory than the machine has (a cell at XFD1048576 makes
the Excel reader abort the whole process), run for hours, or crash native code. etl/read.py refuses what it
can recognise before reading; this module bounds the rest: `read_and_validate` runs `etl.read.read_extract`
and `etl.validate.validate` in `python -m etl.sandbox`, a plain child process (not a fork of the threaded app
server, not a multiprocessing child that re-imports __main__) with an address-space limit (RLIMIT_AS), a CPU
limit and a wall-clock timeout, no core dumps, and death with its parent. The child hands the three tables
back as Parquet files in a private work folder, `<data dir>/landed/.work/<parent pid>-<random>/` (0700/0600),
which the parent reads (a preview) or moves into place (a landing: `validated_files`) and deletes whatever
happens; `clean_work` sweeps what a killed parent left there. A CSV's rows sit in a DuckDB database file in
that folder while they are checked (etl/read.py), so the child's memory does not grow with the file.

Limits: config/settings.yaml `landing_memory_limit` (e.g. "4GB") and `landing_time_limit_seconds`.
"""
from __future__ import annotations

import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from settings import KeyMissing, open_private, private_dir, secret_key, settings

from .crash import checkpoint
from .errors import ExtractError

REPO_DIR = Path(__file__).resolve().parents[1]
DEFAULT_MEMORY = 4 << 30
DEFAULT_SECONDS = 1800
STALE_SECONDS = 3600  # a work folder older than this belongs to no landing still running
MEMORY_ENV = "TONGXIN_LANDING_MEMORY"  # overrides the setting (bytes or "4GB"), e.g. for a test
TIME_ENV = "TONGXIN_LANDING_SECONDS"
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20,
          "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30, "T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40}
# What the child's stderr says when it ran out of the memory it may use (Python, Rust, C++, DuckDB, Arrow).
_OOM_WORDS = ("MemoryError", "memory allocation of", "Out of Memory", "OutOfMemory", "std::bad_alloc",
              "Cannot allocate memory", "failed to allocate", "could not allocate")


def parse_size(text: object) -> int:
    """Bytes from 4294967296, "4GB", "512 MB" or "4GiB" (binary units, as DuckDB reads them)."""
    s = str(text).strip().upper().replace(" ", "")
    num = s.rstrip("KMGTIB")
    unit = s[len(num):]
    if not num or unit not in _UNITS:
        raise ValueError(f"not a size: {text!r}")
    return int(float(num) * _UNITS[unit])


def limits() -> tuple[int, float]:
    """(memory bytes, seconds) for one reading: environment, else config/settings.yaml, else 4 GB / 1800 s."""
    cfg = settings()
    mem = os.environ.get(MEMORY_ENV) or cfg.get("landing_memory_limit") or DEFAULT_MEMORY
    sec = os.environ.get(TIME_ENV) or cfg.get("landing_time_limit_seconds") or DEFAULT_SECONDS
    return parse_size(mem), float(sec)


def work_root(root: Path) -> Path:
    return Path(root) / "landed" / ".work"


def new_work(root: Path) -> Path:
    """A fresh private folder for one reading (or a landing's diff), named after this process (see clean_work)."""
    base = work_root(root)
    private_dir(base, top=root)
    work = base / f"{os.getpid()}-{secrets.token_hex(8)}"
    private_dir(work, top=root)
    return work


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_work(root: Path, max_age: float = STALE_SECONDS) -> list[Path]:
    """Remove work folders whose process is gone or that are older than max_age; returns what was removed.

    Call it under the landing lock: a reading that is still running keeps its folder (its process lives and
    the folder is young). A crash leaves UTF-8 copies and Parquet files with names and ID numbers there.
    """
    base = work_root(root)
    removed: list[Path] = []
    if not base.is_dir():
        return removed
    now = time.time()
    for d in base.iterdir():
        pid_text = d.name.split("-", 1)[0]
        try:
            age = now - d.lstat().st_mtime
        except FileNotFoundError:
            continue
        dead = not pid_text.isdigit() or not _alive(int(pid_text))
        if dead or age > max_age:
            if d.is_dir() and not d.is_symlink():
                shutil.rmtree(d, ignore_errors=True)
            else:
                d.unlink(missing_ok=True)
            removed.append(d)
    return removed


def read_and_validate(source, path: Path | str, period: str, period_end: date, load_id: str, root: Path | str,
                      scope_rows=None, *, memory_limit: int | None = None, time_limit: float | None = None):
    """`read_extract` + `validate` as `etl.land` runs them, in a child process with limits.

    Returns (fmt, encoding, etl.validate.Result). Raises ExtractError for every file-level problem: the
    reader's own (code and both texts passed through), FILE_TOO_LARGE when the child ran out of memory,
    READ_TIMEOUT when it ran out of time, READ_CRASHED when it died otherwise. Never a traceback.
    scope_rows: the uploader's region-code prefixes, passed to validate as `scope` (rows outside are rejected).
    The result's tables are read into memory; `validated_files` leaves them as Parquet files instead.
    """
    with validated_files(source, path, period, period_end, load_id, root, scope_rows, memory_limit=memory_limit,
                         time_limit=time_limit, load=True) as out:
        return out


@contextmanager
def validated_files(source, path: Path | str, period: str, period_end: date, load_id: str, root: Path | str,
                    scope_rows=None, *, memory_limit: int | None = None, time_limit: float | None = None,
                    load: bool = False):
    """`read_and_validate` whose result holds the accepted, rejected and person rows as Parquet files in the
    reading's private work folder (etl.validate.ParquetOut), for as long as the `with` block runs: landing
    moves them into place rather than reading them, so a file of any length is never whole in memory."""
    import pyarrow.parquet as pq

    from .validate import Result

    root = Path(root).resolve()
    mem, sec = limits()
    mem = memory_limit or mem
    sec = time_limit or sec
    try:
        work = new_work(root)
    except PermissionError:
        raise ExtractError("DATA_DIR_UNREADABLE", "没有权限写入数据目录，请检查数据目录的权限",
                           "permission denied on the data folder; check its permissions") from None
    try:
        args = {"source": source.name, "path": str(Path(path).resolve()), "period": period,
                "period_end": period_end.isoformat(), "load_id": load_id, "root": str(root),
                "scope_rows": scope_rows, "memory": mem, "seconds": sec, "parent": os.getpid()}
        # The region table and the key come from here: etl.land (and pandas with it) would cost the child
        # half a second of imports on every preview. Their errors are raised after the file is read, as before.
        env = {}
        if source.id_column is not None:  # only ID numbers are hashed: a region table lands before any key exists
            try:
                env[SECRET_ENV] = _secret(root)
            except KeyMissing as e:
                args["key_error"] = {"code": e.code, "zh": e.zh, "en": e.en}
        args["regions"] = _write_regions(source, root, work, pq, args)
        from .landed import deployment_context

        args["context"] = deployment_context(root, source)  # the root region, the code changes: JSON
        with os.fdopen(open_private(work / "args.json"), "w", encoding="utf-8") as f:
            json.dump(args, f, ensure_ascii=False)
        code = _run_child(work, sec, env)
        yield _collect(work, code, pq, Result, load)
    finally:
        shutil.rmtree(work, ignore_errors=True)


SECRET_ENV = "TONGXIN_SECRET"


def _secret(root: Path) -> str:
    return secret_key(root).decode()


def _write_regions(source, root: Path, work: Path, pq, args: dict) -> bool:
    """The landed region dimension as a Parquet file for the child; False when there is none to give."""
    if source.name == "regions":
        return False
    from .landed import region_index

    try:
        regions = region_index(root)
    except PermissionError:
        args["regions_error"] = {"code": "DATA_DIR_UNREADABLE", "zh": "没有权限读取数据目录，请检查数据目录的权限",
                                 "en": "permission denied reading the data folder; check its permissions"}
        return False
    if regions is None:
        return False
    with os.fdopen(open_private(work / "regions.parquet"), "wb") as f:
        pq.write_table(regions.table, f)
    return True


def _run_child(work: Path, sec: float, extra_env: dict[str, str]) -> int | str:
    """The child's exit status (negative: killed by that signal), or "timeout"."""
    env = dict(os.environ) | extra_env
    # One malloc arena per thread reserves 64 MB of address space each: with two, RLIMIT_AS bounds what the
    # reading really uses instead of what DuckDB's and Arrow's threads reserve.
    env["MALLOC_ARENA_MAX"] = "2"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_DIR), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("PYTHONSTARTUP", None)
    with os.fdopen(open_private(work / "stderr.txt"), "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "etl.sandbox", str(work)], cwd=REPO_DIR, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, close_fds=True)
        checkpoint("sandbox:child_started")
        try:
            return proc.wait(timeout=sec + 5)  # the child's CPU limit usually fires first
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return "timeout"
        except BaseException:  # the caller is interrupted: the child goes with it
            proc.kill()
            proc.wait()
            raise


def _collect(work: Path, code: int | str, pq, result_cls, load: bool = True):
    error = work / "error.json"
    if error.exists():
        try:
            e = json.loads(error.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            e = {}
        if e.get("code"):
            raise ExtractError(e["code"], e["zh"], e["en"])
    if code == "timeout" or code == -signal.SIGXCPU:
        raise ExtractError("READ_TIMEOUT", "读取和校验该文件超过了时间上限，已停止；请检查文件或分成几个文件后再导入",
                           "reading and checking the file took longer than the time limit and was stopped;"
                           " check the file or split it")
    done = work / "result.json"
    if code == 0 and done.exists():
        from .validate import OUT_NAMES, ParquetOut

        meta = json.loads(done.read_text(encoding="utf-8"))
        out = {n: ParquetOut(work / OUT_NAMES[n], meta["rows"][n]) for n in OUT_NAMES if n in meta["rows"]}
        if load:
            out = {n: pq.read_table(o.path) for n, o in out.items()}
        return meta["fmt"], meta["encoding"], result_cls(out["accepted"], out["rejected"], out.get("persons"),
                                                         meta["rows_read"], meta.get("skipped", 0),
                                                         meta.get("skip_note"))
    if _out_of_memory(work, code):
        raise ExtractError("FILE_TOO_LARGE", "文件太大，读取时超出了内存上限，已停止；请分成几个文件后再导入",
                           "the file needs more memory than allowed to read and was stopped; split it into smaller files")
    raise ExtractError("READ_CRASHED", "读取该文件时读取程序异常退出，文件可能已损坏；请用 Excel 打开另存后再导入",
                       "the reader stopped abnormally on this file (it may be damaged); open it in Excel, save it "
                       "again and retry")


def _out_of_memory(work: Path, code: int | str) -> bool:
    """Whether the child died of the memory limit: its exit (MemoryError) or what it last said on stderr.

    The stderr text is only searched here, never shown or logged: it may quote the file's cells.
    """
    if code == _EXIT_MEMORY:
        return True
    try:
        with (work / "stderr.txt").open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 65536))
            tail = f.read().decode("utf-8", errors="replace")
    except OSError:
        return False
    return any(w.lower() in tail.lower() for w in _OOM_WORDS)


# ---- the child -----------------------------------------------------------------------------------
_EXIT_MEMORY, _EXIT_CRASH = 3, 4


def _limit_self(mem: int, sec: float, parent: int) -> None:
    """Resource limits for this process, set before any file is opened."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a core dump would hold the file's names and IDs
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = max(1, int(sec))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    try:  # die with the parent (Linux): an app server killed mid-upload leaves no reader running
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(_EXIT_CRASH)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".part")
    with os.fdopen(open_private(tmp), "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    os.replace(tmp, path)


def _child(work: Path) -> int:
    # DuckDB creates the rows' database, its WAL and its spill files by the umask, and they hold names and ID
    # numbers: in this single-purpose process (unlike the app server's threads) the umask can simply be 077.
    os.umask(0o077)
    args = json.loads((work / "args.json").read_text(encoding="utf-8"))
    _limit_self(int(args["memory"]), float(args["seconds"]), int(args["parent"]))
    try:
        return _child_work(work, args)
    except ExtractError as e:
        _write_json(work / "error.json", {"code": e.code, "zh": e.zh, "en": e.en})
        return 0
    except MemoryError:
        return _EXIT_MEMORY
    except PermissionError:
        e = ExtractError("DATA_DIR_UNREADABLE", "没有权限读取数据目录或文件，请检查权限",
                         "permission denied reading the data folder or the file; check the permissions")
        _write_json(work / "error.json", {"code": e.code, "zh": e.zh, "en": e.en})
        return 0
    except Exception as e:  # noqa: BLE001 - the parent gives one bilingual line; the type only, never the text
        if "memory" in type(e).__name__.lower() or "out of memory" in str(e).lower():
            return _EXIT_MEMORY
        print(f"sandbox child failed: {type(e).__name__}", file=sys.stderr)
        return _EXIT_CRASH


def _child_work(work: Path, args: dict) -> int:
    import pyarrow.parquet as pq

    from . import read
    from .contracts import get_source
    from .validate import RegionIndex, validate

    # DuckDB keeps to part of the address space (it would otherwise plan for 80% of the machine's memory). A
    # quarter: a CSV's rows live in a database file and DuckDB spills its sorts and groupings to disk, while its
    # allocator, the CSV reader's buffers and Arrow's batches take address space beyond what DuckDB counts.
    read.DUCKDB_CONFIG["memory_limit"] = f"{max(64, int(args['memory']) // 4 >> 20)}MB"
    read.DUCKDB_CONFIG["threads"] = 2
    read.DUCKDB_CONFIG["temp_directory"] = str(work / "duckdb-spill")
    source = get_source(args["source"])
    ext = read.read_extract(Path(args["path"]), source, work=work)
    for failed in ("regions_error", "key_error"):
        if args.get(failed):
            raise ExtractError(args[failed]["code"], args[failed]["zh"], args[failed]["en"])
    regions = RegionIndex(pq.read_table(work / "regions.parquet")) if args["regions"] else None
    kw = {"scope": args["scope_rows"]} if args.get("scope_rows") is not None else {}
    # The three outputs are written as they are computed (validate's `out`), never held whole in memory.
    res = validate(ext, source, args["period"], date.fromisoformat(args["period_end"]), args["load_id"], regions,
                   os.environ.get(SECRET_ENV, "").encode(), **kw, **args.get("context", {}), out=work)
    if ext.db is not None:  # the rows' database: the outputs are all that is needed from here on
        for p in (ext.db, ext.db.with_name(ext.db.name + ".wal")):
            p.unlink(missing_ok=True)
    checkpoint("sandbox:child_written")
    _write_json(work / "result.json", {"fmt": ext.fmt, "encoding": ext.encoding, "rows_read": res.rows_read,
                                       "persons": res.persons is not None, "skipped": res.skipped,
                                       "skip_note": res.skip_note, "rows": {
                                           n: t.num_rows for n, t in (("accepted", res.accepted),
                                                                      ("rejected", res.rejected),
                                                                      ("persons", res.persons)) if t is not None}})
    return 0


if __name__ == "__main__":
    sys.exit(_child(Path(sys.argv[1])))
