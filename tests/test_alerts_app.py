"""The 提醒与订阅 page in AppTest: a user's own alerts, mark as read, the unread count, subscriptions."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from notify import deliver, rules, store
from tests.files import signed_in

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def fired(copy):
    cfg = rules.config()
    for r in cfg["rules"]:
        if r["id"] == "home_visit_overdue":
            r["children"] = 1
    deliver.evaluate(copy, cfg)
    return copy


def page(role: str, scope: tuple[str, ...], username: str) -> AppTest:
    at = signed_in(AppTest.from_file(APP, default_timeout=60), role, scope, username).run()
    at.switch_page("views/alerts.py").run()
    assert not at.exception, at.exception
    return at


def table(at: AppTest):
    return next(d.value for d in at.dataframe if "内容" in d.value.columns)


def test_the_page_lists_the_users_own_alerts_and_marks_them_read(fired):
    at = page("case_worker", ("990102000000",), "caseworker")
    df = table(at)
    mine = deliver.visible("caseworker", fired)
    assert len(df) == len(mine) > 1 and set(df["状态"]) == {"未读"}
    assert any("永浦街道" in t for t in df["内容"]) and not any("白浦街道" in t for t in df["内容"])
    assert any(f"未读 {len(mine)} 条" in s.value for s in at.subheader)
    at.button(key="al_read_all").click().run()
    assert not at.exception
    assert deliver.unread_count("caseworker", fired) == 0
    assert set(table(at)["状态"]) == {"已读"}
    assert deliver.unread_count("county", fired) > 0  # another user's marks are their own


def test_subscriptions_offer_what_the_role_may_receive(fired):
    at = page("leader", ("990100000000",), "leader")
    keys = {t.key for t in at.toggle}
    assert keys == {"al_sub_county_brief", "al_sub_meeting_pack", "al_sub_digest"}  # no child list for a leader
    at.toggle(key="al_sub_meeting_pack").set_value(True).run()
    assert not at.exception
    assert store.state(fired).subscriptions["leader"] == {"meeting_pack"}
    at.text_input(key="al_email").input("not-an-address").run()
    at.button(key="al_email_save").click().run()
    assert at.error and "leader" not in store.state(fired).contacts
    at.text_input(key="al_email").input("leader@example.gov.cn").run()
    at.button(key="al_email_save").click().run()
    assert store.state(fired).contacts["leader"] == "leader@example.gov.cn"


def test_a_user_without_alerts_sees_an_empty_state(fired):
    at = page("wf_staff", ("990100000000",), "fulian")
    assert any("暂无提醒" in i.value for i in at.info)


def test_an_admin_subscribes_another_user_and_it_is_audited(fired):
    from auth import audit

    at = page("admin", ("99",), "admin")
    at.selectbox(key="al_adm_user").set_value("caseworker").run()
    assert {t.key for t in at.toggle if t.key.startswith("al_adm_")} == {"al_adm_caseworker_overdue_list",
                                                                       "al_adm_caseworker_digest"}
    at.toggle(key="al_adm_caseworker_overdue_list").set_value(True).run()
    assert not at.exception
    assert store.state(fired).subscriptions["caseworker"] == {"overdue_list"}
    ev = audit.events(fired)
    assert ((ev["action"] == "user_admin") & (ev["user"] == "admin") & ev["what"].str.contains("caseworker")).any()


def test_only_an_admin_manages_others(fired):
    at = page("leader", ("990100000000",), "leader")
    assert not [s for s in at.selectbox if s.key == "al_adm_user"]
