"""领导批示: a leader's instruction on a figure, addressed to one department, answered by it, then closed.

An instruction attaches to a figure, never to a child: a plan's target (plan, measure, indicator), a county's
service gap (the gap measure), or a matching worklist's figure (the check code), with the region code it
concerns. It is addressed to one department (config/departments.csv), carries a due date and a text.

Lifecycle: 待答复 (issued by a leader or the administrator) → 已答复 (the department answers; it may add
further answers) → 已办结 (the leader closes it), or back to 待答复 when the leader reopens it with a further
note. An instruction not yet closed whose due date has passed is overdue (逾期).

Who answers: a department officer whose department is the addressee and whose scope overlaps the
instruction's region; a county officer for 民政局's instructions inside their county (the county officer works
for civil affairs); the administrator. Who sees: every user of the page whose scope overlaps the region (a
department officer: their own department's). State is the fold of the `instruction` events of the loop store
(loop/store.py), so it survives every rebuild; every action, refused or done, is audited.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
import secrets
from pathlib import Path

import pandas as pd

from auth import audit
from auth.roles import ROLES
from etl.contracts import departments
from settings import config_dir, data_dir

from . import store
from .store import LoopError

KIND = "instruction"
ISSUED, ANSWERED, CLOSED = "待答复", "已答复", "已办结"
STATUS_EN = {ISSUED: "awaiting answer", ANSWERED: "answered", CLOSED: "closed"}
OVERDUE = "逾期"
FIGURES = {"target": "目标", "gap": "服务缺口", "worklist": "比对名单"}
ISSUERS = ("leader", "admin")  # issue, close and reopen
ANSWERERS = ("dept_officer", "county_officer", "admin")
CIVIL_AFFAIRS = "民政局"  # the county officer's own department

COLUMNS = ["instruction_id", "figure", "figure_kind", "figure_key", "instruction", "region_code", "department",
           "due_date", "instruction_text", "status", "is_overdue", "issued_at", "issued_by", "answers", "latest_answer",
           "answered_at", "answered_by", "closed_at", "note"]
OPEN_COLUMNS = ["instruction_id", "instruction", "region_code", "department", "due_date", "status", "is_overdue",
                "latest_answer", "answered_at"]
# Headers of the columns that are the instructions' own; the shared ones (department 责任部门, status 状态,
# is_overdue 是否逾期, at, user, role, action_label 操作, detail 说明) keep report/labels' headers.
COLUMN_LABELS = {"instruction": "批示事项", "figure_kind": "批示对象", "due_date": "办理期限",
                 "instruction_text": "批示内容", "latest_answer": "最新答复", "answered_at": "答复时间",
                 "issued_by": "下达人"}
HISTORY_COLUMNS = ["instruction_id", "instruction", "at", "user", "role", "action", "action_label", "detail"]
ACTION_ZH = {"issue": "下达", "answer": "答复", "close": "办结", "reopen": "重开"}
_CODE = re.compile(r"\d{2}(\d{2}(\d{2}(\d{3}(\d{3})?)?)?)?")


# ---- regions and scopes ------------------------------------------------------------------------------
def region_code(code: str) -> str:
    """A division code (2, 4, 6, 9 or 12 digits) written as the region table writes it: 12 digits."""
    code = str(code or "").strip()
    if not _CODE.fullmatch(code):
        raise LoopError("BAD_REGION", f"不是区划代码：{code[:20]}", f"not a division code: {code[:20]!r}")
    return code.ljust(12, "0")


def prefix(code: str) -> str:
    """A division code's region prefix (990102000000 → 990102; "" stays everything)."""
    code = str(code).strip()
    if code == "":
        return ""
    for start, end in ((9, 12), (6, 9), (4, 6), (2, 4)):
        if len(code) == end and set(code[start:end]) == {"0"}:
            code = code[:start]
    return code


def prefixes(scope) -> tuple[str, ...]:
    """A scope's region prefixes: a Scope (its .prefixes) or a user's codes; "" is everything, () nothing."""
    codes = getattr(scope, "prefixes", scope) or ()
    return tuple(prefix(c) for c in codes)


