"""Helpers of the 服务缺口 page: labels, tables with Chinese headers, Excel files, plotly figures."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from report import export, labels
from ui import auth, theme
from ui import format as fmt
from warehouse.queries import metrics, privacy

INDEX = "index"
INDEX_LABEL = "综合缺口指数"
SHORT_COLOR, MET_COLOR = theme.BAD, theme.GOOD

# This page's own names for two columns other pages use otherwise: a standard's 来源 (elsewhere a data
# source, 数据源) and a weight's 理由 (elsewhere a rejection's 原因); headers come from report/labels.
OWN_NAMES = {"source": "standard_source", "reason": "weight_reason"}


def header(column: str) -> str:
    """The Chinese header of a column of this page's tables."""
    return labels.label(OWN_NAMES.get(column, column))


# The two orders a planner can choose for a gap with a standard; the chart and the table follow the same one.
SORT_KEYS = {"gap_share": "缺口率", "shortfall": "缺口数"}


def is_share(row: pd.Series) -> bool:
    """Whether the gap's ratio is a percentage (per 100 and named 比例/率), so it is shown with %."""
    basis = str(row["basis"])
    return float(row["per"]) == 100 and ("比例" in basis or basis.endswith("率"))


# Gaps whose rate is also a figure of the metric catalogue (config/metrics.csv): the card takes its name and
# (?) definition from there, so the same figure has the same name wherever it appears.
METRIC_OF_GAP = {"vaccination": "vaccination_on_schedule", "visit_compliance": "visit_3m_share",
                 "health_records": "health_record_share_gap", INDEX: "gap_index"}


def _metric(gap_id: str):
    try:
        return metrics.get(METRIC_OF_GAP[gap_id])
    except KeyError:
        return None


def rate_label(gap_id: str, row: pd.Series) -> str:
    """The name of the gap's rate: the catalogue's where it has the figure, else the standard's basis."""
    m = _metric(gap_id)
    return m.name_zh if m else str(row["basis"])


def rate_help(gap_id: str, table: pd.DataFrame, row: pd.Series) -> str:
    """The (?) of the gap's rate: the catalogue's definition, else supply ÷ demand (× per) over the scope."""
    if _metric(gap_id):
        return metrics.help(METRIC_OF_GAP[gap_id])
    per = "" if float(row["per"]) == 1 else f" × {float(row['per']):g}"
    # Streamlit renders a (?) as Markdown: the names are data (standards, landed names) and are escaped.
    supply, demand = fmt.md_escape(table["supply_name"].iloc[0]), fmt.md_escape(table["demand_name"].iloc[0])
    return f"{supply} ÷ {demand}{per}（所选范围合计）"


def sort_caption(key: str, has_standard: bool) -> str:
    """The caption that states the order the chart and the table share."""
    if not has_standard:
        return "图和表均按现状比值从小到大排列；小数保护隐藏（<5 或 *）的地区排在最后。"
    other = "缺口率从大到小，其次缺口数" if key == "gap_share" else "缺口数从大到小，其次缺口率"
    return (f"图和表均按{SORT_KEYS[key]}排列（{other}）；缺口率 = 缺口 ÷ 按标准应有；"
            "小数保护隐藏（<5；* 为防止由合计反推而一并隐藏）的地区无法排序，排在最后。")


def ordered(df: pd.DataFrame, key: str, has_standard: bool = True) -> pd.DataFrame:
    """`df` in the order the user chose (`key`: gap_share or shortfall, largest first; ratio, smallest first,
    for gaps without a standard), rows whose key is hidden by the small-number rule last, with `position`
    (1, 2, … in that order; missing for the hidden rows, whose place is unknown)."""
    if not has_standard:
        by, asc = ["ratio", "area_code"], [True, True]
    else:
        second = "shortfall" if key == "gap_share" else "gap_share"
        by, asc = [key, second, "area_code"], [False, False, True]
    hidden = df[by[0]].isna()
    d = pd.concat([df[~hidden].sort_values(by, ascending=asc, kind="stable"),
                   df[hidden].sort_values("area_code", kind="stable")])
    d = d.assign(position=pd.array(list(range(1, int((~hidden).sum()) + 1)) + [pd.NA] * int(hidden.sum()),
                                   dtype="Int64"))
    return d


