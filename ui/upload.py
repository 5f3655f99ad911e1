"""The 数据上传 flow: template → private copy of the upload → validation report → 导入方式 and its diff →
a landing job that runs in the background (etl/jobs.py), and the recent landings with 撤回.

Plain functions and small Streamlit blocks here, so tests drive the flow without a browser; views/upload.py
and views/data_quality.py only wire them to widgets. Nothing here lands or builds in the script run: a
landing is a job, so leaving the page never leaves a file landed but not published.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from etl import force, jobs
from etl import land as etl_land
from etl.contracts import get_source
from etl.errors import ExtractError
from etl.landed import load_log_path, region_index
from report import export, labels
from settings import data_dir
from ui import auth, theme
from ui.format import md_escape as md
from ui.gaps import excel
from warehouse import queries as q

UPLOAD_SOURCES = {"activities": "志愿服务活动记录", "volunteers": "志愿者名册", "pairings": "结对帮扶（1+X）"}
# Roles that start a rebuild, see every landing (数据质量) and withdraw anyone's landing.
REBUILD_ROLES = ("admin", "data_officer")
TZ = ZoneInfo("Asia/Shanghai")
ALL_LANDINGS_ROLES = ("admin", "data_officer")
WITHDRAW_ANY_ROLES = ("admin",)


def template(source: str) -> bytes:
    """An empty Excel template with the contract's Chinese headers for `source`."""
    names = [c.label for c in get_source(source).columns]
    return excel(pd.DataFrame(columns=names), names, get_source(source).title)


def default_period(source: str, data_date) -> str:
    """The period the data date falls in, in the source's grain (e.g. 2026-10 for a monthly source)."""
    grain = get_source(source).period
    # Before any extract has landed there is no data date: the period running today (Beijing).
    d = pd.Timestamp.now(tz="Asia/Shanghai") if data_date is None or pd.isna(data_date) else pd.Timestamp(data_date)
    return {"month": f"{d.year}-{d.month:02d}", "quarter": f"{d.year}Q{(d.month - 1) // 3 + 1}",
            "half_year": f"{d.year}H{1 if d.month <= 6 else 2}", "year": f"{d.year}"}[grain]


# --------------------------------------------------------------------------------------------
# The uploaded copy (names and raw ID numbers): private, short-lived, handed to the job on confirm

UPLOAD_PREFIX = "tongxin-upload-"
UPLOAD_MAX_AGE = 2 * 3600  # seconds: an upload left this long in preview is abandoned (the page writes it again)
_NAME_BYTES = 200  # file systems allow 255 bytes per name; leave room


def uploads_dir(root: Path | str | None = None) -> Path:
    """<data dir>/uploads (mode 700): uploaded sheets between preview and confirm, one folder each."""
    folder = data_dir(root) / "uploads"
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
    """Remove an uploaded file's folder (after it was handed to a job, cancelled, or the uploader emptied)."""
    if path is not None and Path(path).parent.name.startswith(UPLOAD_PREFIX):
        shutil.rmtree(Path(path).parent, ignore_errors=True)


def sweep_uploads(root: Path | str | None = None, max_age: float = UPLOAD_MAX_AGE) -> int:
    """Remove uploads older than `max_age` seconds (sessions that ended without confirm or cancel), and any
    left in the system temp folder by earlier versions; returns how many. Call at app start-up too.

    A confirmed upload is no longer here: the job moved it into its own folder (etl/jobs.py)."""
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


# --------------------------------------------------------------------------------------------
# Scope, preview, reasons


def upload_scope(user: dict | None) -> tuple[str, ...] | None:
    """The region prefixes a landing by `user` is limited to: () for everything, None when the user has no
    area at all (default deny: such a user lands nothing)."""
    codes = [str(c) for c in (user or {}).get("scope") or ()]
    if not codes:
        return None
    if "" in codes:
        return ()
    scope = q.Scope.of(*codes)
    return () if scope.is_everything else scope.prefixes


