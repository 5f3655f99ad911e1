"""数据确认: each landing in force, per source × period × county, is confirmed by the county, then the city.

Status: 待确认 → 区县已确认 → 市级已确认, or 退回 with a reason (then confirmed again, or replaced by a new
landing). Sources that need no sign-off are 无需确认. Who confirms at which level is config/signoff.csv (per
source: required, county roles, city roles); the user's scope decides where: a county level needs a scope
that holds the whole county, the city level a city-wide scope.

A status belongs to one landing: the subject of an event is (source, period, county_code, load_id,
landed_at), and a county's current status is that of the latest landing in force that brought rows for it
(etl/landed.py). So a rebuild changes nothing, a new landing for the county starts at 待确认 (the old
confirmation stays in the history), and withdrawing it brings back the earlier landing with its status.
county_code "" is the city as a whole: sources whose rows carry no division code, and rows coded to the
city itself; it is confirmed at the city level only.
"""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from auth import audit
from auth.roles import ROLES
from etl.contracts import PeriodError, parse_period, sources
from etl.landed import in_force, landed_dir, load_log_path, read_load_log
from settings import config_dir, data_dir, read_when_changed

from . import store
from .store import LoopError

PENDING, COUNTY_OK, CITY_OK, RETURNED, NOT_REQUIRED = "待确认", "区县已确认", "市级已确认", "退回", "无需确认"
STATUS_EN = {PENDING: "pending", COUNTY_OK: "county confirmed", CITY_OK: "city confirmed",
             RETURNED: "returned", NOT_REQUIRED: "not required"}
LEVELS = {"county": "区县", "city": "市级"}
CITY = ""  # county_code of the city as a whole
COLUMNS = ["source", "period", "county_code", "status", "required", "load_id", "landed_at", "at", "user", "role",
           "reason"]


@dataclass(frozen=True)
class Rule:
    source: str
    required: bool
    county_roles: tuple[str, ...]
    city_roles: tuple[str, ...]


# ---- configuration -------------------------------------------------------------------------------------
def _parse_rules(path: Path) -> dict[str, Rule]:
    out = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            roles = {lvl: tuple(r.strip() for r in (row.get(f"{lvl}_roles") or "").split(";") if r.strip())
                     for lvl in LEVELS}
            unknown = [r for rs in roles.values() for r in rs if r not in ROLES]
            if unknown:
                raise LoopError("BAD_CONFIG", f"{path.name} 中数据源 {row['source']} 的角色未知：{'、'.join(unknown)}",
                                f"{path.name}: unknown roles for {row['source']}: {', '.join(unknown)}")
            out[row["source"].strip()] = Rule(row["source"].strip(),
                                              (row.get("required") or "").strip().lower() in ("yes", "是", "true", "1"),
                                              roles["county"], roles["city"])
    return out


_RULES: dict = {}


def rules() -> dict[str, Rule]:
    """config/signoff.csv by source (re-read when the file changes). A source not listed needs no sign-off."""
    return read_when_changed(config_dir() / "signoff.csv", _RULES, _parse_rules) or {}


def rule(source: str) -> Rule:
    return rules().get(source) or Rule(source, False, (), ())


# ---- subjects: the landing in force for each source × period × county ---------------------------------
def county_of(code: str | None) -> str | None:
    """A 12-digit division code's county (first 6 digits); a code of the city itself → CITY; blank → None."""
    if not code or len(code) < 6:
        return None
    return CITY if code[4:6] == "00" else code[:6]


_COUNTIES: dict[str, tuple[str, ...]] = {}  # accepted file → its counties (landed files never change)


def _counties(root: Path, entry: dict, area: str | None) -> tuple[str, ...]:
    if area is None:
        return (CITY,)
    if entry.get("mode") in ("county", "street") and entry.get("areas"):
        found = {county_of(a.ljust(12, "0")) for a in entry["areas"]}
    else:
        path = entry["accepted_path"]
        if path not in _COUNTIES:
            t = pq.read_table(landed_dir(root) / path, columns=[area])
            _COUNTIES[path] = tuple(sorted({c for c in map(county_of, t.column(area).to_pylist())
                                            if c is not None}))
        found = set(_COUNTIES[path])
    found.discard(None)
    return tuple(sorted(found)) or (CITY,)