def overlaps(scope, code: str) -> bool:
    """Whether a scope and a region share any ground (one lies in the other)."""
    p = prefix(code)
    return any(s.startswith(p) or p.startswith(s) for s in prefixes(scope))


def covers(scope, code: str) -> bool:
    """Whether a scope holds the whole region."""
    p = prefix(code)
    return any(p.startswith(s) for s in prefixes(scope))


def _scope_text(scope) -> str:
    return "、".join(p or "全部" for p in prefixes(scope)) or "无"


# ---- figures --------------------------------------------------------------------------------------------
def figure_key(figure: str, key) -> str:
    """The stored key of a figure: target "plan_id:measure_no:indicator" (a tuple is joined), gap its gap_id,
    worklist its check code."""
    if figure not in FIGURES:
        raise LoopError("BAD_FIGURE", f"批示对象应为 {'、'.join(f'{k}（{v}）' for k, v in FIGURES.items())}：{figure}",
                        f"the figure must be one of {', '.join(FIGURES)}: {figure!r}")
    if isinstance(key, list | tuple):
        key = ":".join(str(k) for k in key)
    key = re.sub(r"[\x00-\x1f\x7f]+", " ", str(key or "")).strip()
    parts = key.split(":", 2)
    # A figure's key, never a person's: no ID number, nothing shaped like a linkage key (32 or 64 hex
    # characters) in any part.
    ok = bool(key) and len(key) <= 200 and not store.looks_like_id(key) \
        and not any(re.fullmatch(r"[0-9a-fA-F]{32,}", p.strip()) for p in parts)
    if figure == "target":
        ok = ok and len(parts) == 3 and all(p.strip() for p in parts)
    else:
        ok = ok and re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", key) is not None
    if figure == "gap" and ok:
        known = _gap_names()
        ok = not known or key in known
    if not ok:
        form = "计划编号:措施编号:指标" if figure == "target" else ("缺口编号" if figure == "gap" else "比对项目编号")
        raise LoopError("BAD_KEY", f"{FIGURES[figure]}的编号无效（应为 {form}）：{key[:40]}",
                        f"not a valid key for a {figure}: {key[:40]!r}")
    return key


def _gap_names() -> dict[str, str]:
    """gap_id → its name, from the standards' configuration (config/standards.csv)."""
    path = config_dir() / "standards.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {r["gap_id"].strip(): (r.get("gap_name") or "").strip() for r in csv.DictReader(f)
                if (r.get("gap_id") or "").strip()}


def default_label(figure: str, key: str) -> str:
    """A figure's name when the caller gives none (the command line): a target's indicator, a gap's name."""
    if figure == "target":
        plan, measure, indicator = key.split(":", 2)
        return f"{indicator}（{plan} {measure}）"
    if figure == "gap":
        return f"{_gap_names().get(key) or key}缺口"
    return f"{FIGURES[figure]} {key}"


def options(status: pd.DataFrame, standards: pd.DataFrame, checks: pd.DataFrame,
            plans: pd.DataFrame | None = None) -> pd.DataFrame:
    """The figures an instruction may attach to, from the pages' own query results (targets.indicator_status,
    gaps.standards, matching.checks): figure, key, label and the department it would go to by default."""
    names = dict(zip(plans["plan_id"], plans["plan_name"])) if plans is not None and len(plans) else {}
    rows = [{"figure": "target", "key": f"{r.plan_id}:{r.measure_no}:{r.indicator}",
             "label": f"{r.name}（{names.get(r.plan_id, r.plan_id)} {r.measure_no}）",
             "department": r.department if isinstance(r.department, str) else ""}
            for r in status.drop_duplicates(["plan_id", "measure_no", "indicator"]).itertuples()]
    rows += [{"figure": "gap", "key": r.gap_id, "label": f"{r.family} · {r.gap_name}", "department": ""}
             for r in standards.itertuples()]
    rows += [{"figure": "worklist", "key": r.check_code, "label": str(r.check_label),
              "department": r.department if isinstance(r.department, str) else ""}
             for r in checks.drop_duplicates("check_code").itertuples()]
    return pd.DataFrame(rows, columns=["figure", "key", "label", "department"])


