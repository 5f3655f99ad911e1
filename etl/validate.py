"""Validation, vectorised in DuckDB: type every column, check every rule, split accepted from rejected.

Each rejected row keeps its original values, its row number in the file, a reason code and a
message in Chinese. Accepted rows are typed, carry `person_key` (HMAC of the normalised ID) instead
of the ID, and never hold names; names and raw IDs go to a separate person table.
"""
from __future__ import annotations

import difflib
import hashlib
import hmac
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from .cell_rules import (
    ID_CHECK,
    ID_WEIGHTS,
    LEVEL_ZH,
    MAX_TEXT_CHARS,
    SQL_TYPES,
    RowRules,
    id_items,
    sql_ident,
    sql_literal,
)
from .contracts import DEPT_SEP, Column, Source, department_of, departments
from .errors import ExtractError
from .read import EXTRA, REJECT_COLUMNS, ROW_NO, SQL_EXTRA, Extract, duck, sql_names

STREET_SUFFIXES = ("街道办事处", "街道办", "街道", "镇人民政府", "人民政府", "办事处", "镇", "乡")
COMMUNITY_SUFFIXES = ("社区居民委员会", "居民委员会", "社区居委会", "村民委员会", "居委会", "村委会", "社区", "村")


def id_check_digit(first17: str) -> str:
    """GB 11643 / ISO 7064 MOD 11-2 check character for the first 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def is_valid_id(text: str) -> bool:
    """An 18-character resident ID with a correct check digit and a real birth date."""
    s = text.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", s) or id_check_digit(s[:17]) != s[17]:
        return False
    try:
        date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return True


def person_key(id_number: str, secret: bytes) -> str:
    """Linkage key: HMAC-SHA256 of the normalised ID, hex, truncated to 128 bits."""
    return hmac.digest(secret, id_number.strip().upper().encode(), "sha256").hex()[:32]


def accepted_schema(source: Source) -> list[tuple[str, str]]:
    """Columns and DuckDB types of a source's accepted Parquet (what build expects)."""
    cols = [(c.name, SQL_TYPES[c.type]) for c in source.columns if not c.pii and c.type != "id_card"]
    if source.id_column is not None:
        names = {n for n, _ in cols}
        cols.insert(0, ("person_key", "VARCHAR"))
        cols += [(n, t) for n, t in (("birth_date", "DATE"), ("sex", "VARCHAR")) if n not in names]
    return cols + [("period", "VARCHAR"), ("load_id", "VARCHAR")]


@dataclass
class ParquetOut:
    """A result table written to a Parquet file rather than held in memory (validate's `out`)."""

    path: Path
    num_rows: int

    def read(self) -> pa.Table:
        import pyarrow.parquet as pq

        return pq.read_table(self.path)


OUT_NAMES = {"accepted": "accepted.parquet", "rejected": "rejected.parquet", "persons": "persons.parquet"}
BATCH_ROWS = 1 << 19  # rows per batch (and Parquet row group) when results are written as they are computed


def _write_batches(reader, paths: dict[str, Path], split) -> dict[str, int]:
    """Write the batches of `reader` to Parquet files (zstd, 0600, fsynced), `split(table)` giving each file's part."""
    import pyarrow.parquet as pq

    from settings import open_private

    files, writers, counts = {}, {}, dict.fromkeys(paths, 0)

    def write(name: str, table: pa.Table) -> None:
        if name not in writers:
            files[name] = os.fdopen(open_private(paths[name]), "wb")
            writers[name] = pq.ParquetWriter(files[name], table.schema, compression="zstd")
        if table.num_rows:
            writers[name].write_table(table)
            counts[name] += table.num_rows

    try:
        for batch in reader:
            for name, table in split(pa.Table.from_batches([batch])).items():
                write(name, table)
        for name, table in split(reader.schema.empty_table()).items():  # no rows at all: the schema alone
            write(name, table)
    finally:
        for name, w in writers.items():
            w.close()
            files[name].flush()
            os.fsync(files[name].fileno())
            files[name].close()
    return counts


@dataclass
class Result:
    accepted: pa.Table | ParquetOut
    rejected: pa.Table | ParquetOut
    persons: pa.Table | ParquetOut | None
    rows_read: int
    skipped: int = 0  # rows outside the deployment's root region (an official table of the whole province)
    skip_note: str | None = None  # "跳过 N 行（不在本部署范围 … 内）", for the landing summary


# ---- division names --------------------------------------------------------------------------------
def _norm_name(text: str, suffixes: tuple[str, ...]) -> str:
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    for suf in suffixes:
        if s.endswith(suf) and len(s) > len(suf):
            return s[: -len(suf)]
    return s