def _hidden(row, *cols: str) -> str | None:
    """The mark of the first of `cols` the small-number rule hid in this row ("<5" or "*"), else None."""
    for c in cols:
        flag = getattr(row, f"{c}_suppressed", False)
        if flag is not None and not pd.isna(flag) and bool(flag):
            label = getattr(row, f"{c}_label", None)
            return label if isinstance(label, str) and label else privacy.mark()
    return None


def shown(df: pd.DataFrame, share: bool) -> pd.DataFrame:
    """A text copy of a gap table for the screen: counts with separators, shares with %, "<5" where the
    small-number rule hid a count or anything derived from it, "—" where a figure does not exist."""
    out = pd.DataFrame(index=df.index)
    rows = list(df.itertuples(index=False))
    for c in df.columns:
        out[c] = df[c]
    for c in ("supply", "demand"):
        if c in df:
            out[c] = [_hidden(r, c) or fmt.count(getattr(r, c)) for r in rows]
    for c, f in (("shortfall", fmt.count), ("gap_share", fmt.percent),
                 ("ratio", fmt.percent if share else fmt.decimal), ("required", fmt.decimal)):
        if c in df:
            vals = []
            for r in rows:
                v = getattr(r, c)
                if c == "ratio" and share and not pd.isna(v):
                    v = v / 100
                mark = _hidden(r, "demand", "supply") if pd.isna(v) else None
                vals.append(mark or f(v))
            out[c] = vals
    if "standard_value" in df:
        out["standard_value"] = [fmt.dash(None if pd.isna(v) else
                                          (fmt.percent(v / 100, digits=0 if float(v).is_integer() else 1)
                                           if share else fmt.number(v))) for v in df["standard_value"]]
    for c in ("position", "rank"):
        if c in df:
            out[c] = [fmt.dash(None if pd.isna(v) else str(int(v))) for v in df[c]]
    return out


def standard_value(row: pd.Series) -> str:
    """The standard as shown: “90%” for a share, “4.5” otherwise."""
    v = float(row["standard_value"])
    if is_share(row):
        return fmt.percent(v / 100, digits=0 if v.is_integer() else 1)
    return fmt.number(v)


def standard_short(row: pd.Series) -> str:
    """“每千常住人口托位数 ≥ 4.5” (or “…（暂无标准）”) for a table column."""
    if pd.isna(row["standard_value"]):
        return f"{row['basis']}（暂无标准）"
    return f"{row['basis']} ≥ {standard_value(row)}"


LEAGUE_COLUMNS = ["position", "area_name", "county_name", "demand", "supply", "ratio", "required", "shortfall",
                  "gap_share", "standard"]


def league(streets: pd.DataFrame, row: pd.Series, key: str, n: int) -> pd.DataFrame:
    """The `n` streets of the whole scope (all its counties at once) that most need the service, by `key`,
    with their county, demand, supply, shortfall, rate and the standard they are measured against."""
    top = ordered(streets, key, bool(row["has_standard"]))
    top = top[top["position"].notna()].head(n)
    return top.assign(standard=standard_short(row))


def side_headers(df: pd.DataFrame) -> dict[str, str]:
    """Headers naming what demand and supply count (需求：村（社区）数), so a row reads as its own reason."""
    if df.empty:
        return {}
    first = df.iloc[0]
    return {"demand": f"需求：{first['demand_name']}", "supply": f"供给：{first['supply_name']}"}


def column_width(header: str, values=()) -> int:
    """Pixels a column needs to show its header and its longest value uncut (13.5 px a CJK character at the app's
    table font size, 7.5 px other characters, plus the cell's padding)."""
    def px(text: object) -> float:
        return sum(13.5 if ord(ch) > 0x2E80 else 7.5 for ch in str(text))

    longest = max((px(v) for v in list(values)[:500] if v is not None and not pd.isna(v)), default=0)
    return int(max(px(header), longest) + 26)