def _subjects(root: Path) -> dict[tuple[str, str, str], dict]:
    known = sources()
    out: dict[tuple[str, str, str], dict] = {}
    for (source, period), chain in in_force(read_load_log(root)).items():
        s = known.get(source)
        area = next((c.name for c in s.columns if c.type == "division"), None) if s else None
        for e in chain:  # oldest first: a later landing that brings a county takes it over
            for county in _counties(root, e, area):
                out[(source, period, county)] = {"load_id": e["load_id"], "landed_at": e["landed_at"]}
    return out


_SUBJECTS: dict = {}


def subjects(root: Path | str | None = None) -> dict[tuple[str, str, str], dict]:
    """(source, period, county_code) → the landing in force there ({load_id, landed_at}); re-read when the
    load log changes."""
    root = data_dir(root)
    return read_when_changed(load_log_path(root), _SUBJECTS, lambda p: _subjects(root)) or {}


# ---- state ------------------------------------------------------------------------------------------
def _key(source: str, period: str, county: str, landing: dict) -> tuple:
    return (source, period, county, landing["load_id"], landing["landed_at"])


def _fold(events: list[dict]) -> dict[tuple, dict]:
    """Each landing-and-county's last sign-off event (confirm or return): its status."""
    out: dict[tuple, dict] = {}
    for e in events:
        s = e["subject"]
        k = (s.get("source"), s.get("period"), s.get("county_code"), s.get("load_id"), s.get("landed_at"))
        if e["action"] == "confirm":
            out[k] = {**e, "status": CITY_OK if e["fields"].get("level") == "city" else COUNTY_OK}
        elif e["action"] == "return":
            out[k] = {**e, "status": RETURNED}
    return out


def status(root: Path | str | None = None, source: str | None = None, period: str | None = None,
           scope: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Every source × period × county in force, with its status and the last action (at, user, role,
    reason). scope: region prefixes to keep (None: all; a county's rows and the city's rows stay)."""
    root = data_dir(root)
    state = _fold(store.events("signoff", root))
    scope = None if scope is None else prefixes(scope)
    rows = []
    for (src, per, county), landing in sorted(subjects(root).items()):
        if (source and src != source) or (period and per != period):
            continue
        if scope is not None and not _visible(county, scope):
            continue
        r = rule(src)
        last = state.get(_key(src, per, county, landing))
        st = (last["status"] if last else PENDING) if r.required else NOT_REQUIRED
        rows.append({"source": src, "period": per, "county_code": county, "status": st, "required": r.required,
                     "load_id": landing["load_id"], "landed_at": landing["landed_at"],
                     "at": last["at"] if last else "", "user": last["user"] if last else "",
                     "role": last["role"] if last else "",
                     "reason": last["fields"].get("reason", "") if last else ""})
    return pd.DataFrame(rows, columns=COLUMNS)


def prefixes(scope) -> list[str]:
    """A user's scope as region prefixes: a 12-digit code with trailing zero groups (990100000000, as users.json
    may hold it) is its region's prefix (9901), as queries.Scope reads it; "" stays everything."""
    out = []
    for code in scope or ():
        code = str(code).strip()
        if code.isdigit() and len(code) in (4, 6, 9, 12):
            for start, end in ((9, 12), (6, 9), (4, 6), (2, 4)):
                if len(code) == end and set(code[start:end]) == {"0"}:
                    code = code[:start]
        out.append(code)
    return out


def _visible(county: str, scope) -> bool:
    return county == CITY or any(county.startswith(p) or p.startswith(county) for p in scope)


