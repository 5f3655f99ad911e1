"""The bench's browser section runs on the fixture warehouse: a row for every page of the county user and the
city user, each view timed, with websocket bytes and the server's CPU; the filter changes and the markdown
table. No time is asserted (the bench reports them; the machine decides them)."""
from __future__ import annotations

from auth import users
from auth.roles import PAGES, ROLES
from bench.browser import USERS, bench_browser, markdown
from tests.browser import needs_chromium

pytestmark = needs_chromium


def test_browser_section_has_a_row_for_every_page(data_dir, tmp_path):
    res = bench_browser(data_dir, repeat=1, pack=False, quiet_ms=500, log_dir=tmp_path)
    assert list(res["users"]) == [n for n, _ in USERS]
    accounts = users.load(data_dir)
    for name, r in res["users"].items():
        pages = ROLES[accounts[name].role].pages
        assert list(r["pages"]) == list(pages)
        assert r["sign_in"]["landed_on"] == ROLES[accounts[name].role].home
        assert not r["notes"]  # the caches were cleared: every page has its after-publish view
        for p, row in r["pages"].items():
            views = [row["restart"], row["publish"], row["address"], *row["repeat"]]
            assert len(views) == 4, p
            for m in views:
                assert m["ms"] >= 0 and m["ws_bytes"] > 0 and m["cpu_s"] >= 0, (p, m)
                assert m["exceptions"] == 0, (name, p)
                assert m["by_kind"].get("script_finished"), (p, m["by_kind"])
        if "gaps" in pages:
            assert [len(v) for v in r["filters"].values()][:2] == [2, 1]
        if "overview" in pages:
            assert len(r["filters"]["overview period (first)"]) == 1
    md = "\n".join(markdown(res, "city"))
    for name, r in res["users"].items():
        for p in r["pages"]:
            assert f"| {name} | {PAGES[p][1]} |" in md
    assert "| goal (browser) |" in md
