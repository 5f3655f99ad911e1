"""Source contracts: one YAML file per department extract, loaded into typed objects."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import yaml

from settings import config_dir

from .errors import ExtractError

SOURCES_DIR = Path(__file__).parent / "sources"
KINDS = {"snapshot", "events"}
GRAINS = {"month", "quarter", "half_year", "year"}
TYPES = {"text", "code", "id_card", "division", "division_name", "date", "int", "float", "enum", "bool"}
GRAIN_ZH = {"month": "月", "quarter": "季度", "half_year": "半年", "year": "年"}
# Source and column names become SQL identifiers (raw_<source>, v_<column>): plain lower-case words only.
IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")


class ContractError(ValueError):
    """A contract file is malformed (a developer error, not a user one)."""


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    type: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    pii: bool = False
    level: str | None = None
    values: tuple[str, ...] = ()
    value_aliases: dict[str, str] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    lookup: str | None = None  # "departments": each ;-separated item must be a department of config/departments.csv

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header text that maps to this column, the canonical label first."""
        return (self.label, *self.aliases, self.name)


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    title_en: str
    department: str
    kind: str
    period: str
    about_children: bool
    max_age: int | None
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    require_any: tuple[tuple[str, ...], ...] = ()
    date_order: tuple[tuple[str, ...], ...] = ()  # [[earlier, later], ...]: later must not precede earlier
    on_demand: bool = False  # sent when there is something to send (a change list), not on a cadence

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def id_column(self) -> Column | None:
        return next((c for c in self.columns if c.type == "id_card"), None)


def _column(name: str, spec: dict, source: str) -> Column:
    if not IDENTIFIER.fullmatch(str(name)):
        raise ContractError(f"{source}.{name}: a column name must be lower-case letters, digits and _")
    ctype = spec.get("type", "text")
    if ctype not in TYPES:
        raise ContractError(f"{source}.{name}: unknown type {ctype!r}")
    if ctype == "enum" and not spec.get("values"):
        raise ContractError(f"{source}.{name}: enum without values")
    if ctype in {"division", "division_name"} and spec.get("level") not in {"county", "street", "community", "any"}:
        raise ContractError(f"{source}.{name}: {ctype} needs level county|street|community|any")
    va = {str(k): str(v) for k, v in (spec.get("value_aliases") or {}).items()}
    values = tuple(str(v) for v in spec.get("values", ()))
    bad = [v for v in va.values() if v not in values]
    if bad:
        raise ContractError(f"{source}.{name}: value_aliases point outside values: {bad}")
    return Column(
        name=name, label=str(spec["label"]), type=ctype,
        aliases=tuple(str(a) for a in spec.get("aliases", ())),
        required=bool(spec.get("required", False)), pii=bool(spec.get("pii", False)),
        level=spec.get("level"), values=values, value_aliases=va,
        min=_number(spec.get("min"), source, name), max=_number(spec.get("max"), source, name),
        lookup=_lookup(spec, source, name),
    )


LOOKUPS = {"departments"}


def _number(value: object, source: str, name: str) -> float | None:
    """A range bound as a number (it is written into the validation SQL)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ContractError(f"{source}.{name}: min/max must be numbers, got {value!r}")
    return value


def _lookup(spec: dict, source: str, name: str) -> str | None:
    lk = spec.get("lookup")
    if lk is not None and lk not in LOOKUPS:
        raise ContractError(f"{source}.{name}: unknown lookup {lk!r} (known: {sorted(LOOKUPS)})")
    return lk


def load_source(path: Path) -> Source:
    """Parse and check one contract file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    name = raw["name"]
    if name != path.stem:
        raise ContractError(f"{path.name}: name {name!r} must match the file name")
    if not IDENTIFIER.fullmatch(str(name)):
        raise ContractError(f"{path.name}: a source name must be lower-case letters, digits and _")
    if raw["kind"] not in KINDS or raw["period"] not in GRAINS:
        raise ContractError(f"{name}: bad kind or period")
    cols = tuple(_column(n, s, name) for n, s in raw["columns"].items())
    names = {c.name for c in cols}
    key = tuple(raw.get("key", ()))
    groups = tuple(tuple(g) for g in raw.get("require_any", ()))
    order = tuple(tuple(p) for p in raw.get("date_order", ()))
    for pair in order:
        if len(pair) != 2 or any(n not in names or next(c for c in cols if c.name == n).type != "date" for n in pair):
            raise ContractError(f"{name}: date_order needs pairs of date columns, got {list(pair)}")
    for n in (*key, *(x for g in groups for x in g)):
        if n not in names:
            raise ContractError(f"{name}: key/require_any names unknown column {n!r}")
    if sum(c.type == "id_card" for c in cols) > 1:
        raise ContractError(f"{name}: at most one id_card column")
    return Source(
        name=name, title=raw["title"], title_en=raw["title_en"], department=raw["department"],
        kind=raw["kind"], period=raw["period"], about_children=bool(raw.get("about_children")),
        max_age=_age(raw.get("max_age", 16 if raw.get("about_children") else None), name),
        key=key, columns=cols, require_any=groups, date_order=order, on_demand=bool(raw.get("on_demand")),
    )


