"""The scheduler (notify.deliver.run) against the fixture warehouse, with a local SMTP sink (aiosmtpd) and a local
chat robot (http.server) in the test process: each recipient's attachments hold their own scope only, lists are
masked, an alert is sent once, a robot message carries no name, ID number or region figure."""
from __future__ import annotations

import datetime as dt
import email
import http.server
import io
import json
import re
import stat
import threading
from email import policy
from typing import ClassVar

import pypdf
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from python_calamine import CalamineWorkbook

from auth import audit, users
from bench.serving import free_port
from notify import deliver, rules
from report import pack
from tests.files import read_sql
from warehouse import queries as q
from warehouse.queries import meeting

# A day in a quarter's last fortnight: the meeting pack is due (days_before 14), as are the monthly outputs.
TODAY = dt.date(2026, 12, 20)
ID_LIKE = re.compile(r"(?<!\d)\d{15}(\d{2}[\dXx])?(?!\d)")


class Sink:
    """Collects every message the SMTP server accepts, and the logins it saw."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.logins: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch, tmp_path):
    sink = Sink()

    def authenticator(server, session, envelope, mechanism, auth_data):
        sink.logins.append(auth_data.login)
        return AuthResult(success=auth_data.password == b"s3cret")

    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    secrets_file = tmp_path / "smtp.yaml"
    secrets_file.write_text("smtp_user: tongxin\nsmtp_password: s3cret\n", encoding="utf-8")
    monkeypatch.setenv(deliver.SECRETS_ENV, str(secrets_file))
    yield sink, port
    controller.stop()


def setup(root, port: int, **extra) -> dict:
    cfg = rules.config()
    for r in cfg["rules"]:
        if r["id"] == "home_visit_overdue":
            r["children"] = 1
    cfg["smtp"] = {"host": "127.0.0.1", "port": port, "starttls": False, "sender": "tongxin@example.gov.cn"}
    cfg["link"] = "http://tongxin.intranet/alerts"
    cfg.update(extra)
    for name, outs in (("county", ["county_brief", "digest"]), ("caseworker", ["overdue_list", "digest"]),
                       ("leader", ["meeting_pack", "digest"])):
        deliver.set_contact(name, f"{name}@example.gov.cn", root)
        for o in outs:
            deliver.subscribe(name, o, root=root, cfg=cfg)
    return cfg


def mails(sink: Sink, to: str) -> list:
    return [m for m in sink.messages if m["To"] == f"{to}@example.gov.cn"]


def attachments(msg) -> dict[str, bytes]:
    return {p.get_filename(): p.get_content() for p in msg.iter_attachments()}


def pdf_text(data: bytes) -> str:
    return "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_each_recipient_gets_their_own_scope_once(copy, con, smtp):
    sink, port = smtp
    cfg = setup(copy, port)
    out = deliver.run(copy, cfg, today=TODAY)
    assert not out.errors, out.errors
    assert sink.logins and set(sink.logins) == {b"tongxin"}  # credentials from the secrets file

    # The county officer's brief: their county, no other county's name or figure.
    (brief,) = [m for m in mails(sink, "county") if "简报" in m["Subject"]]
    files = attachments(brief)
    assert [n for n in files if n.endswith(".pdf")] == [n for n in files]
    text = pdf_text(next(iter(files.values())))
    assert "东湖区" in text
    others = q.run("regions/streets", con, q.Scope.of("990121"))["county_name"].tolist() + ["青石县"]
    assert not [n for n in others if n in text]
    own = q.run(meeting.headline, con, q.Scope.of("990102"), "2026H1").iloc[0].to_dict()
    city = q.run(meeting.headline, con, q.Scope.of("990100000000"), "2026H1").iloc[0].to_dict()
    assert pack.headline_value(own) in text and pack.headline_value(city) not in text
    # The small-number rule holds in the attachment as on the pages: the county officer's door hides small
    # counts, and the brief prints their labels.
    risk = q.run(meeting.risk_levels, con, q.Scope.of("990102"), "2026H1")
    hidden = set(risk.loc[risk["children_suppressed"].astype(bool), "children_label"])
    assert hidden and all(label in text for label in hidden)

    # The case worker's monthly list: masked, their county only, no name or ID number in full.
    (lst,) = [m for m in mails(sink, "caseworker") if "名单" in m["Subject"]]
    (data,) = attachments(lst).values()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    header = next(i for i, r in enumerate(rows) if "姓名（脱敏）" in r)
    table = rows[header + 1:]
    assert table, "the fixture has children overdue in 990102"
    names = [r[rows[header].index("姓名（脱敏）")] for r in table]
    assert all("*" in n for n in names)
    person = read_sql(con, "select name, id_number from pii.person")
    flat = json.dumps(rows, ensure_ascii=False, default=str)
    assert not any(n in flat for n in person["name"].dropna() if len(n) >= 2) and not ID_LIKE.search(flat)
    due = q.run("ledger/due_list", con, q.Scope.of("990102", exact=True), 0)
    assert len(table) == int(due["is_overdue"].sum())

    # The leader's quarterly meeting pack: PDF and Excel of the city.
    (mp,) = [m for m in mails(sink, "leader") if "推进会" in m["Subject"]]
    assert sorted(n.rsplit(".", 1)[1] for n in attachments(mp)) == ["pdf", "xlsx"]

    # Digests: each recipient's own alerts; the county officer's has no street the small-number rule hides.
    (digest,) = [m for m in mails(sink, "county") if "摘要" in m["Subject"]]
    body = digest.get_body(("plain",)).get_content()
    assert "工业园街道" in body and "永浦街道" not in body
    (case_digest,) = [m for m in mails(sink, "caseworker") if "摘要" in m["Subject"]]
    assert "永浦街道" in case_digest.get_body(("plain",)).get_content()

    # Sent once: a second run the same day sends nothing again.
    n = len(sink.messages)
    again = deliver.run(copy, cfg, today=TODAY)
    assert (len(sink.messages), again.written) == (n, [])

    # Written to each recipient's outbox (0700/0600) and audited with recipient, what and scope.
    box = copy / "notify" / "outbox" / "county"
    assert stat.S_IMODE(box.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in box.rglob("*") if p.is_file())
    ev = audit.events(copy)
    sent = ev[(ev["action"] == "export") & ev["what"].str.startswith("订阅推送")]
    assert set(sent["user"]) == {"county", "caseworker", "leader"}
    assert set(sent.loc[sent["user"] == "county", "scope"]) == {"990102000000"}


def test_a_new_alert_is_sent_once_in_the_next_digest(copy, smtp):
    sink, port = smtp
    cfg = setup(copy, port)
    deliver.run(copy, cfg, today=TODAY)
    before = len([m for m in mails(sink, "caseworker") if "摘要" in m["Subject"]])
    for r in cfg["rules"]:
        if r["id"] == "home_visit_overdue":
            r["children"] = 100  # every street clears …
    deliver.run(copy, cfg, today=TODAY)
    for r in cfg["rules"]:
        if r["id"] == "home_visit_overdue":
            r["children"] = 1  # … and breaches again: new firings, one more digest
    deliver.run(copy, cfg, today=TODAY)
    deliver.run(copy, cfg, today=TODAY)
    assert len([m for m in mails(sink, "caseworker") if "摘要" in m["Subject"]]) == before + 1


def test_a_disabled_or_moved_recipient_gets_nothing(copy, smtp):
    sink, port = smtp
    cfg = setup(copy, port)
    users.update("caseworker", disabled=True, root=copy, by="test")
    users.update("leader", role="county_officer", root=copy, by="test")  # who may not have the meeting pack
    deliver.run(copy, cfg, today=TODAY)
    assert mails(sink, "caseworker") == []
    assert not [m for m in mails(sink, "leader") if "推进会" in m["Subject"]]
    assert not (copy / "notify" / "outbox" / "caseworker").exists()


def test_without_smtp_the_outbox_is_still_written(copy):
    cfg = setup(copy, 0)
    cfg["smtp"] = {"host": ""}
    out = deliver.run(copy, cfg, today=dt.date(2026, 11, 2))  # not yet the meeting's fortnight
    assert out.mailed == 0 and not out.errors
    assert any(p.suffix == ".xlsx" for p in (copy / "notify" / "outbox" / "caseworker").rglob("*"))
    assert not (copy / "notify" / "outbox" / "leader").exists() or not any(
        p.suffix == ".xlsx" for p in (copy / "notify" / "outbox" / "leader").rglob("*"))


def test_a_mail_that_failed_is_sent_on_the_next_run(copy, smtp):
    sink, port = smtp
    cfg = setup(copy, port)
    cfg["smtp"] = {**cfg["smtp"], "port": free_port()}  # nothing listens there
    failed = deliver.run(copy, cfg, today=dt.date(2026, 11, 2))
    assert failed.errors and all("SMTP" in e for e in failed.errors) and sink.messages == []
    cfg["smtp"]["port"] = port
    deliver.run(copy, cfg, today=dt.date(2026, 11, 2))
    assert [m for m in mails(sink, "caseworker") if "名单" in m["Subject"]]
    assert [m for m in mails(sink, "caseworker") if "摘要" in m["Subject"]]


def test_a_list_is_never_built_for_a_role_without_case_access(con):
    from notify import outputs
    from warehouse.queries import privacy

    info = q.snapshot_info(con)
    with pytest.raises(privacy.CaseAccessRequired):
        outputs.overdue_list(con, q.Scope.of("990102"), info)


class Robot(http.server.BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self):
        Robot.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 0}')

    def log_message(self, *args):
        pass


def test_a_webhook_carries_counts_and_a_link_only(copy, con, monkeypatch):
    for v in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(v, raising=False)
    Robot.bodies = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/robot/send?access_token=t"
        cfg = setup(copy, 0, webhooks=[{"name": "东湖区儿童主任群", "url": url, "user": "caseworker"}])
        cfg["smtp"] = {"host": ""}
        deliver.run(copy, cfg, today=TODAY)
        deliver.run(copy, cfg, today=TODAY)
    finally:
        server.shutdown()
    assert len(Robot.bodies) == 1  # the same alerts are relayed once
    msg = json.loads(Robot.bodies[0])
    assert msg["msgtype"] == "text" and "http://tongxin.intranet/alerts" in msg["text"]["content"]
    content = msg["text"]["content"]
    person = read_sql(con, "select name from pii.person")
    streets = q.run("regions/streets", con, q.Scope.everything())["county_name"]
    assert not ID_LIKE.search(content) and not any(n in content for n in person["name"].dropna() if len(n) >= 2)
    assert not any(s in content for s in streets) and "*" not in content