def preview(source: str, path: Path, period: str, root: Path | None = None, scope: tuple[str, ...] = (),
            file_name: str | None = None) -> etl_land.Preview:
    """What landing the file would do; writes nothing."""
    return etl_land.preview(source, path, period, root=data_dir(root), file_name=file_name,
                            scope=tuple(scope))


def checked(source: str, path: Path, period: str, scope: tuple[str, ...], file_name: str,
            root: Path | None = None) -> etl_land.Preview | ExtractError:
    """The preview, or the file-level error that stops it (kept per upload, so a rerun does not read the
    file again)."""
    try:
        return preview(source, path, period, root=root, scope=scope, file_name=file_name)
    except ExtractError as e:
        return e


def reason_zh(code: str) -> str:
    """The Chinese text of a reason code (never a bare English code on screen)."""
    return etl_land.REASON_ZH.get(code) or "其他原因（见原因说明）"


def reasons_table(p: etl_land.Preview) -> pd.DataFrame:
    """Rejected rows per reason: 原因, 原因代码, 行数."""
    return pd.DataFrame([{"原因": reason_zh(code), "原因代码": code, "行数": n} for code, n in p.reasons.items()],
                        columns=["原因", "原因代码", "行数"])


# The first columns of a rejected-rows table (etl.read.REJECT_COLUMNS), headed from report/labels; 原因 is the
# reason code's Chinese text, 原因说明 the row's own message.
_REJECT_COLUMNS = ("行号 row_no", "原因代码 reason_code", "原因 reason")


def rejected_frame(p: etl_land.Preview) -> pd.DataFrame:
    """The rejected rows: 行号, 原因, 原因代码, 原因说明, then the file's own columns as they were."""
    df = p.rejected.to_pandas() if p.rejected.num_rows else pd.DataFrame()
    ours = [c for c in df.columns if c in _REJECT_COLUMNS]
    theirs = [c for c in df.columns if c not in _REJECT_COLUMNS]
    out = labels.chinese(df, ours)
    if "原因代码" in out:
        out.insert(min(1, len(out.columns)), "原因", out["原因代码"].map(lambda c: reason_zh(str(c))))
    taken = set(out.columns)
    for c in theirs:  # a file column named like one of ours keeps its values under a marked name
        name = f"{c}（原表）" if c in taken else c
        out[name] = df[c]
        taken.add(name)
    return out


def rejected_excel(p: etl_land.Preview) -> bytes:
    return export.to_xlsx_bytes([export.Sheet("被拒绝的行", rejected_frame(p))])


# --------------------------------------------------------------------------------------------
# 导入方式 and the diff


def mode_label(mode: str) -> str:
    """The short name of a mode (整期替换, 按区县替换 …)."""
    return force.MODES.get(mode, mode).split("：")[0]


def diff(p: etl_land.Preview, mode: str, root: Path | None = None):
    """What landing the previewed file with `mode` would keep, add, change and remove (etl.land.diff).

    Kept per session for this preview, mode and state of the load log: ticking the confirmation or
    switching back to a mode must not compare a large file with the rows in force again. A landing or
    withdrawal by anyone changes the log, and the diff is computed afresh."""
    root = data_dir(root)
    log = load_log_path(root)
    state = (id(p), mode, log.stat().st_mtime_ns if log.exists() else 0)
    kept = st.session_state.setdefault("up_diffs", {})
    if state not in kept:
        for k in [k for k in kept if k[0] != id(p) or k[2] != state[2]]:
            del kept[k]
        kept[state] = etl_land.diff(p, mode, root=root)
    return kept[state]


def number(x) -> str:
    """A count or figure in full (a small upload must show exactly)."""
    if x is None or pd.isna(x):
        return "—"
    return f"{x:,.0f}" if float(x) == round(float(x)) else f"{x:,.1f}"


