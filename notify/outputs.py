"""What a subscription delivers, built through the query door with the recipient's own scope and role.

- overdue_list: a case worker's key children overdue for a visit, masked as the due list of 重点儿童 is (the list
  mart is masked in the build; the door serves lists to case roles only), as xlsx through report/export.py.
- county_brief: the meeting pack's PDF (report/pack.py) for the recipient's scope — a county officer's brief holds
  that county alone, with the small-number rule the door applies to the role.
- meeting_pack: the same builder's PDF and Excel, before each quarter's meeting.
- digest: the recipient's alerts not yet sent, as text (region names, counts and rates only).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from report import export, labels
from report import pack as meeting_pack_builder
from warehouse import queries as q
from warehouse.queries import ledger

SCHEDULES = ("month", "quarter", "run")


def period_due(schedule: str, today: dt.date, days_before: int = 0) -> str | None:
    """The delivery period an output is due for on `today` (sent once per period), None when not due yet:
    month → 2026-11; quarter → 2026Q4 from `days_before` days before the quarter ends (the meeting's lead)."""
    if schedule == "month":
        return f"{today:%Y-%m}"
    if schedule == "quarter":
        quarter = (today.month - 1) // 3 + 1
        end_month = quarter * 3
        end = dt.date(today.year + end_month // 12, end_month % 12 + 1, 1) - dt.timedelta(days=1)
        return f"{today.year}Q{quarter}" if today >= end - dt.timedelta(days=days_before) else None
    if schedule == "run":
        return "run"
    raise ValueError(f"unknown schedule {schedule!r} (choose from {SCHEDULES})")


def region_label(con, scope: q.Scope) -> str:
    """The region an output is about, by name: the one county of a county scope, else the deployment's name."""
    counties = q.run(q.counties, con, scope)
    if len(counties) == 1:
        return str(counties["county_name"].iloc[0])
    return q.deployment(con, scope).name or "本辖区"


def latest_period(con) -> str | None:
    periods = q.periods(con)
    return str(periods["period"].iloc[0]) if len(periods) else None


# The due list's columns as 重点儿童 shows and exports them (ui/ledger.due_columns without the guardian, whom a
# monthly list sent by e-mail does not need).
LIST_COLUMNS = ["masked_name", "masked_id", "street_name", "director_id", "risk_level", "key_type",
                "last_contact_date", "last_home_visit_date", "next_due_date", "overdue_days"]


def overdue_list(con, scope: q.Scope, info: q.SnapshotInfo) -> list[tuple[str, bytes]]:
    """The overdue-visit list of the scope (masked; case roles only: the door refuses others)."""
    listed = q.run(ledger.due_list, con, scope, 0)
    due = listed[listed["is_overdue"].astype(bool)]
    shown = due[LIST_COLUMNS].copy()
    for c in ("last_contact_date", "last_home_visit_date", "next_due_date"):
        shown[c] = ["" if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d") for v in shown[c]]
    shown = shown.rename(columns=labels.LABELS)
    as_of = "" if info.data_date is None else f"{pd.Timestamp(info.data_date):%Y-%m-%d}"
    title = f"重点对象走访逾期名单（{region_label(con, scope)}）"
    cut = f"（名单只列最紧急的 {ledger.LIST_LIMIT} 人）" if len(listed) >= ledger.LIST_LIMIT else ""
    note = f"数据截止 {as_of}；共 {len(shown)} 人{cut}；个人信息已脱敏，仅供本辖区走访使用。"
    data = export.to_xlsx_bytes([export.Sheet("名单", shown, above=[[title], [note]])])
    return [(f"走访逾期名单_{as_of}.xlsx", data)]


def brief(con, scope: q.Scope, info: q.SnapshotInfo, *, excel: bool) -> list[tuple[str, bytes]]:
    """The meeting pack of the scope's latest register period: PDF (and the workbook when `excel`)."""
    period = latest_period(con)
    if period is None:
        return []
    label = region_label(con, scope)
    pdf, xlsx = meeting_pack_builder.build(con, scope, period, region_label=label, data_date=info.data_date,
                                           is_demo=info.is_demo)
    name = f"{'推进会材料' if excel else '月度简报'}_{label}_{period}"
    return [(f"{name}.pdf", pdf)] + ([(f"{name}.xlsx", xlsx)] if excel else [])


def digest(firings: list[dict]) -> str:
    """The alert digest: one line per alert, grouped by rule, newest first."""
    lines = []
    for title, group in pd.DataFrame(firings).groupby("title", sort=False) if firings else []:
        lines.append(f"【{title}】{len(group)} 条")
        lines += [f"  · {t}" for t in group.sort_values("fired_at", ascending=False)["text"]]
    return "\n".join(lines)