def text_columns(df: pd.DataFrame, columns: list[str], headers: dict[str, str] | None = None) -> dict:
    """Text column configs with Chinese headers (report/labels, or `headers` where given), each wide enough for its
    header: a header such as 需求：常住人口 or 缺口（单位数） is never cut on a 1366-pixel screen."""
    names = {c: header(c) for c in columns} | (headers or {})
    return {c: st.column_config.TextColumn(names[c], width=column_width(names[c], df.get(c, ())))
            for c in columns}


def text_table(df: pd.DataFrame, columns: list[str], *, key: str, headers: dict[str, str] | None = None) -> None:
    """A preformatted (text) table with Chinese headers (report/labels, or `headers` where given), in the order of `df`."""
    st.dataframe(df[columns], hide_index=True, column_order=columns, column_config=text_columns(df, columns, headers),
                 key=key)


def excel(df: pd.DataFrame, columns: list[str], sheet: str = "数据") -> bytes:
    """An .xlsx file of `columns` of `df` with the Chinese headers of report/labels. Numbers stay numbers; 缺口率
    is in percent (70.4, header 缺口率（%）) as on screen and in the pack; a figure the small-number rule hid
    reads "<5" (or "*"), not an empty cell."""
    out = df[columns].copy()
    rows = list(df.itertuples(index=False))
    for c in ("supply", "demand", "ratio", "required", "shortfall", "gap_share"):
        if c not in out:
            continue
        own = [c] if c in ("supply", "demand") else ["demand", "supply"]
        vals = [float(v) * 100 if c == "gap_share" and not pd.isna(v) else v for v in df[c]]
        vals = [round(v, 1) if c == "gap_share" and not pd.isna(v) else v for v in vals]
        out[c] = pd.Series([(_hidden(r, *own) or None) if pd.isna(v) else v for r, v in zip(rows, vals)],
                           index=out.index, dtype=object)
    out.columns = ["缺口率（%）" if c == "gap_share" else header(c) for c in out.columns]
    return export.to_xlsx_bytes([export.Sheet(sheet, out, width=16)])


def download(df: pd.DataFrame, columns: list[str], name: str, key: str) -> None:
    """A download button offering the table as Excel with Chinese headers."""
    auth.download_button(
        f"下载“{fmt.md_escape(name)}”（Excel）", excel(df, columns, name), f"{name}.xlsx", what=name, key=key,
        mime=export.XLSX_MIME,
    )


def table(df: pd.DataFrame, columns: list[str], *, percent: tuple[str, ...] = ("gap_share",), key: str) -> None:
    """A dataframe with Chinese headers; numbers stay numeric so columns sort."""
    config = {}
    for c in columns:
        w = column_width(header(c), df[c] if c in df and not pd.api.types.is_numeric_dtype(df[c]) else ())
        if c in percent:
            config[c] = st.column_config.NumberColumn(header(c), format="percent", width=w)
        elif c in ("ratio", "gap_index", "required"):
            config[c] = st.column_config.NumberColumn(header(c), format="%.1f", width=w)
        elif pd.api.types.is_numeric_dtype(df[c]):
            config[c] = st.column_config.NumberColumn(header(c), format="localized", width=w)
        else:
            config[c] = st.column_config.TextColumn(header(c), width=w)
    st.dataframe(df, hide_index=True, column_order=columns, column_config=config, key=key)


def standard_text(row: pd.Series) -> str:
    """“标准：每千常住人口托位数 ≥ 4.5” or the note that there is no standard."""
    if pd.isna(row["standard_value"]):
        return f"**{fmt.md_escape(row['basis'])}**：暂无标准，只显示现状比值，不计算缺口。"
    value = standard_value(row)
    return f"**标准：{fmt.md_escape(row['basis'])} ≥ {value}**"


def period_note(sources: pd.DataFrame) -> str:
    """“各数据所用期次：托位数据：2026Q3 · 常住人口：2025 …” (the latest landing of each source)."""
    e = fmt.md_escape
    return "各数据所用期次：" + " · ".join(f"{e(r.source_label)}：{e(r.source_period)}" for r in sources.itertuples())


