"""Background jobs: landing a file, rebuilding the warehouse and withdrawing a landing run in a worker
process, not in the Streamlit script run that asked for them.

A page that starts a landing may be left, reloaded or closed; the job goes on. One JSON file per job in
<data dir>/jobs/<job_id>.json (0600, written atomically); a land job's file waits in jobs/<job_id>/ and is
deleted when the job ends (it holds names and ID numbers). `submit` writes the job as queued and starts a
detached worker (`python -m etl worker`); the worker takes an exclusive lock on jobs/.worker.lock, runs
every queued job oldest first, one at a time (so two builds never overlap), and exits. A worker killed at
any point leaves its job `running`; the next worker, which can only hold the lock once the dead one's is
released, runs it again: landing is idempotent and the build is a pure function of the landed files.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from settings import data_dir, open_private, private_dir

from .errors import ExtractError
from .landed import load_log_path, read_load_log

KINDS = ("land", "build", "withdraw")
STATES = ("queued", "running", "published", "failed", "unchanged")  # unchanged: nothing to publish
STATE_ZH = {"queued": "排队中", "running": "进行中", "published": "已发布", "failed": "失败", "unchanged": "无变化"}
KIND_ZH = {"land": "导入", "build": "重建", "withdraw": "撤回"}
FINAL = ("published", "failed", "unchanged")

REPO_DIR = Path(__file__).resolve().parents[1]
JOB_ID = re.compile(r"\d{8}T\d{12}-[0-9a-f]{6}")
LAND_SHARE = 0.3  # of the progress bar; the build takes the rest
WRITE_EVERY = 0.5  # seconds between progress writes to a job file
MAX_ATTEMPTS = 3  # a job whose worker died this many times fails instead of killing the next worker too
KEEP_JOBS = 200  # finished job files kept for the lists
ORPHAN_AGE = 3600  # seconds: a job folder without a job file is a submit that died half-way
_BUILDS = ".builds.json"  # snapshot name → fingerprint of the load log its build read


# ---- files ---------------------------------------------------------------------------------------
def jobs_dir(root: Path | str | None = None) -> Path:
    root = data_dir(root)
    return private_dir(root / "jobs", top=root)


def _job_path(d: Path, job_id: str) -> Path:
    if not JOB_ID.fullmatch(str(job_id)):  # the id names a file: only the shape this module makes
        raise KeyError(f"no such job: {job_id!r}")
    return d / f"{job_id}.json"


def _write_json(path: Path, obj: dict) -> None:
    """tmp + fsync + os.replace: a reader sees the old or the new file, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with os.fdopen(open_private(tmp), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _public(job: dict) -> dict:
    """A job as callers see it: the file waiting to be landed stays internal."""
    out = {k: v for k, v in job.items() if k != "file"}
    out["params"] = {k: v for k, v in job.get("params", {}).items() if k != "path"}
    return out


def _all(d: Path) -> list[dict]:
    """Every job, oldest first (job ids sort by creation time)."""
    out = []
    for p in sorted(d.glob("*.json")):
        if JOB_ID.fullmatch(p.stem) and (job := _read_json(p)) is not None:
            out.append(job)
    return out


# ---- audit ---------------------------------------------------------------------------------------
def _audit(action: str, job: dict, root: Path, *, ok: bool = True, detail: str = "") -> None:
    """One audit event for a job (who, what, which job); never breaks the job itself."""
    from auth import audit  # here, not at the top: auth.audit imports etl.land

    if action not in audit.ACTIONS:
        _log(f"audit action {action!r} unknown: event for job {job['id']} not recorded")
        return
    p = job.get("params", {})
    what = " ".join(x for x in (KIND_ZH[job["kind"]], p.get("source") or "", p.get("period") or "") if x)
    try:
        audit.record(action, user=job.get("user"), role=job.get("role"), what=what,
                     scope=tuple(p.get("scope") or job.get("scope") or ()), ok=ok,
                     detail=f"{job['id']} {detail}".strip(), root=root)
    except OSError as e:
        _log(f"audit write failed for job {job['id']}: {type(e).__name__}")


def _log(msg: str) -> None:
    """One line to the worker's log: job ids, sources, periods, counts and error codes only."""
    print(f"{datetime.now().isoformat(timespec='seconds')} [{os.getpid()}] {msg}", file=sys.stderr, flush=True)


# ---- submit and read -----------------------------------------------------------------------------
def submit(kind: str, params: dict, user: str, root: Path | str | None = None, *, start_worker: bool = True,
           role: str | None = None, scope: tuple[str, ...] | list[str] = ()) -> str:
    """Queue a job and start a detached worker for it; returns the job id.

    land: params = {"source", "path", "period", "file_name", "mode", "scope", "allow_removal"}; the file at
    `path` is moved into the job's own folder (out of reach of the upload sweeper) and deleted when the job
    ends. build: params = {}. withdraw: params = {"load_id", "source", "period", "reason"}.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    root = data_dir(root)
    d = jobs_dir(root)
    job_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + secrets.token_hex(3)
    params = dict(params or {})
    if isinstance(params.get("scope"), tuple):
        params["scope"] = list(params["scope"])
    job = {"id": job_id, "kind": kind, "params": params, "user": user, "role": role, "scope": list(scope),
           "state": "queued", "progress": {"text": STATE_ZH["queued"], "fraction": 0.0}, "message": "",
           "error": None, "created_at": _now(), "started_at": None, "finished_at": None, "pid": None,
           "attempts": 0}
    if kind == "land":
        src = Path(params.pop("path", "") or "")
        if not src.is_file():
            raise ExtractError("NO_FILE", "找不到要导入的文件", "the file to land was not found")
        params.setdefault("file_name", src.name)
        folder = private_dir(d / job_id, top=root)
        dest = folder / src.name
        shutil.move(str(src), dest)  # a rename within the data folder
        os.chmod(dest, 0o600)
        job["file"] = str(dest)
    _write_json(_job_path(d, job_id), job)
    _audit("rebuild" if kind == "build" else "job", job, root, detail=STATE_ZH["queued"])
    if start_worker:
        start_worker_process(root)
    return job_id


def start_worker_process(root: Path | str | None = None) -> int:
    """Start `python -m etl worker` in its own session, so it outlives the page, the script run and the
    server's process group; its output goes to jobs/worker.log (0600). Returns its pid."""
    root = data_dir(root)
    env = {**os.environ, "TONGXIN_DATA_DIR": str(root)}
    fd = open_private(jobs_dir(root) / "worker.log", append=True)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "etl", "worker"], cwd=REPO_DIR, env=env,
                                stdin=subprocess.DEVNULL, stdout=fd, stderr=fd, start_new_session=True)
    finally:
        os.close(fd)
    return proc.pid