class RegionIndex:
    """Division codes and names from the landed region dimension."""

    def __init__(self, regions: pa.Table):
        rows = regions.to_pylist()
        self.level = {r["region_code"]: r["level"] for r in rows}
        self.name = {r["region_code"]: r["region_name"] for r in rows}
        self.parent = {r["region_code"]: r["parent_code"] for r in rows}
        self.table = regions
        self._by_name: dict[str, dict[str, list[str]]] = {"street": {}, "community": {}}
        for r in rows:
            if r["level"] in self._by_name:
                suf = STREET_SUFFIXES if r["level"] == "street" else COMMUNITY_SUFFIXES
                self._by_name[r["level"]].setdefault(_norm_name(r["region_name"], suf), []).append(r["region_code"])

    def _label(self, code: str) -> str:
        chain, c = [], code
        while c and c in self.name and self.level.get(c) not in ("province", "city"):
            chain.append(self.name[c])
            c = self.parent.get(c)
        return "".join(reversed(chain)) + f"（{code}）"

    def resolve(self, level: str, text: str, within: str | None = None) -> tuple[str | None, str | None]:
        """(code, None) or (None, Chinese message with candidates)."""
        suf = STREET_SUFFIXES if level == "street" else COMMUNITY_SUFFIXES
        key = _norm_name(text, suf)
        pool = self._by_name[level]
        codes = [c for c in pool.get(key, []) if within is None or self.parent.get(c) == within]
        if len(codes) == 1:
            return codes[0], None
        what = LEVEL_ZH[level]
        if len(codes) > 1:
            cands = "、".join(self._label(c) for c in codes[:5])
            return None, f"{what}名称“{text}”有重名，请改填代码。可能是：{cands}"
        scope = [n for n, cs in pool.items() if within is None or any(self.parent.get(c) == within for c in cs)]
        near = difflib.get_close_matches(key, scope, n=3, cutoff=0.4)
        cands = "、".join(self._label(c) for n in near for c in pool[n]
                         if within is None or self.parent.get(c) == within)
        tail = f"，相近的有：{cands}" if cands else ""
        where = f"（在{self.name.get(within, within)}内）" if within else ""
        return None, f"未能识别{what}名称“{text}”{where}{tail}"


def _resolve_names(con: duckdb.DuckDBPyConnection, source: Source, ext: Extract, regions: RegionIndex) -> list[str]:
    """Resolve street/community names to codes in Python over distinct values; returns select items."""
    cols = {c.name: c for c in source.columns}
    names = [c for c in source.columns if c.type == "division_name" and c.name in ext.mapping]
    if not names:
        return []
    street = next((c for c in names if c.level == "street"), None)
    comm = next((c for c in names if c.level == "community"), None)
    sql_cols = ", ".join(f"nullif(trim({ext.sql_name(c.name)}), '') as {c.name}" for c in names)
    distinct = con.execute(f"select distinct {sql_cols} from raw").fetchall()
    out_rows = []
    for vals in distinct:
        d = dict(zip([c.name for c in names], vals))
        s_txt = d.get(street.name) if street else None
        c_txt = d.get(comm.name) if comm else None
        code = msg = None
        s_code = None
        if s_txt:
            s_code, msg = regions.resolve("street", s_txt)
        if c_txt and not msg:
            code, msg = regions.resolve("community", c_txt, within=s_code)
        elif s_code:
            code = s_code
        out_rows.append((*vals, code, msg))
    schema = [(c.name, pa.string()) for c in names] + [("res_code", pa.string()), ("res_msg", pa.string())]
    table = pa.table({n: pa.array([r[i] for r in out_rows], t) for i, (n, t) in enumerate(schema)})
    con.register("resolved_names", table)
    # Which code column does the resolved name fill? Same level, else the 'any' division column.
    level = "community" if comm else "street"
    target = next((c for c in cols.values() if c.type == "division" and c.level == level), None) or \
        next((c for c in cols.values() if c.type == "division" and c.level == "any"), None)
    return [target.name] if target else []


