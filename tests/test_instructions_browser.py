"""领导批示 in Chromium: the demo leader issues an instruction on a target to 卫健委 from the page, signs out, and
the demo health officer answers it there; nothing is fetched from outside and no page error shows."""
from __future__ import annotations

import shutil

import pytest

from loop import instructions as ins
from tests.browser import ARTIFACTS, needs_chromium, open_page, serve, sign_in

pytestmark = needs_chromium


@pytest.fixture
def copy(data_dir, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(data_dir, root, ignore=shutil.ignore_patterns("*.lock"))
    return root


def _button(page, name: str):
    return page.locator('[data-testid="stMain"] [data-testid="stButton"] button').filter(has_text=name).first


def _fill(page, label: str, text: str) -> None:
    box = page.locator(f'textarea[aria-label="{label}"]')
    box.fill(text)
    box.press("Control+Enter")  # the text area sends its value before the button is pressed
    page.wait_for_timeout(500)


def test_leader_issues_and_the_health_officer_answers_in_the_browser(copy):
    with serve(copy, log_name="streamlit_instructions.log") as url, \
            open_page(url, "/instructions", width=1366, height=768, user="leader") as (page, outside, errors):
        page.get_by_text("批示对象").first.wait_for(timeout=90_000)
        page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(has_text="目标").first.click()
        page.get_by_role("option").filter(has_text="健康档案建档率（部门报送）").first.click()
        page.locator('textarea[aria-label="批示内容"]').wait_for(timeout=30_000)
        _fill(page, "批示内容", "请说明建档率滞后原因并提出整改措施")
        _button(page, "下达批示").click()
        page.get_by_text("已下达批示").first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "instructions_issued.png"))
        [item] = ins.state(copy).values()
        assert (item["figure"], item["department"], item["status"]) == ("target", "卫健委", ins.ISSUED)

        page.get_by_role("button", name="退出登录 Sign out").click()
        page.get_by_role("button", name="登录 Sign in").wait_for(timeout=60_000)
        sign_in(page, "health")
        page.goto(url + "/instructions", wait_until="domcontentloaded")
        page.locator('textarea[aria-label="答复内容"]').wait_for(timeout=90_000)
        _fill(page, "答复内容", "已组织社区补建档案，月底前完成")
        _button(page, "提交答复").click()
        page.get_by_text("已提交答复").first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "instructions_answered.png"))
        exceptions = page.locator('[data-testid="stException"]').count()
    [item] = ins.state(copy).values()
    assert item["status"] == ins.ANSWERED
    assert [a["text"] for a in item["answers"]] == ["已组织社区补建档案，月底前完成"]
    assert {e["user"] for e in item["events"]} == {"leader", "health"}
    assert exceptions == 0
    assert outside == [] and errors == []
