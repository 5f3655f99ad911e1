"""Access control in a real browser: the sign-in form, a page refused by URL, and no PII in any log."""
from __future__ import annotations

import re

from auth import audit
from tests.browser import ARTIFACTS, needs_chromium, open_page, server_log, sign_in

pytestmark = needs_chromium
ID_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def test_page_not_granted_is_refused_by_url(app_server, data_dir):
    # A leader follows a deep link to the key-children ledger (case workers only).
    with open_page(app_server, "/key_children", user=None) as (page, outside, errors):
        page.get_by_role("button", name="登录 Sign in").wait_for(timeout=60_000)
        page.get_by_label("用户名 User name").fill("leader")
        page.get_by_label("密码 Password").fill("not-the-password")
        page.get_by_role("button", name="登录 Sign in").click()
        page.get_by_text("wrong user name or password").wait_for(timeout=30_000)
        sign_in(page, "leader")
        page.get_by_text("无权访问").first.wait_for(timeout=60_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "refused.png"))
        body = page.locator("body").inner_text()
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "your role may not open this page" in body and "重点儿童" not in body.replace("“重点儿童”", "")
    assert "总览" in nav and "重点儿童" not in nav and "数据比对" not in nav and "审计日志" not in nav
    log = audit.events(data_dir)
    refused = log[(log.action == "refused") & (log.user == "leader")]
    assert "/key_children" in set(refused["what"])
    assert ((log.action == "login_failed") & (log.user == "leader")).any()
    assert outside == [] and errors == []


def test_case_worker_may_open_the_ledger_by_url(app_server):
    with open_page(app_server, "/key_children", user="caseworker") as (page, outside, errors):
        page.get_by_text("逾期及未来30天应访名单").wait_for(timeout=60_000)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        body = page.locator("body").inner_text()
    assert "重点儿童" in nav and "总览" not in nav
    assert "无权访问" not in body
    assert outside == [] and errors == []


def test_no_name_or_id_number_in_any_log(data_dir, con, app_server):
    """The landing log, the audit log and the app's server log hold no child's name or ID number."""
    names = {r[0] for r in con.sql("select name from pii.person where name is not null").fetchall() if len(r[0]) >= 2}
    ids = {r[0] for r in con.sql("select id_number from pii.person").fetchall()}
    logs = [data_dir / "landed" / "load_log.jsonl", audit.log_path(data_dir), server_log(),
            *data_dir.glob("boundaries/*.jsonl")]
    seen = 0
    for path in logs:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        seen += 1
        assert not set(ID_RE.findall(text)) & ids, path
        assert not [n for n in names if len(n) >= 3 and n in text], path
    assert seen >= 3
