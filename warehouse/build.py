"""Build: landed Parquet (+ reference data) → a NEW DuckDB snapshot → atomic pointer swap.

The build is a pure function of the landed files. It never touches the published snapshot: it
writes `snapshots/<stamp>.duckdb`, runs every constraint, and only then replaces `snapshots/CURRENT`
with os.replace. Apps holding the old file keep reading it until their next rerun.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import yaml

from etl import force
from etl.contracts import parse_period, sources
from etl.crash import checkpoint
from etl.landed import current_loads, in_force, landed_dir, read_load_log
from etl.validate import accepted_schema
from settings import config_dir, data_dir, make_private, open_private, private_dir

SQL_DIR = Path(__file__).parent / "sql"
REPO_DIR = Path(__file__).resolve().parents[1]
# Deployment configuration (standards, visit rules, goals…) and shipped reference catalogues, as CSV.
# Each file becomes a table in the snapshot: config/x.csv → cfg_x, reference/y.csv → ref_y.
NOT_OBSERVATIONS = {"plan_indicators"}  # sources that say what should be, not what is
KEEP_SNAPSHOTS = 5
POINTER = "CURRENT"
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
TABLE_NAME = re.compile(r"[a-z][a-z0-9_]*")
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class BuildError(RuntimeError):
    """The build failed; the published snapshot is untouched."""


@dataclass
class Model:
    name: str
    layer: str  # staging | marts
    sql: str
    checks: dict


def snapshots_dir(root: Path) -> Path:
    return root / "snapshots"


def load_models() -> list[Model]:
    """Every model, each after the other models it mentions: staging views first unless one reads a mart (a
    view is bound when created, so the mart it reads must exist by then), marts in dependency order."""
    models = []
    for layer in ("staging", "marts"):
        for p in sorted((SQL_DIR / layer).glob("*.sql")):
            ypath = p.with_suffix(".yaml")
            checks = yaml.safe_load(ypath.read_text(encoding="utf-8")) if ypath.exists() else {}
            models.append(Model(p.stem, layer, p.read_text(encoding="utf-8"), checks or {}))
    by_name = {m.name: m for m in models}
    macros = _macro_bodies()
    ordered, done = [], set()

    def visit(m: Model, path: tuple[str, ...] = ()) -> None:
        if m.name in done:
            return
        if m.name in path:
            raise BuildError(f"模型循环引用 model cycle: {' → '.join(path + (m.name,))}")
        text = _with_macros(_strip_comments(m.sql), macros)
        for other in by_name.values():
            if other.name != m.name and re.search(rf"\b{other.name}\b", text):
                visit(other, path + (m.name,))
        done.add(m.name)
        ordered.append(m)

    for m in models:
        visit(m)
    return ordered


def _macro_bodies() -> dict[str, str]:
    """name → text of each macro in macros.sql, comments and strings stripped."""
    parts = re.split(r"\bcreate\s+or\s+replace\s+macro\s+(\w+)", _strip_comments(
        (SQL_DIR / "macros.sql").read_text(encoding="utf-8")), flags=re.IGNORECASE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _with_macros(text: str, macros: dict[str, str]) -> str:
    """A model's text and the bodies of the macros it calls, and that those call: a model a macro reads
    (in_force_today reads region_current) must be built before the models calling it."""
    seen: set[str] = set()
    while called := {n for n in macros if n not in seen and re.search(rf"\b{n}\s*\(", text)}:
        seen |= called
        text += "\n" + "\n".join(macros[n] for n in sorted(called))
    return text


def _strip_comments(sql: str) -> str:
    """SQL without comments and string literals (`source = 'regions'` names a source, not the model)."""
    return re.sub(r"'(?:[^']|'')*'", "''", re.sub(r"--[^\n]*", "", sql))


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _load_raw(con: duckdb.DuckDBPyConnection, root: Path, chains: dict[tuple[str, str], list[dict]]) -> None:
    """raw_<source>: the rows in force of each source, typed per its contract (empty if none).

    Which rows are in force (a period replaced whole, by county or street, or merged by key; withdrawn
    landings left out) is etl/force.py's rule, shared with the upload preview.
    """
    for name, src in sources().items():
        cols = accepted_schema(src) + [("period_start", "DATE"), ("period_end", "DATE")]
        con.execute(f"create table raw_{name} ({', '.join(f'{c} {t}' for c, t in cols)})")
        mine = {p: chain for (s, p), chain in chains.items() if s == name}
        if not mine:
            continue
        singles = [str(landed_dir(root) / c[0]["accepted_path"]) for c in mine.values() if len(c) == 1]
        if singles:  # the usual case, one landing per period: one read of all the files
            con.execute(f"insert into raw_{name} by name select * from read_parquet(?, union_by_name=true)",
                        [singles])  # file names are a parameter, never SQL text
        for chain in (c for c in mine.values() if len(c) > 1):
            force.load_in_force(con, f"raw_{name}", src, chain, lambda e: (
                "select * from read_parquet(?)", [str(landed_dir(root) / e["accepted_path"])]))
        for p in sorted(mine):
            start, end = parse_period(p, src.period)
            con.execute(f"update raw_{name} set period_start = ?, period_end = ? where period = ?", [start, end, p])


def _person_extra() -> list[str]:
    """pii columns of ID-keyed sources besides the child's name (guardian_name, guardian_phone…), by contract."""
    return sorted({c.name for s in sources().values() if s.id_column is not None
                   for c in s.columns if c.pii and c.name != "child_name"})


