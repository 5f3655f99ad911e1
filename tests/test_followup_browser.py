"""督办 in Chromium, as the demo 残联 officer: an item 卫健委 referred to 残联 waits in the queue (masked), is
accepted and closed as 已办结 with a reason; the store records both steps under the officer's name."""
from __future__ import annotations

from loop import followup as fu
from loop import store
from tests.browser import ARTIFACTS, needs_chromium, open_page, serve
from tests.test_followup import who, youngest

pytestmark = needs_chromium


def _choose(page, label: str, option: str) -> None:
    # A select box is a combo box here; its list opens from its "Open" button.
    box = page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_role("combobox", name=label))
    for _ in range(3):  # a click while the script reruns can land on the old box
        page.wait_for_timeout(1000)
        box.get_by_role("button", name="Open").click()
        try:
            page.get_by_role("option", name=option).click(timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - Playwright's timeout: open the list again
            page.keyboard.press("Escape")
    else:
        raise AssertionError(f"{label}: no option {option}")
    page.wait_for_timeout(500)


def test_the_receiving_department_accepts_and_closes_in_chromium(copy):
    item = youngest(copy)
    fu.act(copy, "assign", item, to="卫健委", due="2026-12-31", **who("caseworker"))
    fu.act(copy, "refer", item, to="残联", reason="疑似残疾", **who("health"))
    with serve(copy, log_name="streamlit_followup.log") as url, \
            open_page(url, "/followup", width=1366, height=900, user="cdpf") as (page, outside, errors):
        page.get_by_text("我的待办").wait_for(timeout=60_000)
        page.get_by_text("转办至").first.wait_for(state="attached", timeout=30_000)
        body = page.locator("body").inner_text()
        _choose(page, "操作", "接收转办")
        page.get_by_role("button", name="提交").click()
        page.get_by_text("已接收转办").wait_for(timeout=60_000)
        _choose(page, "操作", "办结")
        page.get_by_label("办结说明（不填姓名、身份证号）").fill("已建立健康档案")
        page.keyboard.press("Enter")
        page.wait_for_timeout(500)
        page.get_by_role("button", name="提交").click()
        page.get_by_text("已办结：").wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "followup_closed.png"))
        exceptions = page.locator('[data-testid="stException"]').count()
    steps = [(e["action"], e["user"]) for e in store.events("followup", copy)]
    assert steps == [("assign", "caseworker"), ("refer", "health"), ("accept", "cdpf"), ("close", "cdpf")]
    assert store.events("followup", copy)[-1]["fields"]["reason"] == "已建立健康档案"
    assert "督办" in body and "按街道" in body
    assert exceptions == 0
    assert outside == [] and errors == []