def shortfall_bar(d: pd.DataFrame, unit: str, key: str = "gap_share") -> go.Figure:
    """Bars of the gap per area in the order of `d` (see `ordered`): 缺口率 in % or 缺口数 in units, by `key`.
    Areas whose figure the small-number rule hid keep their place at the end, with no bar and "<5"."""
    raw = d[key].astype("Float64")
    y = [None if pd.isna(v) else (float(v) * 100 if key == "gap_share" else int(v)) for v in raw]
    rows = list(d.itertuples(index=False))
    text = [(_hidden(r, "demand", "supply") or "—") if v is None else
            (fmt.percent(v / 100) if key == "gap_share" else fmt.count(v)) for r, v in zip(rows, y)]
    fig = go.Figure(go.Bar(
        x=d["area_name"], y=y, text=text, textposition="outside", cliponaxis=False,
        marker_color=[MET_COLOR if v == 0 else SHORT_COLOR for v in y],
        hovertemplate="%{x}：%{text}<extra></extra>",
    ))
    title = "缺口率（%）" if key == "gap_share" else f"缺口（{unit}）"
    top = max([v for v in y if v is not None], default=0)
    fig.update_layout(yaxis_title=title, xaxis_title=None, showlegend=False)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=list(d["area_name"]))
    fig.update_yaxes(range=[0, max(1.0, float(top)) * 1.2], ticksuffix="%" if key == "gap_share" else "",
                     tickformat=".0f" if key == "gap_share" else ",d")
    return theme.apply(fig)


def ratio_bar(d: pd.DataFrame, label: str, share: bool = False) -> go.Figure:
    """Bars of the ratio per area (for gaps without a standard) in the order of `d`, hidden ones last."""
    y = [None if pd.isna(v) else float(v) for v in d["ratio"]]
    rows = list(d.itertuples(index=False))
    text = [(_hidden(r, "demand", "supply") or "—") if v is None else (fmt.percent(v, points=True) if share else fmt.decimal(v))
            for r, v in zip(rows, y)]
    fig = go.Figure(go.Bar(
        x=d["area_name"], y=y, text=text, textposition="outside", cliponaxis=False,
        marker_color=theme.PRIMARY, hovertemplate="%{x}：%{text}<extra></extra>",
    ))
    fig.update_layout(yaxis_title=label, xaxis_title=None, showlegend=False)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=list(d["area_name"]))
    return theme.apply(fig)


def index_bar(df: pd.DataFrame, grouped: bool = True) -> go.Figure:
    """Bars of the composite index per area, largest first; coloured 主城区/县域 only where the region table
    makes that distinction (`grouped`), else all in one colour."""
    d = df.sort_values(["gap_index", "area_code"], ascending=[False, True])
    fig = go.Figure(go.Bar(
        x=d["area_name"], y=d["gap_index"], text=[fmt.decimal(v) for v in d["gap_index"]], textposition="outside",
        marker_color=[theme.PALETTE[1] if grouped and g == "县域" else theme.PRIMARY for g in d["area_group"]],
        hovertemplate="%{x}：%{y:.1f}<extra></extra>",
    ))
    fig.update_layout(yaxis_title=INDEX_LABEL, xaxis_title=None, showlegend=False)
    fig.update_yaxes(range=[0, max(10.0, float(d["gap_index"].max()) if len(d) else 10.0) * 1.2])
    return theme.apply(fig)