def _load_pii(con: duckdb.DuckDBPyConnection, root: Path, loads: list[dict]) -> None:
    """Schema pii: the person table (children, by person_key) and staff names; never read by marts.

    Also `person_masked` (person_key, masked_name 张*明, masked_id 3204…1234): the only identity the
    child-list marts (list_*) may read, so a list is a read of one mart instead of a join with the
    person table per request. It is dropped once the marts are built.
    """
    con.execute("create schema pii")
    people = [str(landed_dir(root) / e["person_path"]) for e in loads
              if e.get("person_path") and sources()[e["source"]].id_column is not None]
    if people:
        cols = {r[0] for r in con.execute("describe select * from read_parquet(?, union_by_name=true)",
                                          [people]).fetchall()}
        name = "arg_max(child_name, period)" if "child_name" in cols else "null::varchar"
        # Other pii about the child kept by ID-keyed sources (the key-children ledger's guardian name and phone):
        # the latest non-empty value, for the child's file. Contract column names only, never a file's header.
        extra = "".join(f", arg_max({c}, period) filter (where nullif({c}, '') is not null) as {c}"
                        if c in cols else f", null::varchar as {c}" for c in _person_extra())
        con.execute(f"""
            create table pii.person as
            select person_key, any_value(id_number) as id_number,
                   {name} as name,
                   any_value(sex) as sex, any_value(birth_date) as birth_date,
                   list(distinct source order by source) as sources{extra}
            from read_parquet(?, union_by_name=true)
            group by person_key
            order by person_key""", [people])  # one child's row is then a read of one row group (its min/max), not a scan
    else:
        extra = "".join(f", {c} varchar" for c in _person_extra())
        con.execute("create table pii.person (person_key varchar, id_number varchar, name varchar, sex varchar,"
                    f" birth_date date, sources varchar[]{extra})")
    guardian = (", mask_name(guardian_name) as masked_guardian_name" if "guardian_name" in _person_extra() else "") + \
        (", mask_phone(guardian_phone) as masked_guardian_phone" if "guardian_phone" in _person_extra() else "")
    con.execute("create table person_masked as select person_key, mask_name(name) as masked_name, "
                f"mask_id(id_number) as masked_id{guardian} from pii.person")
    merged = set()
    for e in reversed(loads):  # newest landing first: its names win where a correction repeats a key
        src = sources()[e["source"]]
        if e.get("person_path") and src.id_column is None:
            merged.add(src.name)
            tbl = f"pii.{src.name}"
            path = str(landed_dir(root) / e["person_path"])
            exists = con.execute("select count(*) from duckdb_tables() where schema_name='pii' and table_name=?",
                                 [src.name]).fetchall()[0][0]
            if exists:
                con.execute(f"insert into {tbl} by name select * from read_parquet(?)", [path])
            else:
                con.execute(f"create table {tbl} as select * from read_parquet(?)", [path])
    for name in merged:  # one row per key and period, as in the rows in force
        keys = ", ".join(sources()[name].key)
        con.execute(f"create or replace table pii.{name} as select * from pii.{name} "
                    f"qualify row_number() over (partition by period, {keys} order by rowid) = 1")