def _lookup_checks(con: duckdb.DuckDBPyConnection, source: Source, ext: Extract, rules: RowRules) -> None:
    """Columns with `lookup: departments`: every ;-separated item must name a known department."""
    cols = [c for c in source.columns if c.lookup == "departments" and c.name in ext.mapping]
    if not cols:
        return
    known = departments()
    names = "、".join(sorted(set(known.values())))
    for col in cols:
        values = [v for (v,) in con.execute(f"select distinct r_{col.name} from normalised "
                                            f"where r_{col.name} is not null").fetchall()]
        bad = {}
        for v in values:
            unknown = [x.strip() for x in DEPT_SEP.split(v) if x.strip() and department_of(x, known) is None]
            if unknown:
                bad[v] = "、".join(unknown)
        if not bad:
            continue
        # The file's values reach SQL as a registered table, joined in `checked`, never as text.
        table = f"unknown_departments_{col.name}"
        con.register(table, pa.table({"value": pa.array(list(bad), pa.string()),
                                      "unknown": pa.array(list(bad.values()), pa.string())}))
        rules.joins.append(f" left join {table} on {table}.value = normalised.r_{col.name}")
        rules.joined.append(f"{table}.unknown as unknown_{col.name}")
        rules.checks.append(("UNKNOWN_DEPARTMENT", f"unknown_{col.name} is not null",
                         (f"{sql_literal(f'“{col.label}”中的单位“')} || unknown_{col.name} || "
                         f"{sql_literal(f'”不在部门名录（config/departments.csv）中；可填：{names}')}")))


def _date_order_checks(source: Source, ext: Extract, rules: RowRules) -> None:
    """`date_order: [[a, b]]`: when both dates are given, b must not be earlier than a."""
    for first, second in source.date_order:
        if first not in ext.mapping or second not in ext.mapping:
            continue
        la, lb = source.column(first).label, source.column(second).label
        rules.checks.append(("DATE_ORDER", f"v_{first} is not null and v_{second} is not null and v_{second} < v_{first}",
                         (f"{sql_literal(f'“{lb}”（')} || strftime(v_{second}, '%Y-%m-%d') || "
                         f"{sql_literal(f'）早于“{la}”（')} || strftime(v_{first}, '%Y-%m-%d') || '）'")))


def _cell_items(source: Source, ext: Extract) -> list[str]:
    """Select items over the raw text of the columns that land: the first (1-based) column holding a NUL, and
    the first column longer than MAX_TEXT_CHARS that no text check of its own covers, with its length. (Columns
    the contract does not know never land: what they hold is kept only in the rejected-rows file.)"""
    names = sql_names(ext.column_names)
    mapped = {ext.sql_name(c) for c in ext.mapping}
    raw = [n for n in names if n in mapped]
    texts = {ext.sql_name(c.name) for c in source.columns if c.type in ("text", "division_name")}
    pos = {n: j + 1 for j, n in enumerate(names)}
    nul = " ".join(f"when contains({sql_ident(n)}, chr(0)) then {pos[n]}" for n in raw)
    # strlen (bytes, free) before length (characters, a scan): a cell is never longer in characters than bytes.
    too_long = {n: f"strlen({sql_ident(n)}) > {MAX_TEXT_CHARS} and length({n}) > {MAX_TEXT_CHARS}"
                for n in raw if n not in texts}
    col = " ".join(f"when {cond} then {pos[n]}" for n, cond in too_long.items())
    length = " ".join(f"when {cond} then length({n})" for n, cond in too_long.items())
    return [f"case {nul} end as _nul_col" if nul else "null::integer as _nul_col",
            f"case {col} end as _long_col" if col else "null::integer as _long_col",
            f"case {length} end as _long_len" if length else "null::bigint as _long_len"]


def hmac_sql(column: str, secret: bytes) -> tuple[str, list[bytes]]:
    """SQL for `person_key(column, secret)` (HMAC-SHA256 per RFC 2104, hex, first 32) and its parameters.

    Computed inside DuckDB, in parallel, instead of one Python call per distinct ID; the value is
    identical to `person_key` (tests compare them). The column must already be trimmed and upper-case.
    """
    key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\0")
    ipad, opad = bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)
    return f"left(sha256(?::blob || unhex(sha256(?::blob || encode({column})))), 32)", [opad, ipad]


def _scope_check(source: Source, scope, rules: RowRules) -> None:
    """Rows outside the uploader's area are refused: a county officer lands only their county's rows."""
    from .force import area_column, clean_scope

    prefixes = clean_scope(scope)
    col = area_column(source)
    if prefixes is None or col is None:
        return
    if not all(re.fullmatch(r"\d{1,12}", p) for p in prefixes):
        raise ValueError(f"scope must be division-code prefixes: {prefixes!r}")
    inside = " or ".join(f"starts_with(v_{col}, {sql_literal(p)})" for p in prefixes)
    rules.checks.append(("OUT_OF_SCOPE", f"v_{col} is null or not ({inside})",
                     "'该行的区划不在本人管辖区域内（只能导入本辖区的数据）'"))


