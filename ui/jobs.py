"""后台任务 block for the upload and data-quality pages: the job in progress, the latest jobs, a rebuild button.

Landing and rebuilding run in a worker process (etl/jobs.py); this block only reads job files, so the
page never waits on them. While a job is queued or running it refreshes itself every two seconds (a
fragment, not the whole page); when the job ends it reruns the page once, so the page reads the new
snapshot.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from etl import jobs
from etl.contracts import get_source
from settings import data_dir
from ui.format import md_escape as md

TZ = ZoneInfo("Asia/Shanghai")
SHOW = 8  # latest jobs in the table
WATCH_KEY = "jobs_watching"  # the job this session submitted and waits for
COLUMNS = ["时间", "类型", "数据源", "统计期", "状态", "说明"]


def watch(job_id: str) -> None:
    """Follow a job this session submitted: the block says how it ended (until another is followed)."""
    st.session_state[WATCH_KEY] = job_id


def local_time(ts: str | None) -> str:
    """A job's UTC timestamp as local time (Asia/Shanghai)."""
    if not ts:
        return ""
    return datetime.fromisoformat(ts).astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")


def _source_title(source: str | None) -> str:
    if not source:
        return "—"
    try:
        return get_source(source).title
    except KeyError:
        return source


def _what(job: dict) -> str:
    p = job["params"]
    parts = [jobs.KIND_ZH[job["kind"]]]
    if p.get("source"):
        parts.append(_source_title(p["source"]))
    if p.get("period"):
        parts.append(str(p["period"]))
    return " ".join(parts)


def jobs_frame(items: list[dict]) -> pd.DataFrame:
    """Jobs as a table with Chinese headers (时间 in local time)."""
    rows = [[local_time(j["created_at"]), jobs.KIND_ZH[j["kind"]], _source_title(j["params"].get("source")),
             j["params"].get("period") or "—", jobs.STATE_ZH[j["state"]],
             j.get("error") or j.get("message") or j["progress"]["text"]] for j in items]
    return pd.DataFrame(rows, columns=COLUMNS)


def _is_admin(user: dict | None) -> bool:
    return bool(user) and user.get("role") == "admin"


def status_panel(root: Path | str | None = None, user: dict | None = None, can_rebuild: bool = False) -> None:
    """The job in progress (state, progress bar), this user's latest jobs (everyone's for admins) and, when
    `can_rebuild`, a 重建数据仓库 button that queues a build job."""
    root = data_dir(root)
    jobs.revive(root)  # jobs left by a killed worker or a restart go on when someone looks
    if jobs.active(root) is not None:
        st.fragment(run_every=2)(_panel)(root, user, can_rebuild, True)
    else:
        _panel(root, user, can_rebuild, False)


def _panel(root: Path, user: dict | None, can_rebuild: bool, live: bool) -> None:
    job = jobs.active(root)
    if job is None and live:  # the job ended since the last refresh: the page reads the new snapshot
        st.rerun(scope="app")
    st.markdown("**后台任务**")
    if job is not None:
        state = jobs.STATE_ZH[job["state"]]
        note = "，等待前一个任务完成" if job["state"] == "queued" else ""
        st.caption(f"{md(_what(job))}：{state}{note}。离开本页面不会中断任务。")
        st.progress(min(max(float(job["progress"]["fraction"]), 0.0), 1.0), text=md(job["progress"]["text"]))
    watched = st.session_state.get(WATCH_KEY)
    if watched:
        try:
            w = jobs.get(watched, root)
        except KeyError:
            w = None
        if w is not None and w["state"] in ("published", "unchanged"):
            st.success(md(w["message"]))
        elif w is not None and w["state"] == "failed":
            st.error(f"{md(w['message'])} {md(w.get('error') or '')}")
    username = (user or {}).get("username")
    if username:
        items = jobs.recent(root, limit=SHOW, user=None if _is_admin(user) else username)
        if items:
            st.dataframe(jobs_frame(items), hide_index=True, width="stretch")
        else:
            st.caption("暂无后台任务记录。")
    if can_rebuild and username:
        waiting = any(j["kind"] == "build" and j["state"] == "queued" for j in jobs.recent(root, limit=50))
        if st.button("重建数据仓库", key="jobs_rebuild", disabled=waiting,
                     help="已有重建任务在排队" if waiting else "按已导入的数据重新构建并发布（在后台进行）"):
            watch(jobs.submit("build", {}, username, root, role=user.get("role"), scope=tuple(user.get("scope") or ())))
            st.rerun(scope="app")
