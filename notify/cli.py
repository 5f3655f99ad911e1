"""`python -m etl notify`: run once (cron or a systemd timer), subscribe users, set their e-mail addresses.

etl/__main__.py calls `register(sub)` with its sub-parsers; the work's modules (the query door, the pack builder)
are imported only when the command runs, so every other etl command starts as fast as before.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys


def register(sub) -> None:
    s = sub.add_parser("notify", help="提醒与定期推送：评估提醒并投递订阅 evaluate alerts and deliver subscriptions")
    s.add_argument("action", nargs="?", default="run", choices=["run", "evaluate", "subscribe", "unsubscribe",
                                                                 "contact", "list"],
                   help="run（默认）评估并投递；evaluate 只评估提醒；subscribe/unsubscribe USER OUTPUT；"
                        "contact USER EMAIL；list 各用户订阅")
    s.add_argument("args", nargs="*", help="用户名与订阅项或邮箱 user name and output or e-mail")
    s.add_argument("--today", type=dt.date.fromisoformat, help="按该日判断是否到期 judge schedules as of this day")
    s.set_defaults(fn=cmd_notify)


def cmd_notify(args: argparse.Namespace) -> int:
    from warehouse import queries as q

    try:
        return _run(args)
    except (ValueError, FileNotFoundError, q.SnapshotNotFound) as e:
        print(f"错误 error: {e}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from notify import deliver, rules, store

    cfg = rules.config()
    if args.action in ("run", "evaluate"):
        out = deliver.run(cfg=cfg, today=args.today) if args.action == "run" else deliver.evaluate(cfg=cfg)
        print(f"新提醒 fired {out.fired}，已解除 cleared {out.cleared}，写出 written {len(out.written)}，"
              f"邮件 mailed {out.mailed}，机器人 webhooks {out.webhooks}")
        for e in out.errors:
            print(f"失败 failed: {e}", file=sys.stderr)
        return 1 if out.errors else 0
    if args.action == "list":
        state = store.state()
        for user, outs in sorted(state.subscriptions.items()):
            print(f"{user}\t{','.join(sorted(outs)) or '-'}\t{state.contacts.get(user, '')}")
        return 0
    if len(args.args) != 2:
        print("用法 usage: python -m etl notify subscribe|unsubscribe USER OUTPUT | contact USER EMAIL",
              file=sys.stderr)
        return 2
    user, value = args.args
    if args.action == "contact":
        deliver.set_contact(user, value)
    else:
        deliver.subscribe(user, value, on=args.action == "subscribe", by="cli", cfg=cfg)
    print("已保存 saved")
    return 0