# Label placement of the demand-supply scatter. Positions are tried in this order around each point; the
# offsets are in pixels from the point to the label's centre, for a label `w` wide and `h` high.
LABEL_FONT_PX = 12
_MARK_PX = 12
_POSITIONS = (
    ("top center", lambda w, h: (0.0, h / 2 + 7)),
    ("bottom center", lambda w, h: (0.0, -h / 2 - 7)),
    ("middle right", lambda w, h: (w / 2 + 8, 0.0)),
    ("middle left", lambda w, h: (-w / 2 - 8, 0.0)),
    ("top right", lambda w, h: (w / 2 + 4, h / 2 + 4)),
    ("top left", lambda w, h: (-w / 2 - 4, h / 2 + 4)),
    ("bottom right", lambda w, h: (w / 2 + 4, -h / 2 - 4)),
    ("bottom left", lambda w, h: (-w / 2 - 4, -h / 2 - 4)),
)
# The plot area the placement plans for: the narrower of the two screens the page is made for (the scatter
# takes half the page at 1366×768, about 340 × 260 px inside its axes); a wider screen only moves labels apart.
PLOT_PX = (340, 260)


def label_width(text: str, font_px: int = LABEL_FONT_PX) -> float:
    """A label's width in pixels: a CJK character is about one font size wide, others about half."""
    return sum(font_px if ord(ch) > 0x2E80 else font_px * 0.6 for ch in str(text)) + 2


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(x: list[float], y: list[float], names: list[str], order: list[int],
                 x_max: float, y_max: float, plot: tuple[int, int] = PLOT_PX) -> list[str | None]:
    """A text position for each point's label such that no two labels, and no label and another point, overlap
    in a plot `plot` pixels wide and high with axes 0..x_max and 0..y_max; None where no position is free (that
    point shows its name on hover only). Points are served in `order` (the most important first)."""
    w_px, h_px = plot
    px = [0.0 if x_max <= 0 else float(v) / x_max * w_px for v in x]
    py = [0.0 if y_max <= 0 else float(v) / y_max * h_px for v in y]
    r = _MARK_PX / 2
    taken = [(a - r, b - r, a + r, b + r) for a, b in zip(px, py)]
    out: list[str | None] = [None] * len(x)
    h = LABEL_FONT_PX + 4
    for i in order:
        w = label_width(names[i])
        for name, offset in _POSITIONS:
            dx, dy = offset(w, h)
            cx, cy = px[i] + dx, py[i] + dy
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            if box[0] < -20 or box[2] > w_px + 20 or box[1] < -10 or box[3] > h_px + 10:
                continue
            if any(_overlap(box, t) for t in taken):
                continue
            taken.append(box)
            out[i] = name
            break
    return out


def demand_supply_scatter(df: pd.DataFrame, row: pd.Series) -> go.Figure:
    """Demand (x) against supply (y) per area, with the standard as the line supply = standard × demand / per.

    Names are placed around their points so that no two overlap (`place_labels`); where counties crowd so
    that no place is free, the name shows on hover only and the table beside the chart lists every area."""
    fig = go.Figure()
    d_all = df.reset_index(drop=True)
    demand = [0.0 if pd.isna(v) else float(v) for v in d_all["demand"]]
    supply = [0.0 if pd.isna(v) else float(v) for v in d_all["supply"]]
    has_line = not pd.isna(row["standard_value"])
    top = max(demand, default=0.0)
    x_max = max(top, 1.0) * 1.1
    line_top = float(row["standard_value"]) * x_max / float(row["per"]) if has_line else 0.0
    y_max = max([*supply, line_top if has_line else 0.0, 1.0]) * 1.1
    if "shortfall" in d_all and d_all["shortfall"].notna().any():
        order = sorted(range(len(d_all)), key=lambda i: (-(0 if pd.isna(d_all["shortfall"][i])
                                                              else float(d_all["shortfall"][i])), i))
    else:
        order = sorted(range(len(d_all)), key=lambda i: -demand[i])
    places = place_labels(demand, supply, [str(n) for n in d_all["area_name"]], order, x_max, y_max)
    for group, color in (("主城区", theme.PRIMARY), ("县域", theme.PALETTE[1])):
        idx = [i for i, g in enumerate(d_all["area_group"]) if g == group]
        if not idx:
            continue
        fig.add_scatter(
            x=[demand[i] for i in idx], y=[supply[i] for i in idx], mode="markers+text", name=group,
            text=[str(d_all["area_name"][i]) if places[i] else "" for i in idx],
            textposition=[places[i] or "top center" for i in idx],
            textfont={"size": LABEL_FONT_PX}, marker={"size": _MARK_PX, "color": color},
            customdata=[str(d_all["area_name"][i]) for i in idx],
            hovertemplate="%{customdata}<br>需求 %{x:,}<br>供给 %{y:,}<extra></extra>",
        )
    if has_line and top > 0:
        fig.add_scatter(
            x=[0, x_max], y=[0, line_top], mode="lines",
            name=f"标准线（{standard_value(row)}）", line={"color": SHORT_COLOR, "dash": "dash"},
            hoverinfo="skip",
        )
    fig.update_layout(xaxis_title=f"需求：{df['demand_name'].iloc[0]}" if len(df) else "需求",
                      yaxis_title=f"供给：{df['supply_name'].iloc[0]}" if len(df) else "供给")
    fig.update_xaxes(range=[0, x_max], tickformat=",d")
    fig.update_yaxes(range=[0, y_max])
    return theme.apply(fig)


