"""Access control walked as each demo role (AppTest): pages by role, region scope, small numbers, PII.

Every page a role may open is run, and everything it shows is collected: tables, metrics, charts,
texts and the bytes of every download button (recorded from Streamlit's media store). Then:
- a county officer sees no other county or street, anywhere;
- no role without case access sees a child's name or ID number, or a count of people below 5;
- a case worker sees masked lists, and a child's full file only after the explicit, audited action.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from auth import audit, users
from auth.roles import PAGES, ROLES, pages_for
from tests.files import signed_in
from warehouse.queries import privacy

APP = str(Path(__file__).resolve().parents[1] / "app.py")
ID_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
# Table headers / metric labels that are counts of people (rates, shares, person-times and counts of
# indicators or reports, e.g. the targets page's 逾期, are not).
COUNT_WORDS = ("人数", "儿童", "对象", "志愿者", "家长", "已匹配", "未匹配", "已结对")
NOT_COUNT_WORDS = ("率", "占比", "%", "每千", "人次", "天数", "代码", "日期", "名称", "期别", "姓名", "身份证")


@pytest.fixture(scope="module")
def demo(data_dir, con):
    """The demo users, region names and the people in the person table (to look for leaks)."""
    regions = con.sql("select region_code, region_name, level from regions").df()
    people = con.sql("select name, id_number from pii.person").df()
    return {
        "users": users.load(data_dir),
        "regions": regions,
        "names": {n for n in people["name"].dropna() if len(n) >= 2},
        "ids": set(people["id_number"].dropna()),
    }


@pytest.fixture
def downloads(monkeypatch):
    """Bytes of every download button rendered during the test."""
    seen: list[tuple[str, bytes]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes | str) and filename:
            data = path_or_data.encode() if isinstance(path_or_data, str) else path_or_data
            seen.append((filename, data))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return seen


def _file_cells(name: str, data: bytes) -> list[str]:
    if name.endswith(".xlsx"):
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [str(c) for s in book.sheet_names for row in book.get_sheet_by_name(s).to_python() for c in row
                if c != ""]
    if name.endswith(".pdf"):
        from pypdf import PdfReader

        return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    return data.decode("utf-8-sig", errors="replace").splitlines()


def _walk(role: str, user: users.User, downloads) -> dict:
    """Run every page the role may open; collect what each shows."""
    out = {"pages": {}, "cells": [], "texts": [], "counts": [], "exceptions": []}
    at = signed_in(AppTest.from_file(APP, default_timeout=120), role, tuple(user.scope), user.username)
    for path in pages_for(role):
        before = len(downloads)
        at.switch_page(PAGES[path][2]).run()
        out["exceptions"] += [f"{path}: {e.message}" for e in at.exception]
        texts = [e.value for kind in ("markdown", "caption", "title", "subheader", "header", "text", "info",
                                      "warning", "error", "success") for e in getattr(at, kind)]
        texts += [json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("plotly_chart")]
        texts += [c.proto.json for c in at.get("deck_gl_json_chart")]
        for m in at.metric:
            texts.append(f"{m.label} {m.value}")
            if _is_count(m.label):
                out["counts"].append((path, m.label, m.value))
        for df in [d.value for d in at.dataframe]:
            frame = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
            for col in frame.columns:
                values = frame[col].tolist()
                out["cells"] += [str(v) for v in values]
                if _is_count(str(col)) and pd.api.types.is_numeric_dtype(frame[col]):
                    out["counts"] += [(path, str(col), v) for v in values]
        for name, data in downloads[before:]:
            cells = _file_cells(name, data)
            out["cells"] += cells
            texts += cells
        out["texts"] += [str(t) for t in texts]
        out["pages"][path] = at.title[0].value if at.title else ""
    return out


def _is_count(label: str) -> bool:
    return any(w in label for w in COUNT_WORDS) and not any(w in label for w in NOT_COUNT_WORDS)


def _small(value) -> bool:
    try:
        v = float(str(value).replace(",", ""))
    except ValueError:
        return False  # "<5", "*", "—"
    return 0 < v < privacy.threshold()


def _no_pii(seen: dict, demo: dict) -> None:
    ids = {m for t in seen["texts"] + seen["cells"] for m in ID_RE.findall(t)}
    assert not ids & demo["ids"], "raw ID numbers shown"
    assert not set(seen["cells"]) & demo["names"], "children's names shown"
    long_names = {n for n in demo["names"] if len(n) >= 3}
    assert not [n for n in long_names for t in seen["texts"] if n in t], "children's names in page text"


@pytest.mark.parametrize("role", ["leader", "planner", "county_officer", "wf_staff", "data_officer"])
def test_roles_without_case_access_see_no_pii_and_no_small_numbers(role, demo, downloads):
    user = next(u for u in demo["users"].values() if u.role == role)
    seen = _walk(role, user, downloads)
    assert not seen["exceptions"]
    assert set(seen["pages"]) == set(ROLES[role].pages)
    _no_pii(seen, demo)
    small = [(p, c, v) for p, c, v in seen["counts"] if _small(v)]
    assert not small, f"counts below the threshold shown: {small[:10]}"


@pytest.mark.parametrize("name", ["county", "caseworker"])
def test_county_users_see_only_their_county(name, demo, downloads):
    user = demo["users"][name]
    mine = user.scope[0][:6]
    seen = _walk(user.role, user, downloads)
    assert not seen["exceptions"]
    if name == "caseworker":  # lists are masked until the file action (tested below)
        _no_pii(seen, demo)
    others = demo["regions"][(demo["regions"].level.isin(["county", "street"]))
                             & ~demo["regions"].region_code.str.startswith(mine)]
    own = demo["regions"][demo["regions"].region_code.str.startswith(mine)]
    assert len(others) and len(own)
    leaked_cells = set(seen["cells"]) & (set(others.region_name) | set(others.region_code))
    assert not leaked_cells, f"other counties' rows shown: {sorted(leaked_cells)[:5]}"
    other_counties = others[others.level == "county"].region_name
    assert not [n for n in other_counties for t in seen["texts"] if n in t]
    # …while their own county's figures are there (the walk is not vacuous).
    own_county = own[own.level == "county"].region_name.iloc[0]
    assert any(own_county in t for t in seen["texts"] + seen["cells"])


def test_case_worker_sees_masked_list_and_full_file_only_after_the_logged_action(demo, data_dir, con):
    user = demo["users"]["caseworker"]
    at = signed_in(AppTest.from_file(APP, default_timeout=120), "case_worker", tuple(user.scope), user.username)
    at.switch_page(PAGES["key_children"][2]).run()
    assert not at.exception
    cells = {str(v) for d in at.dataframe for v in d.value.to_numpy().ravel()}
    assert not cells & demo["ids"] and not cells & demo["names"]
    assert any("*" in c for c in cells), "masked names expected in the due list"
    before = len(audit.events(data_dir))
    pick = at.selectbox(key="kc_pick")
    pick.set_value(pick.options and 0).run()
    at.text_input(key="kc_reason").input("入户走访前核对").run()
    at.button(key="kc_open").click().run()
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    log = audit.events(data_dir)
    views = log[(log.action == "view_child") & (log.user == user.username)]
    assert len(log) > before and len(views) >= 1 and views.iloc[0]["detail"] == "入户走访前核对"
    # The file shows the real identity of a child in the case worker's own county.
    full = con.sql("""select p.name, p.id_number from pii.person p join ledger_children l using (person_key)
                      where starts_with(l.street_code, ?)""", params=[user.scope[0][:6]]).df()
    assert any(n in shown and i in shown for n, i in zip(full["name"], full["id_number"]))
    assert not [i for i in ID_RE.findall(" ".join(views["what"].tolist() + views["detail"].tolist()))]


def test_a_child_outside_the_area_is_refused(demo, con):
    from warehouse import queries as q
    from warehouse.queries import ledger

    user = demo["users"]["caseworker"]
    mine = user.scope[0][:6]
    other = con.sql("select person_key from ledger_children where not starts_with(street_code, ?) limit 1",
                    params=[mine]).fetchall()[0][0]
    own = con.sql("select person_key from ledger_children where starts_with(street_code, ?) limit 1",
                  params=[mine]).fetchall()[0][0]
    scope = q.Scope.of(*user.scope, exact=True)
    assert q.run(ledger.child_file, con, scope, own)["person"].shape[0] == 1
    with pytest.raises(ledger.CaseAccessDenied):
        q.run(ledger.child_file, con, scope, other)
    with pytest.raises(ledger.CaseAccessDenied):  # no case access, even in the area
        q.run(ledger.child_file, con, q.Scope.of(*user.scope), own)


def test_a_user_without_scope_sees_nothing(demo):
    at = signed_in(AppTest.from_file(APP, default_timeout=120), "leader", (), "nobody").run()
    assert not at.exception
    assert not [m for m in at.metric if any(ch.isdigit() for ch in m.value)]
    assert not [d for d in at.dataframe if len(d.value)]


def test_navigation_shows_only_the_roles_pages(demo):
    for role in ROLES:
        at = signed_in(AppTest.from_file(APP, default_timeout=120), role, ("99",)).run()
        assert not at.exception
        # A page outside the role, reached by its file, is refused rather than run.
        for path in set(PAGES) - set(pages_for(role)):
            with pytest.raises(Exception):  # noqa: B017 - AppTest raises for a page not in navigation
                at.switch_page(PAGES[path][2]).run()
            break


def test_the_setup_page_is_refused_to_a_leader(demo):
    """上线检查 (users, the key, what is landed) is for administrators and data officers only."""
    assert {r for r in ROLES if "setup" in pages_for(r)} == {"admin", "data_officer"}
    user = demo["users"]["leader"]
    at = signed_in(AppTest.from_file(APP, default_timeout=120), "leader", tuple(user.scope), user.username).run()
    assert not at.exception
    with pytest.raises(Exception):  # noqa: B017 - AppTest raises for a page not in navigation
        at.switch_page(PAGES["setup"][2]).run()


def test_administrator_walks_every_page_including_the_audit_log(demo, downloads):
    user = demo["users"]["admin"]
    seen = _walk("admin", user, downloads)
    assert not seen["exceptions"] and set(seen["pages"]) == set(PAGES)
    assert seen["pages"]["audit"] == "审计日志"
    assert any(name.endswith(".csv") for name, _ in downloads)  # the audit export


def test_indicators_counted_in_people_follow_the_small_number_rule(con):
    """A plan indicator in 人 (e.g. children given rehabilitation) is a count of children: below 5 it is
    shown as "<5" to roles without case access, on the targets page's status and in the overview's list."""
    from warehouse import queries as q
    from warehouse.queries import meeting, targets

    period = str(q.periods(con)["period"].iloc[0])
    found = 0
    for county in q.counties(con, q.Scope.everything())["county_code"]:
        raw = targets.indicator_status(con, q.Scope.of(county))
        small = raw[raw["unit"].isin(targets.PEOPLE_UNITS) & raw["current_value"].between(0.5, 4.5)]
        if small.empty:
            continue
        found += 1
        shown = q.run(targets.indicator_status, con, q.Scope.of(county))
        for i in small.index:
            assert shown.at[i, "current_value_label"] == "<5" and pd.isna(shown.at[i, "current_value"])
            assert pd.isna(shown.at[i, "share_of_target"])
        assert (shown["unit"] == "%").any() and not shown.loc[shown["unit"] == "%", "current_value_suppressed"].any()
        exact = q.run(targets.indicator_status, con, q.Scope.of(county, exact=True))
        assert exact.loc[small.index, "current_value"].tolist() == small["current_value"].tolist()
        off = q.run(meeting.off_track_targets, con, q.Scope.of(county), period)
        people = off[off["unit"].isin(targets.PEOPLE_UNITS)]
        assert not [v for v in people["latest_value"].dropna() if 0 < v < 5]
    if not found:
        pytest.skip("no county of the fixture has a people-counted indicator below 5")


def test_indicator_series_and_county_values_hide_small_counts_of_children(con):
    """The targets page's chart and county table: numerators and denominators count children, and so does
    a value in 人; below 5 they are hidden for roles without case access, with any rate computed from them."""
    from ui import targets as ut
    from warehouse import queries as q
    from warehouse.queries import targets

    found = tables = 0
    status = targets.indicator_status(con, q.Scope.everything())
    for county in q.counties(con, q.Scope.everything())["county_code"]:
        for r in status.itertuples():
            args = (r.plan_id, r.measure_no, r.indicator)
            for fn in (targets.indicator_series, targets.indicator_by_county):
                raw = fn(con, q.Scope.of(county), *args)
                shown = q.run(fn, con, q.Scope.of(county), *args)
                people = raw["unit"].isin(targets.PEOPLE_UNITS)
                for c in ("numerator", "denominator", "value"):
                    small = raw[c].between(0.5, 4.5) & (people if c == "value" else True)
                    found += int(small.sum())
                    assert shown.loc[small, c].isna().all() and (shown.loc[small, f"{c}_label"] == "<5").all()
                    if c != "value":  # the rate computed from a hidden count is hidden too
                        assert shown.loc[small, "value"].isna().all()
                exact = q.run(fn, con, q.Scope.of(county, exact=True), *args)
                assert exact["value"].tolist() == raw["value"].tolist()
                if fn is targets.indicator_by_county:
                    table = ut.county_table(shown)  # what the page shows: "<5", never the count
                    for c, zh in (("value", "当前值"), ("numerator", "分子"), ("denominator", "分母")):
                        rows = shown[f"{c}_suppressed"].to_numpy(dtype=bool)
                        if rows.any():
                            tables += 1
                            assert set(table.loc[rows, zh]) <= {"<5", "*"}
    if not found:
        pytest.skip("no county of the fixture has an indicator count below 5")
    assert tables, "the county table was never checked with a hidden value"


def test_a_county_users_overview_and_pack_are_named_after_their_county(demo, con):
    from ui import overview as ov
    from warehouse import queries as q

    user = demo["users"]["county"]
    mine = q.counties(con, q.Scope.of(*user.scope))
    assert len(mine) == 1
    name = mine["county_name"].iloc[0]
    assert ov.region_label(mine, None) == name  # what the page passes to the meeting pack as its region
    at = signed_in(AppTest.from_file(APP, default_timeout=120), "county_officer", tuple(user.scope), "county").run()
    assert not at.exception
    body = " ".join(h.proto.body for h in at.get("html"))
    # The county is the region named; 全市目标 (a city target shown for reference) is the only 全市 allowed.
    assert f"流动儿童分布（{name}）" in body and "全市" not in body.replace("全市目标", "")