def _age(value: object, source: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ContractError(f"{source}: max_age must be a whole number, got {value!r}")
    return value


@cache
def sources() -> dict[str, Source]:
    """All contracts, by name."""
    return {p.stem: load_source(p) for p in sorted(SOURCES_DIR.glob("*.yaml"))}


def get_source(name: str) -> Source:
    try:
        return sources()[name]
    except KeyError:
        known = "、".join(sources())
        raise KeyError(f"未知数据源 unknown source: {name!r}（可用 available: {known}）") from None


# ---- periods -------------------------------------------------------------------------------
_PERIOD_RES = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^(\d{4})Q([1-4])$"),
    "half_year": re.compile(r"^(\d{4})H([12])$"),
    "year": re.compile(r"^(\d{4})$"),
}
PERIOD_EXAMPLE = {"month": "2025-06", "quarter": "2025Q2", "half_year": "2025H1", "year": "2025"}


class PeriodError(ExtractError, ValueError):
    """A period that is not one (BAD_PERIOD): a ValueError for callers that catch those, with both texts.

    str() is "中文 / English", each half free of " / " (the user's text is shown with a full-width slash),
    so a caller splitting on it gets the two languages back.
    """

    def __init__(self, zh: str, en: str):
        super().__init__("BAD_PERIOD", zh, en)

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


MIN_YEAR, MAX_YEAR = 1900, 2100  # the years a statistics period can name (date() alone allows 1-9999)


def parse_period(text: str, grain: str) -> tuple[date, date]:
    """Return (first day, last day) of a period written in the grain's format; raises PeriodError.

    Spaces and line breaks around the text are ignored (callers keep the stripped form as the period's name).
    """
    shown = re.sub(r"[\x00-\x1f\x7f]", "?", str(text).strip()[:40]).replace("/", "／")
    m = _PERIOD_RES[grain].fullmatch(str(text).strip())  # fullmatch: `$` alone lets "2025\n" through
    if not m:
        raise PeriodError(f"统计期“{shown}”格式不对，应为 {PERIOD_EXAMPLE[grain]}（{GRAIN_ZH[grain]}）",
                          f"period must look like {PERIOD_EXAMPLE[grain]} for a {grain} source, got {shown!r}")
    y = int(m.group(1))
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise PeriodError(f"统计期“{shown}”的年份不合理（应在{MIN_YEAR}–{MAX_YEAR}年之间）",
                          f"the period {shown!r} names an impossible year (expected {MIN_YEAR}-{MAX_YEAR})")
    if grain == "year":
        m0, m1 = 1, 12
    elif grain == "half_year":
        h = int(m.group(2))
        m0, m1 = (1, 6) if h == 1 else (7, 12)
    elif grain == "quarter":
        q = int(m.group(2))
        m0, m1 = 3 * q - 2, 3 * q
    else:
        m0 = m1 = int(m.group(2))
    end = date(y + (m1 == 12), (m1 % 12) + 1, 1)
    return date(y, m0, 1), end - timedelta(days=1)


def period_from_filename(filename: str, grain: str) -> str | None:
    """Guess the period from a file name such as 走访记录_2025-06.csv or 台账2025H1.xlsx."""
    s = filename
    pats = {
        "month": [r"(\d{4})[-_.年]?(0[1-9]|1[0-2])月?"],
        "quarter": [r"(\d{4})\s*[Qq]([1-4])", r"(\d{4})年?第?([一二三四1-4])季度"],
        "half_year": [r"(\d{4})\s*[Hh]([12])", r"(\d{4})年?(上|下)半年"],
        "year": [r"(20\d{2})"],
    }
    cn = {"一": "1", "二": "2", "三": "3", "四": "4", "上": "1", "下": "2"}
    for p in pats[grain]:
        m = re.search(p, s)
        if m:
            y, rest = m.group(1), (m.group(2) if m.lastindex and m.lastindex > 1 else "")
            rest = cn.get(rest, rest)
            return {"month": f"{y}-{rest}", "quarter": f"{y}Q{rest}", "half_year": f"{y}H{rest}", "year": y}[grain]
    return None


# ---- departments ----------------------------------------------------------------------------
DEPT_SEP = re.compile(r"[;；、,，/]")


def departments() -> dict[str, str]:
    """Every known department name or alias → its canonical name (config/departments.csv)."""
    import csv
    path = config_dir() / "departments.csv"
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            name = (row.get("department") or "").strip()
            if name:
                out[name] = name
                for a in DEPT_SEP.split(row.get("aliases") or ""):
                    if a.strip():
                        out[a.strip()] = name
    return out


def department_of(text: str, known: dict[str, str] | None = None) -> str | None:
    """Canonical department of a name such as 区教体局, 市卫生健康委, 示范区民政局 (longest known suffix)."""
    known = departments() if known is None else known
    s = re.sub(r"\s+", "", text or "")
    for alias in sorted(known, key=len, reverse=True):
        if s.endswith(alias):
            return known[alias]
    return None
