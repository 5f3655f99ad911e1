"""Evaluate the alert rules, and deliver each recipient's subscribed outputs: outbox folder, SMTP, webhooks.

Everything a recipient gets is built with the recipient's own role and scope, read from auth/users.json at the
moment of building and sending: a disabled user, or one whose role or scope changed, gets nothing built for the
old one (their earlier firings stop showing at once, see `visible`). Every written or sent output is audited
(auth.audit: recipient, what, scope). Nothing here reaches the internet: SMTP is an intranet server, webhooks are
the configured robot URLs, and both are optional; the outbox is always written.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import smtplib
import ssl
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import yaml

from auth import audit, users
from notify import outputs, rules, store
from settings import REPO_DIR, data_dir, open_private, private_dir
from settings import settings as app_settings
from warehouse import queries as q

log = logging.getLogger(__name__)
SECRETS_ENV = "TONGXIN_NOTIFY_SECRETS"
ATTACHMENT_TYPES = {".pdf": ("application", "pdf"), ".txt": ("text", "plain"),
                    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


@dataclass
class Summary:
    fired: int = 0
    cleared: int = 0
    written: list[str] = field(default_factory=list)  # "user/output/period"
    mailed: int = 0
    webhooks: int = 0
    errors: list[str] = field(default_factory=list)


def _connect(root):
    return q.connect(q.current_snapshot_path(root))


def after_build(root: Path | str | None = None) -> Summary | None:
    """Evaluate the alerts on the snapshot just published (the build's last step): a failure here is logged and
    never fails the build, which has already published."""
    try:
        return evaluate(root)
    except Exception:
        log.exception("notify: evaluating the alerts after the build failed")
        return None


# --------------------------------------------------------------------------------------------
# Alerts


def evaluate(root: Path | str | None = None, cfg: dict | None = None, con=None) -> Summary:
    """Fire the conditions that newly hold for each user and clear those that stopped holding (once each)."""
    cfg = rules.config() if cfg is None else cfg
    out = Summary()
    own = con is None
    con = _connect(root) if own else con
    try:
        with store.lock(root):
            state = store.state(root)
            people = users.load(root)
            holding = {name: {c.key: c for c in rules.conditions(con, u, cfg, root)} for name, u in people.items()}
            for name in sorted({f["user"] for f in state.firings.values()} | set(people)):
                now, was, u = holding.get(name, {}), state.open_firings(name), people.get(name)
                for key, f in list(was.items()):
                    # Fired for another role or scope than the user's now: cleared, and fired again if it holds.
                    if u is None or (f.get("role"), sorted(f.get("scope") or [])) != (u.role, sorted(u.scope)):
                        store.append({"type": "clear", "id": f["id"], "user": name}, root)
                        out.cleared += 1
                        del was[key]
                for key, c in now.items():
                    if key not in was:
                        store.append({"type": "fire", "id": store.firing_id(), "user": name,
                                      "key": key, "rule": c.rule, "title": c.title, "text": c.text,
                                      "region": c.region, "role": u.role, "scope": sorted(u.scope)}, root)
                        out.fired += 1
                for key, f in was.items():
                    if key not in now:
                        store.append({"type": "clear", "id": f["id"], "user": name}, root)
                        out.cleared += 1
    finally:
        if own:
            con.close()
    return out


def visible(username: str, root: Path | str | None = None, state: store.State | None = None) -> list[dict]:
    """The user's alerts still holding, newest first, each with `read`: only those fired for the user's current
    role and scope, and none for a disabled or unknown user."""
    u = users.load(root).get(username)
    if u is None or u.disabled:
        return []
    state = store.state(root) if state is None else state
    seen = state.read.get(username, set())
    out = [f | {"read": f["id"] in seen} for f in state.open_firings(username).values()
           if f.get("role") == u.role and sorted(f.get("scope") or []) == sorted(u.scope)]
    return sorted(out, key=lambda f: f["fired_at"], reverse=True)


def unread_count(username: str, root: Path | str | None = None) -> int:
    return sum(not f["read"] for f in visible(username, root))


def mark_read(username: str, ids: list[str], root: Path | str | None = None) -> None:
    """Mark the user's own visible alerts read (ids of anyone else's are ignored)."""
    mine = {f["id"] for f in visible(username, root)}
    ids = sorted(set(ids) & mine)
    if ids:
        store.append({"type": "read", "user": username, "ids": ids}, root)


# --------------------------------------------------------------------------------------------
# Subscriptions


def allowed(role: str, cfg: dict) -> dict[str, dict]:
    """The outputs a role may subscribe to: {key: its configuration}."""
    return {k: o for k, o in (cfg.get("outputs") or {}).items() if role in (o.get("roles") or [])}


def subscribe(username: str, output: str, *, on: bool = True, by: str | None = None,
              root: Path | str | None = None, cfg: dict | None = None) -> None:
    """Subscribe (or unsubscribe) a user to an output their role may receive."""
    cfg = rules.config() if cfg is None else cfg
    u = users.load(root).get(username)
    if u is None:
        raise ValueError(f"未知用户 unknown user {username!r}")
    if on and output not in allowed(u.role, cfg):
        raise ValueError(f"该角色不能订阅此项 the role {u.role} may not subscribe to {output!r}")
    store.append({"type": "subscribe" if on else "unsubscribe", "user": username, "output": output,
                  "by": by or username}, root)


EMAIL = re.compile(r"[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[A-Za-z]{2,}")


def set_contact(username: str, email: str, root: Path | str | None = None) -> None:
    """The user's e-mail address for deliveries ("" to stop e-mail)."""
    if username not in users.load(root):
        raise ValueError(f"未知用户 unknown user {username!r}")
    email = email.strip()
    if email and not EMAIL.fullmatch(email):
        raise ValueError(f"邮箱地址无效 invalid e-mail address: {email!r}")
    store.append({"type": "contact", "user": username, "email": email}, root)


