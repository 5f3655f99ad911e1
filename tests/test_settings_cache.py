"""A file read on every request (settings.yaml, the metric catalogue) is parsed again only when it changes; the
errors told to a user share one form (code, Chinese, English)."""
from __future__ import annotations

import os

from etl.errors import ExtractError
from settings import CONFIG_DIR_ENV, KeyMissing, UserError, read_when_changed, settings


def test_a_file_is_parsed_again_only_when_it_changes(tmp_path):
    path, cache, parsed = tmp_path / "x.yaml", {}, []

    def parse(p):
        parsed.append(p.read_text(encoding="utf-8"))
        return parsed[-1]

    assert read_when_changed(path, cache, parse) is None and not parsed  # no file yet
    path.write_text("a: 1\n", encoding="utf-8")
    assert read_when_changed(path, cache, parse) == read_when_changed(path, cache, parse) == "a: 1\n"
    assert len(parsed) == 1
    path.write_text("a: 22\n", encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different mtime even on a coarse clock
    assert read_when_changed(path, cache, parse) == "a: 22\n" and len(parsed) == 2 and len(cache) == 1


def test_settings_follow_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv(CONFIG_DIR_ENV, str(tmp_path))
    assert settings() == {}
    (tmp_path / "settings.yaml").write_text("small_number_threshold: 5\n", encoding="utf-8")
    assert settings() == {"small_number_threshold": 5}
    settings()["small_number_threshold"] = 1  # a caller's copy, never the cached dict
    assert settings() == {"small_number_threshold": 5}


def test_user_errors_read_alike():
    for cls in (ExtractError, KeyMissing):
        e = cls("NO_SECRET", "缺少密钥", "no key")
        assert isinstance(e, UserError) and str(e) == "缺少密钥 / no key [NO_SECRET]"
        assert (e.code, e.zh, e.en) == ("NO_SECRET", "缺少密钥", "no key")
