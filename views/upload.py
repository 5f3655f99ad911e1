"""数据上传: data officers upload a monthly sheet, see the validation report, then confirm to land and rebuild."""

from pathlib import Path

import streamlit as st

from etl.contracts import PERIOD_EXAMPLE, get_source
from etl.errors import ExtractError
from ui import auth, data
from ui import volunteers as vu
from ui.format import md_escape as md

wh = data.warehouse()
vu.sweep_uploads()  # copies left by sessions that ended without confirm or cancel (names, raw IDs)

st.title("数据上传")
st.info("本页面供数据专员和妇联工作人员报送本部门数据：上传后先看校验报告，确认后才导入；每次导入记入审计日志。")

source = st.selectbox("数据来源", list(vu.UPLOAD_SOURCES), format_func=lambda s: vu.UPLOAD_SOURCES[s], key="up_source")
src = get_source(source)
auth.download_button(f"下载“{src.title}”Excel模板", vu.template(source), f"{src.title}模板.xlsx", what="上传模板",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="up_template")
st.caption("模板列：" + "、".join(c.label + ("（必填）" if c.required else "") for c in src.columns))
period = st.text_input(f"统计期（如 {PERIOD_EXAMPLE[src.period]}）", vu.default_period(source, wh.info.data_date),
                       key=f"up_period_{source}")
nonce = st.session_state.setdefault("up_nonce", 0)
upload = st.file_uploader("上传表格（Excel 或 CSV）", type=["xlsx", "xls", "csv"], key=f"up_file_{source}_{nonce}")

if upload is None:  # emptied (or never filled): this session's copy goes now
    vu.discard_upload(st.session_state.pop("up_path", None))
    st.session_state.pop("up_key", None)
    if "up_result" in st.session_state:
        st.success(md(st.session_state.pop("up_result")))
    st.stop()

state_key = (source, period, upload.name, upload.size, upload.file_id)
if st.session_state.get("up_key") != state_key or not st.session_state.get("up_path", Path()).is_file():
    st.session_state["up_key"] = state_key
    st.session_state["up_path"] = vu.save_upload(upload.name, upload.getvalue(), st.session_state.get("up_path"))
path = st.session_state["up_path"]

try:
    p = vu.preview(source, path, period)
except ExtractError as e:
    st.error(f"文件无法读取：{md(e)}")
    st.stop()

st.subheader("校验报告（尚未导入）")
c = st.columns(4)
c[0].metric("读取行数", f"{p.rows_read:,}")
c[1].metric("可接收", f"{p.rows_accepted:,}")
c[2].metric("被拒绝", f"{p.rows_rejected:,}")
c[3].metric("与已导入数据重复", f"{p.overlap:,}")
if p.already:
    st.warning(f"这个文件已于 {md(p.already['landed_at'])} 导入过（{md(p.already['file_name'])}），确认导入不会有任何变化。")
if p.supersedes:
    st.caption(f"确认后将替换 {md(p.period)} 期已导入的“{md(p.supersedes['file_name'])}”"
               f"（{p.supersedes['rows_accepted']:,} 行）。")
if p.reasons:
    st.dataframe(vu.reasons_table(p), hide_index=True)
    with st.expander("被拒绝的行（原始值、行号与原因）"):
        st.dataframe(vu.rejected_frame(p), hide_index=True, width="stretch")
        auth.download_button("下载被拒绝的行（Excel）", vu.rejected_excel(p), "被拒绝的行.xlsx",
                             what=f"上传预览被拒绝的行 {src.title}", key="up_rej")

ok, cancel = st.columns([1, 5])
if ok.button("确认导入", type="primary", key="up_confirm"):
    bar = st.progress(0.0, text="开始导入")
    with st.status("正在导入并重建数据仓库…", expanded=True) as status:
        outcome = vu.confirm(source, path, period, progress=lambda text, f: bar.progress(min(f, 1.0), text=text),
                             user=(auth.current_user() or {}).get("username", "数据上传页面"))
        status.update(label="完成", state="complete")
    auth.log("upload", f"{src.title} {period}", detail=vu.outcome_text(outcome))
    vu.discard_upload(st.session_state.pop("up_path", None))
    st.session_state["up_result"] = vu.outcome_text(outcome)
    st.session_state["up_nonce"] = nonce + 1
    st.session_state.pop("up_key", None)
    st.rerun()
if cancel.button("取消", key="up_cancel"):
    vu.discard_upload(st.session_state.pop("up_path", None))
    st.session_state["up_result"] = "已取消，未写入任何数据。"
    st.session_state["up_nonce"] = nonce + 1
    st.session_state.pop("up_key", None)
    st.rerun()