def _load_log_table(con: duckdb.DuckDBPyConnection, log: list[dict], chains: dict) -> None:
    """load_log: every landing; is_current marks those that may hold rows in force (etl/force.py)."""
    live = {id(e) for chain in chains.values() for e in chain}
    con.execute("""create table load_log (load_id varchar, source varchar, period varchar, file_name varchar,
        sha256 varchar, fmt varchar, encoding varchar, rows_read bigint, rows_accepted bigint,
        rows_rejected bigint, status varchar, landed_at timestamp, landed_by varchar, is_synthetic boolean,
        is_current boolean, mode varchar, is_withdrawn boolean)""")
    rows = [(e["load_id"], e["source"], e["period"], e["file_name"], e["sha256"], e["fmt"], e.get("encoding"),
             e["rows_read"], e["rows_accepted"], e["rows_rejected"], e["status"], e["landed_at"], e["landed_by"],
             bool(e.get("is_synthetic")), id(e) in live, force.entry_mode(e), bool(e.get("withdrawn")))
            for e in log]
    if rows:
        con.executemany("insert into load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    # Rejected rows per reason code of each landing (landings made before reasons were logged have none).
    con.execute("create table load_reasons (load_id varchar, source varchar, period varchar, "
                "reason_code varchar, rows_rejected bigint)")
    reasons = [(e["load_id"], e["source"], e["period"], code, n) for e in log for code, n in (e.get("reasons") or {}).items()]
    if reasons:
        con.executemany("insert into load_reasons values (?, ?, ?, ?, ?)", reasons)


def _sources_table(con: duckdb.DuckDBPyConnection) -> None:
    """`sources`: every extract the product knows (from the contracts), landed or not."""
    con.execute("create table sources (source varchar, title varchar, title_en varchar, department varchar, "
                "kind varchar, grain varchar, on_demand boolean)")
    con.executemany("insert into sources values (?, ?, ?, ?, ?, ?, ?)",
                    [(s.name, s.title, s.title_en, s.department, s.kind, s.period, s.on_demand)
                     for s in sources().values()])


def _load_tables(con: duckdb.DuckDBPyConnection) -> None:
    """cfg_<name> from config/*.csv and ref_<name> from reference/*.csv (columns *_code stay text)."""
    for prefix, folder in (("cfg", config_dir()), ("ref", REPO_DIR / "reference")):
        for path in sorted(folder.glob("*.csv")):
            if not TABLE_NAME.fullmatch(path.stem):  # the file name becomes a table name: plain words only
                raise BuildError(f"配置文件名只能用小写字母、数字和下划线 config file name must be lower-case letters, "
                                 f"digits and _: {path.name}")
            try:
                header = path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
            except (UnicodeDecodeError, IndexError):
                raise BuildError(f"配置文件 {path.name} 无法读取（须为 UTF-8 编码并有表头）"
                                 f" unreadable config: {path.name} (UTF-8 with a header row)") from None
            types = {h.strip(): "VARCHAR" for h in header if h.strip().endswith(("_code", "_id", "_no"))}
            opts = ", types=?" if types else ""
            try:
                con.execute(f"create table {prefix}_{path.stem} as select * from read_csv(?, header=true{opts})",
                            [str(path), types] if types else [str(path)])
            except duckdb.Error as e:
                raise BuildError(f"配置文件 {path.name} 无法读取 unreadable config: {str(e).splitlines()[0]}") from None


def _load_boundaries(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Table `boundaries`: every landed boundary version (GeoJSON text, full and simplified for display).

    Pages read polygons from here, never from files; `is_current` marks the version in force.
    """
    import pandas as pd
    import pyarrow.parquet as pq
    import shapely

    from etl.boundaries import boundaries_dir, boundary_versions

    con.execute("""create table boundaries (region_code varchar, region_name varchar, level varchar,
        valid_from date, valid_to date, is_current boolean, is_schematic boolean, source_file varchar,
        geometry varchar, simplified varchar, area_km2 double, lon double, lat double)""")
    frames = []
    for v in boundary_versions(root):
        t = pq.read_table(boundaries_dir(root) / v["path"]).to_pandas()
        frames.append(pd.DataFrame({
            "region_code": t["region_code"], "region_name": t["region_name"], "level": t["level"],
            "valid_from": pd.Timestamp(v["valid_from"]).date(),
            "valid_to": pd.Timestamp(v["valid_to"]).date() if v["valid_to"] else None,
            "is_current": v["is_current"], "is_schematic": bool(v.get("is_schematic")),
            "source_file": v["file_name"],
            "geometry": shapely.to_geojson(shapely.from_wkb(t["geometry_wkb"].tolist())),
            "simplified": shapely.to_geojson(shapely.from_wkb(t["simplified_wkb"].tolist())),
            "area_km2": t["area_km2"], "lon": t["lon"], "lat": t["lat"]}))
    if frames:
        df = pd.concat(frames, ignore_index=True)  # noqa: F841 (read by DuckDB below)
        con.execute("insert into boundaries by name select * from df")


def _check(con: duckdb.DuckDBPyConnection, m: Model) -> list[str]:
    """Constraint failures of one model, as readable lines."""
    errs = []
    c = m.checks
    for cols in c.get("unique", []):
        cl = ", ".join(cols)
        n = con.execute(f"select count(*) from (select {cl} from {m.name} group by all having count(*) > 1)").fetchall()[0][0]
        if n:
            errs.append(f"{m.name}: ({cl}) 不唯一 not unique — {n} duplicated keys")
    for col in c.get("not_null", []):
        n = con.execute(f"select count(*) from {m.name} where {col} is null").fetchall()[0][0]
        if n:
            errs.append(f"{m.name}.{col}: {n} 个空值 nulls")
    for col, values in (c.get("accepted_values") or {}).items():
        lst = ", ".join(_q(str(v)) for v in values)
        bad = con.execute(f"select distinct {col}::varchar from {m.name} where {col} is not null "
                          f"and {col}::varchar not in ({lst}) limit 5").fetchall()
        if bad:
            errs.append(f"{m.name}.{col}: 非法取值 unexpected values {[b[0] for b in bad]}")
    for col, ref in (c.get("relationships") or {}).items():
        rt, rc = ref.split(".")
        n = con.execute(f"select count(*) from {m.name} a where a.{col} is not null and not exists "
                        f"(select 1 from {rt} b where b.{rc} = a.{col})").fetchall()[0][0]
        if n:
            errs.append(f"{m.name}.{col}: {n} 行在 {ref} 中不存在 rows with no match in {ref}")
    return errs


def _meta(con: duckdb.DuckDBPyConnection, snapshot_id: str, current: dict) -> None:
    # The date the data describe: the latest period end among observations, but never later than the
    # day that landing was made (a roster for the current year is as of its landing, not of 31 December).
    # Plan files are targets, not observations, and do not count.
    ends = [min(parse_period(p, sources()[s].period)[1], date.fromisoformat(e["landed_at"][:10]))
            for (s, p), e in current.items() if s not in NOT_OBSERVATIONS]
    data_date = max(ends) if ends else None  # no data yet: the pages say so, nothing pretends a date
    is_demo = any(e.get("is_synthetic") for e in current.values())
    # The build's own day in Beijing: what "expected by now" means while no extract has landed.
    built_at = datetime.now(UTC)
    build_date = built_at.astimezone(BEIJING).date()
    con.execute("create table meta as select ? as snapshot_id, ?::timestamp as built_at, ?::date as data_date, "
                "? as is_demo, ?::date as build_date",
                [snapshot_id, built_at.replace(tzinfo=None), data_date, is_demo, build_date])


def build(root: Path | str | None = None, progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Build a new snapshot from the landed files, check it, publish it; returns its path."""
    root = data_dir(root)
    log = read_load_log(root)
    chains = in_force(log)
    current = current_loads(log)
    snaps = private_dir(snapshots_dir(root), top=root)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    tmp = snaps / f"{stamp}.duckdb.building"
    final = snaps / f"{stamp}.duckdb"
    models = load_models()
    steps = len(models) + 3
    say = progress or (lambda *_: None)
    con = duckdb.connect(str(tmp), config=DUCKDB_CONFIG)
    make_private(tmp)  # DuckDB creates it by the umask; a snapshot holds the person table
    try:
        say("载入已导入数据", 1, steps)
        _load_raw(con, root, chains)
        _load_log_table(con, log, chains)
        _sources_table(con)
        _meta(con, stamp, current)
        con.execute((SQL_DIR / "macros.sql").read_text(encoding="utf-8"))
        # The query catalogue's scope macros, stored in the snapshot: defining them on every read costs ~1 ms.
        con.execute((SQL_DIR / "queries" / "scope.sql").read_text(encoding="utf-8"))
        _load_tables(con)
        _load_boundaries(con, root)
        say("载入人员表", 2, steps)
        _load_pii(con, root, [e for chain in chains.values() for e in chain])
        checkpoint("build:loaded")
        errors: list[str] = []
        for i, m in enumerate(models, start=3):
            say(f"{'整理' if m.layer == 'staging' else '计算'}模型 {m.name}", i, steps)  # shown on the upload page
            kind = "view" if m.layer == "staging" else "table"
            try:
                con.execute(f"create {kind} {m.name} as\n{m.sql}")
            except duckdb.Error as e:
                raise BuildError(f"模型 {m.layer}/{m.name}.sql 执行失败 model failed: {str(e).splitlines()[0]}") from None
        for m in models:  # after every model exists, so relationships may point anywhere
            errors += _check(con, m)
        con.execute("drop table person_masked")  # only the list marts needed it; they carry their own copy
        if errors:
            raise BuildError("约束检查失败 constraint checks failed:\n  " + "\n  ".join(errors))
        say("发布", steps, steps)
        con.execute("checkpoint")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    checkpoint("build:before_rename")
    os.replace(tmp, final)
    checkpoint("build:before_publish")
    with _publish_lock(snaps):
        # Two builds racing (CLI and the upload page): one that started earlier must not replace a newer
        # snapshot already published. It stays on disk (rollback can still pick it).
        cur = published(root)
        if cur is None or not cur.is_file() or cur.name < final.name:
            publish(root, final.name)
    checkpoint("build:after_publish")
    _prune(snaps, keep=KEEP_SNAPSHOTS)
    return final


def publish(root: Path, snapshot_name: str) -> None:
    """Point CURRENT at a snapshot atomically (also used to roll back)."""
    snaps = snapshots_dir(root)
    if not (snaps / snapshot_name).is_file():
        raise BuildError(f"快照不存在 no such snapshot: {snapshot_name}")
    tmp = snaps / f".{POINTER}.{os.getpid()}.tmp"
    with os.fdopen(open_private(tmp), "w", encoding="utf-8") as f:
        f.write(snapshot_name + "\n")
        f.flush()
        os.fsync(f.fileno())  # the pointer must never name a snapshot with its bytes still in flight
    checkpoint("publish:pointer_tmp_written")
    os.replace(tmp, snaps / POINTER)
    dir_fd = os.open(snaps, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


@contextmanager
def _publish_lock(snaps: Path):
    with os.fdopen(open_private(snaps / ".publish.lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def published(root: Path | str | None = None) -> Path | None:
    """The snapshot CURRENT points at, if any."""
    p = snapshots_dir(data_dir(root)) / POINTER
    if not p.exists():
        return None
    return p.parent / p.read_text(encoding="utf-8").strip()


def list_snapshots(root: Path) -> list[Path]:
    return sorted(snapshots_dir(root).glob("*.duckdb"))


def _prune(snaps: Path, keep: int) -> None:
    """Keep the newest few snapshots for rollback; never the one CURRENT points at."""
    cur = (snaps / POINTER).read_text(encoding="utf-8").strip()
    old = [p for p in sorted(snaps.glob("*.duckdb")) if p.name != cur][: -(keep - 1) or None]
    for p in old:
        p.unlink(missing_ok=True)  # an app still reading it keeps its open file handle (POSIX)
    # Left by killed builds (a build still running touches its file; an hour-old one is dead).
    for pattern in ("*.building", "*.building.wal", f".{POINTER}.*.tmp"):
        for p in snaps.glob(pattern):
            try:
                if time.time() - p.stat().st_mtime > 3600:
                    p.unlink(missing_ok=True)
            except FileNotFoundError:  # renamed by the build or publish that owned it
                pass


def summary(root: Path | str | None = None) -> dict:
    """What is landed and published, for `python -m etl status`."""
    root = data_dir(root)
    log = read_load_log(root)
    cur = current_loads(log)
    snap = published(root)
    by_source = {}
    for name, src in sources().items():
        periods = sorted(p for (s, p) in cur if s == name)
        last = max((e for e in log if e["source"] == name), key=lambda e: e["landed_at"], default=None)
        by_source[name] = {
            "title": src.title, "department": src.department, "periods": periods,
            "rows_accepted": sum(cur[(name, p)]["rows_accepted"] for p in periods),
            "rows_rejected": sum(cur[(name, p)]["rows_rejected"] for p in periods),
            "last_landed_at": last["landed_at"] if last else None,
        }
    return {"data_dir": str(root), "published_snapshot": snap.name if snap else None,
            "snapshots": [p.name for p in list_snapshots(root)], "loads": len(log), "sources": by_source}


def _json(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)
