"""Alert rules, firings and read marks (notify/rules.py, store.py, deliver.py) against the fixture warehouse."""
from __future__ import annotations

import copy as copying
import datetime as dt
import os
import stat

import pandas as pd
import pytest

from auth import users
from notify import deliver, outputs, rules, store
from warehouse import queries as q


def config(**changes) -> dict:
    """The repository's alert configuration, with rule settings changed by rule id: {"home_visit_overdue":
    {"children": 1}}."""
    cfg = copying.deepcopy(rules.config())
    for r in cfg["rules"]:
        r.update(changes.get(r["id"], {}))
    return cfg


def keys(root, name) -> set[str]:
    return {f["key"] for f in deliver.visible(name, root)}


def test_an_alert_fires_once_until_it_clears_and_again_after(copy):
    cfg = config(home_visit_overdue={"children": 5})
    first = deliver.evaluate(copy, cfg)
    assert first.fired > 0
    assert keys(copy, "caseworker") == {"home_visit_overdue|990102003000"}
    again = deliver.evaluate(copy, cfg)
    assert (again.fired, again.cleared) == (0, 0)  # still holding: not stored again
    before = deliver.visible("caseworker", copy)[0]["id"]

    deliver.evaluate(copy, config(home_visit_overdue={"children": 100}))  # the breach ends
    assert "home_visit_overdue|990102003000" not in keys(copy, "caseworker")
    deliver.evaluate(copy, cfg)  # and comes back: a new firing
    now = [f for f in deliver.visible("caseworker", copy) if f["key"] == "home_visit_overdue|990102003000"]
    assert len(now) == 1 and now[0]["id"] != before
    fires = [e for e in store.events(copy) if e["type"] == "fire" and e["user"] == "caseworker"]
    assert len(fires) == 2


def test_each_user_is_judged_with_their_own_scope_and_role(copy, con):
    """A street with 4 children overdue fires for the case worker (exact figures) and not for the county officer,
    whose door hides counts under the small-number rule; nobody sees another county's street."""
    deliver.evaluate(copy, config(home_visit_overdue={"children": 1}))
    exact = q.run("ledger/compliance", con, q.Scope.of("990102", exact=True), "street")
    hidden = q.run("ledger/compliance", con, q.Scope.of("990102"), "street")
    small = set(hidden.loc[hidden["home_visit_overdue"].isna(), "area_code"])
    assert small, "the fixture has a street under the small-number threshold"
    case, county = keys(copy, "caseworker"), keys(copy, "county")
    assert case == {f"home_visit_overdue|{c}" for c in exact.loc[exact["home_visit_overdue"] > 0, "area_code"]}
    assert not any(k.endswith(c) for k in county for c in small)
    assert all(k.split("|")[1].startswith("990102") for k in case | county if k.startswith("home_visit"))
    admin = keys(copy, "admin")
    assert any(k.startswith("home_visit_overdue|990121") for k in admin)  # the admin's scope holds both
    assert not keys(copy, "fulian")  # no rule names 妇联's role


def test_a_disabled_user_or_a_changed_scope_stops_at_once(copy):
    deliver.evaluate(copy, config(home_visit_overdue={"children": 1}))
    assert deliver.visible("caseworker", copy) and deliver.visible("county", copy)
    users.update("caseworker", disabled=True, root=copy, by="test")
    users.update("county", scope=["990121000000"], root=copy, by="test")
    assert deliver.visible("caseworker", copy) == [] and deliver.unread_count("caseworker", copy) == 0
    assert deliver.visible("county", copy) == []  # nothing fired for the old county shows any more
    deliver.evaluate(copy, config(home_visit_overdue={"children": 1}))
    assert all("990121" in k.split("|")[1] for k in keys(copy, "county") if k.startswith("home_visit"))


def test_mark_read_counts_only_the_users_own(copy):
    deliver.evaluate(copy, config(home_visit_overdue={"children": 1}))
    mine = deliver.visible("caseworker", copy)
    theirs = deliver.visible("admin", copy)
    assert deliver.unread_count("caseworker", copy) == len(mine) > 1
    deliver.mark_read("caseworker", [mine[0]["id"], theirs[0]["id"]], copy)
    assert deliver.unread_count("caseworker", copy) == len(mine) - 1
    assert deliver.unread_count("admin", copy) == len(theirs)  # another's id changes nothing of theirs