def department(name: str) -> str:
    """The canonical name of a department (an alias is accepted)."""
    names = departments()
    found = names.get(str(name or "").strip())
    if not found:
        raise LoopError("BAD_DEPARTMENT", f"未知部门：{str(name)[:20]}（见 config/departments.csv）",
                        f"unknown department: {str(name)[:20]!r} (config/departments.csv)")
    return found


def _date(value, what: str = "办理期限") -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise LoopError("BAD_DATE", f"{what}应为日期（如 2026-12-31）：{str(value)[:20]}",
                        f"the due date must be a date such as 2026-12-31: {str(value)[:20]!r}") from None


# ---- state ------------------------------------------------------------------------------------------
def state(root: Path | str | None = None) -> dict[str, dict]:
    """instruction_id → the instruction as its events leave it (issue first; later actions fold in)."""
    out: dict[str, dict] = {}
    for e in store.events(KIND, root):
        iid, f = e["subject"].get("instruction_id"), e.get("fields") or {}
        if e["action"] == "issue":
            out[iid] = {"instruction_id": iid, "figure": f.get("figure", ""), "figure_key": f.get("figure_key", ""),
                        "label": f.get("label", ""), "region_code": f.get("region_code", ""),
                        "department": f.get("department", ""), "due": f.get("due", ""), "text": f.get("text", ""),
                        "status": ISSUED, "issued_at": e["at"], "issued_by": e["user"], "answers": [],
                        "closed_at": "", "note": "", "events": [e]}
            continue
        item = out.get(iid)
        if item is None:  # an action on an instruction whose issue was lost: nothing to fold it into
            continue
        item["events"].append(e)
        if e["action"] == "answer":
            item["answers"].append({"at": e["at"], "user": e["user"], "text": f.get("text", "")})
            item["status"] = ANSWERED
        elif e["action"] == "close":
            item["status"], item["closed_at"] = CLOSED, e["at"]
            item["note"] = f.get("note", "") or item["note"]
        elif e["action"] == "reopen":
            item["status"], item["closed_at"], item["note"] = ISSUED, "", f.get("note", "")
    return out


def _visible(item: dict, scope, department_only: str | None) -> bool:
    return overlaps(scope, item["region_code"]) and (not department_only or item["department"] == department_only)


def _today(today) -> dt.date:
    return dt.date.today() if today is None else _date(today, "日期")


def is_overdue(item: dict, today=None) -> bool:
    """Open (not closed) past its due date."""
    return item["status"] != CLOSED and _today(today) > _date(item["due"])


def table(root: Path | str | None, scope, today=None, *, department: str | None = None) -> pd.DataFrame:
    """The instructions whose region the scope overlaps (only those addressed to `department` when given),
    newest first, with their status, overdue flag and latest answer."""
    rows = []
    for item in state(root).values():
        if not _visible(item, scope, department):
            continue
        last = item["answers"][-1] if item["answers"] else {"at": "", "user": "", "text": ""}
        rows.append({**{k: item[k] for k in ("instruction_id", "figure", "figure_key", "region_code", "department",
                                              "status", "issued_at", "issued_by", "closed_at", "note")},
                     "instruction": item["label"], "due_date": item["due"], "instruction_text": item["text"],
                     "figure_kind": FIGURES.get(item["figure"], item["figure"]),
                     "is_overdue": is_overdue(item, today), "answers": len(item["answers"]),
                     "latest_answer": last["text"], "answered_at": last["at"], "answered_by": last["user"]})
    df = pd.DataFrame(rows, columns=COLUMNS)
    return df.sort_values("issued_at", ascending=False, kind="stable").reset_index(drop=True)


def open_table(root: Path | str | None, scope, today=None) -> pd.DataFrame:
    """The open (not closed) instructions in the scope, for 总览 and the meeting pack: figure, department, due,
    status (逾期 where past due), latest answer; soonest due first."""
    df = table(root, scope, today)
    df = df[df["status"] != CLOSED].copy()
    df["status"] = [OVERDUE if o else s for s, o in zip(df["status"], df["is_overdue"])]
    return df.sort_values(["due_date", "issued_at"], kind="stable")[OPEN_COLUMNS].reset_index(drop=True)