def unconfirmed(root: Path | str | None = None, scope: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """The required source × period × county in the scope not yet confirmed by the city: (source, period,
    county_code, status). Scope is region prefixes, "" everything; an empty scope sees nothing."""
    df = status(root, scope=list(scope))
    df = df[df["required"] & (df["status"] != CITY_OK)]
    return df[["source", "period", "county_code", "status"]].reset_index(drop=True)


def is_confirmed(root: Path | str | None, source: str, period: str, county_code: str | None = None) -> bool:
    """Whether the data of a source and period (one county, or all counties: None) is confirmed by the city
    or needs no sign-off. Nothing landed is nothing unconfirmed: True."""
    df = status(root, source=source, period=period)
    if county_code is not None:
        df = df[df["county_code"] == (county_of(county_code.ljust(12, "0")) or CITY)]
    return bool(df["status"].isin([CITY_OK, NOT_REQUIRED]).all())


# ---- actions ------------------------------------------------------------------------------------------
def _may(level: str, county: str, role: str, scope, r: Rule) -> str | None:
    """Why the user may not act at this level (None: they may)."""
    roles = r.county_roles if level == "county" else r.city_roles
    if role not in roles:
        label = ROLES[role].label if role in ROLES else role
        return (f"角色“{label}”不能做{LEVELS[level]}确认（可确认的角色：{'、'.join(ROLES[x].label for x in roles) or '无'}）",
                f"role {role!r} cannot confirm at the {level} level (roles that can: {', '.join(roles) or 'none'})")
    if level == "county":
        ok = any(len(p) <= 6 and county.startswith(p) for p in scope)
    else:
        ok = any(len(p) <= 4 for p in scope) and (county == CITY or any(county.startswith(p) for p in scope))
    if not ok:
        where = "整个区县" if level == "county" else "全市"
        return (f"您的范围（{'、'.join(p or '全部' for p in scope) or '无'}）不含{where}，不能做{LEVELS[level]}确认",
                f"your scope ({', '.join(p or 'all' for p in scope) or 'none'}) does not cover the whole "
                + ("county" if level == "county" else "city"))
    return None


def _subject_or_fail(root: Path, source: str, period: str, county: str) -> dict:
    landing = subjects(root).get((source, period, county))
    if landing is None:
        have = sorted(c or "全市" for (s, p, c) in subjects(root) if s == source and p == period)
        raise LoopError("NO_LANDING", f"{source} {period} 在区县 {county or '全市'} 没有生效的导入"
                        f"（有：{'、'.join(have) or '无'}）",
                        f"no landing in force for {source} {period} in county {county or 'city'}")
    return landing


def _county_code(county: str | None) -> str:
    county = (county or "").strip()
    if county in ("", "全市", "city", "all"):
        return CITY
    c = county_of(county.ljust(12, "0")) if county.isdigit() else None
    if c is None:
        raise LoopError("BAD_COUNTY", f"不是区县代码：{county}", f"not a county code: {county!r}")
    return c


def _act(action: str, root, source: str, period: str, county: str | None, *, user: str, role: str, scope,
         level: str, reason: str = "") -> dict:
    root = data_dir(root)
    scope = prefixes(scope)
    what = f"{source} {period} {county or '全市'}"
    audit_action = "signoff_confirm" if action == "confirm" else "signoff_return"
    try:
        county = _county_code(county)
        what = f"{source} {period} {county or '全市'}"
        if level not in LEVELS:
            raise LoopError("BAD_LEVEL", f"层级应为 county 或 city：{level}", f"level must be county or city: {level}")
        r = rule(source)
        if not r.required:
            raise LoopError("NOT_REQUIRED", f"数据源 {source} 无需确认（config/signoff.csv）",
                            f"source {source} needs no sign-off (config/signoff.csv)")
        if action == "return":
            reason = store.clean_text(reason, "退回原因")
            if not reason:
                raise LoopError("NO_REASON", "退回需要填写原因", "a return needs a reason")
        with store.lock(root):
            landing = _subject_or_fail(root, source, period, county)
            if county == CITY and level == "county":
                raise LoopError("CITY_ONLY", "全市数据只做市级确认（请用 --level city）",
                                "city-wide data is confirmed at the city level only (use --level city)")
            why = _may(level, county, role, scope, r)
            if why:
                raise LoopError("NOT_ALLOWED", *why)
            last = _fold(store.events("signoff", root)).get(_key(source, period, county, landing))
            now = last["status"] if last else PENDING
            _check_order(action, level, now, county)
            if action == "confirm" and level == "city" and last and last["user"] == user:
                # Four eyes: the county's confirmation and the city's are two people's, even for an admin.
                raise LoopError("FOUR_EYES", f"市级确认须由与区县确认不同的用户完成（区县确认人：{user}）",
                                f"the city-level confirmation must come from a different user than the "
                                f"county's ({user})")
            event = store.append("signoff", {"source": source, "period": period, "county_code": county,
                                             "load_id": landing["load_id"], "landed_at": landing["landed_at"]},
                                 action, {"level": level, **({"reason": reason} if reason else {})},
                                 user=user, role=role, root=root)
    except LoopError as e:
        audit.record(audit_action, user=user, role=role, what=what, scope=scope, ok=False, detail=e.zh, root=root)
        raise
    audit.record(audit_action, user=user, role=role, what=f"{what} {landing['load_id']}", scope=scope,
                 detail=f"{LEVELS[level]}{'确认' if action == 'confirm' else '退回：' + reason}", root=root)
    return event


def _check_order(action: str, level: str, now: str, county: str) -> None:
    if action == "confirm":
        if now == CITY_OK or (now == COUNTY_OK and level == "county"):
            raise LoopError("ALREADY", f"已是“{now}”，无需再次确认", f"already {STATUS_EN[now]}")
        if level == "city" and county != CITY and now != COUNTY_OK:
            raise LoopError("ORDER", f"当前为“{now}”：须先由区县确认，再做市级确认",
                            f"now {STATUS_EN[now]}: the county confirms before the city")
    else:
        if now == RETURNED:
            raise LoopError("ALREADY", "已退回，等待区县重新确认或重新导入", "already returned")
        if now == CITY_OK and level == "county":
            raise LoopError("ORDER", "市级已确认的数据只能由市级退回", "only the city can return city-confirmed data")


def confirm(root: Path | str | None, source: str, period: str, county: str | None, *, user: str, role: str,
            scope, level: str = "county") -> dict:
    """Confirm a source × period × county at a level (county first, then city). Raises LoopError."""
    return _act("confirm", root, source, period, county, user=user, role=role, scope=scope, level=level)


def return_(root: Path | str | None, source: str, period: str, county: str | None, *, reason: str, user: str,
            role: str, scope, level: str | None = None) -> dict:
    """Return (退回) with a reason, at the user's level (city if they may act there, else county)."""
    if level is None:
        r = rule(source)
        level = "city" if role in r.city_roles and any(len(p) <= 4 for p in prefixes(scope)) else "county"
    return _act("return", root, source, period, county, user=user, role=role, scope=scope, level=level,
                reason=reason)


def baseline(root: Path | str | None = None, *, user: str, role: str, scope, source: str | None = None,
             period: str | None = None) -> list[dict]:
    """上线基线确认: at go-live an admin accepts every required landing in force that is neither city-confirmed
    nor returned, at the city level in one step (the one exception to four eyes), one event and one audit
    record per subject, each marked baseline. Landings after it go through the two steps. Raises LoopError."""
    root = data_dir(root)
    scope = prefixes(scope)
    what = f"上线基线确认 {source or '全部数据源'} {period or '全部统计期'}"
    try:
        if role != "admin" or not any(len(p) <= 4 for p in scope):
            raise LoopError("NOT_ALLOWED", "上线基线确认只能由全市范围的系统管理员执行",
                            "the go-live baseline is an administrator's act, with a city-wide scope")
        done = []
        with store.lock(root):
            state = _fold(store.events("signoff", root))
            for (src, per, county), landing in sorted(subjects(root).items()):
                if (source and src != source) or (period and per != period) or not rule(src).required \
                        or not (county == CITY or any(county.startswith(p) for p in scope)):
                    continue
                last = state.get(_key(src, per, county, landing))
                if last and last["status"] in (CITY_OK, RETURNED):
                    continue
                done.append(store.append("signoff", {"source": src, "period": per, "county_code": county,
                                                     "load_id": landing["load_id"],
                                                     "landed_at": landing["landed_at"]},
                                         "confirm", {"level": "city", "baseline": True}, user=user, role=role,
                                         root=root))
    except LoopError as e:
        audit.record("signoff_confirm", user=user, role=role, what=what, scope=scope, ok=False, detail=e.zh,
                     root=root)
        raise
    for e in done:
        s = e["subject"]
        audit.record("signoff_confirm", user=user, role=role, scope=scope, detail=BASELINE_ZH,
                     what=f"{s['source']} {s['period']} {s['county_code'] or '全市'} {s['load_id']}", root=root)
    return done


BASELINE_ZH = "上线基线确认"


def action_label(action: str, level: str, is_baseline: bool = False) -> str:
    """What an event did, in Chinese: 区县确认, 市级确认, 上线基线确认, 区县退回, 市级退回."""
    if is_baseline:
        return BASELINE_ZH
    return f"{LEVELS.get(level, '')}{'确认' if action == 'confirm' else '退回'}"


def history(root: Path | str | None = None, source: str | None = None, period: str | None = None,
            county: str | None = None) -> pd.DataFrame:
    """Every sign-off event, oldest first (confirmations of replaced landings included); `what` says what it
    did in Chinese (上线基线确认 for the go-live baseline)."""
    rows = [{**e["subject"], "at": e["at"], "user": e["user"], "role": e["role"], "action": e["action"],
             "level": e["fields"].get("level", ""), "reason": e["fields"].get("reason", ""),
             "what": action_label(e["action"], e["fields"].get("level", ""), bool(e["fields"].get("baseline")))}
            for e in store.events("signoff", root)]
    df = pd.DataFrame(rows, columns=["source", "period", "county_code", "load_id", "landed_at", "at", "user",
                                     "role", "action", "level", "reason", "what"])
    for col, v in (("source", source), ("period", period), ("county_code", county)):
        if v is not None:
            df = df[df[col] == v]
    return df.reset_index(drop=True)


# ---- what a figure rests on, and its marks -------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """The time a figure covers: a register period (2026H1), its first and last day (capped at the data date)
    and its evaluation date (targets' 评估日期). queries.meeting.Window has the same fields."""

    period: str
    start: dt.date
    end: dt.date
    as_of: dt.date


def span_of_date(day: dt.date) -> Span:
    """The half-year holding `day`, up to it: the time the targets page's 评估日期 covers."""
    first = dt.date(day.year, 1 if day.month <= 6 else 7, 1)
    return Span(f"{day.year}H{1 if day.month <= 6 else 2}", first, day, day)


def _parse_metrics(path: Path) -> dict[str, tuple[tuple[str, ...], str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["metric_id"]: (tuple(s.strip() for s in (r.get("source") or "").split(";") if s.strip()),
                                 r.get("period_rule") or "") for r in csv.DictReader(f)}


_METRICS: dict = {}
# A reported (部门报送) target indicator without a catalogue entry rests on the progress reports.
REPORTED = (("progress_reports",), "评估日前各区县最近一期进展报告")


def metric_sources(metric_id: str | None) -> tuple[tuple[str, ...], str]:
    """(sources, period rule) of a catalogue figure (config/metrics.csv); ((), "") for one not listed."""
    table = read_when_changed(config_dir() / "metrics.csv", _METRICS, _parse_metrics) or {}
    return table.get(metric_id or "", ((), ""))


def _span(period: str, grain: str) -> tuple[dt.date, dt.date] | None:
    try:
        return parse_period(period, grain)
    except PeriodError:
        return None


def rests_on(metric_id: str | None, span, root: Path | str | None = None,
             fallback: tuple[tuple[str, ...], str] | None = None) -> list[tuple[str, str]]:
    """The (source, period) pairs of required sources a figure of `span` rests on, as its period rule says:
    the selected half-year itself for a half-yearly source read "所选半年期"; every month of the span for a
    rule over months (各月, 月份); else the source's latest period starting on or before the evaluation date
    (评估日前最近一期, 数据截止日). Only periods landed count: nothing landed is nothing to confirm."""
    srcs, text = metric_sources(metric_id)
    if not srcs and fallback:
        srcs, text = fallback
    known, landed = sources(), {}
    for s, p, _ in subjects(root):
        landed.setdefault(s, set()).add(p)
    out = []
    for src in srcs:
        if src not in known or not rule(src).required or src not in landed:
            continue
        grain = known[src].period
        spans = {p: sp for p in landed[src] if (sp := _span(p, grain)) is not None}
        if ("各月" in text or "月份" in text) and grain == "month":
            picked = sorted(p for p, (a, b) in spans.items() if a <= span.end and b >= span.start)
        elif "所选半年期" in text and grain == "half_year":
            picked = [span.period] if span.period in spans else []
        else:
            before = [(a, p) for p, (a, _) in spans.items() if a <= span.as_of]
            picked = [max(before)[1]] if before else []
        out += [(src, p) for p in picked]
    return out


_UNCONFIRMED: dict = {}


def _state_key(root: Path) -> tuple:
    """What the sign-off state depends on: the store and the load log (size, mtime)."""
    out = []
    for path in (store.events_path(root), load_log_path(root)):
        try:
            st = path.stat()
            out.append((st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            out.append(None)
    return (str(root), *out)


def unconfirmed_cached(root: Path | str | None = None, scope=()) -> pd.DataFrame:
    """unconfirmed(root, scope), read again only when the store or the load log changes (pages ask on every
    rerun); clear_cache() forgets it at once (after an action on the page)."""
    root = data_dir(root)
    key = (_state_key(root), tuple(scope))
    if key not in _UNCONFIRMED:
        if len(_UNCONFIRMED) > 64:
            _UNCONFIRMED.clear()
        _UNCONFIRMED[key] = unconfirmed(root, scope)
    return _UNCONFIRMED[key]


def clear_cache() -> None:
    _UNCONFIRMED.clear()


def marks(root: Path | str | None, scope, metric_ids, span,
          fallback: dict[str, tuple[tuple[str, ...], str]] | None = None) -> dict[str, pd.DataFrame]:
    """metric id → the unconfirmed (source, period, county_code, status) in `scope` its figure of `span` rests
    on; figures resting on confirmed data only are left out. fallback: sources and rule of ids not in the
    catalogue (a reported indicator: REPORTED)."""
    if span is None:
        return {}
    open_ = unconfirmed_cached(root, scope)
    if open_.empty:
        return {}
    out = {}
    for mid in dict.fromkeys(metric_ids):
        pairs = rests_on(mid, span, root, (fallback or {}).get(mid))
        if not pairs:
            continue
        hit = open_[pd.Series(list(zip(open_["source"], open_["period"])), index=open_.index).isin(pairs)]
        if len(hit):
            out[mid] = hit.reset_index(drop=True)
    return out


def confirmed_periods(root: Path | str | None, scope, metric_ids, spans) -> list[str]:
    """The periods of `spans` (in their order) whose figures rest on city-confirmed data only, in `scope`."""
    return [s.period for s in spans if not marks(root, scope, metric_ids, s)]


def source_label(source: str) -> str:
    """A source's Chinese name (its contract's title), else its code."""
    s = sources().get(source)
    return s.title if s is not None and s.title else source


def mark_text(df: pd.DataFrame, county_names: dict[str, str] | None = None) -> str:
    """Which counties and sources are unconfirmed, in one Chinese line: 东湖区、西山区：监测摸排台账 2026H1（待确认）."""
    names = county_names or {}
    parts = []
    for (src, per), g in df.groupby(["source", "period"], sort=True):
        where = "、".join(names.get(c, c) if c else "全市" for c in sorted(set(g["county_code"])))
        states = "、".join(sorted(set(g["status"])))
        parts.append(f"{where}：{source_label(src)} {per}（{states}）")
    return "；".join(parts)
