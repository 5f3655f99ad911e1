"""服务缺口 a planner can trust: the chart and the table beside it follow one order the user chooses
(缺口率 or 缺口数, stated in the caption), rows hidden by the small-number rule show "<5" and come last,
a league of streets spans every county of the scope, and the vaccination gap is what its name says.
AppTest at city scope (a planner of the whole demo city; figures under the small-number rule) and at county scope (a county officer)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from settings import DATA_DIR_ENV
from tests.files import signed_in
from ui import gaps as ui
from warehouse import queries as q
from warehouse.queries import gaps as gq
from warehouse.queries import metrics, privacy

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CITY = q.Scope.everything()
MARK = privacy.mark()


def _open(data_dir, monkeypatch, role: str = "planner", scope: tuple[str, ...] = ("99",)) -> AppTest:
    monkeypatch.setenv(DATA_DIR_ENV, str(data_dir))
    at = signed_in(AppTest.from_file(APP, default_timeout=60), role=role, scope=scope).run()
    at.switch_page("views/gaps.py").run()
    assert not at.exception
    return at


@pytest.fixture
def at(data_dir, monkeypatch) -> AppTest:
    return _open(data_dir, monkeypatch)


@pytest.fixture(scope="module")
def latest(con) -> str:
    return str(q.periods(con)["period"].iloc[0])


def values(v) -> list:
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)


def bar(at: AppTest) -> dict:
    """The gap's bar chart (the first chart of the page's single-gap view)."""
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return spec["data"][0]


def table(at: AppTest, *columns: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def expected_order(df: pd.DataFrame, key: str) -> list[str]:
    """Area names largest first by `key`, then by the other figure, then by code; hidden rows last by code."""
    other = "shortfall" if key == "gap_share" else "gap_share"
    known = df[df[key].notna()]
    rows = sorted(zip(known[key].astype(float), known[other].astype(float), known["area_code"], known["area_name"]),
                  key=lambda r: (-r[0], -r[1], r[2]))
    hidden = df[df[key].isna()].sort_values("area_code")
    return [r[3] for r in rows] + hidden["area_name"].tolist()


@pytest.mark.parametrize("key,label", [("gap_share", "缺口率"), ("shortfall", "缺口数")])
def test_chart_and_table_follow_the_chosen_order(at, con, latest, key, label):
    at.selectbox(key="gap").select("visit_compliance").run()
    at.radio(key="gap_sort").set_value(key).run()
    assert not at.exception
    want = expected_order(q.run(gq.gap_table, con, CITY, latest, "visit_compliance", "county"), key)
    shown = table(at, "position", "area_type", "shortfall")
    assert shown["area_name"].tolist() == want
    assert values(bar(at)["x"]) == want  # the chart beside it, bar for bar
    assert any(f"图和表均按{label}排列" in c.value for c in at.caption)
    assert all(v.endswith("%") for v in shown["gap_share"]) and all(v.endswith("%") for v in shown["ratio"])
    # names stay names: the data period and the scatter's axis say what is counted, not a count or a mark
    assert any(c.value.startswith("数据期：近3个月入户走访过的重点对象：") and "重点对象：" in c.value for c in at.caption)
    scatter = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert scatter["layout"]["xaxis"]["title"]["text"] == "需求：重点对象"


def test_league_ranks_streets_of_every_county_at_once(at, con, latest):
    at.selectbox(key="gap").select("children_homes").run()
    assert not at.exception
    streets = q.run(gq.gap_table, con, CITY, latest, "children_homes", "street")
    assert streets["county_code"].nunique() > 1
    # communities and homes are not people: the small-number rule leaves a street's 3 communities visible
    assert streets["demand"].notna().all() and streets["shortfall"].notna().all()
    league = table(at, "position", "county_name", "standard")
    want = expected_order(streets, "gap_share")[:10]
    assert league["area_name"].tolist() == want
    assert league["county_name"].nunique() > 1  # one list across counties, not one per county
    assert league["position"].tolist() == [str(i) for i in range(1, len(want) + 1)]
    assert set(league["standard"]) == {"建有运转中儿童之家（关爱之家）的村（社区）比例 ≥ 90%"}
    # the planner's question: which 3 streets most need a new 儿童之家, and why
    at.select_slider(key="league_n").set_value(3).run()
    top3 = table(at, "position", "county_name", "standard")
    assert top3["area_name"].tolist() == want[:3]
    by_name = streets.set_index("area_name")
    for r in top3.itertuples():
        s = by_name.loc[r.area_name]
        assert (r.demand, r.supply, r.shortfall) == (f"{int(s.demand):,}", f"{int(s.supply):,}", f"{int(s.shortfall):,}")
        assert r.gap_share == f"{s.gap_share * 100:.1f}%"


def _hidden_streets(con) -> tuple[str, str, list[str]]:
    """A (period, county) where the small-number rule hides some streets' vaccination figures."""
    for period in q.periods(con)["period"]:
        for county in q.counties(con, CITY)["county_code"]:
            d = q.run(gq.gap_table, con, q.Scope.of(county), period, "vaccination", "street")
            hidden = d.loc[d["gap_share"].isna(), "area_name"].tolist()
            if hidden and len(hidden) < len(d):
                return str(period), str(county), hidden
    pytest.fail("the fixture has no street whose vaccination figures are hidden")


