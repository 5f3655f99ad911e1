"""The metric catalogue (config/metrics.csv): one row per figure the product shows, so that a figure has
one name and one definition on every page, the pack and the exports.

`get(id)` → a Metric (name_zh, definition_zh, numerator, denominator, unit, source, period_rule,
higher_is_better, kind); `label(id)` → the Chinese name; `help(id)` → the definition for a (?) tooltip.
Two figures with different definitions are two entries with different names. Plan indicators map to
an entry by `for_indicator`: a computed one by its model (the entry's id), a reported one by the
indicator's name (the entry's `numerator`); a reported indicator without an entry gets one made from
its name ("…（部门报送）"), so a deployment's own plan needs no catalogue edit to be labelled.

Read again whenever the file changes (path, size, mtime), like settings.settings.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from settings import REPO_DIR, config_dir, read_when_changed

COLUMNS = ("metric_id", "name_zh", "definition_zh", "numerator", "denominator", "unit", "source",
           "period_rule", "higher_is_better", "kind")
KIND_ZH = {"computed": "计算值", "reported": "部门报送"}


@dataclass(frozen=True)
class Metric:
    """One catalogue entry."""

    metric_id: str
    name_zh: str
    definition_zh: str
    numerator: str = ""
    denominator: str = ""
    unit: str = ""
    source: str = ""
    period_rule: str = ""
    higher_is_better: bool | None = None
    kind: str = "computed"

    def __getitem__(self, key: str):  # dict-like access for callers that treat a row as a mapping
        return getattr(self, key)


_CACHE: dict[tuple, dict[str, Metric]] = {}


def path() -> Path:
    """$TONGXIN_CONFIG_DIR/metrics.csv when that folder has one (a deployment's own catalogue), else the
    shipped config/metrics.csv: a deployment that only overrides settings keeps every figure's name."""
    own = config_dir() / "metrics.csv"
    return own if own.is_file() else REPO_DIR / "config" / "metrics.csv"


def _bool(v: str) -> bool | None:
    v = (v or "").strip().lower()
    return True if v in ("true", "1", "是", "yes") else False if v in ("false", "0", "否", "no") else None


def catalogue() -> dict[str, Metric]:
    """Every entry by metric_id, as the file is now on disk."""
    return read_when_changed(path(), _CACHE, _parse) or {}


def _parse(p: Path) -> dict[str, Metric]:
    with p.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for r in rows:
        vals = {c: (r.get(c) or "").strip() for c in COLUMNS}
        if not vals["metric_id"]:
            continue
        vals["higher_is_better"] = _bool(vals["higher_is_better"])
        vals["kind"] = vals["kind"] or "computed"
        out[vals["metric_id"]] = Metric(**vals)
    return out


def get(metric_id: str) -> Metric:
    """The entry `metric_id`; KeyError names the id when the catalogue lacks it."""
    try:
        return catalogue()[metric_id]
    except KeyError:
        raise KeyError(f"指标目录中没有 {metric_id} / metric {metric_id!r} not in config/metrics.csv") from None


def label(metric_id: str) -> str:
    """The figure's Chinese name on every page."""
    return get(metric_id).name_zh


def help(metric_id: str) -> str:
    """The figure's definition, for Streamlit's help= (the (?) beside a figure)."""
    m = get(metric_id)
    period = f"（数据期：{m.period_rule}）" if m.period_rule else ""
    return f"{m.definition_zh}{period}"


def for_indicator(kind: str, model: str | None, indicator: str) -> Metric:
    """The entry of a plan indicator: computed → its model's entry; reported → the entry naming the
    indicator, else one made from the indicator's name."""
    cat = catalogue()
    if kind == "computed" and model and model in cat:
        return cat[model]
    if kind == "reported":
        for m in cat.values():
            if m.kind == "reported" and m.numerator == indicator:
                return m
        return Metric(metric_id=f"reported:{indicator}", name_zh=f"{indicator}（部门报送）",
                      definition_zh=f"牵头部门进展报告中填报的“{indicator}”；多个区县时百分比取平均、数量求和。",
                      numerator=indicator, source="progress_reports", kind="reported")
    name = indicator.replace("（系统计算）", "（计算值）")
    return Metric(metric_id=f"computed:{indicator}", name_zh=name,
                  definition_zh=f"由本系统按已导入数据计算的“{name}”。", kind="computed")