# ---- official division tables and code changes ------------------------------------------------------
# Code columns of the official tables, normalised to 12 digits by etl.deployment (GB/T 2260's 6 digits padded).
OFFICIAL_CODES = {"regions": ("region_code", "parent_code"), "region_changes": ("old_code", "new_code")}
LEVEL_WORD = {"province": "省级", "city": "市级", "county": "县级", "street": "乡级（街道）", "community": "村级（社区）"}
# A county's default area type for the 主城区/县域 grouping: NBS county digits 01–20 are 市辖区 (区).
DISTRICT_DIGITS = ("01", "20")


def _level_zh(x: str) -> str:
    return "case " + x + " " + " ".join(f"when {sql_literal(k)} then {sql_literal(v)}" for k, v in LEVEL_WORD.items()) + " end"


def _official_codes(con: duckdb.DuckDBPyConnection, source: Source, rules: RowRules,
                    root: str | None) -> tuple[str, str]:
    """Select over `typed` for an official division table, and its skip condition.

    Codes become 12 digits; a region table's level, parent and a county's area type follow from the code
    where the file leaves them blank. With a root region, rows outside it (its ancestors excepted) are skipped.
    """
    from .deployment import level_of, normalise_code, parent_of, within

    cols = OFFICIAL_CODES.get(source.name, ())
    if not cols:
        return "select * from typed", "false"
    raw = set()
    for c in cols:
        raw |= {v for (v,) in con.execute(f"select distinct v_{sql_ident(c)} from typed where v_{sql_ident(c)} is not null")
                .fetchall()}
    rows = [(v, normalise_code(v)) for v in sorted(raw)]
    info = [(v, c, level_of(c) if c else None, parent_of(c) if c else None,
             bool(c) and not (within(c, root) or within(root, c))) for v, c in rows]
    names = ("raw", "code", "level", "parent", "outside")
    types = (pa.string(),) * 4 + (pa.bool_(),)
    con.register("official_codes", pa.table({n: pa.array([r[i] for r in info], t)
                                       for i, (n, t) in enumerate(zip(names, types))}))
    joins = "".join(f" left join official_codes official_{c} on official_{c}.raw = typed.v_{c}" for c in cols)
    repl = [f"official_{c}.code as v_{c}" for c in cols]
    extra = [f"typed.v_{c} is not null and official_{c}.code is null as bad_{c}" for c in cols]
    for c in cols:
        lab = source.column(c).label
        rules.checks.append(("BAD_DIVISION_CODE", f"bad_{c}",
                         f"{sql_literal(f'“{lab}”')} || r_{c} || '不是区划代码（应为 6、9 或 12 位数字）'"))
    if source.name == "regions":
        county = (f"case when official_region_code.level = 'county' then case when substr(official_region_code.code, 5, 2) "
                  f"between {sql_literal(DISTRICT_DIGITS[0])} and {sql_literal(DISTRICT_DIGITS[1])} then '主城区' else '县域' end end")
        repl = ["official_region_code.code as v_region_code",
                "case when typed.r_level is null then official_region_code.level else typed.v_level end as v_level",
                ("case when typed.r_parent_code is null then official_region_code.parent else official_parent_code.code end "
                 "as v_parent_code"),
                f"case when typed.r_area_type is null then {county} else typed.v_area_type end as v_area_type"]
        extra += ["typed.v_level as given_level", "official_region_code.level as code_level"]
        rules.checks.append(("LEVEL_MISMATCH",
                         "given_level is not null and code_level is not null and given_level <> code_level",
                         ("'“层级”填的是“' || r_level || '”，但区划代码' || v_region_code || '是' || "
                         f"{_level_zh('code_level')} || '代码（层级由代码决定，可不填）'")))
        skip = "coalesce(official_region_code.outside, false)"
    else:
        skip = "coalesce(official_old_code.outside, false) and (typed.v_new_code is null or coalesce(official_new_code.outside, false))"
    sel = f"select typed.* replace ({', '.join(repl)}), {', '.join(extra)}, {skip} as _skip from typed{joins}"
    return sel, "_skip"