def test_rejection_rate_and_target_rules_read_the_quality_and_target_pages(copy, con):
    deliver.evaluate(copy, config(rejection_rate={"percent": 10}))
    src = q.run("quality/sources", con, q.Scope.everything())
    over = {f"rejection_rate|{r.source}|{r.latest_period}" for r in src.itertuples()
            if pd.notna(r.latest_rejection_rate) and r.latest_rejection_rate > 0.10}
    assert over and {k for k in keys(copy, "data") if k.startswith("rejection")} == over
    from warehouse.queries import targets

    st = q.run(targets.indicator_status, con, q.Scope.of("990100000000"))
    off = st[st["status"].isin(targets.OFF_TRACK)]
    leader = {k for k in keys(copy, "leader") if k.startswith("target_off_track||")}
    assert leader == {f"target_off_track||{r.plan_id}|{r.measure_no}|{r.indicator}" for r in off.itertuples()}
    texts = " ".join(f["text"] for f in deliver.visible("leader", copy))
    assert "滞后" in texts


def test_late_extract_rule_counts_days_after_the_expected_period(monkeypatch, con):
    """An extract expected by 2026-09-30 and missing on 2026-10-31 is 31 days late: over 15 fires, over 40 not."""
    frame = pd.DataFrame({"department": ["卫健委"], "title": ["健康档案"], "source": ["health_records"],
                          "latest_period": ["2026Q2"], "expected_period_end": [pd.Timestamp("2026-09-30")],
                          "is_late": [True], "as_of_date": [pd.Timestamp("2026-10-31")]})

    def sources(con, scope):
        return frame

    sources.__module__ = "warehouse.queries.quality"
    monkeypatch.setattr(rules.quality, "sources", sources)
    rule = {"id": "late", "title": "数据报送逾期", "kind": "extract_late", "days": 15}
    found = rules.EVALUATORS["extract_late"](con, q.Scope.of("990100000000"), rule)
    assert [c.key for c in found] == ["late|health_records"] and "已逾期 31 天" in found[0].text
    assert rules.EVALUATORS["extract_late"](con, q.Scope.of("990100000000"), rule | {"days": 40}) == []


def test_follow_up_rule_waits_for_the_follow_up_flow(con, monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    rule = {"id": "f", "title": "督办事项逾期", "kind": "followup_overdue"}
    assert rules.EVALUATORS["followup_overdue"](con, q.Scope.of("990102"), rule) == []


def test_overdue_follow_up_items_alert_the_department_they_are_assigned_to(copy):
    from loop import followup as fu
    from ui import followup as uf

    street = "990102003"
    listed = uf.read_listed(copy, ["990102"])
    n = fu.bulk_assign(copy, listed, fu.VISIT_CHECK, street, to="残联", due="2026-01-31", user="county",
                       role="county_officer", scope=["990102000000"])
    assert n > 0
    deliver.evaluate(copy, config())
    assert "followup_overdue|990102003000" in keys(copy, "cdpf")  # 残联's queue, in the county
    assert not any(k.startswith("followup") for k in keys(copy, "health"))  # 卫健委 has none assigned
    texts = [f["text"] for f in deliver.visible("cdpf", copy) if f["rule"] == "followup_overdue"]
    assert texts == [f"工业园街道：{n} 项督办事项已过办理期限"]


def test_state_files_are_private(copy):
    deliver.evaluate(copy, config())
    folder = copy / "notify"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "events.jsonl").stat().st_mode) == 0o600


def test_a_torn_last_line_is_skipped_and_the_next_event_kept(copy):
    deliver.evaluate(copy, config())
    n = len(store.events(copy))
    with open(store.events_path(copy), "ab") as f:
        f.write(b'{"type": "fire", "id": "x')
    store.append({"type": "contact", "user": "leader", "email": "leader@example.gov.cn"}, copy)
    assert len(store.events(copy)) == n + 1 and store.state(copy).contacts["leader"] == "leader@example.gov.cn"


