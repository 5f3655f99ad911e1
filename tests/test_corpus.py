"""Bad-input corpus: every file in tests/corpus/expected.yaml lands (or fails) exactly as expected.

Each case gets a fresh data folder with the small region table (conftest `root`), goes through the
upload page's preview and then `etl.land.land` (what `python -m etl land` and the upload page's
confirm call), and must: give the expected outcome, speak Chinese and English, raise nothing but
ExtractError, never half-land (on error nothing new under landed/ and the load log unchanged; on
success the accepted file with its rejected companion), and account for every row read.
"""
from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from etl.__main__ import main as etl_main
from etl.errors import ExtractError
from etl.land import REASON_ZH, land, preview
from etl.landed import landed_dir, load_log_path, read_load_log
from etl.validate import person_key
from settings import secret_key

CORPUS = Path(__file__).parent / "corpus"
FILES = CORPUS / "files"
CASES = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_WORD = re.compile(r"[A-Za-z]{3,}")


def _make_corpus_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def case_path(case: dict, tmp_path: Path) -> Path:
    if case.get("generated") == "at_test_time":
        return getattr(_make_corpus_module(), case["generator"])(tmp_path / case["file"])
    return FILES / case["file"]


def state(root: Path) -> tuple[list[str], str]:
    """Every file under landed/ (but the lock) and the load log's bytes."""
    files = sorted(str(p.relative_to(root)) for p in landed_dir(root).rglob("*") if p.is_file() and p.name != ".lock")
    log = load_log_path(root).read_text(encoding="utf-8") if load_log_path(root).exists() else ""
    return files, log


def bilingual(zh: str, en: str) -> None:
    assert CJK.search(zh), f"no Chinese in {zh!r}"
    assert ASCII_WORD.search(en), f"no English in {en!r}"
    assert "Traceback" not in zh + en and "\n" not in zh + en


def test_corpus_is_big_enough_and_small_enough():
    assert len(CASES) >= 40
    assert len({c["category"] for c in CASES}) >= 8
    committed = [c for c in CASES if c.get("generated") != "at_test_time"]
    assert all((FILES / c["file"]).is_file() for c in committed)
    assert sum(p.stat().st_size for p in FILES.iterdir()) < 2_000_000


def test_every_reason_code_has_chinese_text():
    codes = {code for c in CASES for code in (c.get("reasons") or {})}
    assert codes <= set(REASON_ZH), codes - set(REASON_ZH)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['category']}-{c['file']}-{c['outcome']}" for c in CASES])
def test_corpus_file(case, root, tmp_path, monkeypatch, capsys):
    src, period = case["source"], case["period"]
    for before in case.get("before", []):
        land(src, FILES / before, period, root=root, user="corpus")
    path = case_path(case, tmp_path)
    files0, log0 = state(root)

    if case["outcome"] == "error":
        for attempt in (lambda: preview(src, path, period, root=root), lambda: land(src, path, period, root=root)):
            with pytest.raises(ExtractError) as e:
                attempt()
            assert e.value.code == case["code"], str(e.value)
            assert case["zh"] in e.value.zh, e.value.zh
            assert case["en"].lower() in e.value.en.lower(), e.value.en
            bilingual(e.value.zh, e.value.en)
        assert state(root) == (files0, log0)  # nothing half-landed, the log untouched
        # The CLI says it on one line and exits 1, without a traceback.
        monkeypatch.setenv("TONGXIN_DATA_DIR", str(root))
        assert etl_main(["land", src, str(path), "--period", period]) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err and case["code"] in err and CJK.search(err)
        assert state(root) == (files0, log0)
        return

    if case["outcome"] == "already":
        p = preview(src, path, period, root=root, isolate=False)  # landing goes through the sandbox
        assert p.already is not None
        out = land(src, path, period, root=root)
        assert out.already is not None and out.entry is None
        assert CJK.search(out.message) and "already landed" in out.message
        assert state(root) == (files0, log0)
        return

    # landed: the upload page's preview first (writes nothing), then the landing itself.
    p = preview(src, path, period, root=root, isolate=False)  # landing goes through the sandbox
    assert state(root) == (files0, log0)
    assert (p.rows_read, p.rows_accepted, p.rows_rejected) == (case["rows_read"], case["accepted"], case["rejected"])
    assert p.reasons == case["reasons"]
    assert p.overlap == case.get("overlap", 0)
    out = land(src, path, period, root=root, user="corpus", allow_removal=True)  # modes: test_landing_modes.py
    e = out.entry
    assert (e.rows_read, e.rows_accepted, e.rows_rejected) == (case["rows_read"], case["accepted"], case["rejected"])
    assert e.rows_accepted + e.rows_rejected == e.rows_read
    assert (e.reasons or {}) == case["reasons"]
    assert CJK.search(out.message) and "accepted" in out.message
    for code in list(e.reasons)[:5]:  # the message names the five most common reasons
        assert f"{REASON_ZH[code]} {code}" in out.message
    acc = pq.read_table(landed_dir(root) / e.accepted_path)
    rej = pq.read_table(landed_dir(root) / e.rejected_path)  # the companion is always there
    assert (acc.num_rows, rej.num_rows) == (e.rows_accepted, e.rows_rejected)
    if rej.num_rows:
        reasons = rej.column("原因 reason").to_pylist()
        assert all(r and CJK.search(r) for r in reasons)
        assert sorted(rej.column("原因代码 reason_code").to_pylist()) == \
            sorted(code for code, n in case["reasons"].items() for _ in range(n))
    assert "child_name" not in acc.column_names and "id_number" not in acc.column_names
    for code, fragment in (case.get("reason_text") or {}).items():
        texts = [r["原因 reason"] for r in rej.to_pylist() if r["原因代码 reason_code"] == code]
        assert texts and all(fragment in t for t in texts), (code, texts)
    if "ids" in case:  # the right people landed, IDs normalised to what the register holds
        secret = secret_key(root)
        assert sorted(acc.column("person_key").to_pylist()) == sorted(person_key(i, secret) for i in case["ids"])
    if "names" in case:
        persons = pq.read_table(landed_dir(root) / e.person_path)
        assert sorted(persons.column("child_name").to_pylist()) == sorted(case["names"])
    for column, values in (case.get("values") or {}).items():
        assert sorted(str(v) for v in acc.column(column).to_pylist()) == sorted(values), column
    log = read_load_log(root)
    assert len(log) == len(log0.splitlines()) + 1 and log[-1]["sha256"] == e.sha256
    assert not [f for f in state(root)[0] if f.endswith(".tmp")]