def successors_of(code: str, changes: dict[str, list[str]], known) -> list[str]:
    """The current code(s) of a retired code: listed in the change tables, or under a county or street renumbered
    one to one (撤县设区: the lists name the county; its streets keep their digits) where `known` holds the result."""
    from .deployment import level_of

    if changes.get(code):
        return changes[code]
    targets = [n[0] for n in changes.values() if len(n) == 1]
    for digits, level in ((9, "street"), (6, "county")):
        head = code[:digits].ljust(12, "0")
        new = changes.get(head)
        if head == code or level_of(head) != level or not new or len(new) != 1 or level_of(new[0]) != level:
            continue
        if targets.count(new[0]) == 1:  # a merge (two old codes, one new) leaves what lay under them unnumbered
            made = new[0][:digits] + code[digits:]
            if made in known:
                return [made]
    return []


def _code_change_map(con: duckdb.DuckDBPyConnection, source: Source, rules: RowRules, body: str,
                     regions: RegionIndex | None, changes: dict[str, list[str]] | None) -> str:
    """Division codes retired by a landed change table land under their successor; a split code is rejected
    with its successors. A code the region table still holds is left alone (an older year's table is landed)."""
    divs = [c for c in source.columns if c.type == "division"]
    if not changes or regions is None or not divs:
        return body
    used = set()
    for c in divs:
        used |= {v for (v,) in con.execute(f"select distinct v_{sql_ident(c.name)} from typed "
                                           f"where v_{sql_ident(c.name)} is not null").fetchall()}
    rows = [(old, new) for old in sorted(used - set(regions.level))
            if (new := successors_of(old, changes, regions.level))]
    if not rows:
        return body
    label = regions._label
    con.register("code_map", pa.table({
        "old_code": pa.array([o for o, _ in rows], pa.string()),
        "new_code": pa.array([n[0] if len(n) == 1 else None for _, n in rows], pa.string()),
        "successors": pa.array([None if len(n) == 1 else "、".join(label(c) if c in regions.level else c for c in n)
                                for _, n in rows], pa.string())}))
    repl = ", ".join(f"coalesce(change_{c.name}.new_code, coded.v_{c.name}) as v_{c.name}" for c in divs)
    split = ", ".join(f"change_{c.name}.successors as split_{c.name}" for c in divs)
    joins = "".join(f" left join code_map change_{c.name} on change_{c.name}.old_code = coded.v_{c.name}"
                    for c in divs)
    for c in divs:
        rules.split.add(c.name)
        rules.checks.append(("SPLIT_DIVISION", f"split_{c.name} is not null",
                         (f"{sql_literal(f'“{c.label}”')} || r_{c.name} || '已撤销并拆分为多个区划（' || split_{c.name} || "
                          "'），无法自动对应，请改填现行区划代码'")))
    return f"select coded.* replace ({repl}), {split} from ({body}) coded{joins}"


def follow_changes(edges: dict[str, set[str]]) -> dict[str, list[str]]:
    """Old code → its current code(s), chains followed (A→B, B→C gives A→C); a cycle leads nowhere."""
    def ends(code: str, seen: frozenset[str]) -> set[str]:
        nxt = edges.get(code)
        if not nxt:
            return {code}
        if code in seen:
            return set()
        return set().union(*(ends(n, seen | {code}) for n in nxt))

    return {old: sorted(ends(old, frozenset()) - {old}) for old in edges}


def validate(ext: Extract, source: Source, period: str, period_end: date, load_id: str,
             regions: RegionIndex | None, secret: bytes, scope: tuple[str, ...] | list[str] | None = None,
             root_region: str | None = None, code_changes: dict[str, list[str]] | None = None,
             out: Path | None = None) -> Result:
    """Split an extract into accepted (typed, keyed, no PII), rejected (with reasons) and person rows.

    The stages, each a view or table of one DuckDB connection over the file's rows (`raw`, generated column
    names): `typed` (every column typed, names resolved to codes) → `normalised` (official codes made 12
    digits, retired codes mapped, rows outside the deployment skipped) → `checked` (every rule evaluated at
    once; the Chinese messages built only for rows that fail) → `deduplicated` (a repeated natural key among
    good rows rejected, from a group-by, not a window) → rejected, accepted and person rows, the keyed hash
    computed in DuckDB.
    scope: region-code prefixes of the uploader's area; a row placed outside it is rejected (OUT_OF_SCOPE).
    root_region: the deployment's root (12 digits): an official division table's rows outside it are skipped
    and counted (Result.skipped), never rejected one by one. code_changes: old code → current code(s)
    (`code_changes(data)`); `deployment_context(data, source)` gives both.
    out: a private folder to write accepted, rejected and person rows to as Parquet (ParquetOut), a batch at a
    time, instead of returning them as tables: what the sandbox does, so no output is ever whole in memory.
    """
    # Every output is ordered explicitly, so DuckDB need not keep insertion order (less memory).
    con = duck(ext.db)  # read in the sandbox: the rows are already table `raw` of that file
    con.execute("set preserve_insertion_order = false")
    if ext.db is None:
        con.register("raw", ext.sql_table())  # generated column names: no header text reaches SQL
    has_div = any(c.type in ("division", "division_name") for c in source.columns)
    if has_div and regions is None:
        raise ExtractError("NO_REGIONS", "请先导入行政区划代码表（regions），才能校验区划代码",
                           "land the region table (source 'regions') first")
    rules = RowRules(source, ext, period_end)
    name_cols, name_targets = _typed_view(con, source, ext, regions, rules)
    skipped, skip_note = _normalised_view(con, source, rules, regions, root_region, code_changes)
    _row_checks(con, source, ext, rules, scope, name_cols, name_targets)
    _checked_table(con, source, rules, regions)
    _deduplicated_view(con, source)
    try:
        rejected = _rejected_rows(con, ext, out)
        accepted, persons = _accepted_and_persons(con, source, ext, period, load_id, secret, out)
    finally:
        con.close()
    return Result(accepted, rejected, persons, ext.num_rows, skipped, skip_note)


