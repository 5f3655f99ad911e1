"""数据质量: per department extract, timeliness against its cadence, completeness, rejections, trend."""

import streamlit as st

from ui import auth, data, empty, jobs, ledger
from ui import format as fmt
from ui import upload as up
from warehouse.queries import metrics
from warehouse.queries import quality as q

wh = data.warehouse()
scope = data.user_scope()

user = auth.current_user() or {}
manages = user.get("role") in up.ALL_LANDINGS_ROLES


def landings_block() -> None:
    """Jobs (and 重建 for data officers and admins); every landing with 撤回 for those who manage the data."""
    jobs.status_panel(user=user, can_rebuild=user.get("role") in up.REBUILD_ROLES)
    if manages:
        up.recent_landings(user, everyone=True, key="dq_landings")


st.title("数据质量")
src = wh.query(q.sources, scope)
empty.needs(wh, list(src["source"]), "数据质量")  # never sent: each with its template
if src.empty:
    st.info("尚无已导入的部门数据。")
    landings_block()
    st.stop()
as_of = src["as_of_date"].iloc[0]
as_of = as_of.strftime("%Y-%m-%d") if hasattr(as_of, "strftime") else str(as_of)
st.caption(f"按各数据源的报送周期，对照数据截止日 {as_of}（快照的数据日期）判断是否逾期；拒收率 = 拒收行数 ÷ 读取行数。")

late = src[src["is_late"]]
ledger.kpis([("数据项", len(src)), (metrics.label("extracts_late"), len(late), metrics.help("extracts_late")), ("读取行数", int(src["rows_read"].sum())),
             (metrics.label("rejection_rate"),
              fmt.percent(src["rows_rejected"].sum() / max(int(src["rows_read"].sum()), 1)),
              metrics.help("rejection_rate"))])
ledger.retired_note(wh, scope, user.get("role"))

st.subheader("逾期未报")
if late.empty:
    st.success("各部门数据均已按期报送。")
else:
    st.dataframe(ledger.dq_table(late.assign(cadence=late["cadence"].map(q.CADENCE_LABELS)),
                       ["department", "title", "cadence", "latest_period", "periods_behind"]), hide_index=True)

st.subheader("分部门")
st.dataframe(ledger.dq_table(wh.query(q.departments, scope), ["department", "extracts", "late", "rows_read",
                                                           "rows_rejected", "rejection_rate", "completeness"]),
             hide_index=True, width="stretch")

st.subheader("分数据源")
table = src.assign(cadence=src["cadence"].map(q.CADENCE_LABELS))
st.dataframe(ledger.dq_table(table, ["department", "title", "cadence", "latest_period", "periods_behind", "is_late",
                                    "periods_landed", "periods_expected", "completeness", "rows_read",
                                    "rows_rejected", "rejection_rate", "latest_rejection_rate", "resubmissions"]),
             hide_index=True, width="stretch")

st.subheader("拒收率趋势")
trend = wh.query(q.trend, scope)
multi = trend.groupby("source")["period"].transform("nunique") >= 3
if multi.any():
    st.plotly_chart(ledger.trend_lines(trend[multi]), theme=None, key="dq_trend")
st.subheader("最常见的拒收原因")
reasons = wh.query(q.reasons, scope).rename(columns={"share": "share_rate"})
if reasons.empty:
    st.info("当前各数据源没有被拒收的行。")
else:
    st.dataframe(ledger.dq_table(reasons, ["department", "title", "reason", "rows_rejected", "share_rate"]),
                 hide_index=True, width="stretch")
    st.caption("每个数据源列出最多三类原因；被拒收的行及原因保存在导入目录的 *.rejected.parquet 中。")

landings_block()