def diff_frame(d) -> pd.DataFrame:
    """The diff's table under Chinese headers: 区县/街道, 原有行数, 保留, 新增, 更改, 删除, 导入后行数 and
    the figure before → after."""
    level = "街道" if d.level == "street" else "区县"
    t = d.table.copy()
    t["area_name"] = t["area_name"].where(t["area_name"].notna() & (t["area_name"] != ""), t["area_code"])
    return labels.chinese(t, ["area_name", "rows_before", "kept", "added", "changed", "removed", "rows_after",
                              "figure_before", "figure_after"],
                          named={"area_name": level, "figure_before": f"{d.figure}（导入前）",
                                 "figure_after": f"{d.figure}（导入后）"})


def figure_text(d, period: str) -> str:
    """"2026-10 服务人次 29,013 → 28"."""
    return f"{period} {d.figure} {number(d.figure_before)} → {number(d.figure_after)}"


def show_diff(d, period: str) -> None:
    """The diff, prominent: the figure before → after (orange when rows go), totals, and the table by area."""
    change = (d.figure_after or 0) - (d.figure_before or 0)
    c = st.columns([2, 1, 1, 1, 1])
    c[0].metric(f"{period} {d.figure}（导入前 → 导入后）", f"{number(d.figure_before)} → {number(d.figure_after)}",
                delta=f"{change:+,.0f}", delta_color="orange" if d.removed else "normal")
    c[1].metric("保留", number(d.kept))
    c[2].metric("新增", number(d.added))
    c[3].metric("更改", number(d.changed))
    c[4].metric("删除", number(d.removed), delta=f"-{d.removed:,}" if d.removed else None,
                delta_color="orange" if d.removed else "off")
    line = f"导入后：{md(figure_text(d, period))}；共 {d.rows_before:,} 行 → {d.rows_after:,} 行"
    if d.removed:
        st.warning(f"{line}；将删除 {md(d.removed_text)}（占原有 {d.removed_share:.0%}）。")
    else:
        st.info(f"{line}；不删除任何已有数据。")
    table = diff_frame(d)
    config = {c: st.column_config.NumberColumn(format="localized") for c in table.columns[1:]}
    st.dataframe(table, hide_index=True, width="stretch", column_config=config)


# --------------------------------------------------------------------------------------------
# The landing job and its result


def submit(source: str, path: Path, period: str, file_name: str, mode: str, scope: tuple[str, ...],
           allow_removal: bool, user: dict, root: Path | None = None) -> str:
    """Hand the uploaded copy to a landing job (the job moves it into its own folder); returns the job id.

    The job lands and rebuilds in a worker process, so it goes on when the page is left."""
    params = {"source": source, "path": str(path), "period": period, "file_name": file_name, "mode": mode,
              "scope": list(scope), "allow_removal": bool(allow_removal)}
    return jobs.submit("land", params, user.get("username") or "数据上传页面", root=data_dir(root),
                       role=user.get("role"), scope=tuple(user.get("scope") or ()))


def result_text(job: dict, summary: dict) -> str:
    """A Chinese one-line summary of a finished landing job: rows accepted and rejected, and whether the
    new figures are published (file names and messages are not Markdown-safe: escape when rendering)."""
    r = job.get("result") or {}
    head = f"“{summary['file_name']}”（{summary['title']} {r.get('period') or summary['period']}）"
    accepted, rejected = r.get("rows_accepted", summary["accepted"]), r.get("rows_rejected", summary["rejected"])
    if job["state"] == "published":
        return (f"已导入{head}：接收 {accepted:,} 行，拒绝 {rejected:,} 行；数据仓库已重建并发布，页面数据已更新。")
    if job["state"] == "unchanged":
        return f"{head}未导入任何变化，数据未更改：{job.get('message') or ''}"
    if job["state"] == "failed":
        return f"{head}导入失败，已发布的数据保持不变：{job.get('error') or job.get('message') or ''}"
    return f"{head}的导入任务{jobs.STATE_ZH.get(job['state'], job['state'])}：在后台导入并重建数据仓库，离开本页不会中断。"