def test_schedules():
    assert outputs.period_due("month", dt.date(2026, 11, 3)) == "2026-11"
    assert outputs.period_due("quarter", dt.date(2026, 12, 10), 14) is None
    assert outputs.period_due("quarter", dt.date(2026, 12, 17), 14) == "2026Q4"
    assert outputs.period_due("quarter", dt.date(2026, 3, 31), 0) == "2026Q1"
    with pytest.raises(ValueError):
        outputs.period_due("weekly", dt.date(2026, 1, 1))


def test_only_what_the_role_may_receive_can_be_subscribed(copy):
    cfg = config()
    deliver.subscribe("caseworker", "overdue_list", root=copy, cfg=cfg)
    with pytest.raises(ValueError):
        deliver.subscribe("leader", "overdue_list", root=copy, cfg=cfg)  # a list goes to case roles only
    deliver.subscribe("caseworker", "overdue_list", on=False, root=copy, cfg=cfg)
    assert store.state(copy).subscriptions["caseworker"] == set()
    with pytest.raises(ValueError):
        deliver.set_contact("leader", "not an address", copy)


def test_secrets_inside_the_repository_are_refused(monkeypatch, tmp_path):
    monkeypatch.setenv(deliver.SECRETS_ENV, str(deliver.REPO_DIR / "config" / "smtp.yaml"))
    with pytest.raises(ValueError, match="仓库"):
        deliver.smtp_credentials()
    outside = tmp_path / "smtp.yaml"
    outside.write_text("smtp_user: tongxin\nsmtp_password: s3cret\n", encoding="utf-8")
    os.chmod(outside, 0o600)
    monkeypatch.setenv(deliver.SECRETS_ENV, str(outside))
    assert deliver.smtp_credentials() == ("tongxin", "s3cret")


def test_a_role_change_fires_again_for_the_new_role(copy):
    deliver.evaluate(copy, config())
    before = {f["key"]: f["id"] for f in deliver.visible("leader", copy)}
    assert before
    users.update("leader", role="planner", root=copy, by="test")
    assert deliver.visible("leader", copy) == []  # at once, before any evaluation
    deliver.evaluate(copy, config())
    after = {f["key"]: f["id"] for f in deliver.visible("leader", copy)}
    assert set(after) == set(before) and not set(after.values()) & set(before.values())


def test_the_cli_subscribes_sets_the_address_and_runs(copy, capsys):
    import argparse

    from notify import cli

    p = argparse.ArgumentParser()
    cli.register(p.add_subparsers(dest="cmd"))

    def call(*argv) -> int:
        args = p.parse_args(["notify", *argv])
        return args.fn(args)

    assert call("subscribe", "caseworker", "overdue_list") == 0
    assert call("subscribe", "leader", "overdue_list") == 1  # not for a leader's role
    assert "错误" in capsys.readouterr().err
    assert call("contact", "caseworker", "cw@example.gov.cn") == 0
    assert call("list") == 0 and "caseworker\toverdue_list\tcw@example.gov.cn" in capsys.readouterr().out
    assert call("run", "--today", "2026-11-02") == 0
    assert list((copy / "notify" / "outbox" / "caseworker").rglob("*.xlsx"))


def test_a_failing_evaluation_never_fails_the_build(copy, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(deliver, "evaluate", broken)
    assert deliver.after_build(copy) is None


def test_without_a_snapshot_the_cli_says_so(tmp_path, monkeypatch, capsys):
    import argparse

    from notify import cli

    monkeypatch.setenv("TONGXIN_DATA_DIR", str(tmp_path / "empty"))
    p = argparse.ArgumentParser()
    cli.register(p.add_subparsers(dest="cmd"))
    args = p.parse_args(["notify"])
    assert args.fn(args) == 1 and "快照" in capsys.readouterr().err


def test_a_firing_again_within_the_same_second_is_a_new_unread_firing(copy, monkeypatch):
    monkeypatch.setattr(store, "now", lambda: "2026-12-01T00:00:00+00:00")
    cfg = config(home_visit_overdue={"children": 5})
    deliver.evaluate(copy, cfg)
    first = deliver.visible("caseworker", copy)
    deliver.mark_read("caseworker", [f["id"] for f in first], copy)
    deliver.evaluate(copy, config(home_visit_overdue={"children": 100}))
    deliver.evaluate(copy, cfg)
    again = deliver.visible("caseworker", copy)
    assert [f["key"] for f in again] == [f["key"] for f in first]
    assert again[0]["id"] != first[0]["id"] and not again[0]["read"]
