"""Links that keep the view (AppTest): each role lands on its own page, every page is at its own path,
filters come back from the URL's codes, a region outside the recipient's scope is refused with a note, a
county officer's pages break down by street, and the sidebar shows the full link."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from auth.roles import PAGES, ROLES
from settings import DATA_DIR_ENV
from tests.files import signed_in
from ui.widgets import DEMO_MARK, OUTSIDE_NOTE, one_county, whole_code
from warehouse import queries as q

APP = str(Path(__file__).resolve().parents[1] / "app.py")
NOTE = "链接所指区域不在您的查看范围内"
NOTE_FULL = OUTSIDE_NOTE


@pytest.fixture
def env(data_dir, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    return data_dir


@pytest.fixture(scope="module")
def areas(con):
    """The fixture's root (a city) and its counties."""
    regions = con.sql("select region_code, level from regions order by region_code").df()
    counties = regions.loc[regions["level"] == "county", "region_code"].tolist()

    root = q.deployment(con, q.Scope.everything())
    return {"root": root.code, "counties": counties}


def _app(role: str, scope=("99",), query: dict | None = None, page: str | None = None) -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=120), role, scope)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    if page:
        at.switch_page(PAGES[page][2])
    return at.run()


def _titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def _infos(at: AppTest) -> str:
    return " ".join(i.value for i in at.info)


@pytest.mark.parametrize("role", list(ROLES))
def test_home_is_a_page_the_role_may_open(role):
    assert ROLES[role].home in ROLES[role].pages


@pytest.mark.parametrize("role, title", [("wf_staff", "志愿服务"), ("case_worker", "重点儿童"),
                                         ("data_officer", "数据质量"), ("leader", "总览"), ("planner", "总览"),
                                         ("county_officer", "总览")])
def test_each_role_lands_on_its_own_page(env, areas, role, title):
    scope = (areas["counties"][0],) if role == "county_officer" else ("99",)
    at = _app(role, scope)
    assert not at.exception
    assert _titles(at) == [title]


def test_landing_keeps_the_query(env, areas):
    at = _app("leader", query={"region": areas["counties"][1]})
    assert _titles(at) == ["总览"]
    assert at.selectbox(key="region").value == areas["counties"][1]


def test_gaps_filters_come_back_from_the_url(env, areas, con):
    periods = q.periods(con)["period"].tolist()
    older = periods[-1]
    at = _app("leader", query={"period": older, "region": areas["counties"][1], "gap": "index"}, page="gaps")
    assert not at.exception
    assert at.selectbox(key="gap_period").value == older
    assert at.selectbox(key="gap_county").value == areas["counties"][1]
    assert at.query_params["region"] == areas["counties"][1]
    assert at.query_params["period"] == older


def test_unknown_parameters_are_ignored(env, areas):
    at = _app("leader", query={"period": "1999-13", "region": "not-a-code", "gap": "no-such-gap"}, page="gaps")
    assert not at.exception
    assert at.selectbox(key="gap_county").value is None
    assert at.query_params["region"] == areas["root"]
    assert any("链接中的统计期没有数据" in c.value for c in at.caption)


def test_a_county_user_opening_another_region_sees_their_own_with_a_note(env, areas):
    own, other = areas["counties"][0], areas["counties"][1]
    for linked in (other, areas["root"]):
        at = _app("county_officer", (own,), query={"region": linked}, page="gaps")
        assert not at.exception
        assert NOTE in _infos(at)
        assert at.selectbox(key="gap_county").value is None
        assert at.query_params["region"] == own


def test_the_senders_own_whole_is_no_refusal(env, areas):
    at = _app("leader", query={"region": areas["root"]}, page="gaps")
    assert NOTE not in _infos(at)
    at = _app("county_officer", (areas["counties"][0],), query={"region": areas["counties"][0]}, page="gaps")
    assert NOTE not in _infos(at)


def test_a_county_officer_sees_streets(env, areas):
    at = _app("county_officer", (areas["counties"][0],), page="gaps")
    assert not at.exception
    assert any("各街道（乡镇）" in s.value for s in at.subheader)
    assert one_county(q.Scope.of(areas["counties"][0]))
    assert not one_county(q.Scope.of(*areas["counties"][:2]))
    assert not one_county(q.Scope.everything())


def test_whole_code_names_the_senders_whole(con, areas):
    assert whole_code(q.deployment(con, q.Scope.everything()), q.Scope.everything()) == areas["root"]
    county = q.Scope.of(areas["counties"][0])
    assert whole_code(q.deployment(con, county), county) == areas["counties"][0]


def test_copy_link_shows_the_page_and_its_filters(env, areas):
    at = _app("leader", query={"region": areas["counties"][1]}, page="gaps")
    link = [c.value for c in at.sidebar.code]
    assert len(link) == 1
    assert f"region={areas['counties'][1]}" in link[0] and "period=" in link[0]


BOUND_APP = '''
import datetime
import sys
sys.path.insert(0, {root!r})
import streamlit as st
from ui import links
m = links.bound(st.segmented_control, "m", ["a", "b", "c"], default="a", required=True, key="m", param="metric")
s = links.bound(st.selectbox, "s", ["i", "j"], format_func=str.upper, key="s", param="sel")
r = links.bound(st.radio, "r", ["p", "q"], key="r", param="sort")
t = links.bound_toggle("t", key="t", param="change")
d = links.bound_date("d", key="d", param="date", value=datetime.date(2026, 1, 31))
st.write(f"{{m}}|{{s}}|{{r}}|{{t}}|{{d}}")
'''