def get(job_id: str, root: Path | str | None = None) -> dict:
    """One job (KeyError if there is none): id, kind, params, user, state, progress {text, fraction},
    message, error, created_at, started_at, finished_at, pid."""
    job = _read_json(_job_path(jobs_dir(root), job_id))
    if job is None:
        raise KeyError(f"no such job: {job_id!r}")
    return _public(job)


def recent(root: Path | str | None = None, limit: int = 20, user: str | None = None) -> list[dict]:
    """The latest jobs, newest first (of one user when `user` is given)."""
    out = []
    for p in sorted(jobs_dir(root).glob("*.json"), reverse=True):
        if not JOB_ID.fullmatch(p.stem) or (job := _read_json(p)) is None:
            continue
        if user is None or job.get("user") == user:
            out.append(_public(job))
            if len(out) >= limit:
                break
    return out


def active(root: Path | str | None = None) -> dict | None:
    """The running job, else the oldest queued one, else None."""
    jobs = [j for j in _all(jobs_dir(root)) if j["state"] in ("queued", "running")]
    job = next((j for j in jobs if j["state"] == "running"), None) or next(iter(jobs), None)
    return _public(job) if job else None


def wait(job_id: str, root: Path | str | None = None, timeout: float = 600.0,
         on_progress: Callable[[dict], None] | None = None) -> dict:
    """Poll a job until it ends (published, failed or unchanged); TimeoutError after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        job = get(job_id, root)
        if on_progress:
            on_progress(job)
        if job["state"] in FINAL:
            return job
        if time.monotonic() > end:
            raise TimeoutError(f"job {job_id} still {job['state']} after {timeout:.0f} s")
        time.sleep(0.2)


@contextmanager
def _worker_lock(d: Path, blocking: bool = True) -> Iterator[bool]:
    with os.fdopen(open_private(d / ".worker.lock", append=True), "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def worker_running(root: Path | str | None = None) -> bool:
    """Whether a worker holds the lock right now."""
    with _worker_lock(jobs_dir(root), blocking=False) as got:
        return not got


def revive(root: Path | str | None = None) -> bool:
    """Start a worker when jobs wait (queued, or left running by a killed worker) and no worker holds the
    lock: after a crash or a restart, the next page that shows the job panel resumes them."""
    root = data_dir(root)
    waiting = [j for j in _all(jobs_dir(root)) if j["state"] in ("queued", "running")]
    if not waiting or worker_running(root):
        return False
    start_worker_process(root)
    return True


# ---- whether the published snapshot is behind the load log ---------------------------------------
def _fingerprint(root: Path) -> str:
    """What of the load log a build depends on. Landings where every row was rejected change nothing in
    force (the build keeps the earlier landing), so they are left out."""
    h = hashlib.sha256()
    for e in read_load_log(root):
        if e.get("status") != "all_rejected":
            h.update(json.dumps(e, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


def _stamp_time(snapshot_name: str) -> float | None:
    """When a snapshot's build started, from its name (build stamps it with local time)."""
    try:
        return datetime.strptime(snapshot_name.split(".")[0], "%Y%m%dT%H%M%S%f").timestamp()
    except ValueError:
        return None


