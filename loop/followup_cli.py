"""`python -m etl followup list|assign|start|refer|accept|return|close|note`: the follow-up (督办) from the
command line, acting as a named user (--user: their role, scope and department, as in the app).

The loop reads neither the snapshot nor the user list itself (it sits below them): `register` takes the
two readers from the caller — `read_listed(root, prefixes)` (the published snapshot's items by keys, through
the query door: ui.followup.read_listed) and `find_user(name)` (an enabled user with .username, .role, .scope,
.department, or a LoopError: etl's _signoff_user).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import pandas as pd

from settings import data_dir

from . import followup as fu
from .store import LoopError, read

ReadListed = Callable[[object, list[str]], pd.DataFrame]


def register(sub, read_listed: ReadListed, find_user: Callable) -> None:
    """Add `followup` to a subparsers object (python -m etl's) with its actions."""
    s = sub.add_parser("followup", help="督办：名单儿童与逾期走访的指派、转办、办结 follow-up of worklist items")
    acts = s.add_subparsers(dest="action", required=True)
    t = acts.add_parser("list", help="督办事项及状态 items and their status in the user's scope")
    t.add_argument("--user", required=True, help="以该用户的角色和范围查看 as this user (role and scope)")
    t.add_argument("--check", help="只看一项比对 one check only (e.g. health, visit_overdue)")
    t.add_argument("--status", choices=list(fu.STATUSES))
    t.add_argument("--json", action="store_true")
    for name, hlp in (("assign", "指派给部门或儿童主任 assign to a department or a children's director"),
                      ("start", "开始处理 mark as in progress"), ("refer", "转办给另一部门 refer to another department"),
                      ("accept", "接收转办 accept a referral"), ("return", "退回转办 return a referral"),
                      ("close", "办结（已办结/无需处理）close"), ("note", "备注 add a note")):
        t = acts.add_parser(name, help=hlp)
        t.add_argument("check", help="比对项目代码 check code (health, dropout, … visit_overdue)")
        t.add_argument("person_key", nargs="?" if name == "assign" else None,
                       help="儿童的加密标识 the child's linkage key (not the ID number)")
        t.add_argument("--user", required=True, help="以该用户的角色和范围办理 act as this user")
        if name in ("assign", "refer"):
            t.add_argument("--to", help="部门 department (config/departments.csv)")
        if name == "assign":
            t.add_argument("--director", help="儿童主任编号 a children's director's roster id (never a name)")
            t.add_argument("--due", required=True, help="期限 due date YYYY-MM-DD")
            t.add_argument("--area", help="批量：区县或街道代码 bulk: a county (6) or street (9 digit) code")
        if name == "close":
            t.add_argument("--outcome", choices=list(fu.OUTCOMES), required=True)
        if name in ("close", "return", "refer"):
            t.add_argument("--reason", required=name != "refer", default="",
                           help="说明（不得含姓名、身份证号）reason (no names or ID numbers)")
        if name == "note":
            t.add_argument("--text", required=True, help="备注（不得含姓名、身份证号）note (no names or ID numbers)")
    s.set_defaults(fn=lambda args: run(args, read_listed, find_user))


def main(argv: list[str], read_listed: ReadListed, find_user: Callable) -> int:
    """The subcommand alone (`followup …`), as python -m etl runs it."""
    p = argparse.ArgumentParser(prog="python -m etl")
    register(p.add_subparsers(dest="cmd", required=True), read_listed, find_user)
    args = p.parse_args(argv)
    return args.fn(args)


def _item(df: pd.DataFrame, check: str, key: str) -> dict:
    hit = df[(df["check_code"] == check) & (df["person_key"] == key)]
    if hit.empty:
        raise LoopError("NO_ITEM", f"您的范围内没有该督办事项：{check} {key[:12]}…",
                        f"no follow-up item {check} {key[:12]}… in your scope")
    return hit.iloc[0].to_dict()


def run(args, read_listed: ReadListed, find_user: Callable) -> int:
    root = data_dir()
    try:
        u = find_user(args.user)
        scope = list(u.scope)
        listed = read_listed(root, scope)
        df = fu.state(root, listed, scope=scope)
        if args.action == "list":
            return _list(args, df, u)
        who = {"user": u.username, "role": u.role, "scope": scope, "department": u.department}
        if args.action == "assign" and args.person_key is None:
            if not args.area or not args.to:
                raise LoopError("BAD_ARGS", "批量指派需要 --area 和 --to", "bulk assignment needs --area and --to")
            n = fu.bulk_assign(root, listed, args.check, args.area, to=args.to, due=args.due, user=u.username,
                               role=u.role, scope=scope, department=u.department)
            print(f"已批量指派 assigned {n} 项 items: {args.check} {args.area} → {args.to}")
            return 0
        item = _item(df, args.check, args.person_key)
        kw = {}
        if args.action == "assign":
            kind = fu.DIRECTOR if args.director else fu.DEPARTMENT
            kw = {"to": args.director or args.to or "", "to_kind": kind, "due": args.due}
        elif args.action == "refer":
            kw = {"to": args.to or "", "reason": args.reason}
        elif args.action in ("close", "return"):
            kw = {"reason": args.reason, **({"outcome": args.outcome} if args.action == "close" else {})}
        elif args.action == "note":
            kw = {"note": args.text}
        e = fu.act(root, args.action, item, **who, **kw)
        detail = fu.describe(args.action, e["fields"])
        print(f"已{fu.ACTIONS[args.action]} done ({args.action}): {args.check} {args.person_key[:12]}…"
              + (f"（{detail}）" if detail else ""))
        return 0
    except LoopError as e:
        print(f"错误 error: {e}", file=sys.stderr)
        return 2


def _list(args, df: pd.DataFrame, u) -> int:
    if args.check:
        df = df[df["check_code"] == args.check]
    if args.status:
        df = df[df["status"] == args.status]
    if u.role not in fu.CASE_ROLES + fu.DEPT_ROLES:
        # Items are case access; counts go through the query door's small-number rule, on the 督办 page.
        raise LoopError("NOT_ALLOWED", "该角色不能查看督办事项清单，请在“督办”页查看统计",
                        f"role {u.role!r} cannot list follow-up items; the 督办 page shows the counts")
    df = fu.queue(df, u.role, u.department)
    cols = ["check_code", "person_key", "street_code", "status", "assignee", "due", "is_overdue", "referral_to",
            "recurred", "last_at", "last_user"]
    if args.json:
        print(df[cols].to_json(orient="records", force_ascii=False, indent=2))
        return 0
    print(f"{'事项 check':<14} {'标识 key':<14} {'街道 street':<13} {'状态':<5} {'承办 assignee':<10} {'期限 due':<11} 转办")
    for r in df[cols].itertuples():
        print(f"{r.check_code:<14} {r.person_key[:12]:<14} {r.street_code:<13} {r.status:<5} {r.assignee or '—':<10} "
              f"{r.due or '—':<11} {r.referral_to or ''}{' 逾期' if r.is_overdue else ''}{' 复发' if r.recurred else ''}")
    skipped = read(data_dir())[1]
    if skipped:
        print(f"注意 note: 跳过 {skipped} 行不完整的记录 skipped {skipped} torn line(s)", file=sys.stderr)
    return 0
