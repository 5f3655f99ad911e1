"""数据上传: upload a sheet, read the validation report, choose 导入方式 and see what it changes, confirm;
the landing and rebuild run as a background job (ui/upload.py, etl/jobs.py)."""

from pathlib import Path

import streamlit as st

from etl.contracts import PERIOD_EXAMPLE, get_source
from etl.contracts import sources as contract_sources
from etl.errors import ExtractError
from etl.force import MODES
from ui import auth, data, jobs
from ui import upload as up
from ui.format import md_escape as md

wh = data.warehouse()
up.sweep_uploads()  # copies left by sessions that ended without confirm or cancel (names, raw IDs)
user = auth.current_user() or {}
scope = up.upload_scope(user)

st.title("数据上传")
st.info("本页面供数据专员、区县和妇联工作人员报送本部门数据：上传后先看校验报告和导入后的变化，确认后才导入；"
        "导入在后台进行，离开本页不会中断；每次导入记入审计日志。")
if scope is None:
    st.error("您的账户没有管辖区域，不能上传数据 / your account has no area and cannot upload.")
    st.stop()

# Those who land every department's data (admins, data officers) choose among all extracts; others their own.
choices = ({n: s.title for n, s in contract_sources().items()} if user.get("role") in up.ALL_LANDINGS_ROLES
           else up.UPLOAD_SOURCES)
asked = st.query_params.get("source")  # /upload?source=visits (links from 上线检查 and empty pages) preselects it
if asked in choices and st.session_state.get("up_source_asked") != asked:
    st.session_state["up_source"] = st.session_state["up_source_asked"] = asked
source = st.selectbox("数据来源", list(choices), format_func=choices.get, placeholder="选择数据来源", key="up_source")
if asked in contract_sources() and asked not in choices:
    st.caption(f"“{contract_sources()[asked].title}”不在您可上传的数据中，请联系数据专员导入。")
src = get_source(source)
auth.download_button(f"下载“{src.title}”Excel模板", up.template(source), f"{src.title}模板.xlsx", what="上传模板",
                     mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="up_template")
st.caption("模板列：" + "、".join(c.label + ("（必填）" if c.required else "") for c in src.columns))
period = st.text_input(f"统计期（如 {PERIOD_EXAMPLE[src.period]}）", up.default_period(source, wh.info.data_date),
                       key=f"up_period_{source}")
nonce = st.session_state.setdefault("up_nonce", 0)
upload = up.file_uploader("上传表格（Excel 或 CSV）", key=f"up_file_{source}_{nonce}")


def tail() -> None:
    """The job panel and this user's landings, under whatever else the page shows."""
    jobs.status_panel(user=user, can_rebuild=user.get("role") in up.REBUILD_ROLES)
    up.recent_landings(user, everyone=False, key="up_landings")


if upload is None:  # emptied (or never filled): this session's copy goes now
    up.discard_upload(st.session_state.pop("up_path", None))
    st.session_state.pop("up_key", None)
    if "up_job" in st.session_state:
        up.show_result(st.session_state["up_job"])
    if "up_note" in st.session_state:
        st.info(md(st.session_state.pop("up_note")))
    tail()
    st.stop()

state_key = (source, period, upload.name, upload.size, upload.file_id, scope)
if st.session_state.get("up_key") != state_key or not st.session_state.get("up_path", Path()).is_file():
    st.session_state.pop("up_job", None)
    st.session_state["up_path"] = up.save_upload(upload.name, upload.getvalue(), st.session_state.get("up_path"))
    st.session_state["up_preview"] = up.checked(source, st.session_state["up_path"], period, scope, upload.name)
    st.session_state["up_key"] = state_key
path, p = st.session_state["up_path"], st.session_state["up_preview"]
if isinstance(p, ExtractError):
    st.error(f"文件无法读取：{md(p)}")
    tail()
    st.stop()

up.show_report(p, src.title)
st.subheader("导入方式")
mode = st.radio("导入方式", p.modes, index=p.modes.index(p.default_mode), format_func=MODES.get,
                key=f"up_mode_{source}_{nonce}", label_visibility="collapsed")
if scope:
    st.caption(up.scope_caption(scope))
d = up.diff(p, mode)
up.show_diff(d, p.period)
allow = False
if d.needs_confirmation:
    allow = st.checkbox(f"我已知晓并确认删除：{md(d.removed_text)}", key=f"up_allow_{source}_{nonce}_{mode}")

ok, cancel = st.columns([1, 5])
done = False
if ok.button("确认导入", type="primary", key="up_confirm", disabled=d.needs_confirmation and not allow):
    job = up.submit(source, path, p.period, upload.name, mode, scope, allow, user)  # the job and landing are audited
    st.session_state["up_job"] = {"job": job, "file_name": upload.name, "title": src.title, "period": p.period,
                                  "accepted": p.rows_accepted, "rejected": p.rows_rejected}
    done = True
if cancel.button("取消", key="up_cancel"):
    st.session_state["up_note"] = "已取消，未写入任何数据。"
    done = True
if done:  # the copy was handed to the job (moved) or cancelled; a fresh uploader for the next file
    up.discard_upload(st.session_state.pop("up_path", None))
    for k in ("up_key", "up_preview"):
        st.session_state.pop(k, None)
    st.session_state["up_nonce"] = nonce + 1
    st.rerun()
tail()