def show_result(summary: dict, root: Path | None = None) -> None:
    """The submitted landing: its result line once the job ended, until then where it stands (the job
    panel, ui.jobs.status_panel, refreshes itself and reruns the page when the job ends)."""
    try:
        job = jobs.get(summary["job"], root=data_dir(root))
    except KeyError:
        return
    show = {"published": st.success, "unchanged": st.info, "failed": st.error}.get(job["state"], st.info)
    show(md(result_text(job, summary)))


# --------------------------------------------------------------------------------------------
# 最近导入 and 撤回


def landings(root: Path | None = None, username: str | None = None, limit: int = 50) -> list[dict]:
    """Landings newest first (only `username`'s when given)."""
    out = etl_land.landings(root=data_dir(root))
    if username is not None:
        out = [e for e in out if e.get("landed_by") == username]
    return out[:limit]


def _status(e: dict) -> str:
    if e.get("withdrawn"):
        return "已撤回"
    return "在用" if e.get("in_force") else "已被替换"


def _title(source: str) -> str:
    try:
        return get_source(source).title
    except KeyError:
        return source


def _local_time(text: str | None) -> str:
    """A load-log time (naive server-local, or with its offset) in Asia/Shanghai, as the job table shows."""
    if not text:
        return ""
    try:
        return datetime.fromisoformat(str(text)).astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(text)


LANDING_COLUMNS = ["时间", "数据源", "统计期", "文件", "方式", "接收行数", "说明", "导入人", "状态"]


def landings_frame(entries: list[dict]) -> pd.DataFrame:
    """时间, 数据源, 统计期, 文件, 方式, 接收行数, 说明 (rows skipped as outside the deployment), 导入人,
    状态 (在用 / 已被替换 / 已撤回)."""
    rows = [{"时间": _local_time(e.get("landed_at")), "数据源": _title(e["source"]), "统计期": e["period"],
             "文件": e.get("file_name", ""), "方式": mode_label(force.entry_mode(e)),
             "接收行数": int(e.get("rows_accepted") or 0), "说明": e.get("skip_note") or "",
             "导入人": e.get("landed_by", ""), "状态": _status(e)}
            for e in entries]
    return pd.DataFrame(rows, columns=LANDING_COLUMNS)


def withdrawable(entries: list[dict], user: dict | None) -> list[dict]:
    """Landings in force that `user` may withdraw: their own, or any for an admin."""
    user = user or {}
    anyone = user.get("role") in WITHDRAW_ANY_ROLES
    return [e for e in entries if e.get("in_force") and not e.get("withdrawn") and e.get("status", "landed") == "landed"
            and (anyone or e.get("landed_by") == user.get("username"))]


def submit_withdraw(entry: dict, reason: str, user: dict, root: Path | None = None) -> str:
    """A job that withdraws `entry` (its rows leave force, the earlier landing comes back) and rebuilds."""
    params = {"load_id": entry["load_id"], "source": entry["source"], "period": entry["period"],
              "reason": reason.strip()}
    return jobs.submit("withdraw", params, user.get("username") or "", root=data_dir(root),
                       role=user.get("role"), scope=tuple(user.get("scope") or ()))


def _entry_label(e: dict) -> str:
    return (f"{_local_time(e.get('landed_at'))} {_title(e['source'])} {e['period']} “{e.get('file_name', '')}”"
            f"（{int(e.get('rows_accepted') or 0):,} 行，{e.get('landed_by', '')}）")


