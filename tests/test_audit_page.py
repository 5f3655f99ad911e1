"""审计日志 shows Beijing time and Chinese role names, never the log's UTC stamps or role keys."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from auth import audit
from auth.roles import ROLES
from tests.files import signed_in

PAGE = str(Path(__file__).resolve().parents[1] / "views" / "audit.py")


def test_audit_page_shows_beijing_time_and_chinese_roles(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGXIN_DATA_DIR", str(tmp_path))
    audit.record("login", user="leader-a", role="leader", scope=["990100"], root=tmp_path)
    audit.record("land", user="officer-b", role="data_officer", what="activities 2025-01", detail="served",
                 root=tmp_path)
    # A stamp late in the UTC day is the next day in Beijing: the page must not show the UTC date.
    log = audit.log_path(tmp_path)
    lines = log.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(x) for x in lines]
    rows[0]["at"], rows[1]["at"] = "2026-12-01T20:30:05+00:00", "2026-12-02T06:53:41+00:00"
    log.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")

    at = signed_in(AppTest.from_file(PAGE, default_timeout=60)).run()
    assert not at.exception, [e.value for e in at.exception]
    df = at.dataframe[0].value
    mine = df[df["user"].isin(["leader-a", "officer-b"])].set_index("user")
    assert mine.loc["leader-a", "at"] == "2026-12-02 04:30"
    assert mine.loc["officer-b", "at"] == "2026-12-02 14:53"
    assert mine.loc["leader-a", "role"] == "领导" and mine.loc["officer-b", "role"] == "数据专员"
    assert set(df["role"]) <= {r.label for r in ROLES.values()} | {"—"}
    assert "activities" not in mine.loc["officer-b", "what"] and "2025-01" in mine.loc["officer-b", "what"]
    assert mine.loc["officer-b", "detail"] == "已下载"
    assert not df.astype(str).isin(["None", "nan", "NaT"]).any().any()
    assert at.multiselect[0].proto.placeholder == "全部操作"
