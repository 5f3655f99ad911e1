"""Shared widgets: demo banner, filters, KPI cards, tables, the no-snapshot message."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import format as fmt
from ui import links
from warehouse import queries as q

DEMO_MARK = "示例数据 · 虚构城市，仅供演示"
CITY_WIDE = "全市"  # the word alone, where the deployment has no name yet (q.Deployment.whole)


def demo_banner(info: q.SnapshotInfo) -> None:
    """A visible mark on every page when the snapshot holds demo data."""
    if info.is_demo:
        st.warning(DEMO_MARK, icon=":material/science:")


def snapshot_caption(info: q.SnapshotInfo) -> None:
    """Sidebar footer: what the figures are as of."""
    data_date = pd.Timestamp(info.data_date).strftime("%Y-%m-%d") if info.data_date is not None else "—"
    built = fmt.beijing(info.built_at) if info.built_at is not None else "—"  # the snapshot stores UTC
    st.sidebar.caption(f"数据截至 {data_date} · 快照生成于 {built}")


def no_snapshot(error: Exception) -> None:
    """Friendly message (Chinese + English) when no snapshot has been published."""
    st.title("童心 · 流动儿童关爱服务")
    st.info(
        "**尚未发布数据快照。** 请先导入数据并构建数据仓库：\n\n"
        "- 体验示例数据：在项目目录运行 `make run`，或 `python -m etl init-demo` 后再启动本应用；\n"
        "- 导入各部门数据：`python -m etl land …`，再构建快照。\n\n"
        "**No data snapshot has been published yet.** Run `make run`, or `python -m etl init-demo`, "
        "then reload this page.",
        icon=":material/database:",
    )
    st.caption(str(error).splitlines()[0])


def period_selector(periods: pd.DataFrame, *, key: str = "period") -> str | None:
    """Select box of register periods (newest first); returns the period code. Kept in the URL as ?period=
    (always written, so a link keeps its period when a newer one is published)."""
    options = periods["period"].tolist()
    if not options:
        return None
    refused = links.seed(key, "period", options)
    period = st.selectbox("统计期", options, index=0, format_func=fmt.period_label, placeholder="选择统计期",
                          key=key)
    if refused is not None:
        st.caption("链接中的统计期没有数据，已显示最新一期。")
    links.keep("period", period)
    return period


def scope_covers(scope: q.Scope, code: str | None) -> bool:
    """Whether the user's scope holds the whole region `code` (None: only the scope of everything does)."""
    return scope.covers(code)


def whole_label(deployment: q.Deployment, scope: q.Scope) -> str:
    """The selector's "everything" option: the deployment's name and word (示范市（全市）) for a user who sees
    all of it; 本辖区全部 for a user whose scope is part of it (a county user's scope is not 全市)."""
    if deployment.name and scope_covers(scope, deployment.code):
        return deployment.label
    return "本辖区全部"


def area_names(counties: pd.DataFrame) -> dict[str, str]:
    """code → the name a selector shows: with its city ("甲市 · 东湖区") when the areas span several cities."""
    names = dict(zip(counties["county_code"], counties["county_name"]))
    if "city" in counties and counties["city"].dropna().nunique() > 1:
        names = {c: (f"{city} · {n}" if isinstance(city, str) and city else n)
                 for c, n, city in zip(counties["county_code"], counties["county_name"], counties["city"])}
    return names


def one_county(scope: q.Scope) -> bool:
    """Whether the scope lies inside a single county (a county officer's, a street's): its figures break down
    by street, not by its one county."""
    if scope.is_empty or scope.is_everything:
        return False
    return all(len(p) >= 6 for p in scope.prefixes) and len({p[:6] for p in scope.prefixes}) == 1


def _user_scope() -> q.Scope:
    from ui import data

    return data.user_scope()


def area_level(deployment: q.Deployment, area: str | None, scope: q.Scope | None = None) -> tuple[str, str]:
    """The level a page breaks its figures down by, and its heading: streets within a selected county, in a
    county deployment, or for a user whose scope (default: the signed-in user's) is inside one county
    ("street", "各街道（乡镇）"), else counties ("county", "各区县")."""
    if area is not None or deployment.level in ("county", "street"):
        return "street", "各街道（乡镇）"
    if one_county(_user_scope() if scope is None else scope):
        return "street", "各街道（乡镇）"
    return "county", "各区县"


def drill_caption(deployment: q.Deployment, scope: q.Scope, area: str | None) -> str:
    """How the region selector drills down, in the deployment's words."""
    if deployment.level in ("county", "street"):
        return "选择街道（乡镇）只看该街道（乡镇）。" if area is None else \
            f"只显示所选街道（乡镇）；选择“{whole_label(deployment, scope)}”返回全部街道（乡镇）。"
    if one_county(scope):
        return "按街道（乡镇）显示本区县。"
    if area is None:
        return "选择区县可下钻到街道（乡镇）。"
    return f"已下钻到所选区县的街道（乡镇）；选择“{whole_label(deployment, scope)}”返回区县。"


def whole_code(deployment: q.Deployment, scope: q.Scope) -> str | None:
    """The code a link carries for "all of my scope": the deployment's root for a user who sees all of it,
    else the user's one region (None when neither names it by one code)."""
    if deployment.code and scope_covers(scope, deployment.code):
        return deployment.code
    if len(scope.prefixes) == 1 and scope.prefixes[0]:
        # written as the region table writes its codes (12 digits, 330102000000), as the selector's options are
        width = len(deployment.code) if deployment.code else 12
        return scope.prefixes[0].ljust(width, "0")
    return None


OUTSIDE_NOTE = ("链接所指区域不在您的查看范围内，已显示您本辖区的数据。/ The linked area is outside your scope; "
                "showing your own area.")


def region_selector(counties: pd.DataFrame, *, key: str = "region", everything: str | None = None,
                    note: str = "box") -> str | None:
    """Select box: the whole deployment or one area (a county; a street in a county deployment); returns its
    code or None (all of the user's scope). `everything` overrides the whole option's label (see whole_label).

    Kept in the URL as ?region=: the area's code, or the code of the whole the sender saw, so that a recipient
    whose scope is another (a county user opening a city link) is told the page shows their own area: in a box
    under the selector until they choose an area, or (note="toast", for a page that must fit one screen) in a
    toast when the link is opened."""
    from ui import data

    names = area_names(counties)
    options: list[str | None] = [None, *names]
    scope = data.user_scope()
    deployment = data.warehouse().deployment(scope)
    if everything is None:
        everything = whole_label(deployment, scope)
    whole = whole_code(deployment, scope)
    refused = links.seed(key, "region", list(names))
    if refused == whole:
        refused = None
    area = st.selectbox(
        "区域", options, index=0, format_func=lambda c: everything if c is None else names[c], placeholder="选择区域",
        key=key,
    )
    if refused is not None and note == "toast":
        st.toast(OUTSIDE_NOTE, icon=":material/info:")
    elif refused is not None:
        st.session_state[f"{key}__refused"] = True
    if area is not None:
        st.session_state.pop(f"{key}__refused", None)
    if st.session_state.get(f"{key}__refused"):
        st.info(OUTSIDE_NOTE, icon=":material/info:")
    links.keep("region", area or whole)
    return area


def list_cut_note(rows: pd.DataFrame) -> None:
    """Say so when a child-level list stopped at the query's limit (the most urgent rows come first)."""
    from warehouse.queries.ledger import LIST_LIMIT

    if len(rows) >= LIST_LIMIT:
        st.caption(f"名单较长，只列出前 {LIST_LIMIT:,} 人（最紧急的在前）；请选择区县或街道缩小范围后查看全部。")
