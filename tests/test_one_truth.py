"""One truth (数出一门): each catalogue figure shows one value under one name wherever it appears.

The harness walks 总览, 目标进展, 服务缺口 and 志愿服务 (AppTest, signed in as a leader of the city, of one
county and of one street) and the meeting pack's tables (report.pack.collect, the Excel's source), and
records every figure it recognises: which catalogue entry it is (from what the place computes), the
name it is shown under and the value shown. A case fails when a figure is shown under a name that is
not its catalogue name (a leader cannot tell two definitions apart), or when one figure shows two values.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.files import signed_in
from warehouse import queries as q
from warehouse.queries import metrics
from warehouse.queries import targets as tq

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SCOPES = {"city": ("99",), "county": ("990102",), "street": ("990102001",)}

# Headline cards as the overview keyed them before the catalogue (data-metric), and gap ids of the gaps
# page, to their catalogue entries: what the place computes, whatever it calls it.
CARD_METRICS = {"migrant": "migrant_children", "visit_compliance": "visited_30d_rate",
                "health_record_rate": "health_record_rate", "volunteer_person_times": "volunteer_person_times",
                "targets_off_track": "targets_off_track"}
GAP_METRICS = {"vaccination": "vaccination_on_schedule", "health_records": "health_record_share_gap",
               "visit_compliance": "visit_3m_share"}
# The figures whose disagreement the users reported, and the other headline figures.
CASES = ("health_record_rate", "health_record_rate_reported", "vaccination_rate_reported",
         "vaccination_on_schedule", "health_record_share_gap", "visited_30d_rate", "visit_3m_share",
         "public_school_share", "migrant_children", "key_children", "volunteer_person_times")
# Words that make a label a figure about one of the reported cases: such a label must be a catalogue name.
CASE_WORDS = ("接种", "建档", "走访")


@dataclass(frozen=True)
class Seen:
    metric: str | None  # catalogue id (None: not recognised)
    label: str          # the name it is shown under
    text: str           # the value as shown
    where: str


def _number(text: str) -> tuple[float, float] | None:
    """(value, half the display precision) of a shown figure; None for a mark such as "<5" or "—"."""
    s = str(text).strip().replace(",", "").rstrip("%").strip()
    scale = 1.0
    if s.endswith("万"):
        s, scale = s[:-1], 10_000.0
    if not re.fullmatch(r"-?\d+(\.\d+)?", s):
        return None
    decimals = len(s.split(".")[1]) if "." in s else 0
    return float(s) * scale, 0.5 * 10 ** -decimals * scale


_NOTHING = ("", "nan", "None", "<NA>", "—")


def _agree(a: str, b: str) -> bool:
    if str(a).strip() in _NOTHING and str(b).strip() in _NOTHING:
        return True  # no value shown in both places
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return str(a).strip() == str(b).strip()
    return abs(x[0] - y[0]) <= x[1] + y[1] + 1e-9


def _indicator_metric(con) -> dict[str, str]:
    """Every name a plan indicator may be shown under (its plan name and its catalogue name) → entry."""
    st = tq.indicator_status(con, q.Scope.everything(exact=True))
    out = {}
    for r in st.itertuples():
        m = metrics.for_indicator(r.kind, r.model, r.indicator)
        out[r.indicator] = out[m.name_zh] = m.metric_id
    return out


def _canonical_names(con) -> set[str]:
    """The names plan indicators are shown under: their catalogue entries' names."""
    st = tq.indicator_status(con, q.Scope.everything(exact=True))
    return {metrics.for_indicator(r.kind, r.model, r.indicator).name_zh for r in st.itertuples()}


# --------------------------------------------------------------------------------------------
# Collectors


def _app(data_dir, monkeypatch, codes: tuple[str, ...]) -> AppTest:
    monkeypatch.setenv(q.DATA_DIR_ENV, str(data_dir))
    return signed_in(AppTest.from_file(APP, default_timeout=60), "leader", codes, username=f"truth-{codes[0]}")