def recent_landings(user: dict | None, everyone: bool, key: str, root: Path | None = None) -> None:
    """最近导入: the user's own landings (or everyone's) and, for what they may withdraw, 撤回 with a reason."""
    user = user or {}
    entries = landings(root, None if everyone else user.get("username"))
    st.subheader("最近导入")
    if not entries:
        st.caption("尚无导入记录。")
        return
    st.dataframe(landings_frame(entries), hide_index=True, width="stretch")
    mine = withdrawable(entries, user)
    if not mine:
        return
    with st.expander("撤回一次导入"):
        st.caption("撤回后，这次导入的行不再使用，此前的数据恢复；需要填写原因，记入审计日志。")
        chosen = st.selectbox("要撤回的导入", range(len(mine)), format_func=lambda i: _entry_label(mine[i]),
                              placeholder="选择要撤回的导入", key=f"{key}_pick")
        reason = st.text_input("撤回原因（必填）", key=f"{key}_reason", max_chars=200)
        if st.button("撤回", key=f"{key}_go"):
            if not reason.strip():
                st.error("请填写撤回原因 / a reason is required")
                return
            st.session_state[f"{key}_job"] = submit_withdraw(mine[chosen], reason, user, root)  # audited by the job
            st.rerun()
    job_id = st.session_state.get(f"{key}_job")
    if job_id:
        try:
            job = jobs.get(job_id, root=data_dir(root))
        except KeyError:
            return
        text = f"撤回任务：{jobs.STATE_ZH.get(job['state'], job['state'])}。{job.get('message') or ''}{job.get('error') or ''}"
        (st.error if job["state"] == "failed" else st.caption)(md(text))


# --------------------------------------------------------------------------------------------
# Widgets


# What the readers take (etl/read.py): CSV, Excel old and new, the binary workbook and OpenDocument.
UPLOAD_TYPES = ("xlsx", "xls", "csv", "xlsb", "ods")


def file_uploader(label: str, key: str):
    """st.file_uploader with its own texts in Chinese (ui.theme)."""
    st.html(f"<style>{theme.uploader_css(int(st.get_option('server.maxUploadSize')), UPLOAD_TYPES)}</style>")
    return st.file_uploader(label, type=list(UPLOAD_TYPES), key=key)


def show_report(p: etl_land.Preview, title: str) -> None:
    """The validation report: rows read / accepted / rejected, reasons in Chinese, the rejected rows."""
    st.subheader("校验报告（尚未导入）")
    c = st.columns(4)
    c[0].metric("读取行数", f"{p.rows_read:,}")
    c[1].metric("可接收", f"{p.rows_accepted:,}")
    c[2].metric("被拒绝", f"{p.rows_rejected:,}")
    c[3].metric("与已导入数据重复", f"{p.overlap:,}")
    if p.skip_note:  # an official division table's rows outside the deployment: neither landed nor rejected
        st.info(f"{md(p.skip_note)}：这些行不导入，也不计入被拒绝的行。")
    if p.already:
        st.warning(f"这个文件已于 {md(p.already['landed_at'])} 导入过（{md(p.already['file_name'])}），"
                   "确认导入不会有任何变化。")
    if p.reasons:
        st.dataframe(reasons_table(p), hide_index=True)
        with st.expander("被拒绝的行（行号、原因与原始值）"):
            st.dataframe(rejected_frame(p), hide_index=True, width="stretch")
            auth.download_button("下载被拒绝的行（Excel）", rejected_excel(p), "被拒绝的行.xlsx",
                                 what=f"上传预览被拒绝的行 {title}", key="up_rej")


def scope_caption(scope: tuple[str, ...], root: Path | None = None) -> str:
    """For a user limited to an area: rows outside it are refused and nothing outside it is removed."""
    regions = region_index(data_dir(root))
    names = regions.name if regions is not None else {}
    area = "、".join(names.get(p.ljust(12, "0"), p) for p in scope)
    return (f"您的管辖区域：{md(area)}。文件中本区域以外的行将被拒收（不在本人管辖区域），"
            "无论选择哪种方式，本区域以外的已有数据都不会被删除。")