def pack_rows(df: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """open_table as a printed table's headers and rows (an answer not yet given: 尚未答复)."""
    rows = [[str(r["instruction"]), str(r["department"]), str(r["due_date"]), str(r["status"]),
             str(r["latest_answer"]) or "尚未答复"] for r in df.to_dict("records")]
    return ["批示事项", "责任部门", "办理期限", "状态", "最新答复"], rows


def history(root: Path | str | None, scope, *, department: str | None = None,
            instruction_id: str | None = None) -> pd.DataFrame:
    """Every event of the visible instructions, oldest first: who did what, with its text."""
    rows = []
    for item in state(root).values():
        if not _visible(item, scope, department) or (instruction_id and item["instruction_id"] != instruction_id):
            continue
        for e in item["events"]:
            f = e.get("fields") or {}
            rows.append({"instruction_id": item["instruction_id"], "instruction": item["label"], "at": e["at"],
                         "user": e["user"],
                         "role": e["role"], "action": e["action"], "action_label": ACTION_ZH.get(e["action"], e["action"]),
                         "detail": f.get("text") or f.get("note") or ""})
    df = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    return df.sort_values("at", kind="stable").reset_index(drop=True)


# ---- who may act ----------------------------------------------------------------------------------------
def _role_label(role: str) -> str:
    return ROLES[role].label if role in ROLES else str(role)


def why_not_issue(role: str, scope, region: str) -> tuple[str, str] | None:
    """Why the user may not issue an instruction on this region (None: they may)."""
    if role not in ISSUERS:
        return (f"角色“{_role_label(role)}”不能下达批示（可下达：领导、系统管理员）",
                f"role {role!r} cannot issue instructions (leader, admin can)")
    if not covers(scope, region):
        return (f"区域 {region} 不在您的范围（{_scope_text(scope)}）内", f"region {region} is outside your scope")
    return None


def why_not_answer(item: dict, role: str, scope, department: str = "") -> tuple[str, str] | None:
    """Why the user may not answer the instruction (None: they may)."""
    region = item["region_code"]
    if role == "admin":
        return None
    if role == "dept_officer":
        if department != item["department"]:
            return (f"本批示由{item['department']}办理，您所在部门（{department or '未设部门'}）不能答复",
                    f"addressed to {item['department']}, not to your department ({department or 'none'})")
        if overlaps(scope, region):
            return None
    elif role == "county_officer":
        if item["department"] != CIVIL_AFFAIRS:
            return (f"区县工作人员只答复民政局办理的批示（本批示由{item['department']}办理）",
                    f"a county officer answers civil affairs' instructions only (this one: {item['department']})")
        if covers(scope, region):
            return None
    else:
        return (f"角色“{_role_label(role)}”不能答复批示", f"role {role!r} cannot answer instructions")
    return (f"本批示的区域 {region} 不在您的范围（{_scope_text(scope)}）内", f"region {region} is outside your scope")


def why_not_decide(item: dict, role: str, scope) -> tuple[str, str] | None:
    """Why the user may not close or reopen the instruction (None: they may)."""
    return why_not_issue(role, scope, item["region_code"])


# ---- actions ------------------------------------------------------------------------------------------
def _audited(action: str, what: str, root, user: str, role: str, scope, fn):
    try:
        event, detail = fn()
    except LoopError as e:
        audit.record(f"instruction_{action}", user=user, role=role, what=what, scope=prefixes(scope), ok=False,
                     detail=e.zh, root=root)
        raise
    audit.record(f"instruction_{action}", user=user, role=role,
                 what=f"{event['subject']['instruction_id']} {what}".strip(), scope=prefixes(scope), detail=detail,
                 root=root)
    return event


def issue(root: Path | str | None, figure: str, key, region: str, to: str, due, text: str, *, user: str,
          role: str, scope, label: str = "", today=None) -> dict:
    """Issue an instruction on a figure (its key) in a region, to a department, due on a date. Raises LoopError."""
    root = data_dir(root)
    what = f"{figure} {str(key)[:80]} {str(region)[:12]}"

    def act():
        fkey, code = figure_key(figure, key), region_code(region)
        why = why_not_issue(role, scope, code)
        if why:
            raise LoopError("NOT_ALLOWED", *why)
        dept = department(to)
        when = _date(due)
        if when < _today(today):
            raise LoopError("PAST_DUE", f"办理期限不能早于今天：{when}", f"the due date is in the past: {when}")
        body = store.clean_text(text, "批示内容")
        if not body:
            raise LoopError("NO_TEXT", "请填写批示内容", "an instruction needs a text")
        name = store.clean_text(label, "批示事项") or default_label(figure, fkey)
        iid = secrets.token_hex(6)
        with store.lock(root):
            event = store.append(KIND, {"instruction_id": iid}, "issue",
                                 {"figure": figure, "figure_key": fkey, "label": name, "region_code": code,
                                  "department": dept, "due": when.isoformat(), "text": body},
                                 user=user, role=role, root=root)
        return event, f"{FIGURES[figure]} {fkey} {code} → {dept}，期限 {when}"

    return _audited("issue", what, root, user, role, scope, act)


def _item(root: Path, instruction_id: str) -> dict:
    item = state(root).get(str(instruction_id or "").strip())
    if item is None:
        raise LoopError("NO_INSTRUCTION", f"没有这条批示：{str(instruction_id)[:20]}",
                        f"no such instruction: {str(instruction_id)[:20]!r}")
    return item


def answer(root: Path | str | None, instruction_id: str, text: str, *, user: str, role: str, scope,
           department: str = "") -> dict:
    """The addressed department's answer (a further answer is added while the instruction is open)."""
    root = data_dir(root)

    def act():
        body = store.clean_text(text, "答复内容")
        if not body:
            raise LoopError("NO_TEXT", "请填写答复内容", "an answer needs a text")
        with store.lock(root):
            item = _item(root, instruction_id)
            why = why_not_answer(item, role, scope, department)
            if why:
                raise LoopError("NOT_ALLOWED", *why)
            if item["status"] == CLOSED:
                raise LoopError("ORDER", "批示已办结，不能再答复（如需继续，请领导重开）",
                                "the instruction is closed; the leader may reopen it")
            event = store.append(KIND, {"instruction_id": item["instruction_id"]}, "answer", {"text": body},
                                 user=user, role=role, root=root)
        return event, body

    return _audited("answer", str(instruction_id)[:20], root, user, role, scope, act)


def close(root: Path | str | None, instruction_id: str, *, user: str, role: str, scope, note: str = "") -> dict:
    """The leader closes an answered instruction (办结), with an optional note."""
    return _decide("close", root, instruction_id, note, user=user, role=role, scope=scope)


def reopen(root: Path | str | None, instruction_id: str, note: str, *, user: str, role: str, scope) -> dict:
    """The leader sends an answered or closed instruction back to the department with a further note."""
    return _decide("reopen", root, instruction_id, note, user=user, role=role, scope=scope)


def _decide(action: str, root, instruction_id: str, note: str, *, user: str, role: str, scope) -> dict:
    root = data_dir(root)

    def act():
        text = store.clean_text(note, "意见")
        if action == "reopen" and not text:
            raise LoopError("NO_TEXT", "重开须写明进一步意见", "reopening needs a further note")
        with store.lock(root):
            item = _item(root, instruction_id)
            why = why_not_decide(item, role, scope)
            if why:
                raise LoopError("NOT_ALLOWED", *why)
            if item["status"] == ISSUED:
                raise LoopError("ORDER", "部门尚未答复，不能办结或重开", "the department has not answered yet")
            if action == "close" and item["status"] == CLOSED:
                raise LoopError("ALREADY", "批示已办结", "the instruction is already closed")
            event = store.append(KIND, {"instruction_id": item["instruction_id"]}, action,
                                 {"note": text} if text else {}, user=user, role=role, root=root)
        return event, text

    return _audited(action, str(instruction_id)[:20], root, user, role, scope, act)