def _typed_view(con: duckdb.DuckDBPyConnection, source: Source, ext: Extract, regions: RegionIndex | None,
                rules: RowRules) -> tuple[list[Column], list[str]]:
    """View `typed`, one row per file row: ROW_NO (and SQL_EXTRA), per contract column v_<col> (typed value),
    r_<col> (cleaned text), n_<col> (numbers as read); res_code/res_msg (a street or community name resolved);
    _nul_col, _long_col, _long_len (bad cells); with an ID column id_birth, id_sex, id_fmt, id_chk.
    Returns the division-name columns of the file and the code columns their names fill where blank."""
    for col in source.columns:
        rules.add(col)
    extra = []
    name_targets = _resolve_names(con, source, ext, regions) if regions else []
    name_cols = [c for c in source.columns if c.type == "division_name" and c.name in ext.mapping]
    join_names = ""
    if name_cols:
        # Plain equality on a sentinel (not IS NOT DISTINCT FROM) so DuckDB can hash-join.
        on = " and ".join(f"coalesce(resolved.{c.name}, chr(0)) = "
                          f"coalesce(nullif(trim(raw.{ext.sql_name(c.name)}), ''), chr(0))"
                          for c in name_cols)
        join_names = f" left join resolved_names resolved on {on}"
        extra.append("resolved.res_code as res_code, resolved.res_msg as res_msg")
    extra += _cell_items(source, ext)
    carried = f"raw.{ROW_NO}" + (f", raw.{SQL_EXTRA}" if EXTRA in ext.column_names else "")
    typed = f"select {carried}, {', '.join(rules.typed + extra)} from raw{join_names}"
    if source.id_column is not None:
        inner, outer = id_items(f"v_{source.id_column.name}")
        typed = f"select * exclude (_id17), {', '.join(outer)} from (select *, {', '.join(inner)} from ({typed}))"
    # Names fill the code column where the code is blank.
    for t in name_targets:
        typed = f"select * replace (coalesce(v_{t}, res_code) as v_{t}) from ({typed})"
    con.execute(f"create view typed as {typed}")
    return name_cols, name_targets


def _normalised_view(con: duckdb.DuckDBPyConnection, source: Source, rules: RowRules,
                     regions: RegionIndex | None, root_region: str | None,
                     code_changes: dict[str, list[str]] | None) -> tuple[int, str | None]:
    """View `normalised`: `typed`'s columns, an official table's codes made 12 digits (bad_<col> where one is
    no code), a retired code replaced by its successor (split_<col>: a split code's successors), and an
    official table's rows outside the deployment left out. Returns how many were left out and the note."""
    normalised, skip = _official_codes(con, source, rules, root_region)
    normalised = _code_change_map(con, source, rules, normalised, regions, code_changes)
    skipped, skip_note = 0, None
    if skip != "false":
        con.execute(f"create view normalised_all as {normalised}")  # with _skip: outside the deployment
        skipped = con.execute("select count(*) from normalised_all where _skip").fetchall()[0][0]
        if skipped:
            name = con.execute("select any_value(v_region_name) from normalised_all where v_region_code = ?",
                               [root_region]).fetchall()[0][0] if source.name == "regions" else None
            where = f"{name}（{root_region}）" if name else f"{root_region} "
            skip_note = f"跳过 {skipped:,} 行（不在本部署范围 {where}内）"
        normalised = "select * exclude (_skip) from normalised_all where not _skip"
    con.execute(f"create view normalised as {normalised}")
    return skipped, skip_note