def outbox(username: str, root: Path | str | None = None) -> Path:
    """`<data dir>/notify/outbox/<user>/` (0700); a user name that is no plain file name is made one."""
    safe = re.sub(r"[^\w.@-]", "_", username).lstrip(".") or "_"
    return private_dir(store.folder(root) / "outbox" / safe, top=data_dir(root))


def _write(folder: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    private_dir(folder)
    out = []
    for name, data in files:
        path = folder / re.sub(r"[/\\\x00]", "_", name)
        with os.fdopen(open_private(path), "wb") as f:
            f.write(data)
        out.append(path)
    return out


def _build(key: str, con, scope: q.Scope, info, firings: list[dict]) -> list[tuple[str, bytes]]:
    if key == "overdue_list":
        return outputs.overdue_list(con, scope, info)
    if key in ("county_brief", "meeting_pack"):
        return outputs.brief(con, scope, info, excel=key == "meeting_pack")
    if key == "digest":
        text = outputs.digest(firings)
        return [("提醒摘要.txt", text.encode("utf-8"))] if text else []
    raise ValueError(f"unknown output {key!r}")


# --------------------------------------------------------------------------------------------
# SMTP and webhooks


def smtp_credentials() -> tuple[str, str] | None:
    """(user, password) from the secrets file ($TONGXIN_NOTIFY_SECRETS or settings.yaml notify_secrets), or
    None without one. A secrets file inside the repository is refused: it would end up in a commit."""
    path = os.environ.get(SECRETS_ENV) or app_settings().get("notify_secrets")
    if not path:
        return None
    path = Path(path).resolve()
    if path.is_relative_to(REPO_DIR):
        raise ValueError(f"SMTP 密码文件不得放在代码仓库内 the SMTP secrets file must not be inside the repository: {path}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return (str(raw["smtp_user"]), str(raw["smtp_password"])) if raw.get("smtp_user") else None


def send_mail(smtp: dict, to: str, subject: str, body: str, files: list[Path]) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = smtp.get("sender") or "tongxin@localhost", to, subject
    msg.set_content(body)
    for p in files:
        maintype, subtype = ATTACHMENT_TYPES.get(p.suffix, ("application", "octet-stream"))
        msg.add_attachment(p.read_bytes(), maintype=maintype, subtype=subtype, filename=p.name)
    kind = smtplib.SMTP_SSL if smtp.get("ssl") else smtplib.SMTP  # implicit TLS (port 465) or STARTTLS
    with kind(smtp["host"], int(smtp.get("port") or 25), timeout=float(smtp.get("timeout") or 30)) as s:
        if smtp.get("starttls", True) and not smtp.get("ssl"):
            s.starttls(context=ssl.create_default_context())
        creds = smtp_credentials()
        if creds:
            s.login(*creds)
        s.send_message(msg)


def post_webhook(url: str, text: str, timeout: float = 10) -> None:
    """A robot's text message (政务微信 and 钉钉 group robots take the same body)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"机器人地址须为 http(s) the robot URL must be http(s): {url[:40]!r}")
    body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, body, {"Content-Type": "application/json; charset=utf-8"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        r.read()


def webhook_text(firings: list[dict], link: str) -> str:
    """Counts by rule title and the link: no region figure, name or ID number goes to a chat group."""
    by_title: dict[str, int] = {}
    for f in firings:
        by_title[f["title"]] = by_title.get(f["title"], 0) + 1
    parts = "，".join(f"{t} {n} 条" for t, n in by_title.items())
    return f"【童心】新提醒 {len(firings)} 条（{parts}），详情请登录平台查看" + (f"：{link}" if link else "。")


# --------------------------------------------------------------------------------------------
# One run


def run(root: Path | str | None = None, cfg: dict | None = None, today: dt.date | None = None) -> Summary:
    """Evaluate the rules, then deliver every due subscription and webhook once (`python -m etl notify`)."""
    cfg = rules.config() if cfg is None else cfg
    today = today or dt.date.today()
    con = _connect(root)
    try:
        out = evaluate(root, cfg, con)
        info = q.snapshot_info(con)
        for name in sorted(users.load(root)):
            _deliver_user(name, root, cfg, con, info, today, out)
        _webhooks(root, cfg, out)
    finally:
        con.close()
    return out


def _deliver_user(name, root, cfg, con, info, today, out: Summary) -> None:
    state = store.state(root)
    for key in sorted(state.subscriptions.get(name, set())):
        u = users.load(root).get(name)  # read at send time: a disabled user or a changed role stops here
        if u is None or u.disabled or key not in allowed(u.role, cfg):
            continue
        o = allowed(u.role, cfg)[key]
        period = outputs.period_due(o.get("schedule", "month"), today, int(o.get("days_before") or 0))
        fresh = [f for f in visible(name, root, state) if (name, "digest", f["id"]) not in state.sent]
        if period is None or (key != "digest" and (name, key, period) in state.sent) or (key == "digest" and not fresh):
            continue
        scope = rules.user_scope(u)
        try:
            files = _build(key, con, scope, info, fresh)
        except Exception as e:  # one recipient's failure must not stop the others' deliveries
            log.exception("notify: building %s for a user failed", key)
            out.errors.append(f"{name}/{key}: {type(e).__name__}")
            continue
        if not files:
            continue
        stamp = today.isoformat() if key == "digest" else period
        if key == "digest":  # several digests a day each keep their file
            files = [(f"提醒摘要_{dt.datetime.now():%H%M%S}.txt", data) for _, data in files]
        paths = _write(outbox(name, root) / stamp, files)
        channel = "发件箱"
        email = state.contacts.get(name, "")
        smtp = cfg.get("smtp") or {}
        if smtp.get("host") and email:
            try:
                body = (f"{u.display_name or name}：\n\n附件为{o.get('title', key)}（{outputs.region_label(con, scope)}）。"
                        f"\n\n{outputs.digest(fresh) if key == 'digest' else ''}\n"
                        f"{cfg.get('link') or ''}\n本邮件由“童心”平台自动发送，附件仅限本人工作使用。")
                send_mail(smtp, email, f"【童心】{o.get('title', key)} {stamp}", body, paths)
                channel, out.mailed = "发件箱+邮件", out.mailed + 1
            except (OSError, smtplib.SMTPException) as e:
                # Not marked sent: the next run builds and sends it again (the outbox keeps this copy).
                out.errors.append(f"{name}/{key}: SMTP {type(e).__name__}")
                channel = "发件箱（邮件发送失败，下次重试）"
        audit.record("export", user=name, role=u.role, what=f"订阅推送：{o.get('title', key)}（{stamp}）",
                     scope=tuple(u.scope), detail=f"{channel}：{'、'.join(p.name for p in paths)}", root=root)
        out.written.append(f"{name}/{key}/{stamp}")
        if channel.endswith("重试）"):
            continue
        with store.lock(root):
            if key == "digest":
                for f in fresh:
                    store.append({"type": "sent", "user": name, "output": "digest", "period": f["id"]}, root)
            else:
                store.append({"type": "sent", "user": name, "output": key, "period": period}, root)


def _webhooks(root, cfg, out: Summary) -> None:
    for hook in cfg.get("webhooks") or []:
        name, relay = str(hook.get("name") or hook.get("user")), f"webhook:{hook.get('name') or hook.get('user')}"
        state = store.state(root)
        fresh = [f for f in visible(str(hook.get("user")), root, state) if (relay, "webhook", f["id"]) not in state.sent]
        if not fresh or not hook.get("url"):
            continue
        try:
            post_webhook(str(hook["url"]), webhook_text(fresh, str(cfg.get("link") or "")))
        except OSError as e:
            out.errors.append(f"webhook {name}: {type(e).__name__}")
            continue
        for f in fresh:
            store.append({"type": "sent", "user": relay, "output": "webhook", "period": f["id"]}, root)
        u = users.load(root).get(str(hook.get("user")))
        audit.record("export", user=str(hook.get("user")), role=u.role if u else "", what=f"提醒推送（机器人 {name}）",
                     scope=tuple(u.scope) if u else (), detail=f"{len(fresh)} 条提醒的条数与链接", root=root)
        out.webhooks += 1
