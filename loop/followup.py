"""督办: the follow-up of worklist items — who must do what by when, for each child a check listed.

An item is a child on a matching worklist (a check of match_children the other department's register did
not match) or a key child whose visit is overdue (check "visit_overdue"); its key is (person_key, check), the
linkage key being a keyed hash, never a name or ID number. The listing itself comes from the published
snapshot through the query door: callers (ui/followup.py, the CLI) read it and pass it in as a frame with
the columns LISTED; this module folds the events of kind "followup" over it and decides who may act.

Actions (events kind "followup"; every event carries the item's street_code and county_code, region codes,
so scope and per-street counts hold after the child leaves the extract):
    assign   to a department of config/departments.csv or a children's director (director_id), with a due date
    start    处理中
    close    已办结 or 无需处理, with a reason; the listing's period is kept with it
    note     free text (store.clean_text: no ID numbers)
    refer    pass the item from its department to another; pending until the receiver acts
    accept   the receiving department takes it over (it becomes the assignee)
    return   the receiver sends it back with a reason (the sender stays the assignee)

Status: 待处理 (listed, no action yet, or assigned), 处理中, 已办结, 无需处理, and 复发 — an item closed as
已办结 that the data list again. The rule for 复发 compares data, not builds: the close keeps the period of the
listing it closed (a worklist's extract period, or the ledger's data date for an overdue visit), and the
item is 复发 when the snapshot in force lists it with a later period. So a rebuild, or a corrected extract for
the same period, changes nothing; the next period's extract that still lists the child flags it. A 复发 item
is open again: assign, start and close act on it as on a new one. Overdue: open and past its due date.

Who may do what (scope: the item's region must lie in the user's scope prefixes):
    case_worker, admin        every action on one item (they see the masked lists)
    dept_officer              start, close, note, refer on items assigned to their department; accept and
                              return on items referred to it
    county_officer, data_officer   bulk_assign only: a check in a street or county to a department,
                              without seeing any child; figures only otherwise
A receiving department accepts or returns a referral (an admin may too). Others are refused (LoopError);
every action, refused or done, is audited.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from auth import audit
from auth.roles import ROLES
from etl.contracts import departments
from settings import data_dir

from . import store
from .store import LoopError

KIND = "followup"
VISIT_CHECK = "visit_overdue"
VISIT_LABEL = "重点儿童走访逾期"
PENDING, WORKING, DONE, NOT_NEEDED, RELAPSE = "待处理", "处理中", "已办结", "无需处理", "复发"
STATUSES = (PENDING, WORKING, RELAPSE, DONE, NOT_NEEDED)
OPEN = (PENDING, WORKING, RELAPSE)
OUTCOMES = (DONE, NOT_NEEDED)
STATUS_EN = {PENDING: "pending", WORKING: "in progress", DONE: "done", NOT_NEEDED: "no action needed",
             RELAPSE: "recurred"}
ACTIONS = {"assign": "指派", "start": "开始处理", "close": "办结", "note": "备注", "refer": "转办",
           "accept": "接收转办", "return": "退回转办"}
CASE_ROLES = ("case_worker", "admin")
DEPT_ROLES = ("dept_officer",)
BULK_ROLES = ("county_officer", "data_officer", "case_worker", "admin")
DEPARTMENT, DIRECTOR = "department", "director"
# A children's director is named by the roster's id (letters, digits, - and _), never by a name.
DIRECTOR_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,39}")
# The listing a caller passes in (one row per item the published snapshot lists).
LISTED = ["person_key", "check_code", "department", "period", "county_code", "street_code"]
COLUMNS = ["person_key", "check_code", "check_department", "county_code", "street_code", "listed", "period",
           "status", "assignee_kind", "assignee", "due", "is_overdue", "referral_from", "referral_to",
           "closed_period", "reason", "recurred", "last_at", "last_user", "last_action", "events"]


# ---- the fold -----------------------------------------------------------------------------------------
def _blank(key: tuple, row: dict | None) -> dict:
    row = row or {}
    return {"person_key": key[0], "check_code": key[1], "check_department": row.get("department") or "",
            "county_code": row.get("county_code") or "", "street_code": row.get("street_code") or "",
            "listed": row is not None and bool(row), "period": str(row.get("period") or ""), "status": PENDING,
            "assignee_kind": "", "assignee": "", "due": "", "is_overdue": False, "referral_from": "",
            "referral_to": "", "closed_period": "", "reason": "", "recurred": False, "last_at": "", "last_user": "",
            "last_action": "", "events": 0, "done_periods": []}


def _apply(s: dict, e: dict) -> None:
    f, a = e.get("fields") or {}, e.get("action")
    if a == "assign":
        s.update(status=PENDING, assignee_kind=f.get("to_kind", DEPARTMENT), assignee=f.get("to", ""),
                 due=f.get("due", ""), referral_from="", referral_to="", reason="")
    elif a == "start":
        s["status"] = WORKING
    elif a == "close":
        s.update(status=f.get("outcome", DONE), reason=f.get("reason", ""), closed_period=f.get("period", ""),
                 referral_from="", referral_to="")
        if s["status"] == DONE:
            s["done_periods"].append(s["closed_period"])
    elif a == "refer":
        s.update(referral_from=f.get("from", ""), referral_to=f.get("to", ""))
    elif a == "accept":
        s.update(assignee_kind=DEPARTMENT, assignee=s["referral_to"], referral_from="", referral_to="",
                 status=PENDING)
    elif a == "return":
        s.update(referral_from="", referral_to="", reason=f.get("reason", ""))
    elif a != "note":
        return
    if not s["street_code"] and f.get("street_code"):
        s["street_code"] = f["street_code"]
    if not s["county_code"] and f.get("county_code"):
        s["county_code"] = f["county_code"]
    if not s["check_department"] and f.get("check_department"):
        s["check_department"] = f["check_department"]
    s.update(last_at=e.get("at", ""), last_user=e.get("user", ""), last_action=a, events=s["events"] + 1)


def _later(period: str, than: str) -> bool:
    """Whether a listing's period comes after another of the same check (same format: 2026H2 > 2026H1,
    2026-07 > 2026-06, 2026-10-31 > 2026-09-30)."""
    return bool(period) and (not than or period > than)


# What an item takes from its listing row (the rest comes from its events).
LISTED_STATE = ("check_department", "county_code", "street_code", "period")


def _base(listed: pd.DataFrame | None) -> pd.DataFrame:
    """The listed items as they stand with no event: 待处理, nobody assigned (built column-wise: a city's
    worklists are tens of thousands of rows, and the page folds on every rerun)."""
    if listed is None or listed.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = listed[LISTED].astype(object)
    rows = rows.where(rows.notna(), "").astype(str).rename(columns={"department": "check_department"})
    blank = _blank(("", ""), {})
    for c in COLUMNS:
        if c not in rows:
            rows[c] = blank[c]
    rows["listed"] = True
    return rows[COLUMNS]


def fold(events: list[dict], listed: pd.DataFrame | None, today: dt.date | None = None,
         scope: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Every item listed now or ever acted on, with its status (COLUMNS). listed: the snapshot's items
    (LISTED columns); today: for overdue (default: today); scope: region prefixes to keep (None: all)."""
    today = today or dt.date.today()
    base = _base(listed)
    keys = pd.MultiIndex.from_arrays([base["person_key"], base["check_code"]]) if len(base) else None
    by_key: dict[tuple, list[dict]] = {}
    for e in events:
        if e.get("kind") == KIND:
            by_key.setdefault((e["subject"].get("person_key", ""), e["subject"].get("check", "")), []).append(e)
    found = keys.get_indexer(list(by_key)) if keys is not None and by_key else [-1] * len(by_key)
    rows = iter(base.iloc[[i for i in found if i >= 0]].to_dict("records"))
    acted: dict[tuple, dict] = {}
    for (key, evs), at in zip(by_key.items(), found):
        acted[key] = s = _blank(key, None)
        if at >= 0:
            s.update({k: v for k, v in next(rows).items() if k in LISTED_STATE}, listed=True)
        for e in evs:
            _apply(s, e)
    for s in acted.values():
        if s["status"] == DONE and s["listed"] and _later(s["period"], s["closed_period"]):
            s["status"] = RELAPSE
        s["recurred"] = s["listed"] and any(_later(s["period"], p) for p in s["done_periods"])
        s["is_overdue"] = s["status"] in OPEN and bool(s["due"]) and s["due"] < today.isoformat()
    if acted:
        done = pd.MultiIndex.from_tuples(list(acted))
        untouched = base[~keys.isin(done)] if keys is not None else base
        parts = [p for p in (untouched, pd.DataFrame(list(acted.values()), columns=COLUMNS)) if len(p)]
        df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    else:
        df = base
    if scope is not None:
        region = df["street_code"].where(df["street_code"] != "", df["county_code"]).fillna("")
        df = df[region.str.startswith(tuple(prefix(p) for p in scope))] if scope else df.iloc[0:0]
    df = df.astype({"listed": bool, "is_overdue": bool, "recurred": bool, "events": int})
    return df.sort_values(["check_code", "street_code", "person_key"], kind="stable").reset_index(drop=True)


