"""Child lists (masked names and IDs, one row per child) go only to roles with case access, and the door
enforces it: `queries.run` refuses a list query for a scope without `exact`, whatever page asks.

Pages then show no list to the other roles (and do not crash), and say where the list is.
"""
from __future__ import annotations

import html
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import warehouse.queries
from auth.roles import ROLES
from tests.files import signed_in
from warehouse import queries as q
from warehouse.queries import catalogue, ledger, matching, privacy, volunteers

APP = str(Path(__file__).resolve().parents[1] / "app.py")
LIST_COLUMNS = {"姓名（脱敏）", "身份证号（脱敏）"}
CITY, COUNTY = "990100", "990102"


def _query_functions():
    """Every query: each catalogue entry, and each public function defined in a warehouse.queries module."""
    for name in catalogue.names():
        yield catalogue.load(name)
    for info in pkgutil.iter_modules(warehouse.queries.__path__):
        mod = importlib.import_module(f"warehouse.queries.{info.name}")
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ == mod.__name__ and not name.startswith("_"):
                yield fn


def _source(fn) -> str:
    return fn.sql if isinstance(fn, catalogue.Query) else inspect.getsource(fn)


def _lists(con):
    """The list functions with the arguments a page passes."""
    check = matching.checks(con, q.Scope.everything())["check_code"].iloc[0]
    return [(ledger.due_list, (30,)), (matching.worklist, (check,)), (volunteers.unpaired, ())]


def test_every_child_level_query_is_marked_as_a_list():
    # A query reading a list_* mart (one row per child) or one child's rows ($person_key: a child's file) is
    # child-level, whatever its name.
    reads_list = {fn for fn in _query_functions() if re.search(r"\bfrom\s+list_\w+|\$person_key\b", _source(fn))}
    assert {ledger.due_list, matching.worklist, volunteers.unpaired} <= reads_list
    unmarked = [getattr(fn, "__qualname__", fn) for fn in reads_list if not privacy.is_child_list(fn)]
    assert not unmarked, f"child-level queries not marked @privacy.child_list: {unmarked}"
    marked = [fn for fn in _query_functions() if privacy.is_child_list(fn)]
    assert set(marked) == reads_list


@pytest.mark.parametrize("scope", [q.Scope.everything(), q.Scope.of(CITY), q.Scope.of(COUNTY), q.Scope()],
                         ids=["everything", "city", "county", "empty"])
def test_the_door_refuses_lists_without_case_access(con, scope):
    for fn, args in _lists(con):
        with pytest.raises(privacy.CaseAccessRequired) as e:
            q.run(fn, con, scope, *args)
        assert isinstance(e.value, PermissionError)
        assert re.search(r"[\u4e00-\u9fff]", str(e.value)) and re.search(r"[a-z]{4}", str(e.value))


def test_the_door_serves_lists_with_case_access(con):
    scope = q.Scope.of(COUNTY, exact=True)
    for fn, args in _lists(con):
        out = q.run(fn, con, scope, *args)
        assert len(out) and out.equals(fn(con, scope, *args))
    assert q.run(volunteers.unpaired, con, q.Scope(exact=True)).empty  # exact, but no region: still nothing


def test_roles_decide_list_access_in_one_place():
    # Lists and exact figures go together (a list of an area's children reveals its exact count).
    assert {r.key for r in ROLES.values() if r.case_access} == {"case_worker", "dept_officer", "admin"}
    doc = inspect.getsource(importlib.import_module("auth.roles"))
    for key in ROLES:
        assert re.search(rf"\b{key}\b.*(名单|list)", doc), f"auth/roles.py says nothing about {key}'s list access"


def _app(role: str, scope: str) -> AppTest:
    return signed_in(AppTest.from_file(APP, default_timeout=120), role, (scope,), f"test-{role}")


def _list_tables(at: AppTest) -> list:
    return [d.value for d in at.dataframe if LIST_COLUMNS & set(map(str, d.value.columns))]


def _download_keys(at: AppTest) -> list[str]:
    return [b.proto.id for b in at.get("download_button")]


def _texts(at: AppTest) -> str:
    return " ".join(e.value for kind in ("caption", "markdown", "info") for e in getattr(at, kind))


@pytest.mark.parametrize("role,scope", [("leader", CITY), ("county_officer", COUNTY), ("wf_staff", CITY)])
def test_volunteers_page_shows_no_list_without_case_access(role, scope, data_dir):
    at = _app(role, scope)
    at.switch_page("views/volunteers.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "志愿服务"
    assert not _list_tables(at)
    assert not [k for k in _download_keys(at) if "unpaired" in k]
    assert "重点儿童" in _texts(at) and "名单由个案工作者" in _texts(at)


def test_volunteers_page_shows_the_list_to_a_case_role(data_dir):
    at = _app("admin", COUNTY)
    at.switch_page("views/volunteers.py").run()
    assert not at.exception
    tables = _list_tables(at)
    assert tables and all("*" in v for v in tables[0]["姓名（脱敏）"] if v)


def test_matching_page_for_the_data_officer_runs_every_check_without_a_list(con, data_dir):
    codes = list(matching.checks(con, q.Scope.everything())["check_code"])
    assert len(codes) == 7
    at = _app("data_officer", CITY)
    at.switch_page("views/matching.py").run()
    assert not at.exception
    for code in codes:
        at.selectbox(key="mt_check").select(code).run()
        assert not at.exception, (code, [e.message for e in at.exception])
        assert not _list_tables(at), code
        assert not [k for k in _download_keys(at) if "mt_xlsx" in k], code
        assert "名单由个案工作者" in _texts(at)
        specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
        labels = [t for s in specs for t in s["data"] if t.get("name") == "labels"]
        assert labels, "the fixture has street boundaries: the rate map must draw"
        # A suppressed street shows its label ("<5人", escaped for plotly), never a number below the threshold.
        shown = [html.unescape(line.removeprefix("未匹配："))
                 for h in labels[0]["hovertext"] for line in h.split("<br>") if line.startswith("未匹配：")]
        assert shown, code
        numbers = [int(t.removesuffix("人")) for t in shown if t.removesuffix("人").isdigit()]
        assert not [n for n in numbers if 0 < n < privacy.threshold()], (code, shown)
        bars = next(s["data"][0]["text"] for s in specs if s["data"][0].get("type") == "bar")
        assert not [t for t in bars if "NA" in t or "nan" in t], (code, bars)  # suppressed: its label


def test_matching_page_for_the_case_worker_shows_every_worklist(con, data_dir):
    scope = q.Scope.of(COUNTY, exact=True)
    checks = matching.checks(con, scope)
    at = _app("case_worker", COUNTY)
    at.switch_page("views/matching.py").run()
    assert not at.exception
    for code, n in zip(checks["check_code"], checks["unmatched"]):
        at.selectbox(key="mt_check").select(code).run()
        assert not at.exception, code
        tables = _list_tables(at)
        assert tables and len(tables[0]) == min(int(n), ledger.LIST_LIMIT), code
