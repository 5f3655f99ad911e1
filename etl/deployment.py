"""The deployment: which region it serves (a province, a city or a county), and the structure of division codes.

A real deployment is one place. Its root region is configured in `<data>/deployment.yaml` (written by
`python -m etl init --root CODE`), so that an office can land the whole province's official table and keep
only its own part. Without the file the root is whatever the landed region table holds at its top.

Division codes follow the NBS 统计用区划代码 (12 digits: province 2, city 2, county 2, street 3, community 3);
a GB/T 2260 code has the first 6. Level and parent follow from the code alone, so an official table with
only 代码 and 名称 is a full region table.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

FILE = "deployment.yaml"
LEVELS = ("province", "city", "county", "street", "community")
# What every page, message and list calls each level.
LEVEL_ZH = {"province": "省", "city": "市", "county": "区县", "street": "街道（乡镇）", "community": "社区（村）"}
# (level, digits that name it): a code's level is the shortest prefix after which only zeros follow.
_WIDTHS = (("province", 2), ("city", 4), ("county", 6), ("street", 9), ("community", 12))
_DIGITS = re.compile(r"[0-9]{2,12}")


def normalise_code(text: object) -> str | None:
    """A division code as 12 digits: "320402" → "320402000000", 320402 (an integer adcode) likewise,
    "3204" → "320400000000"; None for anything that is not 2–12 digits (".0" of a number cell dropped)."""
    if text is None:
        return None
    s = str(text).strip()
    s = s.removesuffix(".0")
    if not _DIGITS.fullmatch(s) or len(s) in (3, 5, 7, 8, 10, 11):
        return None
    return s.ljust(12, "0")


def level_of(code: str) -> str:
    """province | city | county | street | community, from a 12-digit code."""
    for level, n in _WIDTHS:
        if set(code[n:]) <= {"0"}:
            return level
    return "community"


def prefix(code: str) -> str:
    """The digits that name the region (its descendants' codes start with them): "320400000000" → "3204"."""
    return code[: dict(_WIDTHS)[level_of(code)]]


def parent_of(code: str) -> str | None:
    """The next level up, by the code: a street's county, a county's city; None for a province."""
    widths = [n for _, n in _WIDTHS]
    n = dict(_WIDTHS)[level_of(code)]
    i = widths.index(n)
    return None if i == 0 else code[: widths[i - 1]].ljust(12, "0")


def within(code: str, root: str | None) -> bool:
    """Whether a code lies in the root region (itself included); everything does without a root."""
    return root is None or code.startswith(prefix(root))


def _path(data: Path) -> Path:
    return Path(data) / FILE


def root_code(data: Path) -> str | None:
    """The configured root region (12 digits), or None when the deployment has not set one."""
    p = _path(data)
    if not p.is_file():
        return None
    doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    return normalise_code(doc.get("root_code"))


def set_root_code(data: Path, code: str) -> str:
    """Record the root region; returns it as 12 digits. Raises ValueError for a code that is not one."""
    norm = normalise_code(code)
    if norm is None:
        raise ValueError(f"不是区划代码 not a division code: {code!r}")
    p = _path(data)
    doc = (yaml.safe_load(p.read_text(encoding="utf-8")) or {}) if p.is_file() else {}
    doc["root_code"] = norm
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    tmp.replace(p)
    return norm
