"""Command line: python -m auth {add,disable,enable,reset,set,list,demo-users,audit}.

Passwords are read from the terminal (or one line of stdin when piped), never from arguments.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from auth import audit, users
from auth.roles import ROLES

DEMO_PASSWORD = "tongxin-demo"


def _password(prompt: str = "密码 password: ", env: str | None = None) -> str:
    """A new password: from the terminal (asked twice), else one line of stdin; `env` names an environment
    variable that holds it instead (for scripts and tests, never an argument: arguments show in `ps`)."""
    if env and os.environ.get(env):
        return os.environ[env]
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("再输一次 again: ") != first:
            raise users.AuthError("两次输入的密码不一致 / the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def add_user(username: str, role: str, scope: list[str], *, display_name: str = "", sso: str = "",
             department: str = "", root=None, by: str = "cli", password_env: str | None = None) -> users.User:
    """Add a user with a password read as `_password` reads it (python -m auth add, python -m etl init)."""
    return users.add(username, _password(env=password_env), role, scope, display_name=display_name, sso=sso,
                     department=department, root=root, by=by)


def demo_users(root=None) -> list[tuple[str, str, list[str]]]:
    """Create the documented demo users (password DEMO_PASSWORD) from the published demo snapshot.

    Refuses when the published snapshot is not demo data: real deployments add their users by hand.
    """
    from warehouse import queries as q

    con = q.connect(q.current_snapshot_path(root))
    try:
        if not q.snapshot_info(con).is_demo:
            raise users.AuthError("当前快照不是示例数据，不创建示例用户 / the snapshot is not demo data; no demo users")
        regions = q.region_levels(con)
    finally:
        con.close()
    city = regions.loc[regions.level == "city", "region_code"].iloc[0]
    county = regions.loc[regions.level == "county", "region_code"].iloc[0]
    plan = [
        ("admin", "admin", [city[:2]], "系统管理员（示例）", ""),
        ("leader", "leader", [city], "市领导（示例）", ""),
        ("planner", "planner", [city], "规划人员（示例）", ""),
        ("county", "county_officer", [county], "区县民政局（示例）", "民政局"),
        ("fulian", "wf_staff", [city], "市妇联（示例）", "妇联"),
        ("data", "data_officer", [city], "数据专员（示例）", ""),
        ("caseworker", "case_worker", [county], "儿童督导员（示例）", "民政局"),
        ("health", "dept_officer", [city], "市卫健委（示例）", "卫健委"),
        ("cdpf", "dept_officer", [county], "区县残联（示例）", "残联"),
    ]
    existing = users.load(root)
    for name, role, scope, label, dept in plan:
        if name in existing:
            users.update(name, root=root, by="demo", password=DEMO_PASSWORD, disabled=False, role=role, scope=scope,
                         department=dept)
        else:
            users.add(name, DEMO_PASSWORD, role, scope, display_name=label, department=dept, root=root, by="demo")
    return [(n, r, s) for n, r, s, _, _ in plan]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m auth", description="童心 用户与审计 / users and audit")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("add", help="新增用户 add a user")
    s.add_argument("username")
    s.add_argument("--role", required=True, choices=list(ROLES))
    s.add_argument("--scope", nargs="*", default=[], help="区划代码 region codes (none = sees nothing)")
    s.add_argument("--name", default="", help="显示名 display name")
    s.add_argument("--sso", default="", help="单点登录身份（邮箱）OIDC e-mail mapped to this user")
    s.add_argument("--department", default="", help="所属部门（config/departments.csv）the user's department")
    for name, hlp in (("disable", "停用 disable"), ("enable", "启用 enable"), ("reset", "重置密码 reset password")):
        sub.add_parser(name, help=hlp).add_argument("username")
    s = sub.add_parser("set", help="修改角色或范围 change role or scope")
    s.add_argument("username")
    s.add_argument("--role", choices=list(ROLES))
    s.add_argument("--scope", nargs="*")
    s.add_argument("--department", help="所属部门，空串为无 the user's department (\"\" for none)")
    sub.add_parser("list", help="列出用户 list users")
    sub.add_parser("demo-users", help=f"创建示例用户（密码 {DEMO_PASSWORD}）create the demo users")
    s = sub.add_parser("audit", help="导出审计日志 export the audit log")
    s.add_argument("--csv", help="写入 CSV 文件 write to a CSV file (default: print)")
    args = p.parse_args(argv)
    try:
        if args.cmd == "add":
            add_user(args.username, args.role, args.scope, display_name=args.name, sso=args.sso,
                     department=args.department)
        elif args.cmd in ("disable", "enable"):
            users.update(args.username, disabled=args.cmd == "disable")
        elif args.cmd == "reset":
            users.update(args.username, password=_password("新密码 new password: "))
        elif args.cmd == "set":
            users.update(args.username, role=args.role, scope=args.scope, department=args.department)
        elif args.cmd == "list":
            for u in users.load().values():
                state = "停用 disabled" if u.disabled else "启用 enabled"
                print(f"{u.username:<16} {u.role:<15} {users.scope_text(u.scope):<20} {u.department or '-':<8} {state}")
        elif args.cmd == "demo-users":
            for name, role, scope in demo_users():
                print(f"{name:<12} {role:<15} {','.join(scope):<10} 密码 password: {DEMO_PASSWORD}")
        elif args.cmd == "audit":
            df = audit.events()
            if args.csv:
                from report.export import to_csv_bytes

                with open(args.csv, "wb") as f:
                    f.write(to_csv_bytes(df))
                print(f"已导出 {len(df)} 条 exported {len(df)} events → {args.csv}")
            else:
                print(df.to_string(index=False))
        else:  # pragma: no cover - argparse enforces the choices
            return 2
    except users.AuthError as e:
        print(f"错误 error: {e}", file=sys.stderr)
        return 1
    if args.cmd in ("add", "disable", "enable", "reset", "set"):
        print(f"已完成 done: {args.cmd} {args.username}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
