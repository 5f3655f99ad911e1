"""Helpers for the 志愿服务 and 数据上传 pages: Chinese tables, charts, KPI cards, and the upload flow.

The upload flow (template → preview → land + build) is plain functions here so tests can drive it
without a browser; views/upload.py only wires them to widgets.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from etl import land as etl_land
from etl.contracts import get_source
from report import export
from ui import format as fmt
from ui import theme
from ui.gaps import download, excel
from warehouse.build import build
from warehouse.queries.privacy import suppress

# Said instead of the unpaired list to roles without case access (the list is case work, auth/roles.py).
UNPAIRED_ELSEWHERE = ("重点儿童的结对覆盖情况见上方指标卡和“重点儿童多、活动少的社区”表；"
                      "未结对儿童的名单由个案工作者（儿童主任）在“志愿服务”页查看，并据此联系志愿者结对。")

UPLOAD_SOURCES = {"activities": "志愿服务活动记录", "volunteers": "志愿者名册", "pairings": "结对帮扶（1+X）"}

HEADERS = {
    "period": "月份", "held": "已开展活动", "planned": "计划活动", "cancelled": "取消活动",
    "participants": "参与儿童人数", "person_times": "服务人次", "volunteer_hours": "志愿服务时长（小时）",
    "team_type": "队伍类型", "teams": "队伍数", "volunteers": "志愿者", "active_volunteers": "活跃志愿者",
    "agent_parents": "代理家长", "activities": "已开展活动", "street_code": "街道代码", "street_name": "街道",
    "county_name": "区县", "migrant": "流动儿童", "per_1000": "每千名流动儿童活动场次",
    "community_code": "社区代码", "community_name": "社区", "key_children": "重点儿童", "paired": "已结对",
    "street_activities": "所在街道近12个月活动",
    "team_id": "队伍编号", "team_name": "队伍名称", "last_activity_date": "最近活动日期",
    "days_since_activity": "距今天数", "service_type": "服务类型", "needs": "走访记录需求次数",
    "need_share": "需求占比", "offer_share": "活动占比", "gap": "需求占比−活动占比",
    "masked_name": "姓名（脱敏）", "masked_id": "身份证号（脱敏）", "key_type": "对象类型",
}


def chinese(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`columns` of `df` with Chinese headers."""
    return df[columns].rename(columns=HEADERS)


def table_with_download(df: pd.DataFrame, columns: list[str], name: str, key: str, height: int | str = "auto",
                        percent: tuple[str, ...] = ()) -> None:
    """A dataframe with Chinese headers and an Excel download of the same table; `percent` columns shown as %."""
    t = chinese(df, columns)
    for c in t.columns:
        if pd.api.types.is_datetime64_any_dtype(t[c]):
            t[c] = t[c].dt.strftime("%Y-%m-%d")
    config = {HEADERS.get(c, c): st.column_config.NumberColumn(format="percent") for c in percent}
    st.dataframe(t, hide_index=True, width="stretch", height=height, column_config=config)
    download(t, list(t.columns), name, key)