def needs_build(root: Path | str | None = None) -> bool:
    """The load log changed after the published snapshot's build started (a landing not yet published)."""
    from warehouse.build import published

    root = data_dir(root)
    log = load_log_path(root)
    cur = published(root)
    if not log.exists():
        return False
    if cur is None or not cur.is_file():
        return True
    builds = _read_json(jobs_dir(root) / _BUILDS) or {}
    if cur.name in builds:  # built by a worker: the load log as its build read it, exactly
        return builds[cur.name] != _fingerprint(root)
    start = _stamp_time(cur.name)  # built elsewhere (CLI, demo): go by time
    return start is None or log.stat().st_mtime > start


def _build(root: Path, say: Callable[[str, int, int], None]) -> str:
    """Build and publish; remember the load log this snapshot was built from. Returns the published name."""
    from warehouse.build import build, published

    fp = _fingerprint(root)  # before the build reads the log: a landing in between only causes one more build
    path = build(root, progress=say)
    d = jobs_dir(root)
    builds = _read_json(d / _BUILDS) or {}
    builds[path.name] = fp
    _write_json(d / _BUILDS, dict(sorted(builds.items())[-20:]))
    cur = published(root)
    from notify.deliver import after_build

    after_build(root)  # the alerts of the snapshot now published, for every user (never fails the job)
    return cur.name if cur else path.name


# ---- the worker ----------------------------------------------------------------------------------
class _Progress:
    """A (label, done, total) callback writing text + fraction into the job file, at most ~2× a second."""

    def __init__(self, job: dict, d: Path):
        self.job, self.d, self.last = job, d, 0.0
        self.start, self.span, self.prefix = 0.0, 1.0, ""

    def stage(self, start: float, end: float, prefix: str) -> _Progress:
        self.start, self.span, self.prefix = start, end - start, prefix
        return self

    def __call__(self, label: str, done: int, total: int) -> None:
        frac = self.start + self.span * min(max(done / total if total else 1.0, 0.0), 1.0)
        self.job["progress"] = {"text": f"{self.prefix}{label}", "fraction": round(frac, 4)}
        now = time.monotonic()
        if now - self.last >= WRITE_EVERY:
            self.last = now
            _write_json(_job_path(self.d, self.job["id"]), self.job)