@pytest.fixture
def bound_app(tmp_path) -> str:
    path = tmp_path / "bound_app.py"
    path.write_text(BOUND_APP.format(root=str(Path(APP).parent)), encoding="utf-8")
    return str(path)


def test_bound_widgets_come_back_from_the_url_and_write_into_it(bound_app):
    at = AppTest.from_file(bound_app)
    for k, v in {"metric": "b", "sel": "j", "sort": "q", "change": "1", "date": "2026-03-05"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception and not at.warning
    assert at.markdown[0].value == "b|j|q|True|2026-03-05"
    at.segmented_control(key="m").set_value("a").run()
    at.selectbox(key="s").set_value("i").run()
    at.date_input(key="d").set_value(datetime.date(2026, 1, 31)).run()
    assert at.markdown[0].value == "a|i|q|True|2026-01-31"
    assert dict(at.query_params) == {"sort": "q", "change": "1"}  # defaults leave the URL


def test_bound_widgets_ignore_values_they_do_not_offer(bound_app):
    at = AppTest.from_file(bound_app)
    for k, v in {"metric": "zzz", "sel": "", "sort": "../", "change": "yes", "date": "2026-02-30"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    assert at.markdown[0].value == "a|i|p|False|2026-01-31"
    assert not dict(at.query_params)


def test_gap_and_its_order_come_back_from_the_url(env, areas):
    at = _app("leader", query={"gap": "childcare_places", "sort": "shortfall"}, page="gaps")
    assert not at.exception
    assert at.selectbox(key="gap").value == "childcare_places"
    assert at.radio(key="gap_sort").value == "shortfall"
    at.selectbox(key="gap").select("index").run()
    assert "gap" not in at.query_params  # the default (the composite index) leaves the URL


def test_map_filters_come_back_from_the_url(env, areas):
    query = {"age": "3-6", "category": "留守儿童", "metric": "per_km2", "change": "1", "region": areas["counties"][1]}
    at = _app("planner", query=query, page="map")
    assert not at.exception
    assert at.selectbox(key="map_age").value == "3-6"
    assert at.selectbox(key="map_category").value == "留守儿童"
    assert at.segmented_control(key="map_metric").value == "per_km2"
    assert at.selectbox(key="map_county").value == areas["counties"][1]
    assert {k: at.query_params[k] for k in query} == query or not at.toggle(key="map_change").disabled


def test_ledger_pages_keep_their_choice(env, areas):
    at = _app("case_worker", ("99",), query={"level": "county"}, page="key_children")
    assert not at.exception
    assert at.segmented_control(key="kc_level").value == "county"
    at = _app("case_worker", ("99",), query={"check": "insurance"}, page="matching")
    assert not at.exception
    assert at.selectbox(key="mt_check").value == "insurance"


def test_targets_keep_plan_indicator_and_date(env, areas, con):
    from warehouse.queries import targets as tq

    plans = q.run(tq.plans, con, q.Scope.everything())
    plan = plans["plan_id"].iloc[-1]
    status = q.run(tq.indicator_status, con, q.Scope.everything(), plan, None)
    last = status.iloc[-1]
    indicator = f"{last['measure_no']}:{last['indicator']}"
    at = _app("leader", query={"plan": plan, "indicator": indicator, "date": "2026-03-31"}, page="targets")
    assert not at.exception
    assert all(w.value == DEMO_MARK for w in at.warning)  # no warning about a default set twice
    assert at.selectbox(key="plan").value == plan
    assert at.selectbox(key="indicator").value == indicator
    assert str(at.date_input(key="today").value) == "2026-03-31"
    assert at.query_params["date"] == "2026-03-31"


# A county officer's 服务缺口 opening on their county's streets: tests/test_gaps_league.py.


REGION_APP = '''
import sys
sys.path.insert(0, {root!r})
import pandas as pd
import streamlit as st
from ui import data, widgets
from warehouse import queries as q

class Warehouse:
    def deployment(self, scope):
        return q.Deployment("990100000000", "示范市", "city")

data.user_scope = lambda: q.Scope.of("990102000000")  # a county officer
data.warehouse = Warehouse
area = widgets.region_selector(pd.DataFrame({{"county_code": ["990102000000"], "county_name": ["东湖区"]}}),
                               note={note!r})
st.write(f"area={{area}}")
'''


@pytest.mark.parametrize("note", ["box", "toast"])
def test_the_outside_note_is_a_box_or_a_toast(tmp_path, note, monkeypatch):
    from ui import data

    # The script replaces these in the shared ui.data module: put them back after, for the tests that follow.
    monkeypatch.setattr(data, "warehouse", data.warehouse)
    monkeypatch.setattr(data, "user_scope", data.user_scope)
    path = tmp_path / "region_app.py"
    path.write_text(REGION_APP.format(root=str(Path(APP).parent), note=note), encoding="utf-8")
    at = AppTest.from_file(str(path))
    at.query_params["region"] = "990121000000"
    at.run()
    assert not at.exception
    assert at.markdown[0].value == "area=None"
    assert at.query_params["region"] == "990102000000"
    boxes, toasts = [i.value for i in at.info], [t.value for t in at.toast]
    assert (boxes, toasts) == (([NOTE_FULL], []) if note == "box" else ([], [NOTE_FULL]))
    at.run()  # a toast is said once; a box stays until the user chooses an area
    assert [i.value for i in at.info] == ([NOTE_FULL] if note == "box" else [])