def state(root: Path | str | None, listed: pd.DataFrame | None, today: dt.date | None = None,
          scope: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """fold() over the store's follow-up events (read again only when the file changes)."""
    return fold(store.events(KIND, data_dir(root)), listed, today, scope)


def region_of(item: dict) -> str:
    return str(item.get("street_code") or item.get("county_code") or "")


def prefix(code: str) -> str:
    """A scope's region code as a prefix: a 12-digit code loses its all-zero trailing groups (990102000000 →
    990102), as the query door reads a user's scope."""
    code = str(code or "").strip()
    for start, end in ((9, 12), (6, 9), (4, 6), (2, 4)):
        if len(code) == end and set(code[start:end]) == {"0"}:
            code = code[:start]
    return code


def in_scope(region: str, scope) -> bool:
    """Whether a region code lies inside the scope ("" = everything; an empty scope: nothing). The scope's
    codes are prefixes or full division codes (users.json keeps 12-digit ones)."""
    return any(region.startswith(prefix(p)) for p in scope or ())


def history(root: Path | str | None, person_key: str, check: str) -> pd.DataFrame:
    """One item's events, oldest first: when, who (user, role), what, and what it carried."""
    rows = []
    for e in store.events(KIND, data_dir(root)):
        if e["subject"].get("person_key") == person_key and e["subject"].get("check") == check:
            f = e.get("fields") or {}
            rows.append({"at": e["at"], "user": e["user"], "role": e["role"], "action": e["action"],
                         "action_zh": ACTIONS.get(e["action"], e["action"]), "detail": describe(e["action"], f)})
    return pd.DataFrame(rows, columns=["at", "user", "role", "action", "action_zh", "detail"])


def describe(action: str, f: dict) -> str:
    """One line for an event's fields, in Chinese."""
    if action == "assign":
        who = f"儿童主任 {f.get('to')}" if f.get("to_kind") == DIRECTOR else f.get("to", "")
        return f"指派至 {who}，期限 {f.get('due', '')}"
    if action == "close":
        return f"{f.get('outcome', '')}：{f.get('reason', '')}"
    if action == "refer":
        return f"{f.get('from', '')} → {f.get('to', '')}" + (f"：{f['reason']}" if f.get("reason") else "")
    if action in ("return", "note"):
        return f.get("reason") or f.get("note") or ""
    return ""


# ---- who may do what --------------------------------------------------------------------------------
def department_name(name: str) -> str:
    """A department's canonical name (config/departments.csv, aliases accepted)."""
    found = departments().get((name or "").strip())
    if not found:
        raise LoopError("BAD_DEPARTMENT", f"未知部门：{name}（见 config/departments.csv）",
                        f"unknown department: {name!r} (see config/departments.csv)")
    return found


def _refuse(code: str, zh: str, en: str) -> None:
    raise LoopError(code, zh, en)


def _may(action: str, s: dict, role: str, department: str, scope) -> None:
    """Raise LoopError unless the user may take `action` on the item in state `s`."""
    label = ROLES[role].label if role in ROLES else role
    if role not in CASE_ROLES + DEPT_ROLES:
        _refuse("NOT_ALLOWED", f"角色“{label}”不能逐项办理督办事项（区县、数据人员可按街道批量指派）",
                f"role {role!r} cannot act on single follow-up items")
    if not in_scope(region_of(s), scope):
        _refuse("OUT_OF_SCOPE", f"该事项所在区域（{region_of(s) or '未知'}）不在您的范围内",
                f"the item's region ({region_of(s) or 'unknown'}) is outside your scope")
    receiver = action in ("accept", "return")
    if receiver:
        if not s["referral_to"]:
            _refuse("NO_REFERRAL", "该事项没有待接收的转办", "the item has no pending referral")
        if role != "admin" and department != s["referral_to"]:
            _refuse("NOT_ALLOWED", f"转办给“{s['referral_to']}”，只能由该部门接收或退回",
                    f"referred to {s['referral_to']}: only that department accepts or returns it")
        return
    if role in DEPT_ROLES:
        mine = s["assignee_kind"] == DEPARTMENT and s["assignee"] == department and department
        if action == "assign" or not mine:
            _refuse("NOT_ALLOWED", f"部门工作人员只能办理指派给本部门（{department or '未设部门'}）的事项",
                    f"a department officer acts only on items assigned to their department ({department or 'none'})")


def _check_order(action: str, s: dict) -> None:
    st = s["status"]
    if action != "note" and s["referral_to"] and action not in ("accept", "return"):
        _refuse("REFERRAL_PENDING", f"已转办给“{s['referral_to']}”，待其接收或退回",
                f"referred to {s['referral_to']}, waiting for it to accept or return")
    if action in ("assign", "start", "close", "refer") and st not in OPEN:
        _refuse("CLOSED", f"该事项已“{st}”，不能{ACTIONS[action]}", f"the item is {STATUS_EN[st]}")
    if action == "start" and st == WORKING:
        _refuse("ALREADY", "已在处理中", "already in progress")
    if action == "refer" and s["assignee_kind"] != DEPARTMENT:
        _refuse("NOT_ASSIGNED", "须先指派给一个部门，才能转办", "assign the item to a department before referring it")


def _due(due) -> str:
    try:
        return dt.date.fromisoformat(str(due).strip()).isoformat()
    except ValueError:
        raise LoopError("BAD_DATE", f"期限应为日期（如 2026-12-31）：{due}", f"due must be a date (2026-12-31): {due!r}")


def _target(to: str, to_kind: str) -> str:
    if to_kind == DIRECTOR:
        to = (to or "").strip()
        if not DIRECTOR_ID.fullmatch(to) or store.looks_like_id(to):
            raise LoopError("BAD_DIRECTOR", f"儿童主任须填编号（花名册中的编号，不填姓名）：{to}",
                            f"a children's director is given by roster id, never a name: {to!r}")
        return to
    if to_kind != DEPARTMENT:
        raise LoopError("BAD_TARGET", f"指派对象应为部门或儿童主任：{to_kind}", "assign to department or director")
    return department_name(to)


def _fields(action: str, s: dict, **kw) -> dict:
    base = {"street_code": s["street_code"], "county_code": s["county_code"]}
    if s.get("check_department"):
        base["check_department"] = s["check_department"]
    return {**base, **{k: v for k, v in kw.items() if v not in (None, "")}}


def _current(root: Path, item: dict) -> dict:
    """The item's state from the store, on the listing row the caller passed (or its events alone)."""
    row = {c: item.get(c, item.get("check_department", "") if c == "department" else "") for c in LISTED}
    listed = pd.DataFrame([row]) if item.get("listed", True) else None
    df = fold(store.events(KIND, root), listed)
    hit = df[(df["person_key"] == item["person_key"]) & (df["check_code"] == item["check_code"])]
    if hit.empty:
        raise LoopError("NO_ITEM", "没有这个督办事项", "no such follow-up item")
    return hit.iloc[0].to_dict()


def act(root: Path | str | None, action: str, item: dict, *, user: str, role: str, scope,
        department: str = "", to: str = "", to_kind: str = DEPARTMENT, due=None, outcome: str = "",
        reason: str = "", note: str = "") -> dict:
    """Take one action on one item (a row of the listing, or of `state`). Raises LoopError; audited."""
    root = data_dir(root)
    scope = list(scope or ())
    what = f"{ACTIONS.get(action, action)} {item.get('check_code', '')} {region_of(item)}"
    try:
        if action not in ACTIONS:
            raise LoopError("BAD_ACTION", f"未知操作：{action}", f"unknown action {action!r}")
        fields: dict = {}
        if action == "assign":
            fields = {"to_kind": to_kind, "to": _target(to, to_kind), "due": _due(due)}
        elif action == "close":
            if outcome not in OUTCOMES:
                raise LoopError("BAD_OUTCOME", f"办结结果应为“已办结”或“无需处理”：{outcome}",
                                f"the outcome must be 已办结 or 无需处理: {outcome!r}")
            reason = store.clean_text(reason, "办结说明")
            if not reason:
                raise LoopError("NO_REASON", "办结需要填写说明", "closing needs a reason")
            fields = {"outcome": outcome, "reason": reason}
        elif action == "return":
            reason = store.clean_text(reason, "退回原因")
            if not reason:
                raise LoopError("NO_REASON", "退回需要填写原因", "a return needs a reason")
            fields = {"reason": reason}
        elif action == "note":
            note = store.clean_text(note, "备注")
            if not note:
                raise LoopError("NO_NOTE", "备注不能为空", "the note is empty")
            fields = {"note": note}
        elif action == "refer":
            fields = {"to": department_name(to), "reason": store.clean_text(reason, "转办说明")}
        with store.lock(root):
            s = _current(root, item)
            _may(action, s, role, department, scope)
            _check_order(action, s)
            if action == "refer":
                if fields["to"] == s["assignee"]:
                    raise LoopError("SAME_DEPARTMENT", "已在该部门，无需转办", "already with that department")
                fields["from"] = s["assignee"]
            if action == "close":
                fields["period"] = s["period"]
            event = store.append(KIND, {"person_key": s["person_key"], "check": s["check_code"]}, action,
                                 _fields(action, s, **fields), user=user, role=role, root=root)
    except LoopError as e:
        audit.record("followup", user=user, role=role, what=what, scope=scope, ok=False, detail=e.zh, root=root)
        raise
    audit.record("followup", user=user, role=role, what=what, scope=scope,
                 detail=describe(action, event["fields"]) or ACTIONS[action], root=root)
    return event


def bulk_assign(root: Path | str | None, listed: pd.DataFrame, check: str, area: str, *, to: str, due,
                user: str, role: str, scope, department: str = "") -> int:
    """Assign every open, unassigned item of one check in one street or county (a division code prefix, 6
    or 9 digits) to a department; returns how many. For county and data officers, who see no child:
    `listed` is read on their behalf and never shown."""
    root = data_dir(root)
    scope = list(scope or ())
    area = (area or "").strip()
    what = f"批量指派 {check} {area}"
    try:
        if role not in BULK_ROLES:
            label = ROLES[role].label if role in ROLES else role
            raise LoopError("NOT_ALLOWED", f"角色“{label}”不能批量指派", f"role {role!r} cannot bulk-assign")
        if not re.fullmatch(r"\d{6}(\d{3})?", area):
            raise LoopError("BAD_AREA", f"区域应为区县（6 位）或街道（9 位）代码：{area}",
                            f"the area must be a county (6 digits) or street (9 digits) code: {area!r}")
        if not in_scope(area, scope):
            raise LoopError("OUT_OF_SCOPE", f"区域 {area} 不在您的范围内", f"area {area} is outside your scope")
        fields = {"to_kind": DEPARTMENT, "to": department_name(to), "due": _due(due), "bulk": f"{check}:{area}"}
        with store.lock(root):
            df = fold(store.events(KIND, root), listed[listed["check_code"] == check])
            mine = df[df["listed"] & (df["check_code"] == check) & df["status"].isin(OPEN)
                      & ((df["assignee"] == "") | (df["status"] == RELAPSE)) & (df["referral_to"] == "")
                      & df["street_code"].fillna("").str.startswith(area)]
            for s in mine.to_dict("records"):
                store.append(KIND, {"person_key": s["person_key"], "check": s["check_code"]}, "assign",
                             _fields("assign", s, **fields), user=user, role=role, root=root)
    except LoopError as e:
        audit.record("followup", user=user, role=role, what=what, scope=scope, ok=False, detail=e.zh, root=root)
        raise
    audit.record("followup", user=user, role=role, what=what, scope=scope,
                 detail=f"指派至 {fields['to']}，期限 {fields['due']}：{len(mine)} 项", root=root)
    return len(mine)


def queue(df: pd.DataFrame, role: str, department: str) -> pd.DataFrame:
    """The items a user works on, from `state`: a department officer's are those assigned or referred to
    their department; a case worker's or admin's every item in their scope; other roles have no queue."""
    if role in DEPT_ROLES:
        mine = ((df["assignee_kind"] == DEPARTMENT) & (df["assignee"] == department)) | (df["referral_to"] == department)
        return df[mine & bool(department)].reset_index(drop=True)
    if role in CASE_ROLES:
        return df
    return df.iloc[0:0]


def allowed(s: dict, role: str, department: str, scope) -> list[str]:
    """The actions a user may take on an item now (for a page's buttons), in ACTIONS order."""
    out = []
    for a in ACTIONS:
        try:
            _may(a, s, role, department, scope)
            _check_order(a, s)
        except LoopError:
            continue
        out.append(a)
    return out
