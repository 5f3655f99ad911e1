"""Alert rules (config/alerts.yaml) and the conditions that hold for one user now.

Every condition is read through the query door (`queries.run`) with the user's own scope and role, never an
administrator's: a county officer's alert counts only the county's streets, and a count the small-number rule
hides from the role is not turned into an alert. A disabled user, an unknown role or a user without a scope
has no conditions (default deny). Texts hold region names, counts and rates only, never a child.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from auth.roles import ROLES
from settings import config_dir
from warehouse import queries as q
from warehouse.queries import ledger, quality, targets

KINDS = ("extract_late", "target_off_track", "home_visit_overdue", "rejection_rate", "followup_overdue")


def config(path: Path | str | None = None) -> dict:
    """config/alerts.yaml (or $TONGXIN_CONFIG_DIR/alerts.yaml); an absent file configures nothing."""
    path = Path(path) if path else config_dir() / "alerts.yaml"
    if not path.exists():
        return {"rules": [], "outputs": {}}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for r in raw.get("rules") or []:
        if r.get("kind") not in KINDS:
            raise ValueError(f"提醒规则类型无效 unknown alert rule kind {r.get('kind')!r} (choose from {KINDS})")
    return raw


@dataclass(frozen=True)
class Condition:
    """One alert condition holding for a user: `key` names it (rule and subject) so it fires once."""

    key: str
    rule: str
    title: str
    region: str
    text: str


def user_scope(user) -> q.Scope:
    """A user's scope as the app gives it (ui.auth.user_scope), read from the users file: none when disabled."""
    role = ROLES.get(user.role)
    if user.disabled or role is None or not user.scope:
        return q.Scope()
    if "" in user.scope:
        return q.Scope.everything(exact=role.case_access)
    return q.Scope.of(*user.scope, exact=role.case_access)


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(f) else f


def _late(con, scope, rule, user=None, root=None) -> list[Condition]:
    df = q.run(quality.sources, con, scope)
    days = int(rule.get("days", 0))
    out = []
    for r in df.itertuples():
        if not bool(r.is_late) or pd.isna(r.expected_period_end) or pd.isna(r.as_of_date):
            continue
        late = (pd.Timestamp(r.as_of_date) - pd.Timestamp(r.expected_period_end)).days
        if late > days:
            text = (f"{r.department}「{r.title}」最近报送 {r.latest_period}，应报至 "
                    f"{pd.Timestamp(r.expected_period_end):%Y-%m-%d}，已逾期 {late} 天")
            out.append(Condition(f"{rule['id']}|{r.source}", rule["id"], rule["title"], "", text))
    return out


def _rejections(con, scope, rule, user=None, root=None) -> list[Condition]:
    df = q.run(quality.sources, con, scope)
    limit = float(rule.get("percent", 100)) / 100
    out = []
    for r in df.itertuples():
        rate = _num(r.latest_rejection_rate)
        if rate is not None and rate > limit:
            text = f"{r.department}「{r.title}」{r.latest_period} 导入拒收率 {rate:.1%}（阈值 {limit:.0%}）"
            out.append(Condition(f"{rule['id']}|{r.source}|{r.latest_period}", rule["id"], rule["title"], "", text))
    return out


def _areas(con, scope) -> list[tuple[str, str, q.Scope]]:
    """The user's whole scope, and each county in it when it holds more than one: (code, name, scope)."""
    whole = [("", "", scope)]
    counties = q.run(q.counties, con, scope)
    if len(counties) <= 1:
        return whole
    return whole + [(str(c), str(n), scope.narrow(str(c))) for c, n in zip(counties["county_code"],
                                                                         counties["county_name"])]


def _targets(con, scope, rule, user=None, root=None) -> list[Condition]:
    out = []
    plans = targets.plans(con, scope)
    plan_names = dict(zip(plans["plan_id"], plans["plan_name"]))
    for code, name, part in _areas(con, scope):
        df = q.run(targets.indicator_status, con, part)
        for r in df[df["status"].isin(targets.OFF_TRACK)].itertuples():
            label = getattr(r, "current_value_label", None)
            value = label if isinstance(label, str) and getattr(r, "current_value_suppressed", False) \
                else ("—" if _num(r.current_value) is None else f"{_num(r.current_value):g}")
            unit = "" if pd.isna(r.unit) else str(r.unit)
            where = f"{name}：" if name else ""
            text = (f"{where}{r.indicator}（{plan_names.get(r.plan_id, r.plan_id)}）{r.status}：当前 {value}{unit}，"
                    f"应达 {_num(r.expected_today):g}{unit}，目标 {_num(r.target):g}{unit}")
            key = f"{rule['id']}|{code}|{r.plan_id}|{r.measure_no}|{r.indicator}"
            out.append(Condition(key, rule["id"], rule["title"], code, text))
    return out


def _home_visits(con, scope, rule, user=None, root=None) -> list[Condition]:
    df = q.run(ledger.compliance, con, scope, "street")
    least = float(rule.get("children", 1))
    out = []
    for r in df.itertuples():
        n = _num(r.home_visit_overdue)  # hidden by the small-number rule for this role: no alert either
        if n is not None and n >= least:
            text = f"{r.area_name}：{int(n)} 名重点儿童入户走访逾期，最长逾期 {int(_num(r.overdue_days_max) or 0)} 天"
            out.append(Condition(f"{rule['id']}|{r.area_code}", rule["id"], rule["title"], str(r.area_code), text))
    return out


def _followups(con, scope, rule, user=None, root=None) -> list[Condition]:
    """Streets with follow-up items (督办) past their due date: a department officer's own queue, a case worker's
    or an admin's every item, others the items of their regions; counted through the door (small-number rule).
    Waits for the follow-up flow: nothing until loop.followup exists."""
    if importlib.util.find_spec("loop.followup") is None:
        return []
    fu = importlib.import_module("loop.followup")
    uf = importlib.import_module("ui.followup")
    df = uf.state(con, scope, root=root)
    if user is not None and user.role in fu.DEPT_ROLES + fu.CASE_ROLES:
        df = fu.queue(df, user.role, user.department)
    df = df[df["is_overdue"].astype(bool)]
    if df.empty:
        return []
    least = float(rule.get("items", 1))
    out = []
    for r in uf.by_street(con, scope, df).itertuples():
        n = _num(r.overdue)
        if n is not None and n >= least:
            text = f"{r.street_name}：{int(n)} 项督办事项已过办理期限"
            out.append(Condition(f"{rule['id']}|{r.street_code}", rule["id"], rule["title"], str(r.street_code),
                                 text))
    return out


EVALUATORS = {"extract_late": _late, "rejection_rate": _rejections, "target_off_track": _targets,
              "home_visit_overdue": _home_visits, "followup_overdue": _followups}


def conditions(con, user, cfg: dict, root=None) -> list[Condition]:
    """The conditions holding now for `user` (an auth.users.User), by the rules that name the user's role;
    `root`: the data folder (the follow-up state lives there)."""
    scope = user_scope(user)
    if scope.is_empty:
        return []
    out: list[Condition] = []
    for rule in cfg.get("rules") or []:
        if user.role in (rule.get("roles") or []):
            out += EVALUATORS[rule["kind"]](con, scope, rule, user, root)
    return out
