"""The sandbox: reading and validation run in a child process with limits, so no file can take the app down.

Each test calls `etl.sandbox.read_and_validate` on real files (a GB18030 CSV with title rows, corpus
workbooks, a sparse workbook whose used range is far bigger than its bytes) and checks the three promises:
the calling process survives and gets one bilingual ExtractError; a limit (memory, time) ends the child,
not the app; nothing with names or ID numbers is left in the work folder or the system temp folder, after
success, failure, a crash of the child (SIGKILL via TONGXIN_CRASH_AT) or of the parent (then clean_work).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from etl import sandbox
from etl.contracts import get_source, parse_period
from etl.crash import CRASH_ENV
from etl.errors import ExtractError
from etl.landed import region_index
from etl.read import read_extract
from etl.validate import validate
from settings import secret_key
from tests.files import write_register_csv

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "corpus" / "files"
REGISTER = get_source("civil_register")
PERIOD, PERIOD_END = "2026H1", date(2026, 6, 30)
CJK = re.compile(r"[\u4e00-\u9fff]")
GB = 1 << 30


@pytest.fixture
def systmp(tmp_path, monkeypatch) -> Path:
    """The system temp folder for this test and the processes it starts (TMPDIR): must stay empty."""
    d = tmp_path / "systmp"
    d.mkdir()
    monkeypatch.setenv("TMPDIR", str(d))
    return d


def one_line(e: ExtractError) -> None:
    assert CJK.search(e.zh) and re.search(r"[A-Za-z]{3,}", e.en)
    assert "\n" not in str(e) and "Traceback" not in str(e)


def leftovers(root: Path, systmp: Path) -> list[Path]:
    return [*sandbox.work_root(root).glob("*"), *systmp.iterdir()]


def run(path: Path, root: Path, **kw):
    return sandbox.read_and_validate(REGISTER, path, PERIOD, PERIOD_END, "testload", root, **kw)


def sparse_xlsx(path: Path, last_row: int, cols: int) -> Path:
    """A few KB: the header, three rows, and one cell at (last_row, cols), so the used range is last_row x cols."""
    from tests.corpus.make_corpus import HEADER, _col, _sheet_xml, _xlsx_parts, _zip, good_rows

    tail = f'<row r="{last_row}"><c r="{_col(cols - 1)}{last_row}" t="inlineStr"><is><t>x</t></is></c></row>'
    _zip(path, _xlsx_parts(_sheet_xml([HEADER] + good_rows(), tail_rows=tail)))
    return path


def test_the_child_gives_what_reading_in_process_gives(root, tmp_path, systmp):
    path = write_register_csv(tmp_path / "台账.csv", encoding="gb18030")  # a UTF-8 copy is made while reading
    fmt, enc, res = run(path, root)
    ext = read_extract(path, REGISTER)
    want = validate(ext, REGISTER, PERIOD, PERIOD_END, "testload", region_index(root), secret_key(root))
    assert (fmt, enc) == ("csv", "gb18030") == (ext.fmt, ext.encoding)
    assert res.rows_read == want.rows_read and res.accepted.num_rows > 0
    for got, exp in ((res.accepted, want.accepted), (res.rejected, want.rejected), (res.persons, want.persons)):
        assert got.equals(exp), (got.schema, exp.schema)
    assert leftovers(root, systmp) == []


def test_the_regions_source_reads_without_a_region_table(tmp_path, systmp, monkeypatch):
    from tests.files import write_regions

    monkeypatch.setenv("TONGXIN_SECRET", "unit-test-secret")
    root = tmp_path / "data"
    fmt, _, res = sandbox.read_and_validate(get_source("regions"), write_regions(tmp_path / "区划.csv"), "2025",
                                            date(2025, 12, 31), "r", root)
    assert fmt == "csv" and res.accepted.num_rows > 0 and res.rejected.num_rows == 0


@pytest.mark.parametrize("name, code", [("xfd1048576.xlsx", "TOO_MANY_COLUMNS"), ("zip_bomb.xlsx", "FILE_TOO_LARGE"),
                                        ("enc_mixed.csv", "MIXED_ENCODING")])
def test_a_readers_refusal_comes_through_with_its_code_and_both_texts(root, systmp, name, code):
    with pytest.raises(ExtractError) as e:
        run(CORPUS / name, root)
    assert e.value.code == code
    one_line(e.value)
    assert leftovers(root, systmp) == []


def test_a_used_range_over_the_memory_limit_ends_the_child_not_the_app(root, tmp_path, systmp):
    """20 columns down to row 1,000,000 (under MAX_CELLS) is 20 million cells for the reader to build from a
    file of a few KB. The limit here is low (the child's libraries alone reserve about 0.5 GB of address
    space); the same bound at 4 GB holds a 200 MB file of one repeated row, not written in the suite."""
    path = sparse_xlsx(tmp_path / "稀疏.xlsx", 1_000_000, 20)
    with pytest.raises(ExtractError) as e:
        run(path, root, memory_limit=GB)
    assert e.value.code == "FILE_TOO_LARGE"
    one_line(e.value)
    assert leftovers(root, systmp) == []  # and this process, the app's stand-in, is still here
    assert run(CORPUS / "enc_utf8.csv", root, memory_limit=GB)[2].accepted.num_rows == 3  # limit fits


def test_the_time_limit_ends_the_child(root, tmp_path, systmp):
    path = sparse_xlsx(tmp_path / "稀疏.xlsx", 1_000_000, 20)
    with pytest.raises(ExtractError) as e:
        run(path, root, time_limit=1, memory_limit=8 * GB)
    assert e.value.code == "READ_TIMEOUT"
    one_line(e.value)
    assert leftovers(root, systmp) == []


@pytest.mark.parametrize("point", ["read:utf8_copy", "sandbox:child_written"])
def test_a_child_killed_midway_leaves_nothing_behind(root, tmp_path, systmp, monkeypatch, point):
    """SIGKILL with the UTF-8 copy of a GB18030 file on disk, and with the Parquet results written."""
    monkeypatch.setenv(CRASH_ENV, point)
    path = write_register_csv(tmp_path / "台账.csv", encoding="gb18030")
    with pytest.raises(ExtractError) as e:
        run(path, root)
    assert e.value.code == "READ_CRASHED"
    one_line(e.value)
    assert leftovers(root, systmp) == []


def test_a_parent_killed_midway_takes_its_child_along_and_clean_work_sweeps_up(root, tmp_path, systmp):
    path = write_register_csv(tmp_path / "台账.csv", encoding="gb18030")
    code = ("import sys; from datetime import date; from pathlib import Path; from etl import sandbox; "
            "from etl.contracts import get_source; "
            "sandbox.read_and_validate(get_source('civil_register'), Path(sys.argv[1]), '2026H1', date(2026, 6, 30), "
            "'x', Path(sys.argv[2]))")
    env = {**os.environ, CRASH_ENV: "sandbox:child_started", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code, str(path), str(root)], env=env, cwd=REPO, check=False,
                          capture_output=True, timeout=120)
    assert done.returncode == -9
    left = list(sandbox.work_root(root).iterdir())
    assert len(left) == 1  # the parent died before its finally
    for _ in range(200):  # the child dies with its parent (PR_SET_PDEATHSIG); wait until it is gone
        if not any(p.name == "result.json" for p in left[0].iterdir()) and not _child_running(left[0]):
            break
        time.sleep(0.05)
    assert not (left[0] / "result.json").exists()
    assert sandbox.clean_work(root) == left
    assert leftovers(root, systmp) == []


def _child_running(work: Path) -> bool:
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if str(work) in (d / "cmdline").read_bytes().decode(errors="replace"):
                    return True
            except OSError:
                continue
    return False


def test_clean_work_keeps_a_running_readings_folder_only(root):
    base = sandbox.work_root(root)
    base.mkdir(parents=True, exist_ok=True)  # landing the region table made it
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead = base / f"{int(gone.stdout)}-aaaa"
    live = base / f"{os.getpid()}-bbbb"
    old = base / f"{os.getpid()}-cccc"
    for d in (dead, live, old):
        d.mkdir()
        (d / "accepted.parquet").write_bytes(b"names and IDs")
    os.utime(old, (time.time() - 2 * sandbox.STALE_SECONDS,) * 2)
    assert sorted(sandbox.clean_work(root)) == sorted([dead, old])
    assert [p.name for p in base.iterdir()] == [live.name]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_an_unreadable_file_is_one_line(root, tmp_path, systmp):
    path = write_register_csv(tmp_path / "台账.csv")
    path.chmod(0)
    with pytest.raises(ExtractError) as e:
        run(path, root)
    assert e.value.code == "UNREADABLE_FILE"
    one_line(e.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a folder whatever its mode")
def test_an_unreadable_data_folder_is_one_line(root, tmp_path):
    (root / "landed").chmod(0)
    try:
        with pytest.raises(ExtractError) as e:
            run(write_register_csv(tmp_path / "台账.csv"), root)
        assert e.value.code == "DATA_DIR_UNREADABLE"
        one_line(e.value)
    finally:
        (root / "landed").chmod(0o700)


def test_sizes_from_settings_and_environment(monkeypatch):
    assert sandbox.parse_size("4GB") == 4 * GB and sandbox.parse_size("512 MB") == 512 << 20
    assert sandbox.parse_size(1024) == 1024
    monkeypatch.setenv(sandbox.MEMORY_ENV, "3GB")
    monkeypatch.setenv(sandbox.TIME_ENV, "60")
    assert sandbox.limits() == (3 * GB, 60.0)
    monkeypatch.delenv(sandbox.MEMORY_ENV)
    monkeypatch.delenv(sandbox.TIME_ENV)
    assert sandbox.limits() == (4 * GB, 1800.0)  # config/settings.yaml


@pytest.mark.parametrize("text", ["0000H1", "9999H2", "2026H3", "20 / 26H1", "2026\nH1"])
def test_a_bad_period_is_one_line_in_both_languages(text):
    with pytest.raises(ValueError) as e:
        parse_period(text, "half_year")
    assert isinstance(e.value, ExtractError) and e.value.code == "BAD_PERIOD"
    one_line(e.value)
    zh, en = str(e.value).split(" / ")  # what etl.land splits it into
    assert CJK.search(zh) and not CJK.search(en.replace(text.strip(), ""))


def test_spaces_around_a_period_name_the_same_period(root, tmp_path):
    from etl.land import land

    path = write_register_csv(tmp_path / "台账.csv")
    for i, text in enumerate([" 2026H1", "2026H1\n"]):
        path.write_bytes(path.read_bytes() + b"\n" * (i + 1))  # a new file each time (not "already landed")
        out = land("civil_register", path, text, root=root)
        assert out.entry.period == "2026H1"
    assert sorted(p.name for p in (root / "landed" / "civil_register").iterdir()) == ["2026H1"]