def _source_title(source: str | None) -> str:
    from .contracts import get_source

    try:
        return get_source(source).title if source else ""
    except KeyError:
        return source or ""


def _run_land(job: dict, root: Path, say: _Progress) -> tuple[str, str]:
    from . import land as etl_land

    p = job["params"]
    pending = needs_build(root)  # an earlier landing (e.g. this job's killed first attempt) not yet published
    out = etl_land.land(p["source"], Path(job["file"]), p.get("period"), root=root, user=job.get("user"),
                        file_name=p.get("file_name"), mode=p.get("mode"), scope=tuple(p.get("scope") or ()),
                        allow_removal=bool(p.get("allow_removal")), role=job.get("role"),
                        progress=say.stage(0.0, LAND_SHARE, "导入："))
    title = _source_title(p["source"])
    e = out.entry
    if e is not None:
        job["result"] = {"load_id": e.load_id, "period": e.period, "rows_read": e.rows_read,
                         "rows_accepted": e.rows_accepted, "rows_rejected": e.rows_rejected, "status": e.status}
        job["params"]["period"] = e.period
        _log(f"job {job['id']} landed {p['source']} {e.period}: read {e.rows_read} accepted {e.rows_accepted} "
             f"rejected {e.rows_rejected}")
    landed = e is not None and e.status == "landed"
    if landed or pending:
        job["snapshot"] = _build(root, say.stage(LAND_SHARE, 1.0, "构建数据仓库："))
        if landed:
            return "published", (f"已导入{title} {e.period}：读取 {e.rows_read:,} 行，接收 {e.rows_accepted:,} 行，"
                                 f"拒绝 {e.rows_rejected:,} 行；数据仓库已重建，页面数据已更新。")
        return "published", "这个文件此前已导入，但尚未发布；数据仓库已重建，页面数据已更新。"
    if out.already:
        a = out.already
        job["params"]["period"] = a.get("period", p.get("period"))
        if _published_since(root, job):  # an earlier attempt of this job built and published before dying
            return "published", "这个文件已导入，数据仓库已重建，页面数据已更新。"
        return "unchanged", f"这个文件已于 {a['landed_at']} 导入过，数据无变化，未重建。"
    return "unchanged", f"全部 {e.rows_read:,} 行被拒绝，未替换已有数据，未重建。"


def _published_since(root: Path, job: dict) -> bool:
    from warehouse.build import published

    cur = published(root)
    first = job.get("first_started")
    start = _stamp_time(cur.name) if cur else None
    return bool(job.get("attempts", 0) > 1 and first and start and start >= first)


def _run_withdraw(job: dict, root: Path, say: _Progress) -> tuple[str, str]:
    from . import land as etl_land

    p = job["params"]
    say.stage(0.0, 0.1, "撤回：")("撤回 withdraw", 0, 1)
    etl_land.withdraw(p["load_id"], p["source"], p["period"], reason=p.get("reason") or "",
                      user=job.get("user"), root=root, role=job.get("role"))
    _log(f"job {job['id']} withdrew {p['source']} {p['period']} load {p['load_id']}")
    job["snapshot"] = _build(root, say.stage(0.1, 1.0, "构建数据仓库："))
    return "published", (f"已撤回{_source_title(p['source'])} {p['period']} 的导入（{p['load_id']}）；"
                         "数据仓库已重建，页面数据已更新。")


def _run_build(job: dict, root: Path, say: _Progress) -> tuple[str, str]:
    job["snapshot"] = _build(root, say.stage(0.0, 1.0, "构建数据仓库："))
    return "published", f"数据仓库已重建并发布（快照 {job['snapshot']}）。"


RUNNERS = {"land": _run_land, "build": _run_build, "withdraw": _run_withdraw}