def _html_bodies(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html"))


def overview(at: AppTest, names: dict[str, str]) -> list[Seen]:
    """KPI cards (and any figure the page tags with data-metric) and the off-track list."""
    at.run()
    assert not at.exception, at.exception
    body = _html_bodies(at)
    out = []
    for m in re.finditer(r'<div class="ov-kpi" data-metric="([^"]+)" data-value="([^"]*)"[^>]*>'
                         r'<div class="l"[^>]*>(.*?)</div>', body):
        key, value, label = m.group(1), html.unescape(m.group(2)), html.unescape(re.sub(r"<[^>]+>", "", m.group(3)))
        label = label.replace("ⓘ", "").strip()
        out.append(Seen(CARD_METRICS.get(key, key), label, value, "总览卡片"))
    for m in re.finditer(r'<span class="ov-fig" data-metric="([^"]+)" data-label="([^"]*)" data-value="([^"]*)"',
                         body):
        out.append(Seen(m.group(1), html.unescape(m.group(2)), html.unescape(m.group(3)), "总览卡片说明"))
    for m in re.finditer(r'<li class="ov-target">.*?<span class="t">(.*?)</span>.*?现 ([^ /<]+)', body):
        label = html.unescape(m.group(1))
        out.append(Seen(names.get(label), label, html.unescape(m.group(2)).rstrip("个人名场次项%"), "总览目标列表"))
    return out


_TREE = re.compile(r"● [^\]]*\](?: :violet-badge\[[^\]]*\])? (.+?)：当前 (\S+?)，")


def targets_page(at: AppTest, names: dict[str, str], plans: list[str]) -> list[Seen]:
    """Each plan's tree lines and status table (当前值)."""
    at.switch_page("views/targets.py").run()
    assert not at.exception, at.exception
    out = []
    for plan in plans:
        at.selectbox(key="plan").select(plan).run()
        assert not at.exception, at.exception
        for md in at.markdown:
            for m in _TREE.finditer(md.value.replace("\\", "")):
                label = m.group(1)
                out.append(Seen(names.get(label), label, m.group(2).rstrip("个人名场次项%"), f"目标进展树·{plan}"))
        tables = [d.value for d in at.dataframe if "指标名称" in d.value.columns and "当前值" in d.value.columns]
        for r in tables[-1].to_dict("records") if tables else []:
            if r["当前值"] is None or pd.isna(r["当前值"]):
                continue
            out.append(Seen(names.get(r["指标名称"]), r["指标名称"], f'{r["当前值"]}', f"目标进展状态表·{plan}"))
    return out


def gaps_page(at: AppTest) -> tuple[list[Seen], dict[str, str]]:
    """The overall figure (the third card) of each tracked gap, and its (?) text."""
    at.switch_page("views/gaps.py").run()
    assert not at.exception, at.exception
    out, helps = [], {}
    for gap, metric in GAP_METRICS.items():
        at.selectbox(key="gap").set_value(gap).run()
        assert not at.exception, at.exception
        cards = [m for m in at.metric]
        if len(cards) >= 3:
            out.append(Seen(metric, cards[2].label.replace("\\", ""), cards[2].value, f"服务缺口·{gap}"))
            helps[f"服务缺口·{gap}"] = cards[2].proto.help
    return out, helps


def volunteers_page(at: AppTest) -> list[Seen]:
    """Cards of the volunteers page, recognised when their label is a catalogue name."""
    at.switch_page("views/volunteers.py").run()
    assert not at.exception, at.exception
    by_name = {m.name_zh: m.metric_id for m in metrics.catalogue().values()}
    return [Seen(by_name[m.label], m.label, m.value, "志愿服务") for m in at.metric if m.label in by_name]


def pack(con, codes: tuple[str, ...], names: dict[str, str]) -> list[Seen]:
    """The meeting pack's tables (its Excel sheets) for the scope and the latest period."""
    from report import pack as rp

    period = str(q.periods(con)["period"].iloc[0])
    d = rp.collect(con, q.Scope.of(*codes), period)
    by_label = {**{m.name_zh: m.metric_id for m in metrics.catalogue().values()}, **names}
    out = []
    main = d.tables["主要指标"]
    for r in main.to_dict("records"):
        key = by_label.get(r["指标"])
        if key is None:  # the headline's own label: recognise it by the headline row it came from
            row = d.headline[d.headline["label"] == r["指标"]]
            key = CARD_METRICS.get(row["metric"].iloc[0], row["metric"].iloc[0]) if len(row) else None
        out.append(Seen(key, r["指标"], "" if r["本期"] is None else str(r["本期"]), "会议材料·主要指标"))
    for r in d.tables["未达标与滞后目标"].to_dict("records"):
        out.append(Seen(names.get(r["指标"]), r["指标"], str(r["最新值"]), "会议材料·滞后与逾期目标"))
    return out


@pytest.fixture(scope="module", params=list(SCOPES))
def seen(request, data_dir, con) -> dict:
    """Everything the harness recognised for one scope (the pages run once per scope)."""
    mp = pytest.MonkeyPatch()
    try:
        codes = SCOPES[request.param]
        names = _indicator_metric(con)
        at = _app(data_dir, mp, codes)
        plans = list(tq.plans(con, q.Scope.everything())["plan_id"])
        found = overview(at, names) + targets_page(at, names, plans)
        gap_figures, gap_help = gaps_page(at)
        found += gap_figures + volunteers_page(at) + pack(con, codes, names)
    finally:
        mp.undo()
    canonical = _canonical_names(con)
    return {"scope": request.param, "figures": found, "gap_help": gap_help, "canonical": canonical}


# --------------------------------------------------------------------------------------------
# The checks


@pytest.mark.parametrize("metric", CASES)
def test_one_name_one_value(seen, metric):
    """Wherever the figure appears it carries its catalogue name and one value."""
    here = [s for s in seen["figures"] if s.metric == metric]
    name = metrics.label(metric)
    misnamed = [f"{s.where}: “{s.label}”" for s in here if s.label != name]
    assert not misnamed, f"{seen['scope']}: {metric} should be called “{name}”, shown as {misnamed}"
    shown = [s for s in here if _number(s.text) is not None or s.text.strip()]
    for a in shown:
        for b in shown:
            assert _agree(a.text, b.text), (f"{seen['scope']}: {name} is {a.text} on {a.where} "
                                            f"but {b.text} on {b.where}")


def test_a_name_means_one_figure(seen):
    """No name is shown for two different figures, and every figure about vaccination, health records or
    visits is called by a catalogue name (so its (?) definition can be found)."""
    by_label: dict[str, set[str]] = {}
    for s in seen["figures"]:
        if s.metric:
            by_label.setdefault(s.label, set()).add(s.metric)
    assert not {k: v for k, v in by_label.items() if len(v) > 1}
    names = {m.name_zh for m in metrics.catalogue().values()} | set(seen["canonical"])
    loose = sorted({s.label for s in seen["figures"] if any(w in s.label for w in CASE_WORDS)} - names)
    assert not loose, f"{seen['scope']}: figures not named by the catalogue: {loose}"


def test_gap_figures_carry_their_definition(seen):
    """The gaps page's vaccination, health-record and visit figures carry the catalogue's (?) definition, so
    a reader can tell them from the department-reported rates of the same names' families."""
    shown = [f for f in seen["figures"] if f.where.startswith("服务缺口")]
    missing = [f.where for f in shown if seen["gap_help"].get(f.where) != metrics.help(f.metric)]
    assert shown or seen["scope"] == "street", "the city and county pages show gap rate cards"
    assert not missing, f"{seen['scope']}: no catalogue (?) on {missing}"


# --------------------------------------------------------------------------------------------
# The catalogue itself


def test_catalogue_rows_are_complete_and_distinct():
    """Every entry has the columns of config/metrics.csv filled where they must be, one id, one name."""
    import csv

    with metrics.path().open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == metrics.COLUMNS
    ids, names = [r["metric_id"] for r in rows], [r["name_zh"] for r in rows]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    for r in rows:
        assert r["name_zh"] and r["definition_zh"] and r["source"] and r["kind"] in ("computed", "reported"), r
        assert r["higher_is_better"] in ("true", "false", ""), r


def test_every_headline_and_plan_model_has_an_entry(con):
    """The overview's cards and each computed plan indicator's model are catalogue entries."""
    from warehouse.queries import meeting

    cat = metrics.catalogue()
    assert set(meeting.HEADLINE_METRICS.values()) <= set(cat)
    models = q._df(con, "select distinct model from plan_indicators where kind = 'computed'")["model"]
    assert set(models) <= set(cat)


def test_a_deployment_catalogue_is_read_again_when_it_changes(tmp_path, monkeypatch):
    """A deployment's own config/metrics.csv wins, and an edit is seen without a restart."""
    import shutil

    shutil.copy(metrics.path(), tmp_path / "metrics.csv")
    monkeypatch.setenv("TONGXIN_CONFIG_DIR", str(tmp_path))
    assert metrics.label("key_children") == "重点对象"
    text = (tmp_path / "metrics.csv").read_text(encoding="utf-8").replace("key_children,重点对象,", "key_children,重点儿童,")
    (tmp_path / "metrics.csv").write_text(text, encoding="utf-8")
    assert metrics.label("key_children") == "重点儿童"
    monkeypatch.delenv("TONGXIN_CONFIG_DIR")
    assert metrics.label("key_children") == "重点对象"
