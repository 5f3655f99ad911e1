"""Widgets and figures shared by the key-children, matching and data-quality pages: one ledger of child lists,
so the three pages show, mask and export a child the same way."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from report import export, labels
from ui import auth, theme
from ui import format as fmt


def chinese(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Keep `columns` (in order) with Chinese headers; rates as percentages, flags as 是/否."""
    out = df[columns].copy()
    for c in columns:
        if c.endswith("_rate") or c == "completeness":
            out[c] = [fmt.percent(v) for v in out[c]]
        elif c.startswith("is_"):
            out[c] = ["是" if bool(v) else "否" for v in out[c]]
        elif c.endswith("_date"):
            out[c] = ["" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d") for v in out[c]]
        elif c == "age_years":
            out[c] = out[c].astype("Int64")
        elif out[c].dtype == object or str(out[c].dtype) == "str":
            out[c] = out[c].astype(object).where(out[c].notna(), "")
    return out.rename(columns=labels.LABELS)


def excel(df: pd.DataFrame, title: str, note: str) -> bytes:
    """An .xlsx with a title row addressed to the department, a note row and Chinese headers."""
    return export.to_xlsx_bytes([export.Sheet("名单", df, above=[[title], [note]])])


def download(df: pd.DataFrame, title: str, note: str, file_name: str, key: str) -> None:
    auth.download_button(f"导出 Excel：{fmt.md_escape(title)}", excel(df, title, note), file_name, what=title, key=key,
                       mime=export.XLSX_MIME)


def on_time_rate(children, overdue) -> str:
    """重点对象按期走访率 as shown: the share not overdue under the visit rules ("—" without a count)."""
    if isinstance(children, str) or isinstance(overdue, str) or pd.isna(children) or pd.isna(overdue) or not children:
        return fmt.NONE
    return fmt.percent((children - overdue) / children)


def kpis(items: list[tuple]) -> None:
    """Cards of (label, value) or (label, value, help): help is the figure's definition, shown as (?)."""
    for col, (label, value, *hlp) in zip(st.columns(len(items)), items):
        col.metric(label, value if isinstance(value, str) else fmt.number(value), help=hlp[0] if hlp else None)


def risk_bars(df: pd.DataFrame) -> go.Figure:
    """Key children per risk level, each bar in the app's risk colour (the configured one for levels the
    theme does not know), overdue as a second series."""
    colours = [theme.RISK_COLORS.get(r, c if isinstance(c, str) else theme.PRIMARY)
               for r, c in zip(df["risk_level"], df["colour"])]
    fig = go.Figure()
    fig.add_bar(x=df["risk_level"], y=df["children"], name="重点对象", marker_color=colours,
                text=[fmt.number(v) for v in df["children"]], textposition="outside")
    fig.add_bar(x=df["risk_level"], y=df["overdue"], name="走访逾期", marker_color=theme.NEUTRAL,
                text=[fmt.number(v) for v in df["overdue"]], textposition="outside")
    fig.update_layout(barmode="group", yaxis_title="人数", xaxis_title=None)
    top = int(df["children"].max()) if len(df) else 1
    fig.update_yaxes(range=[0, top * 1.2])
    return theme.apply(fig, height=320)


def overdue_bars(df: pd.DataFrame, label: str) -> go.Figure:
    """Horizontal bars: overdue and on-time children per area (most overdue on top)."""
    df = df.head(15).iloc[::-1]
    names = [n if isinstance(n, str) and n else c for n, c in zip(df["area_name"], df["area_code"])]
    fig = go.Figure()
    fig.add_bar(y=names, x=df["overdue"], name="逾期", orientation="h", marker_color=theme.BAD)
    fig.add_bar(y=names, x=df["children"] - df["overdue"], name="按时", orientation="h", marker_color=theme.GOOD)
    fig.update_layout(barmode="stack", xaxis_title="重点对象（人）", yaxis_title=label)
    return theme.apply(fig, height=max(280, 28 * len(df) + 120))


def rate_bars(df: pd.DataFrame) -> go.Figure:
    """Match rate per street for one check (lowest first)."""
    df = df.sort_values("match_rate", ascending=False)
    names = [n if isinstance(n, str) and n else c for n, c in zip(df["street_name"], df["street_code"])]
    fig = go.Figure(go.Bar(y=names, x=df["match_rate"] * 100, orientation="h", marker_color=theme.PRIMARY,
                           text=[f"{fmt.percent(r.match_rate)}（缺{_count_text(r, 'unmatched')}人）" for r in df.itertuples()],
                           textposition="auto"))
    fig.update_layout(xaxis_title="匹配率（%）", yaxis_title=None, xaxis_range=[0, 100])
    return theme.apply(fig, height=max(280, 26 * len(df) + 100))


def trend_lines(df: pd.DataFrame) -> go.Figure:
    """Rejection rate per period, one line per extract."""
    fig = go.Figure()
    for title, g in df.groupby("title", sort=True):
        fig.add_scatter(x=g["period"], y=g["rejection_rate"] * 100, mode="lines+markers", name=title)
    fig.update_layout(yaxis_title="拒收率（%）", xaxis_title="期别", xaxis_type="category")
    return theme.apply(fig, height=340)


RATE_COLOURS = ["#d9363e", "#f08c2e", "#e8c21a", "#8fbf4f", "#3a9d5d"]  # lowest match rate red
RATE_BREAKS = [0.6, 0.75, 0.85, 0.95]


def rate_colour(rate: float | None) -> list[int]:
    """RGBA fill for a match rate (fixed classes <60%, 60–75%, 75–85%, 85–95%, ≥95%; grey = no data)."""
    if rate is None or pd.isna(rate):
        return [235, 235, 235, 200]
    cls = sum(rate >= b for b in RATE_BREAKS)
    h = RATE_COLOURS[cls].lstrip("#")
    return [int(h[i:i + 2], 16) for i in (0, 2, 4)] + [210]


def rate_legend() -> str:
    names = ["低于60%", "60%—75%", "75%—85%", "85%—95%", "95%及以上"]
    items = "".join(f'<span style="display:inline-block;width:12px;height:12px;background:{c};margin:0 4px 0 10px;'
                    f'vertical-align:middle"></span>{n}' for c, n in zip(RATE_COLOURS, names))
    return f'<div style="font-size:0.85rem">图例：匹配率{items}</div>'


def _count_text(row, column: str) -> str:
    """A count as shown: its label where the door suppressed it ("<5", "*"), else the number."""
    label = getattr(row, f"{column}_label", None)
    if isinstance(label, str) and getattr(row, f"{column}_suppressed", False):
        return label
    value = getattr(row, column)
    return "—" if pd.isna(value) else f"{int(value)}"


def rate_map(streets: pd.DataFrame, shapes: pd.DataFrame):
    """Street choropleth of match rates (plotly, no basemap, offline), labels in Chinese."""
    from ui.charts import area_map

    rows = {r.street_code: r for r in streets.itertuples()}
    fills = {code: rate_colour(r.match_rate) for code, r in rows.items()}
    hover = {code: [f"匹配率：{fmt.percent(r.match_rate)}", f"未匹配：{_count_text(r, 'unmatched')}人"]
             for code, r in rows.items()}
    suffix = {code: f" {fmt.percent(r.match_rate)}" for code, r in rows.items()}
    return area_map(shapes, fills, hover, suffix)


def fmt_date(v) -> str:
    return "—" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")


def due_columns(due: pd.DataFrame) -> list[str]:
    """The due list's columns as pages show them: masked identity, the guardian's masked name and phone where the
    ledger has them (a list never shows them in full), then the visit facts."""
    guardian = [c for c in ("masked_guardian_name", "masked_guardian_phone")
                if c in due.columns and due[c].fillna("").astype(str).str.len().gt(0).any()]
    return ["masked_name", "masked_id", *guardian, "street_name", "director_id", "risk_level", "key_type",
            "last_contact_date", "last_home_visit_date", "next_due_date", "overdue_days", "is_overdue"]


def guardian_line(person: pd.Series) -> str:
    """监护人、联系电话、就读学校 as the ledger has them, for the child's file (full values: the file is
    shown to case roles only, on an audited action); "—" where the ledger has nothing."""
    def text(col: str) -> str:
        v = fmt.dash(person.get(col)).strip()
        return fmt.md_escape(v or fmt.dash(None))

    relation = text("guardian_relation")
    who = text("guardian_name") + ("" if relation == fmt.dash(None) else f"（{relation}）")
    return f"监护人：{who} · 联系电话：{text('guardian_phone')} · 就读学校：{text('school_name')}"


def child_file_action(wh, scope, due: pd.DataFrame) -> None:
    """Case roles: open one child's full file from the masked list, on an explicit, audited action."""
    from warehouse.queries import ledger as lq

    st.subheader("查看儿童完整档案")
    rows = due.reset_index(drop=True)
    pick = st.selectbox(
        "选择儿童（上方脱敏名单中的一行）", rows.index.tolist(), index=None, key="kc_pick", placeholder="选择一名儿童",
        format_func=lambda i: f"{rows.at[i, 'masked_name']} · {rows.at[i, 'masked_id']} · {rows.at[i, 'street_name']}",
    )
    reason = st.text_input("查看事由（必填，记入审计日志）", key="kc_reason", placeholder="例如：入户走访前核对信息")
    if not st.button("查看完整档案", key="kc_open", disabled=pick is None or not reason.strip()):
        return
    key = str(rows.at[pick, "person_key"])
    try:
        file = wh.uncached(lq.child_file, scope, key)
    except lq.CaseAccessDenied as e:
        auth.log("view_child", f"child {key[:12]}", ok=False, detail=str(e))
        st.error(fmt.md_escape(e))
        return
    auth.log("view_child", f"child {key[:12]}", detail=reason.strip())
    person = file["person"].iloc[0]
    with st.container(border=True, key="kc_file"):
        e = fmt.md_escape
        st.markdown(f"**{e(person['name'])}** · 身份证号 {e(person['id_number'])} · {e(person['sex'])} · "
                    f"出生日期 {fmt_date(person['birth_date'])} · {e(person['street_name'])}")
        st.markdown(guardian_line(person))
        st.caption("本次查看已记入审计日志（查看人、时间、事由）。请勿截屏或外传。")
        st.dataframe(chinese(file["ledger"], list(file["ledger"].columns)), hide_index=True)
        st.dataframe(chinese(file["visits"], list(file["visits"].columns)), hide_index=True)


# Row and period counts are whole numbers (sums come back as floats); periods read 2026年上半年, not 2026H1.
_COUNTS = ("extracts", "late", "rows_read", "rows_rejected", "periods_behind", "periods_landed", "periods_expected",
           "resubmissions")


def dq_table(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`columns` of `df` for the screen: Chinese headers, whole counts, Chinese periods, — for nothing."""
    df = df.copy()
    for c in columns:
        if c in _COUNTS and df[c].notna().all():
            df[c] = df[c].round().astype("int64")
        elif c in _COUNTS:
            df[c] = df[c].map(fmt.count)
        elif c == "latest_period":
            df[c] = df[c].map(lambda p: fmt.NONE if fmt.dash(p) == fmt.NONE else fmt.period_label(p))
    return chinese(df, columns)


SETUP_PAGE = "views/setup.py"


def retired_note(wh, scope, role: str | None) -> None:
    """One line when landed extracts still use division codes a landed change table retires: how many rows, and
    where the list is (上线检查, for those who may open it). Nothing when there are none."""
    from auth.roles import pages_for
    from warehouse.queries import quality

    rows = int(wh.query(quality.retired_rows, scope)["rows"].iloc[0])
    if not rows:
        return
    st.info(f"已导入的数据中有 {fmt.number(rows)} 行仍使用已停用的区划代码（已导入的区划变更对照表撤销了这些代码，"
            "含变更前各期的数据）；拆分的区划无法自动对应，须由报送部门按现区划核对后重新报送。")
    if "setup" in pages_for(role or ""):
        st.page_link(SETUP_PAGE, label="在上线检查查看区划变更名单", icon=":material/list:")
    else:
        st.caption("区划变更名单见上线检查页（系统管理员、数据专员）。")