def suppressed_counts(df: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    """Counts of children below the small-number threshold shown as "<5" (warehouse.queries.privacy)."""
    out = suppress(df, counts)
    for c in counts:
        out[c] = out[f"{c}_label"]
    return out


def goal_progress(k: pd.Series, goals: pd.DataFrame) -> list[tuple[str, str, str | None]]:
    """(label, value text, goal text) for the KPI cards against annual goals."""
    g = {r.measure: r.annual_goal for r in goals.itertuples()}
    out = []
    for measure, label, value in (("person_times", "服务人次（本年）", k["person_times"]),
                                  ("activities", "已开展活动（本年）", k["activities"]),
                                  ("pairing_coverage", "重点儿童结对覆盖率", k["pairing_coverage"])):
        goal = g.get(measure)
        if measure == "pairing_coverage":
            text, goal_text = fmt.percent(value), (f"年度目标 {fmt.percent(goal)}" if goal else None)
        else:
            share = value / goal if goal else None
            text = f"{int(value):,}"  # exact: a monthly upload of a few rows must show
            goal_text = f"年度目标 {fmt.number(goal)}，完成 {fmt.percent(share)}" if goal else None
        out.append((label, text, goal_text))
    return out


def kpi_cards(cards: list[tuple[str, str, str | None]]) -> None:
    for col, (label, value, note) in zip(st.columns(len(cards)), cards):
        col.metric(label, value)
        if note:
            col.caption(note)


def trend(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(x=df["period"], y=df["person_times"], name="服务人次", marker_color=theme.FEDERATION)
    fig.add_scatter(x=df["period"], y=df["held"], name="已开展活动", yaxis="y2", mode="lines+markers",
                    line={"color": theme.NEUTRAL})
    fig.add_scatter(x=df["period"], y=df["planned"], name="计划活动", yaxis="y2", mode="lines",
                    line={"color": theme.FEDERATION_SECONDARY, "dash": "dot"})
    fig.update_layout(yaxis={"title": "服务人次", "rangemode": "tozero", "tickformat": ",d"},
                      yaxis2={"title": "活动场次", "overlaying": "y", "side": "right", "rangemode": "tozero",
                              "tickformat": ",d", "showgrid": False},
                      legend={"orientation": "h", "y": 1.12}, xaxis={"type": "category"})
    return theme.apply(fig, height=340)


def hbar(df: pd.DataFrame, y: str, x: str, label: str, colour: str = theme.FEDERATION, fmt_text: str = "{:,.0f}") -> go.Figure:
    d = df.dropna(subset=[x])
    fig = go.Figure(go.Bar(x=d[x], y=d[y], orientation="h", marker_color=colour,
                           text=[fmt_text.format(v) for v in d[x]], textposition="auto"))
    fig.update_layout(xaxis={"title": label}, yaxis={"autorange": "reversed", "type": "category"})
    return theme.apply(fig, height=max(220, 40 * len(d) + 80))


def needs_bars(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    fig.add_bar(y=df["service_type"], x=df["need_share"], name="走访记录的需求占比", orientation="h",
                marker_color=theme.FEDERATION)
    fig.add_bar(y=df["service_type"], x=df["offer_share"], name="已开展活动占比", orientation="h",
                marker_color=theme.FEDERATION_SECONDARY)
    fig.update_layout(barmode="group", xaxis={"tickformat": ".0%"}, yaxis={"autorange": "reversed"},
                      legend={"orientation": "h", "y": 1.1})
    return theme.apply(fig, height=max(300, 34 * len(df) + 100))


# --------------------------------------------------------------------------------------------
# Upload flow


def template(source: str) -> bytes:
    """An empty Excel template with the contract's Chinese headers for `source`."""
    labels = [c.label for c in get_source(source).columns]
    return excel(pd.DataFrame(columns=labels), labels, get_source(source).title)


UPLOAD_PREFIX = "tongxin-upload-"
UPLOAD_MAX_AGE = 2 * 3600  # seconds: an upload left this long in preview is abandoned (the page writes it again)
_NAME_BYTES = 200  # file systems allow 255 bytes per name; leave room


def uploads_dir(root: Path | str | None = None) -> Path:
    """<data dir>/uploads (mode 700): uploaded sheets between preview and confirm, one folder each."""
    folder = etl_land.data_dir(root) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    if stat.S_IMODE(folder.stat().st_mode) != 0o700:
        os.chmod(folder, 0o700)
    return folder


def _safe_name(name: str) -> str:
    """The uploaded file's own name, as a plain file name that fits: no folders, no control characters,
    at most _NAME_BYTES bytes, suffix kept (the load log records the name; readers look at the bytes)."""
    base = re.split(r"[/\\]", str(name or ""))[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "_", base).strip().lstrip(".") or "upload"
    stem, dot, suffix = base.rpartition(".")
    if not dot or len(suffix.encode("utf-8")) > 10:
        stem, suffix = base, ""
    room = _NAME_BYTES - len(suffix.encode("utf-8")) - 1
    stem = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore") or "upload"
    return f"{stem}.{suffix}" if suffix else stem


def save_upload(name: str, data: bytes, previous: Path | None = None, root: Path | str | None = None) -> Path:
    """Write an uploaded file to its own private folder under the data dir (folders 700, file 600).

    Uploaded sheets hold children's names and raw ID numbers: the session's previous upload is removed,
    and so is any upload abandoned for more than UPLOAD_MAX_AGE (see sweep_uploads)."""
    discard_upload(previous)
    sweep_uploads(root)
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX, dir=uploads_dir(root)))  # mode 700
    path = folder / _safe_name(name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def discard_upload(path: Path | str | None) -> None:
    """Remove an uploaded file's folder (after it was landed, cancelled, or the uploader was emptied)."""
    if path is not None and Path(path).parent.name.startswith(UPLOAD_PREFIX):
        shutil.rmtree(Path(path).parent, ignore_errors=True)


def sweep_uploads(root: Path | str | None = None, max_age: float = UPLOAD_MAX_AGE) -> int:
    """Remove uploads older than `max_age` seconds (sessions that ended without confirm or cancel), and any
    left in the system temp folder by earlier versions; returns how many. Call at app start-up too."""
    now, removed = time.time(), 0
    folders = [*uploads_dir(root).glob(f"{UPLOAD_PREFIX}*"), *Path(tempfile.gettempdir()).glob(f"{UPLOAD_PREFIX}*")]
    for old in folders:
        try:
            if old.is_dir() and not old.is_symlink() and now - old.stat().st_mtime > max_age:
                shutil.rmtree(old, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def default_period(source: str, data_date) -> str:
    """The period the data date falls in, in the source's grain (e.g. 2026-10 for a monthly source)."""
    grain = get_source(source).period
    d = pd.Timestamp(data_date)
    return {"month": f"{d.year}-{d.month:02d}", "quarter": f"{d.year}Q{(d.month - 1) // 3 + 1}",
            "half_year": f"{d.year}H{1 if d.month <= 6 else 2}", "year": f"{d.year}"}[grain]


def preview(source: str, path: Path, period: str, root: Path | None = None) -> etl_land.Preview:
    """What landing the file would do; writes nothing."""
    return etl_land.preview(source, path, period, root=etl_land.data_dir(root))


def reasons_table(p: etl_land.Preview) -> pd.DataFrame:
    """Rejected rows per reason: 原因代码, 原因, 行数."""
    return pd.DataFrame([{"原因代码": code, "原因": etl_land.REASON_ZH.get(code, code), "行数": n}
                         for code, n in p.reasons.items()], columns=["原因代码", "原因", "行数"])


def rejected_frame(p: etl_land.Preview) -> pd.DataFrame:
    return p.rejected.to_pandas() if p.rejected.num_rows else pd.DataFrame()


def rejected_excel(p: etl_land.Preview) -> bytes:
    return export.to_xlsx_bytes([export.Sheet("被拒绝的行", rejected_frame(p))])


def confirm(source: str, path: Path, period: str, root: Path | None = None, progress=None,
            user: str = "数据上传页面") -> etl_land.LandOutcome:
    """Land the file through the same path as the CLI and rebuild the warehouse when rows landed.

    progress(text, fraction) is called as landing and the build proceed.
    """
    root = etl_land.data_dir(root)
    say = progress or (lambda *_: None)
    outcome = etl_land.land(source, path, period, root=root, user=user,
                            progress=lambda text, i, n: say(f"导入 {text}", 0.4 * i / max(n, 1)))
    if outcome.already is None and outcome.entry is not None and outcome.entry.status == "landed":
        build(root, progress=_build_progress(say))
    say("完成", 1.0)
    return outcome


def _build_progress(say):
    def inner(*args):
        text = str(args[0]) if args else "构建"
        frac = None
        if len(args) >= 3 and isinstance(args[1], int | float) and isinstance(args[2], int | float) and args[2]:
            frac = args[1] / args[2]
        say(f"构建数据仓库 {text}", 0.4 + 0.6 * min(frac if frac is not None else 0.5, 1.0))
    return inner


def outcome_text(outcome: etl_land.LandOutcome) -> str:
    """A Chinese one-line summary of a landing."""
    if outcome.already:
        a = outcome.already
        return f"这个文件已于 {a['landed_at']} 导入过，本次未做任何更改。"
    e = outcome.entry
    if e.status != "landed":
        return f"全部 {e.rows_read:,} 行被拒绝，未替换已有数据。"
    return (f"已导入 {e.source} {e.period}：读取 {e.rows_read:,} 行，接收 {e.rows_accepted:,} 行，"
            f"拒绝 {e.rows_rejected:,} 行；数据仓库已重建，页面数据已更新。")
