"""Deliberate faults: about 1–2 % of a file's rows made bad on purpose, the kinds validation must reject
(wrong check digit, someone past the age limit, impossible date, unknown code or name, duplicate, value
outside the list, negative count). Each is counted by kind in the manifest.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from demo.draw import id_check_char, make_ids, period_bounds, uniform_days

if TYPE_CHECKING:
    from demo.world import World
    from demo.writer import Writer

# a value outside the list, per enum column
BAD_ENUM = {
    "sex": "未知", "category": "困境儿童", "moved_from": "省外流入", "parents_sector": "个体经营",
    "key_type": "孤儿", "risk_level": "紫色", "visit_type": "微信联系", "activity_type": "手工课", "status": "延期",
    "stage": "职高", "school_type": "公办民助", "disability_type": "其他", "disability_grade": "五级",
    "vaccine": "流感疫苗", "assistance_type": "教育救助", "insurance_type": "商业保险", "insured_place": "外省",
    "role": "社工", "facility_type": "儿童友好空间", "team_type": "巾帼", "volunteer_type": "居民",
}
_BAD_COMMUNITY = ["幸福里社区", "阳光花城社区", "和谐家园社区", "锦绣华庭社区", "新时代村", "城东新村社区"]
_BAD_STREET = ["城东新区街道", "开发区管委会", "高铁新城街道"]


def inject_bad_rows(writer: Writer, cols: dict, n: int, name_rows: np.ndarray, rng,
                    world: World) -> tuple[dict, list]:
    """Make some rows of this chunk bad in place; return (cell overrides by (row, column), rows to repeat)."""
    src, p = writer.src, writer.plan
    overrides: dict[tuple[int, str], str] = {}
    dups: list[int] = []
    writer.bad_rows = set()
    if p.source in ("regions", "population") or n == 0:
        return overrides, dups
    if n >= 20:
        k = max(1, round(float(n * rng.uniform(0.01, 0.02))))
    elif n >= 5:
        k = 1
    else:
        return overrides, dups
    ctype = {c: src.column(c).type for c in writer.columns}
    idc = next((c for c in writer.columns if ctype[c] == "id_card"), None)
    dates = [c for c in writer.columns if ctype[c] == "date"]
    req_dates = [c for c in dates if src.column(c).required] or dates
    divs = [c for c in writer.columns if ctype[c] == "division"]
    enums = [c for c in writer.columns if ctype[c] == "enum" and c in BAD_ENUM]
    req_enums = [c for c in enums if src.column(c).required] or enums
    ints = [c for c in writer.columns if ctype[c] == "int" and (src.column(c).min or 0) >= 0
            and src.column(c).min is not None]
    kinds = []
    if idc:
        kinds.append("bad_check_digit")
        if src.about_children:
            kinds.append("age_16_plus")
    if req_dates:
        kinds.append("impossible_date")
    if divs:
        kinds.append("unknown_code")
    if src.key:
        kinds.append("duplicate")
    if name_rows.any():
        kinds.append("unknown_name")
    if req_enums:
        kinds.append("enum_outside_list")
    if ints:
        kinds.append("negative_count")
    rows = rng.choice(n, size=min(k, n), replace=False)
    for r in rows:
        r = int(r)
        cands = [c for c in divs if cols[c][r] != ""]
        usable = [k_ for k_ in kinds if (k_ != "unknown_code" or cands)
                  and (k_ != "unknown_name" or name_rows[r])]
        if not usable:
            continue
        kind = usable[int(rng.integers(0, len(usable)))]
        if kind == "bad_check_digit":
            v = str(cols[idc][r])
            good = id_check_char(v[:17])
            wrong = [ch for ch in "0123456789X" if ch != good]
            cols[idc][r] = v[:17] + wrong[int(rng.integers(0, len(wrong)))]
        elif kind == "age_16_plus":
            _make_old(writer, cols, r, idc, rng, world)
        elif kind == "impossible_date":
            c = req_dates[int(rng.integers(0, len(req_dates)))]
            y = int(p.period[:4])
            overrides[(r, c)] = [f"{y}-02-30", f"{y}/13/05", f"{y}年6月31日", f"{y}0431", f"{y}-00-12"][
                int(rng.integers(0, 5))]
        elif kind == "unknown_code":
            c = cands[int(rng.integers(0, len(cands)))]
            v = str(cols[c][r])
            lvl = src.column(c).level
            if lvl == "street" or (lvl == "any" and v.endswith("000") and v[6:9] != "000"):
                cols[c][r] = v[:6] + f"9{int(rng.integers(10, 99))}" + "000"
            elif lvl == "county" or (lvl == "any" and v[6:] == "000000"):
                cols[c][r] = v[:4] + "69" + "000000"
            else:
                cols[c][r] = v[:9] + f"9{int(rng.integers(10, 99))}"
        elif kind == "duplicate":
            dups.append(r)
        elif kind == "unknown_name":
            if "community_name" in writer.columns and cols["community_name"][r] != "":
                cols["community_name"][r] = _BAD_COMMUNITY[int(rng.integers(0, len(_BAD_COMMUNITY)))]
            else:
                cols["street_name"][r] = _BAD_STREET[int(rng.integers(0, len(_BAD_STREET)))]
        elif kind == "enum_outside_list":
            c = req_enums[int(rng.integers(0, len(req_enums)))]
            cols[c][r] = BAD_ENUM[c]
        elif kind == "negative_count":
            c = ints[int(rng.integers(0, len(ints)))]
            cols[c][r] = -float(rng.integers(1, 30))
        writer.count(kind)
    writer.bad_rows = {int(r) for r in rows}    # cosmetics leave these alone
    return overrides, dups


def _make_old(writer: Writer, cols, r, idc, rng, world):
    """Replace a child by someone at or past the contract's max_age (16, or 18/20) at the period's end."""
    _, end = period_bounds(writer.plan.source, writer.plan.period)
    limit = writer.src.max_age or 16
    hi = end - limit * 366 - 30
    birth = int(uniform_days(rng, hi - 3 * 365, hi))
    male = bool(rng.random() < 0.5)
    prefix = int(str(cols[idc][r])[:6])
    seq = int(rng.integers(0, 500)) * 2 + int(male)
    new = make_ids(np.array([prefix]), np.array([birth]), np.array([seq]))[0]
    cols[idc][r] = new
    if "birth_date" in writer.columns:
        cols["birth_date"][r] = birth
    if "sex" in writer.columns:
        cols["sex"][r] = "男" if male else "女"
