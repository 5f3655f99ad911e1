"""Empty and partial states: what a page lacks, and which extract fills it.

A page whose input has not landed says so in one box, naming for each missing extract its Chinese title,
its department, the period its cadence expects by now, and where its template is (数据上传, for a role that
may upload; else whom to ask). Every page calls the same helper, so the wording is the same everywhere:

    from ui import empty
    if empty.needs(wh, ["civil_register"], "本页"):   # True when something is missing (the box is shown)
        st.stop()

Stable API (other pages call it): `needs(wh, sources, what="", *, stop=False) -> bool`,
`missing(wh, sources) -> DataFrame` (queries.quality.missing's columns), `text(missing, what, role) -> str`.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import streamlit as st

from auth.roles import pages_for
from ui import auth
from ui import format as fmt
from warehouse.queries import quality

UPLOAD_PAGE, SETUP_PAGE = "upload", "setup"
REGIONS = "regions"
NO_UPLOAD = "请联系数据专员导入"

# The extracts behind each overview card (the card shows 未导入 while one of them has never landed).
CARD_SOURCES = {
    "migrant": ("civil_register",),
    "key_children": ("key_children",),
    "visit_compliance": ("key_children", "visits"),
    "public_school_share": ("civil_register", "students"),
    "health_record_rate": ("civil_register", "health_records"),
    "volunteer_person_times": ("activities",),
}  # 未达标与滞后目标 has the plan catalogues of reference/ even before a plan file lands


def _names(sources: str | Iterable[str]) -> tuple[str, ...]:
    return (sources,) if isinstance(sources, str) else tuple(dict.fromkeys(sources))


def missing(wh, sources: str | Iterable[str]) -> pd.DataFrame:
    """The extracts among `sources` that have never landed (quality.missing: source, title, department,
    cadence, expected_period), through the door with the signed-in user's scope. The region table comes
    first whenever it is missing: no page works without it."""
    from ui import data

    return wh.query(quality.missing, data.user_scope(), _names([REGIONS, *_names(sources)]))


def _role() -> str:
    return str((auth.current_user() or {}).get("role") or "")


def text(rows: pd.DataFrame, what: str = "", role: str = "") -> str:
    """The box's Markdown for the missing extracts `rows` (quality.missing's frame); `role` decides the link."""
    pages = pages_for(role)
    can_upload = UPLOAD_PAGE in pages
    e = fmt.md_escape
    head = f"**{e(what)}所需的数据尚未导入：**" if what else "**本页所需的数据尚未导入：**"
    lines = [head, ""]
    for r in rows.to_dict("records"):
        period = r.get("expected_period")
        due = f"，应报 {fmt.period_label(period)}" if isinstance(period, str) and period else ""
        where = (f"[下载模板并上传](/{UPLOAD_PAGE}?source={r['source']})" if can_upload else NO_UPLOAD)
        lines.append(f"- **{e(r['title'])}**（{e(r['department'])}{due}）：{where}")
    if SETUP_PAGE in pages:
        lines += ["", f"全部数据的导入情况和下一步见[上线检查](/{SETUP_PAGE})。"]
    return "\n".join(lines)


def needs(wh, sources: str | Iterable[str], what: str = "", *, stop: bool = False,
          groups: dict[str, Iterable[str]] | None = None, lacking: str = "暂不能显示") -> bool:
    """Show one st.info naming each extract of `sources` that has never landed; True when any is missing.

    `what` names what waits for them ("总览的各项数字"; default 本页); `stop=True` ends the page's run after
    the box. `groups` (a part of the page → its extracts, e.g. each cross-check) adds one line naming the
    parts that wait, each with what it lacks, after the word `lacking`.
    """
    rows = missing(wh, sources)
    if rows.empty:
        return False
    body = text(rows, what, _role())
    if groups:
        titles = dict(zip(rows["source"], rows["title"]))
        waiting = {g: "、".join(dict.fromkeys(titles[s] for s in _names(srcs) if s in titles))
                   for g, srcs in groups.items()}
        e = fmt.md_escape
        body += f"\n\n{lacking}：" + "；".join(f"{e(g)}（缺{e(t)}）" for g, t in waiting.items() if t)
    st.info(body, icon=":material/upload_file:")
    if stop:
        st.stop()
    return True


def none_landed(wh, sources: str | Iterable[str]) -> bool:
    """Whether not one of `sources` has landed (a page made only of them has nothing to show)."""
    names = _names(sources)
    return int(missing(wh, names)["source"].isin(names).sum()) == len(names)


def card_states(wh) -> dict[str, str]:
    """Overview card key → "未导入：<title>、…" for each card whose extracts have not all landed."""
    rows = missing(wh, [s for group in CARD_SOURCES.values() for s in group])
    titles = dict(zip(rows["source"], rows["title"]))
    out = {}
    for card, group in CARD_SOURCES.items():
        lacking = [titles[s] for s in group if s in titles]
        if lacking:
            out[card] = "未导入：" + "、".join(lacking)
    return out


def gap_needs(wh, gap: str, index: str) -> bool:
    """服务缺口: the box for the selected gap's missing extracts (every gap's, and which gaps wait, for the
    composite index `index`); True when any is missing."""
    from ui import data

    inputs = wh.query(quality.gap_sources, data.user_scope())
    chosen = inputs if gap == index else inputs[inputs["gap_id"] == gap]
    if chosen.empty:
        return needs(wh, ["civil_register"], "服务缺口")
    per_gap = {g: list(part["source"]) for g, part in chosen.groupby("gap_name", sort=False)}
    name = "综合缺口指数" if gap == index else f"“{chosen['gap_name'].iloc[0]}”缺口"
    return needs(wh, ["civil_register", *chosen["source"]], name, groups=per_gap if gap == index else None,
                 lacking="暂不能计算的缺口")


# The registers each cross-check of 数据比对 compares (marts/match_children.sql).
MATCH_SOURCES = {
    "适龄儿童无学籍（控辍保学）": ("civil_register", "students"),
    "公安居住登记未纳入民政台账（底数不清）": ("residence_permits", "civil_register"),
    "0—6岁儿童无健康档案": ("civil_register", "health_records"),
    "未按程序接种疫苗": ("civil_register", "vaccinations"),
    "残疾儿童未享受康复救助": ("disabled_children",),
    "困境儿童未获社会救助": ("civil_register", "assistance"),
    "儿童未参加医疗保险": ("civil_register", "medical_insurance"),
}