def _row_checks(con: duckdb.DuckDBPyConnection, source: Source, ext: Extract, rules: RowRules, scope,
                name_cols: list[Column], name_targets: list[str]) -> None:
    """Add every row rule not added while typing and normalising: slid columns, bad cells, each column's
    type and contract, department names, date order, the uploader's area, unresolved names. The order is
    the order of the messages, and the first failing rule gives the row's reason code."""
    if EXTRA in ext.column_names:  # CSV rows with more fields than the header: the columns slid
        rules.checks.append(("EXTRA_FIELDS", f"{SQL_EXTRA} is not null",
                             "'本行的列数多于表头（可能某个值里有未加引号的逗号），各列已错位'"))
    # A NUL or an overlong cell in a column that lands: the row is rejected, not the file.
    rules.checks.append(("BAD_CHARACTER", "_nul_col is not null",
                         "'第' || _nul_col || '列含有不可见的控制字符（NUL，常见于从其他系统复制或导出出错），请删除后重新导出'"))
    rules.checks.append(("CELL_TOO_LONG", "_long_col is not null",
                         f"'第' || _long_col || '列内容过长（' || _long_len || {sql_literal(f'个字符，上限{MAX_TEXT_CHARS}），可能误粘贴了整段文字')}"))
    for col in source.columns:
        rules.checks_for(col)
    _lookup_checks(con, source, ext, rules)
    _date_order_checks(source, ext, rules)
    _scope_check(source, scope, rules)
    if name_cols:
        tgt = name_targets[0] if name_targets else None
        cond = f"res_msg is not null and v_{tgt} is null" if tgt else "res_msg is not null"
        rules.checks.append(("UNRESOLVED_NAME", cond, "res_msg"))


def _checked_table(con: duckdb.DuckDBPyConnection, source: Source, rules: RowRules,
                   regions: RegionIndex | None) -> None:
    """Table `checked`: ROW_NO, v_<col> of every contract column (and id_birth, id_sex with an ID column),
    _code (the first failing rule's reason code; NULL for a good row) and _msg (every failing rule's message,
    joined with ；)."""
    if regions is not None:
        con.register("regions", regions.table)
    divs = [c for c in source.columns if c.type == "division" and regions is not None]
    joins = "".join(f" left join regions region_{c.name} on region_{c.name}.region_code = normalised.v_{c.name}"
                    for c in divs)
    joins += "".join(rules.joins)
    levels = "".join(f", region_{c.name}.level as region_level_{c.name}" for c in divs) + \
        "".join(f", {j}" for j in rules.joined)
    codes = ", ".join(f"case when {cond} then {sql_literal(code)} end" for code, cond, _ in rules.checks) or "null"
    msgs = ", ".join(f"case when {cond} then {msg} end" for _, cond, msg in rules.checks) or "null"
    # Only what the outputs need (typed values, reasons): the cleaned raw text (r_*) and the checks' own
    # columns serve the conditions and messages computed here, and would double the memory held.
    keep = [ROW_NO] + [f"v_{c.name}" for c in source.columns] + \
        (["id_birth", "id_sex"] if source.id_column is not None else [])
    con.execute(f"create temp table checked as select {', '.join(keep)}, _code, case when _code is not null then "
                f"nullif(concat_ws('；', {msgs}), '') end as _msg "
                f"from (select normalised.*{levels}, coalesce({codes}) as _code from normalised{joins})")