def _failure(e: BaseException) -> tuple[str, str]:
    """(bilingual reason for the job file, what the log may say: a code or an exception class)."""
    from warehouse.build import BuildError

    if isinstance(e, ExtractError):
        return str(e), e.code
    if isinstance(e, BuildError):
        return f"构建失败 build failed: {e}", "BuildError"
    return f"后台任务出错 job error: {type(e).__name__}: {e}", type(e).__name__


def _run_one(job: dict, root: Path, d: Path) -> None:
    path = _job_path(d, job["id"])
    stale = job["state"] == "running"
    if stale:
        _log(f"job {job['id']} was left running by worker {job.get('pid')}: running it again")
    job.update(state="running", started_at=_now(), finished_at=None, pid=os.getpid(),
               attempts=job.get("attempts", 0) + 1, error=None)
    job.setdefault("first_started", time.time())
    job["progress"] = {"text": STATE_ZH["running"], "fraction": 0.0}
    if job["attempts"] > MAX_ATTEMPTS:
        state, message = "failed", ""
        job["error"] = (f"任务已中断 {MAX_ATTEMPTS} 次，不再重试 / the job's worker died {MAX_ATTEMPTS} times; "
                        "not retried")
        code = "TOO_MANY_ATTEMPTS"
    else:
        _write_json(path, job)
        _log(f"job {job['id']} {job['kind']} {job['params'].get('source', '')} {job['params'].get('period', '')} "
             f"started (attempt {job['attempts']})")
        code = ""
        try:
            state, message = RUNNERS[job["kind"]](job, root, _Progress(job, d))
        except Exception as e:  # noqa: BLE001 (any failure ends the job; the published snapshot stays)
            state, message = "failed", "处理失败，已发布的数据保持不变。"
            job["error"], code = _failure(e)
    job.update(state=state, message=message, finished_at=_now())
    job["progress"] = {"text": STATE_ZH[state], "fraction": 1.0 if state != "failed" else job["progress"]["fraction"]}
    _write_json(path, job)
    shutil.rmtree(d / job["id"], ignore_errors=True)  # the waiting file (names, ID numbers) goes with the job
    _log(f"job {job['id']} {state}" + (f" ({code})" if code else ""))
    _audit("job", job, root, ok=state != "failed",
           detail=f"{STATE_ZH[state]}：{message}" + (f" {job['error']}" if job.get("error") else ""))


def _next(d: Path) -> dict | None:
    """The oldest job waiting: queued, or running under a worker that died (we hold the only lock)."""
    return next((j for j in _all(d) if j["state"] in ("queued", "running")), None)


def _tidy(d: Path) -> None:
    """Folders of ended or never-written jobs, and the oldest finished job files beyond KEEP_JOBS."""
    jobs = {j["id"]: j for j in _all(d)}
    for folder in d.iterdir():
        if not folder.is_dir() or not JOB_ID.fullmatch(folder.name):
            continue
        job = jobs.get(folder.name)
        try:
            orphan = job is None and time.time() - folder.stat().st_mtime > ORPHAN_AGE
        except FileNotFoundError:
            continue
        if orphan or (job is not None and job["state"] in FINAL):
            shutil.rmtree(folder, ignore_errors=True)
    done = [j for j in jobs.values() if j["state"] in FINAL]
    for j in done[: max(len(done) - KEEP_JOBS, 0)]:
        _job_path(d, j["id"]).unlink(missing_ok=True)


def run_worker(root: Path | str | None = None) -> int:
    """Run queued jobs one at a time, oldest first, until none waits; returns how many ran.

    Blocks until it holds the worker lock: a second worker waits for the first, then finds the queue
    empty (or holding jobs submitted meanwhile) and exits.
    """
    root = data_dir(root)
    d = jobs_dir(root)
    n = 0
    with _worker_lock(d):
        while (job := _next(d)) is not None:  # re-read every time: jobs submitted meanwhile run too
            _run_one(job, root, d)
            n += 1
        _tidy(d)
    return n
