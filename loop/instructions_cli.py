"""`python -m etl instruction issue|answer|close|reopen|list`: 领导批示 from the command line, as a named user.

The user's role, scope and department come from the users file through the resolver `etl/__main__` passes in
(the loop reads no users file itself), so the command line acts within exactly the rights the page grants.
Refusals print bilingually and exit 2, as `python -m etl signoff` does.
"""
from __future__ import annotations

import sys
from collections.abc import Callable

from settings import data_dir

from . import instructions as ins
from .store import LoopError

_USER_OF: dict[str, Callable] = {}


def register(sub, user_of: Callable, check_names: Callable) -> None:
    """Add `instruction` to `python -m etl`'s subparsers; user_of(name) → the enabled user (role, scope,
    department) or a LoopError; check_names(scope) → {check code: its name} of the published snapshot's
    worklists in that scope (the checks are defined in the warehouse, which the loop does not read)."""
    _USER_OF["fn"], _USER_OF["checks"] = user_of, check_names
    s = sub.add_parser("instruction", help="领导批示：下达、答复、办结、重开、列表 leaders' instructions")
    a = s.add_subparsers(dest="action", required=True)
    t = a.add_parser("issue", help="下达批示 issue an instruction on a figure")
    t.add_argument("figure", choices=list(ins.FIGURES), help="target 目标 | gap 服务缺口 | worklist 比对名单")
    t.add_argument("key", help="target: 计划编号:措施编号:指标；gap: 缺口编号；worklist: 比对项目编号")
    t.add_argument("--region", required=True, help="所涉区划代码 the region's division code")
    t.add_argument("--to", required=True, help="承办部门 the department (config/departments.csv)")
    t.add_argument("--due", required=True, help="办理期限 due date YYYY-MM-DD")
    t.add_argument("--text", required=True, help="批示内容（不得含姓名、身份证号）the text (no names or ID numbers)")
    t.add_argument("--label", default="", help="批示事项的名称 the figure's name as shown (default: its key)")
    t.add_argument("--user", required=True, help="以该用户的角色和范围下达 act as this user")
    t = a.add_parser("answer", help="承办部门答复 the department answers")
    t.add_argument("instruction_id")
    t.add_argument("--text", required=True, help="答复内容（不得含姓名、身份证号）the answer")
    t.add_argument("--user", required=True)
    for name, hlp in (("close", "办结 close an answered instruction"),
                      ("reopen", "重开并写明进一步意见 reopen with a further note")):
        t = a.add_parser(name, help=hlp)
        t.add_argument("instruction_id")
        t.add_argument("--note", required=name == "reopen", default="", help="意见 note")
        t.add_argument("--user", required=True)
    t = a.add_parser("list", help="该用户可见的批示 the instructions the user sees")
    t.add_argument("--user", required=True)
    t.add_argument("--all", action="store_true", help="含已办结 include closed ones")
    t.add_argument("--today", help="判断逾期的日期 the day overdue is judged on (default today)")
    t.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_instruction)


def _department_only(u) -> str | None:
    """A department officer sees their own department's instructions (no department: none)."""
    return (u.department or "（无部门）") if u.role == "dept_officer" else None


def _check_name(key: str, names: dict[str, str]) -> str:
    """A worklist's name as 数据比对 shows it; a key that is not one of the published checks is refused."""
    if key.strip() not in names:
        raise LoopError("BAD_KEY", f"比对项目编号无效：{key[:40]}（可选 {'、'.join(names) or '无'}）",
                        f"not a check of the published snapshot: {key[:40]!r} (one of {', '.join(names) or 'none'})")
    return names[key.strip()]


def cmd_instruction(args) -> int:
    root = data_dir()
    try:
        u = _USER_OF["fn"](args.user)
        who = {"user": u.username, "role": u.role, "scope": list(u.scope)}
        if args.action == "list":
            df = ins.table(root, u.scope, args.today, department=_department_only(u))
            if not args.all:
                df = df[df["status"] != ins.CLOSED]
            if args.json:
                print(df.to_json(orient="records", force_ascii=False, indent=2))
                return 0
            print(f"{'编号 id':<14} {'状态 status':<8} {'期限 due':<11} {'承办部门':<8} 批示事项 / 最新答复 instruction / latest answer")
            for r in df.itertuples():
                flag = f"{r.status}{'·' + ins.OVERDUE if r.is_overdue else ''}"
                print(f"{r.instruction_id:<14} {flag:<8} {r.due_date:<11} {r.department:<8} {r.instruction}"
                      + (f" / {r.latest_answer}" if r.latest_answer else ""))
            return 0
        if args.action == "issue":
            label = args.label
            if args.figure == "worklist":  # one of the snapshot's checks, even when the caller names it
                name = _check_name(args.key, _USER_OF["checks"](u.scope))
                label = label or name
            e = ins.issue(root, args.figure, args.key, args.region, args.to, args.due, args.text, label=label,
                          **who)
            f = e["fields"]
            print(f"已下达批示 issued {e['subject']['instruction_id']}：{f['label']} → {f['department']}，"
                  f"期限 due {f['due']}")
        elif args.action == "answer":
            e = ins.answer(root, args.instruction_id, args.text, department=u.department, **who)
            print(f"已答复 answered {e['subject']['instruction_id']}")
        elif args.action == "close":
            e = ins.close(root, args.instruction_id, note=args.note, **who)
            print(f"已办结 closed {e['subject']['instruction_id']}")
        else:
            e = ins.reopen(root, args.instruction_id, args.note, **who)
            print(f"已重开 reopened {e['subject']['instruction_id']}")
        return 0
    except LoopError as e:
        print(f"错误 error: {e}", file=sys.stderr)
        return 2
