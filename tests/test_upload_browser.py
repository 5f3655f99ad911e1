"""数据上传 in Chromium at 1366×768, as the demo data officer: a 3-row sheet for the latest month shows its
diff and the uploader speaks Chinese; confirming runs the landing as a job that reaches 已发布."""
from __future__ import annotations

import shutil

import pytest

from etl.landed import read_load_log
from tests.browser import ARTIFACTS, needs_chromium, open_page, serve
from tests.test_upload_modes_app import EAST, _latest, _row, _sheet

pytestmark = needs_chromium


@pytest.fixture
def copy(data_dir, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(data_dir, root)
    return root


def _after(page, selector: str) -> tuple[str, str]:
    """(font size of the element, the text its ::after draws)."""
    return page.eval_on_selector(selector, "e => [getComputedStyle(e).fontSize, getComputedStyle(e, '::after').content]")


def test_data_officer_uploads_three_rows_sees_the_diff_and_the_job_publishes(copy, tmp_path):
    period, rows = _latest(copy)
    east = rows[rows["region_code"].str.startswith(EAST)]
    sheet = tmp_path / f"志愿服务活动_{period}.xlsx"
    sheet.write_bytes(_sheet([_row(east.iloc[i], activity_id=f"WEB{i}", person_times=9) for i in range(3)]))
    before = len(read_load_log(copy))
    with serve(copy, log_name="streamlit_upload.log") as url, \
            open_page(url, "/upload", width=1366, height=768, user="data") as (page, outside, errors):
        page.get_by_text("上传表格（Excel 或 CSV）").wait_for(timeout=60_000)
        button = '[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] p'
        hint = '[data-testid="stFileUploaderDropzoneInstructions"] span'
        page.locator(button).wait_for(timeout=30_000)
        texts = {"button": _after(page, button), "hint": _after(page, hint)}
        page.screenshot(path=str(ARTIFACTS / "upload_empty.png"))
        page.get_by_label("统计期（如 ").fill(period)
        page.keyboard.press("Enter")
        page.wait_for_timeout(500)
        page.locator('input[type="file"]').set_input_files(str(sheet))
        page.get_by_text("校验报告（尚未导入）").wait_for(timeout=60_000)
        page.get_by_text("导入前 → 导入后").first.wait_for(timeout=60_000)
        page.get_by_text("原有行数").first.wait_for(state="attached", timeout=30_000)  # the diff table (a canvas grid)
        page.get_by_text("导入前 → 导入后").first.scroll_into_view_if_needed()
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "upload_diff.png"))  # what the officer sees before confirming
        body = page.locator("body").inner_text()
        confirm = page.get_by_text("我已知晓并确认删除")
        if confirm.count():  # 东湖区's whole month goes: the page asks first
            confirm.first.click()
            page.wait_for_timeout(500)
        page.get_by_role("button", name="确认导入").click()
        page.get_by_text("数据仓库已重建并发布").wait_for(timeout=120_000)
        page.get_by_text("已发布").first.wait_for(state="attached", timeout=30_000)
        page.get_by_text("数据仓库已重建并发布").scroll_into_view_if_needed()
        page.wait_for_timeout(800)
        page.screenshot(path=str(ARTIFACTS / "upload_published.png"))
        exceptions = page.locator('[data-testid="stException"]').count()
    assert texts["button"][0] == "0px" and "选择文件" in texts["button"][1]
    assert texts["hint"][0] == "0px" and "200MB" in texts["hint"][1] and "单个文件" in texts["hint"][1]
    assert "服务人次" in body and "按区县替换" in body
    assert len(read_load_log(copy)) == before + 1 and read_load_log(copy)[-1]["landed_by"] == "data"
    assert exceptions == 0
    assert outside == [] and errors == []
