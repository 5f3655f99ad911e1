"""Uploaded sheets (children's names and raw ID numbers) wait for confirmation in a private folder under
the data dir, and do not outlive their session: an emptied uploader deletes its copy, and abandoned copies
are swept after UPLOAD_MAX_AGE."""
from __future__ import annotations

import os
import stat
import tempfile
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.files import signed_in
from ui import upload as up

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SHEET = "序号,身份证号码,儿童姓名\n1,990102201503041234,张小明\n".encode()




def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _in_tmp() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob(f"{up.UPLOAD_PREFIX}*"))


def test_an_upload_waits_in_a_private_folder_under_the_data_dir(tmp_path):
    before = _in_tmp()
    path = up.save_upload("台账.csv", SHEET, root=tmp_path)
    assert path.read_bytes() == SHEET and path.name == "台账.csv"
    assert path.is_relative_to(up.uploads_dir(tmp_path)) and up.uploads_dir(tmp_path).is_relative_to(tmp_path)
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700 and _mode(up.uploads_dir(tmp_path)) == 0o700
    assert _in_tmp() == before  # nothing in /tmp
    up.discard_upload(path)
    assert not path.exists() and not path.parent.exists()


@pytest.mark.parametrize("name", ["台账" * 60 + ".xlsx", "a" * 360 + ".csv", "../../etc/passwd", "", "x\x00y.csv",
                                  "..", "C:\\Users\\表.xls"])
def test_any_file_name_is_saved_safely(tmp_path, name):
    path = up.save_upload(name, SHEET, root=tmp_path)
    assert path.parent.parent == up.uploads_dir(tmp_path)
    assert len(path.name.encode("utf-8")) <= 200 and "\x00" not in path.name and "/" not in path.name
    if name.endswith((".xlsx", ".csv", ".xls")):
        assert path.suffix == Path(name).suffix  # the reader still sees the kind of file


def test_the_sweep_removes_abandoned_uploads_only(tmp_path):
    old = up.save_upload("旧.csv", SHEET, root=tmp_path)
    new = up.save_upload("新.csv", SHEET, root=tmp_path)
    past = time.time() - up.UPLOAD_MAX_AGE - 60
    os.utime(old.parent, (past, past))
    os.utime(old, (past, past))
    assert up.sweep_uploads(tmp_path) == 1
    assert not old.parent.exists() and new.exists()


def _upload_page(at: AppTest) -> AppTest:
    at.switch_page("views/upload.py").run()
    at.file_uploader[0].upload("台账.csv", SHEET).run()
    assert not at.exception
    return at


def test_an_emptied_uploader_deletes_the_copy(copy):
    at = _upload_page(signed_in(AppTest.from_file(APP, default_timeout=60)).run())
    path = Path(at.session_state["up_path"])
    assert path.exists() and path.is_relative_to(copy)
    at.file_uploader[0].clear().run()
    assert not at.exception
    assert not path.exists() and not path.parent.exists()
    assert "up_path" not in at.session_state


def test_the_upload_page_sweeps_abandoned_copies_and_keeps_its_own(copy):
    abandoned = up.save_upload("别人的.csv", SHEET, root=copy)
    past = time.time() - up.UPLOAD_MAX_AGE - 60
    os.utime(abandoned.parent, (past, past))
    at = _upload_page(signed_in(AppTest.from_file(APP, default_timeout=60)).run())
    assert not abandoned.exists()
    mine = Path(at.session_state["up_path"])
    # The session's own copy, once old, is swept too, and written again from the uploader on the next run.
    os.utime(mine.parent, (past, past))
    up.sweep_uploads(copy)
    assert not mine.exists()
    at.run()
    assert not at.exception and Path(at.session_state["up_path"]).exists()