def _deduplicated_view(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """View `deduplicated`: `checked`'s columns, a good row repeating an earlier good row's natural key
    rejected (DUPLICATE_KEY, naming the first row, which stays)."""
    if not source.key:
        con.execute("create view deduplicated as select * from checked")
        return
    keys = ", ".join(f"v_{k}" for k in source.key)
    on = " and ".join(f"checked.v_{k} is not distinct from dup.v_{k}" for k in source.key)
    labels = "、".join(source.column(k).label for k in source.key)
    con.execute(f"create temp table duplicate_keys as select {keys}, min({ROW_NO}) as _first from checked "
                f"where _code is null group by all having count(*) > 1")
    con.execute(f"""
        create view deduplicated as
        select checked.* replace (
            coalesce(_code, case when dup._first < checked.{ROW_NO} then 'DUPLICATE_KEY' end) as _code,
            coalesce(_msg, case when dup._first < checked.{ROW_NO} then
                '与第' || dup._first || '行重复（{labels}相同）' end) as _msg)
        from checked left join duplicate_keys dup on checked._code is null and {on}""")


def _rejected_rows(con: duckdb.DuckDBPyConnection, ext: Extract, out: Path | None = None) -> pa.Table | ParquetOut:
    """Rejected rows: REJECT_COLUMNS (row number, reason code, message), then the file's own columns as they
    were, named after the file's headers only once out of SQL (as data)."""
    orig = [h for h in ext.column_names if h != ROW_NO]
    rel = con.sql(f"select deduplicated.{ROW_NO} as r0, deduplicated._code as r1, deduplicated._msg as r2, "
                  f"raw.* exclude ({ROW_NO}) from deduplicated join raw on raw.{ROW_NO} = deduplicated.{ROW_NO} "
                  f"where deduplicated._code is not null order by deduplicated.{ROW_NO}")
    names = [*REJECT_COLUMNS, *orig]
    if out is None:
        return rel.to_arrow_table().rename_columns(names)
    path = Path(out) / OUT_NAMES["rejected"]
    counts = _write_batches(rel.to_arrow_reader(BATCH_ROWS), {"rejected": path},
                            lambda t: {"rejected": t.rename_columns(names)})
    return ParquetOut(path, counts["rejected"])


def _accepted_and_persons(con: duckdb.DuckDBPyConnection, source: Source, ext: Extract, period: str,
                          load_id: str, secret: bytes, out: Path | None = None
                          ) -> tuple[pa.Table | ParquetOut, pa.Table | ParquetOut | None]:
    """Accepted rows (accepted_schema: typed canonical columns, the ID become person_key) and, when the
    source has an ID or PII columns, person rows (source, period, person_key, id_number, birth_date, sex or
    the natural key, then the PII columns), both from one ordered scan of the good rows."""
    idc = source.id_column
    names = {c.name for c in source.columns}
    birth = ("coalesce(v_birth_date, id_birth)" if "birth_date" in names else "id_birth")
    sex = ("coalesce(v_sex, id_sex)" if "sex" in names else "id_sex")
    params: list[object] = []  # in the order of the ? marks: select items first, then person columns
    sel = []
    for name, typ in accepted_schema(source):
        if name == "person_key":
            expr, pads = hmac_sql(f"v_{idc.name}", secret)
            sel.append(f"{expr} as person_key")
            params += pads
        elif name == "birth_date" and idc is not None:
            sel.append(f"{birth} as birth_date")
        elif name == "sex" and idc is not None:
            sel.append(f"{sex} as sex")
        elif name == "period":
            sel.append("?::varchar as period")
            params.append(period)
        elif name == "load_id":
            sel.append("?::varchar as load_id")
            params.append(load_id)
        else:
            sel.append(f"cast(v_{name} as {typ}) as {name}")
    acc_names = [n for n, _ in accepted_schema(source)]
    pii = [c for c in source.columns if c.pii and c.name in ext.mapping]
    pcols: list[tuple[str, str]] = []  # (person-table column, expression) — after the accepted ones
    if idc is not None or pii:
        pcols += [("source", "?::varchar"), ("period", "?::varchar")]
        if idc is not None:
            pcols += [("person_key", "person_key"), ("id_number", f"v_{idc.name}"), ("birth_date", birth),
                      ("sex", sex)]
        else:
            pcols += [(k, f"v_{k}") for k in source.key]
        pcols += [(c.name, f"v_{c.name}") for c in pii]
    # One ordered scan for both tables; person columns get a prefix until they are split off.
    psel = [f"{e} as __p_{n}" for n, e in pcols if e != "person_key"]
    params += [source.name, period] if pcols else []
    rel = con.sql(f"select {', '.join(sel + psel)} from deduplicated where _code is null order by {ROW_NO}",
                  params=params)

    def split(both: pa.Table) -> dict[str, pa.Table]:
        tables = {"accepted": both.select(acc_names)}
        if pcols:
            arrays = [both.column("person_key") if e == "person_key" else both.column("__p_" + n) for n, e in pcols]
            tables["persons"] = pa.table(arrays, names=[n for n, _ in pcols])
        return tables

    if out is None:
        tables = split(rel.to_arrow_table())
        return tables["accepted"], tables.get("persons")
    paths = {n: Path(out) / OUT_NAMES[n] for n in (("accepted", "persons") if pcols else ("accepted",))}
    counts = _write_batches(rel.to_arrow_reader(BATCH_ROWS), paths, split)
    return (ParquetOut(paths["accepted"], counts["accepted"]),
            ParquetOut(paths["persons"], counts["persons"]) if pcols else None)