def measures_wide(df: pd.DataFrame) -> pd.DataFrame:
    """Long demand/supply figures → one row per area, one column per measure (Chinese labels), as text:
    exact counts with separators, "<5" (or "*") where the small-number rule hid one."""
    if df.empty:
        return pd.DataFrame(columns=[labels.label("area_name")])
    hidden = df["value_suppressed"].fillna(False).astype(bool) if "value_suppressed" in df else False
    marks = df["value_label"] if "value_label" in df else pd.Series("", index=df.index)
    text = [lab if h else fmt.count(v) for v, h, lab in
            zip(df["value"], hidden if not isinstance(hidden, bool) else [False] * len(df), marks)]
    wide = df.assign(text=text).pivot_table(index=["area_code", "area_name"], columns="measure_label", values="text",
                                            aggfunc="first", sort=False).reset_index()
    order = list(dict.fromkeys(df["measure_label"]))
    wide = wide[["area_code", "area_name", *order]].fillna("—")
    wide.columns.name = None
    return wide.rename(columns=labels.headers(["area_code", "area_name"]))


# Fixed classes of the gap share (unmet share of what the standard requires; the index is the same ×100),
# so maps of different gaps read alike: 达标 in green, then deepening reds.
GAP_CLASSES = [(0.0, "#41ab5d", "达标（无缺口）"), (0.10, "#fee8c8", "缺口率 ≤10%"), (0.25, "#fdbb84", "10%—25%"),
               (0.50, "#e34a33", "25%—50%"), (1.01, "#b30000", "50%以上")]


def _gap_fill(share: float | None) -> list[int] | None:
    if share is None or pd.isna(share):
        return None
    colour = next(c for upper, c, _ in GAP_CLASSES if share <= upper)
    h = colour.lstrip("#")
    return [int(h[i:i + 2], 16) for i in (0, 2, 4)] + [210]


def gap_map(table: pd.DataFrame, shapes: pd.DataFrame, index: bool, unit: str = ""):
    """Choropleth of the selected gap (or the index) by area, with the shortfall in the hover text."""
    from ui.charts import area_map

    share = table["gap_index"] / 100 if index else table["gap_share"]
    fills, hover, suffix = {}, {}, {}
    what = "综合缺口指数" if index else "缺口率"
    for code, name_share, row in zip(table["area_code"], share, table.itertuples()):
        fill = _gap_fill(name_share)
        if fill is not None:
            fills[code] = fill
        mark = None if index or not pd.isna(name_share) else _hidden(row, "demand", "supply")
        text = (mark or "—") if pd.isna(name_share) else (fmt.decimal(name_share * 100) if index else fmt.percent(name_share))
        hover[code] = [f"{what}：{text}"] + ([] if index else [f"缺口：{mark or f'{fmt.count(row.shortfall)}{unit}'}"])
        suffix[code] = f" {text}"
    return area_map(shapes, fills, hover, suffix)