def _check_hidden_last(at: AppTest, hidden: list[str]) -> None:
    shown = table(at, "position", "area_type", "shortfall")
    names = shown["area_name"].tolist()
    assert names[-len(hidden):] == sorted(hidden, key=names.index) and set(names[-len(hidden):]) == set(hidden)
    tail = shown.tail(len(hidden))
    marks = {MARK, privacy.COMPLEMENT_MARK}  # "*": hidden too, so that a total cannot reveal the "<5"
    assert set(tail["shortfall"]) <= marks and set(tail["gap_share"]) <= marks and set(tail["position"]) == {"—"}
    assert MARK in set(tail["demand"]) and MARK in set(tail["shortfall"])
    text = shown.to_string()
    assert "None" not in text and "nan" not in text.lower() and "<NA>" not in text
    chart = bar(at)
    assert values(chart["x"])[-len(hidden):] == names[-len(hidden):]
    assert list(chart["text"])[-len(hidden):] == tail["shortfall"].tolist()
    assert all(y is None for y in list(chart["y"])[-len(hidden):])


def test_hidden_rows_show_the_mark_and_sort_last_at_city_scope(at, con):
    period, county, hidden = _hidden_streets(con)
    at.selectbox(key="gap_period").select(period).run()
    at.selectbox(key="gap").select("vaccination").run()
    at.selectbox(key="gap_county").select(county).run()
    assert not at.exception
    _check_hidden_last(at, hidden)
    at.radio(key="gap_sort").set_value("shortfall").run()
    _check_hidden_last(at, hidden)


def test_county_officer_sees_the_same_marks_and_a_league_of_own_streets(data_dir, monkeypatch, con):
    period, county, hidden = _hidden_streets(con)
    at = _open(data_dir, monkeypatch, role="county_officer", scope=(county,))
    at.selectbox(key="gap_period").select(period).run()
    at.selectbox(key="gap").select("vaccination").run()
    assert not at.exception
    # A county officer's page opens on the county's own streets, as a city user's does after choosing it.
    assert "各街道（乡镇）疫苗按程序接种缺口" in [s.value for s in at.subheader]
    own = q.run(gq.gap_table, con, q.Scope.of(county), period, "vaccination", "street")
    assert set(table(at, "position", "area_type", "shortfall")["area_name"]) == set(own["area_name"])
    _check_hidden_last(at, hidden)


def test_vaccination_gap_is_named_for_what_it_counts(at, con, latest):
    """The gap counts children with a dose due inside the landed vaccination months; its children without a
    record of such a dose are exactly 数据比对's 未按程序接种疫苗, and its name is not the reported 接种率."""
    row = gq.standards(con, CITY).set_index("gap_id").loc["vaccination"]
    assert "接种率" not in row["gap_name"] + row["basis"] and "与卫健委报送" in row["source"]
    gap = gq.gap_table(con, CITY, latest, "vaccination", "county").set_index("county_code")
    checks = con.execute(
        "select county_code, count(*) as due, count(*) filter (where is_matched) as on_time "
        "from match_children where check_code = 'vaccination' group by county_code").df().set_index("county_code")
    assert len(gap) and gap["demand"].sum() > 0
    for code, r in gap.iterrows():
        assert (r.demand, r.supply) == (checks.loc[code, "due"], checks.loc[code, "on_time"])
    at.selectbox(key="gap").select("vaccination").run()
    assert "各区县疫苗按程序接种缺口" in [s.value for s in at.subheader]
    card = next(m for m in at.metric if m.label == metrics.label("vaccination_on_schedule"))
    assert card.proto.help == metrics.help("vaccination_on_schedule")


def test_gap_rates_carry_the_catalogue_names(con):
    """A rate the catalogue also holds is named the same on this page as on every other (one figure, one name);
    the page's standard line says it in the same words."""
    standards = gq.standards(con, CITY).set_index("gap_id")
    for gap_id, metric_id in ui.METRIC_OF_GAP.items():
        name = metrics.label(metric_id)
        if gap_id == ui.INDEX:
            assert name == ui.INDEX_LABEL
        else:
            assert standards.loc[gap_id, "basis"] == name, gap_id


def test_index_league_ranks_streets_of_every_county_with_their_largest_gap(at, con, latest):
    streets = q.run(gq.index_table, con, CITY, latest, "street")
    want = streets.sort_values(["gap_index", "area_code"], ascending=[False, True])["area_name"].head(10).tolist()
    league = table(at, "position", "county_name", "最大缺口")
    assert league["area_name"].tolist() == want and league["county_name"].nunique() > 1
    detail = q.run(gq.gaps_of_area, con, CITY, latest, "street")
    first = streets.set_index("area_name").loc[want[0], "area_code"]
    worst = detail[(detail["area_code"] == first) & detail["gap_share"].notna()].sort_values(
        ["gap_share", "shortfall"], ascending=False).iloc[0]
    assert league["最大缺口"].iloc[0].startswith(f"{worst.gap_name}（缺口率 {worst.gap_share * 100:.1f}%")


def test_measures_table_hides_people_only(at):
    """The demand/supply table behind the page: counts of people under the threshold read "<5"; counts of
    streets, communities and facilities are shown (they disclose nobody); no None anywhere."""
    wide = table(at, "区划代码", "地区")
    text = wide.to_string()
    assert "None" not in text and "nan" not in text.lower()
    assert set(wide["街道（乡镇）数"]) <= {str(i) for i in range(1, 1000)}
