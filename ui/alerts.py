"""提醒与订阅: the signed-in user's alerts (fired for their own role and scope), read marks, the unread count for
the sidebar, and their subscriptions. State and rules: notify/ (deliver.visible, deliver.subscribe)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from auth import users
from notify import deliver, rules, store
from ui import auth

SCHEDULE_ZH = {"month": "每月", "quarter": "每季度（推进会前）", "run": "有新提醒时"}


def _username() -> str:
    return str((auth.current_user() or {}).get("username", ""))


def unread_count() -> int:
    """Unread alerts of the signed-in user (0 when nobody is signed in): for the sidebar."""
    name = _username()
    return deliver.unread_count(name) if name else 0


def sidebar_badge() -> None:
    """A line in the sidebar when the signed-in user has unread alerts, linking to 提醒与订阅."""
    n = unread_count()
    if n:
        st.sidebar.page_link("views/alerts.py", label=f"未读提醒 {n} 条")


def alerts_table(alerts: list[dict]) -> pd.DataFrame:
    """The alerts as the page lists them: 状态, 类别, 内容, 时间 (Beijing time)."""
    if not alerts:
        return pd.DataFrame(columns=["状态", "类别", "内容", "提醒时间"])
    at = pd.to_datetime([a["fired_at"] for a in alerts], utc=True).tz_convert("Asia/Shanghai")
    return pd.DataFrame({"状态": ["已读" if a["read"] else "未读" for a in alerts],
                         "类别": [a["title"] for a in alerts], "内容": [a["text"] for a in alerts],
                         "提醒时间": at.strftime("%Y-%m-%d %H:%M")})


def _mark(ids: list[str]) -> None:
    deliver.mark_read(_username(), ids)


def alerts_section() -> None:
    """The user's alerts, unread first, with 标为已读 for the selected rows and for all."""
    alerts = deliver.visible(_username())
    alerts = sorted(alerts, key=lambda a: a["read"])  # unread first, each part newest first (stable sort)
    unread = [a["id"] for a in alerts if not a["read"]]
    st.subheader(f"我的提醒（未读 {len(unread)} 条）", anchor=False)
    if not alerts:
        st.info("暂无提醒。提醒在每次数据构建后按您的角色和辖区生成。")
        return
    picked = st.dataframe(alerts_table(alerts), hide_index=True, key="al_table", on_select="rerun",
                          selection_mode="multi-row")
    rows = list(getattr(getattr(picked, "selection", None), "rows", []) or [])
    c1, c2 = st.columns(2)
    c1.button("所选标为已读", key="al_read_some", on_click=_mark, args=([alerts[i]["id"] for i in rows],),
              disabled=not rows)
    c2.button("全部标为已读", key="al_read_all", on_click=_mark, args=(unread,), disabled=not unread)


def _toggle(output: str) -> None:
    on = bool(st.session_state.get(f"al_sub_{output}"))
    deliver.subscribe(_username(), output, on=on)


def _save_contact() -> None:
    try:
        deliver.set_contact(_username(), str(st.session_state.get("al_email", "")))
        st.session_state["al_note"] = ("success", "邮箱已保存。")
    except ValueError as e:
        st.session_state["al_note"] = ("error", str(e))


def subscriptions_section() -> None:
    """What the user's role may receive, each with a switch; the e-mail address deliveries go to."""
    user = auth.current_user() or {}
    st.subheader("我的订阅", anchor=False)
    cfg = rules.config()
    offered = deliver.allowed(str(user.get("role", "")), cfg)
    state = store.state()
    mine = state.subscriptions.get(_username(), set())
    if not offered:
        st.info("您的角色暂无可订阅的内容。")
    for key, o in offered.items():
        st.toggle(f"{o.get('title', key)}（{SCHEDULE_ZH.get(o.get('schedule', 'month'), '')}）", value=key in mine,
                  key=f"al_sub_{key}", on_change=_toggle, args=(key,))
    st.caption("推送内容按您本人的角色和辖区生成，写入发件箱；配置了内网邮件服务器时同时发送到下面的邮箱。")
    st.text_input("接收邮箱", value=state.contacts.get(_username(), ""), key="al_email", max_chars=120)
    st.button("保存邮箱", key="al_email_save", on_click=_save_contact)
    note = st.session_state.pop("al_note", None)
    if note:
        getattr(st, note[0])(note[1])


def _toggle_for(name: str, output: str) -> None:
    on = bool(st.session_state.get(f"al_adm_{name}_{output}"))
    deliver.subscribe(name, output, on=on, by=_username())
    auth.log("user_admin", f"{'订阅' if on else '退订'} {output}：{name}")


def admin_section() -> None:
    """An administrator subscribes other users to what their roles may receive (audited as 用户管理)."""
    if (auth.current_user() or {}).get("role") != "admin":
        return
    st.subheader("为其他用户管理订阅", anchor=False)
    people = {n: u for n, u in users.load().items() if not u.disabled}
    name = st.selectbox("用户", sorted(people), key="al_adm_user", index=None, placeholder="选择用户")
    if name is None:
        return
    cfg = rules.config()
    mine = store.state().subscriptions.get(name, set())
    offered = deliver.allowed(people[name].role, cfg)
    if not offered:
        st.info("该用户的角色暂无可订阅的内容。")
    for key, o in offered.items():
        st.toggle(str(o.get("title", key)), value=key in mine, key=f"al_adm_{name}_{key}", on_change=_toggle_for,
                  args=(name, key))