def gap_legend() -> str:
    items = "".join(f'<span style="display:inline-block;width:12px;height:12px;background:{c};margin:0 4px 0 10px;'
                    f'vertical-align:middle"></span>{n}' for _, c, n in GAP_CLASSES)
    return f'<div style="font-size:0.85rem">图例：{items}（灰色为无数据；综合指数按同样分级 ×100）</div>'


def _league_scope(streets: pd.DataFrame) -> str:
    return "全部区县的" if streets["county_code"].nunique() > 1 else "本区县全部"


def league_section(streets: pd.DataFrame, row: pd.Series, key: str, period: str) -> None:
    """“最需要补足的街道（乡镇）”: a top-N league of the streets of every county in scope, on one screen."""
    name = fmt.md_escape(row["gap_name"])
    st.subheader(f"{_league_scope(streets)}街道（乡镇）排名：{name}")
    if streets.empty:
        st.info("所选范围内暂无街道（乡镇）数据。")
        return
    n = st.select_slider("显示前几名", options=[3, 5, 10, 20, 50], value=10, key="league_n")
    top = league(streets, row, key, n)
    counties = streets["county_code"].nunique()
    order = SORT_KEYS[key] if row["has_standard"] else "现状比值（从小到大）"
    st.caption(f"在{counties}个区县的{len(streets)}个街道（乡镇）中按{order}排名，不分区县；"
               f"对照标准：{fmt.md_escape(standard_short(row))}。小数保护隐藏（<5）的街道无法排名，不列入。")
    text_table(shown(top, is_share(row)), LEAGUE_COLUMNS, key="league_table",
               headers={**side_headers(streets), "area_name": "街道（乡镇）"})
    download(top.rename(columns={"area_name": "street_name"}),
             ["position", "street_name", "county_name", "demand_name", "demand", "supply_name", "supply", "ratio",
              "required", "shortfall", "gap_share", "standard"], f"{row['gap_name']}街道排名_{period}", "dl_league")


def index_league_section(streets: pd.DataFrame, detail: pd.DataFrame, period: str) -> None:
    """The streets of every county in scope by composite index, with each street's largest gap (the why)."""
    st.subheader(f"{_league_scope(streets)}街道（乡镇）排名：{INDEX_LABEL}")
    if streets.empty:
        st.info("所选范围内暂无街道（乡镇）数据。")
        return
    n = st.select_slider("显示前几名", options=[3, 5, 10, 20, 50], value=10, key="league_n")
    d = streets[streets["gap_index"].notna()].sort_values(["gap_index", "area_code"], ascending=[False, True])
    known = detail[detail["gap_share"].notna()].sort_values(["area_code", "gap_share", "shortfall"],
                                                             ascending=[True, False, False])
    worst = known.drop_duplicates("area_code").set_index("area_code")
    why = {code: f"{r.gap_name}（缺口率 {fmt.percent(r.gap_share)}，缺口 {fmt.count(r.shortfall)}{r.unit}）"
           for code, r in worst.iterrows()}
    top = d.head(n).assign(position=range(1, min(n, len(d)) + 1))
    top = top.assign(worst=[why.get(c, "—") for c in top["area_code"]],
                     gap_index_text=[fmt.decimal(v) for v in top["gap_index"]])
    st.caption(f"在{streets['county_code'].nunique()}个区县的{len(streets)}个街道（乡镇）中按综合缺口指数从大到小排名，"
               "不分区县；“最大缺口”为该街道缺口率最高的一项。")
    shown = top.rename(columns={"worst": "最大缺口"})[["position", "area_name", "county_name", "gap_index_text",
                                                       "gaps_counted", "最大缺口"]]
    shown = shown.assign(position=shown["position"].astype(str), gaps_counted=shown["gaps_counted"].astype(str))
    config = text_columns(shown, list(shown.columns), {"position": "名次", "area_name": "街道（乡镇）",
                                                       "gap_index_text": INDEX_LABEL, "最大缺口": "最大缺口"})
    st.dataframe(shown, hide_index=True, column_config=config, key="index_league_table")
    download(top, ["position", "area_name", "county_name", "gap_index", "gaps_counted", "worst"],
             f"综合缺口指数街道排名_{period}", "dl_index_league")
