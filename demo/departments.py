"""The departments: one generator per source, each slicing the city's World into the canonical columns of
that source's contract (etl/sources/*.yaml) for one period.

A generator takes (world, plan) and yields chunks: dicts of column name → array, dates as day numbers
(demo.draw), flags as 1/0/-1. demo.writer turns them into the department's file.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from demo.draw import (
    ADULT_NAMES,
    COMPOUND_SURNAMES,
    NAD,
    SURNAMES,
    age_at,
    date_to_day,
    period_bounds,
    person_names,
    pick,
    stream,
    to_day,
    uniform_days,
    ymd,
)
from demo.sources import HALF_YEARS, MONTHS, PROGRESS_QUARTERS, Plan
from demo.world import BAND_SHARE, RISK, World


# ---- source generators: each yields canonical chunks (dict of column → array) ------------------
def _child_cols(w: World, idx: np.ndarray) -> dict:
    return {"id_number": w.c_id[idx], "child_name": w.c_name[idx]}


def _loc_cols(w: World, idx: np.ndarray) -> dict:
    c = w.c_comm[idx]
    return {"community_code": w.cm_code[c], "street_name": w.st_name[w.cm_street[c]], "community_name": w.cm_name[c]}


def _bool(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int8)


# the childhood schedule: (vaccine, dose, days after birth)
_VACC = [("乙肝疫苗", 1, 0), ("卡介苗", 1, 0), ("乙肝疫苗", 2, 30), ("脊灰疫苗", 1, 61), ("脊灰疫苗", 2, 91),
         ("百白破疫苗", 1, 91), ("脊灰疫苗", 3, 122), ("百白破疫苗", 2, 122), ("百白破疫苗", 3, 152),
         ("乙肝疫苗", 3, 182), ("A群流脑疫苗", 1, 182), ("麻腮风疫苗", 1, 243), ("乙脑疫苗", 1, 243),
         ("A群流脑疫苗", 2, 274), ("百白破疫苗", 4, 547), ("麻腮风疫苗", 2, 547), ("甲肝疫苗", 1, 547),
         ("乙脑疫苗", 2, 730), ("脊灰疫苗", 4, 1461), ("白破疫苗", 1, 2191)]


def regions_rows(w: World, plan) -> Iterator[dict]:
    df = w.geo.regions_frame()
    keep = df.region_code.str.startswith(w.city4) | (df.level == "province") & w.province_row
    df = df[keep].reset_index(drop=True)
    kind = dict(zip(w.geo.streets.street_code, w.geo.streets.street_kind))
    kind.update(dict(zip(w.geo.communities.community_code, w.geo.communities.community_kind)))
    lvl_zh = []
    for code, lvl, name in zip(df.region_code, df.level, df.region_name):
        if lvl == "province":
            lvl_zh.append("省")
        elif lvl == "city":
            lvl_zh.append("市")
        elif lvl == "county":
            lvl_zh.append("区" if name.endswith("区") else "县")
        elif lvl == "street":
            lvl_zh.append("街道" if kind[code] == "街道" else "乡镇")
        else:
            lvl_zh.append("社区" if kind[code] == "社区" else "村")
    out = {c: df[c].to_numpy() for c in ("region_code", "region_name", "area_type", "area_km2", "lon", "lat",
                                          "parent_code")}
    out["level"] = np.array(lvl_zh, dtype=object)
    out["area_type"] = np.where(out["area_type"] == "", "", out["area_type"]).astype(object)
    yield out


def population_rows(w: World, plan) -> Iterator[dict]:
    rng = stream(w.seed, "population", w.city_code)
    res = w.streets.residents.to_numpy()
    out = {"street_code": w.st_code, "street_name": w.st_name, "residents": res.astype(float)}
    end = to_day(2025, 12, 31)
    pres = w.present(end, register_only=False)
    ages = age_at(w.c_birth, end)
    for band, (lo, hi) in {"0_3": (0, 3), "3_6": (3, 6), "6_12": (6, 12), "12_16": (12, 16)}.items():
        est = res * BAND_SHARE[band] * rng.lognormal(0, 0.08, len(res))
        m = pres & (ages >= lo) & (ages < hi)
        known = np.bincount(w.c_street[m], minlength=len(res))
        out[f"residents_{band}"] = np.round(np.maximum(est, known * 1.25)).astype(float)
    yield out


def civil_register_rows(w: World, plan) -> Iterator[dict]:
    hi = HALF_YEARS.index(plan.period)
    _, end = period_bounds("civil_register", plan.period)
    idx = np.flatnonzero(w.present(end))
    w.summary[f"civil_register_{plan.period}"] = len(idx)
    out = _child_cols(w, idx)
    out["sex"] = np.where(w.c_male[idx], "男", "女").astype(object)
    out["birth_date"] = w.c_birth[idx]
    out |= _loc_cols(w, idx)
    out["category"] = np.where(w.c_group[idx] == 1, "留守儿童", "流动儿童").astype(object)
    out["hukou_region"] = w.c_hukou[idx]
    out["moved_from"] = w.c_moved[idx]
    out["in_difficulty"] = _bool(w.c_difficulty[idx])
    out["parents_sector"] = w.c_sector[idx]
    out["single_parent"] = _bool(w.c_single[idx])
    # the survey re-dates a share of the children every round (一年两排)
    resurvey = stream(w.seed, "resurvey", w.city_code, hi).random(len(idx)) < 0.3
    start, _ = period_bounds("civil_register", plan.period)
    out["registered_date"] = np.where(resurvey, np.maximum(w.c_regdate[idx], uniform_days(
        stream(w.seed, "resurvey-d", w.city_code, hi), start, end)), w.c_regdate[idx])
    yield out


def key_children_rows(w: World, plan) -> Iterator[dict]:
    hi = HALF_YEARS.index(plan.period)
    start, end = period_bounds("key_children", plan.period)
    idx = np.flatnonzero(w.key_mask(hi, end))
    w.summary[f"key_children_{plan.period}"] = len(idx)
    rng = stream(w.seed, "key_children", w.city_code, plan.period)
    out = _child_cols(w, idx) | _loc_cols(w, idx)
    kt = w.key_type()[idx]
    out["key_type"] = kt
    out["risk_level"] = np.asarray(RISK, dtype=object)[w.risk(hi)[idx]]
    out["director_id"] = w.cm_director[w.c_comm[idx]]
    out["survey_date"] = np.maximum(w.c_regdate[idx], uniform_days(rng, np.full(len(idx), start), end))
    p_agree = (0.55, 0.60, 0.66)[hi] * np.where(w.st_core[w.c_street[idx]], 1.1, 0.95)
    agree = np.where(w.c_agree_u[idx] < p_agree, 1, 0)
    out["has_care_agreement"] = np.where(kt == "留守儿童", agree, -1).astype(np.int8)
    out |= _guardian_cols(w, idx, kt)
    out["school_name"] = _key_child_schools(w, idx, end)
    yield out


_PATERNAL = {"父亲", "祖父", "叔叔", "伯父"}   # share the child's surname (women keep their own)


def _guardian_cols(w: World, idx: np.ndarray, kt: np.ndarray) -> dict:
    """Guardian name, relation and phone for key children: drawn from a hash of the child, so a child keeps the
    same guardian from one survey to the next. Phones are 139 0000 xxxx, a range no real subscriber holds."""
    h = (idx.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(w.seed & 0xFFFFFFFF)) >> np.uint64(11)
    u = (h % np.uint64(1_000_003)).astype(np.float64) / 1_000_003
    pick = (h // np.uint64(1_000_003)).astype(np.int64)
    parents = np.where(u < 0.6, "父亲", "母亲")
    grand = np.asarray(["祖父", "祖母", "外祖父", "外祖母"], dtype=object)[pick % 4]
    kin = np.asarray(["叔叔", "伯父", "姑姑", "舅舅", "姨妈"], dtype=object)[pick % 5]
    rel = np.select([(kt == "留守儿童") & (u < 0.75), kt == "事实无人抚养儿童"],
                    [grand, np.where(u < 0.6, grand, kin)], parents).astype(object)
    child = w.c_name[idx].astype(str)
    own = np.asarray([n[:2] if n[:2] in COMPOUND_SURNAMES else n[:1] for n in child], dtype=object)
    other = np.asarray(SURNAMES, dtype=object)[(pick // 7) % len(SURNAMES)]
    surname = np.where(np.isin(rel, list(_PATERNAL)), own, other)
    given = np.asarray(ADULT_NAMES, dtype=object)[(pick // 11) % len(ADULT_NAMES)]
    name = (surname + given).astype(object)
    phone = np.char.add("1390000", np.char.zfill(((pick // 13) % 10_000).astype(str), 4)).astype(object)
    phone[u > 0.97] = ""                     # a few rows without a number, as in real ledgers
    name[(u > 0.985) & (u <= 0.995)] = ""
    rel[name == ""] = ""
    return {"guardian_name": name, "guardian_relation": rel, "guardian_phone": phone}


def _key_child_schools(w: World, idx: np.ndarray, at: int) -> np.ndarray:
    """The school or kindergarten of a key child aged 3 or more: one of its street's (else county's) schools of the
    child's stage, chosen by the same draw as the student register uses."""
    age = age_at(w.c_birth[idx], at)
    stage = np.select([age < 3, age < 6, age < 12, age < 15], ["", "幼儿园", "小学", "初中"], "高中").astype(object)
    out = np.full(len(idx), "", dtype=object)
    sc = w.schools
    sc_stage, sc_street = sc.stage.to_numpy(), sc.street.to_numpy()
    sc_county = w.st_county_idx[sc_street]
    names = sc.school_name.to_numpy()
    frame = pd.DataFrame({"s": w.c_street[idx], "stage": stage})
    for (s, stage_), rows in frame.groupby(["s", "stage"], sort=True).indices.items():
        if not stage_:
            continue
        ok = (sc_stage == stage_) | ((sc_stage == "九年一贯制") & (stage_ in ("小学", "初中")))
        cands = np.flatnonzero(ok & (sc_street == s))
        if not len(cands):
            cands = np.flatnonzero(ok & (sc_county == w.st_county_idx[s]))
        if len(cands):
            out[rows] = names[cands[np.minimum((w.c_school_u[idx[rows]] * len(cands)).astype(int), len(cands) - 1)]]
    return out


def _half_for_month(month: str) -> int:
    y, m = int(month[:4]), int(month[5:])
    return min(2, (y - 2025) * 2 + (m > 6))


def visits_rows(w: World, plan) -> Iterator[dict]:
    mi = MONTHS.index(plan.period)
    start, end = period_bounds("visits", plan.period)
    ndays = end - start + 1
    rng = stream(w.seed, "visits", w.city_code, plan.period)
    key = w.key_mask(_half_for_month(plan.period), end)
    lb_nonkey = ~key & w.present(end) & (w.c_group == 1)
    ki = np.flatnonzero(key)
    dil, k, ph = w.c_dilig[ki], w.c_home_k[ki], w.c_phase[ki]
    recs = []
    # phone contact, roughly monthly
    phone = rng.random(len(ki)) < np.array([0.95, 0.65, 0.35])[dil]
    recs.append((ki[phone], "电话联系", uniform_days(rng, np.full(phone.sum(), start), end)))
    # home visits every k months; the overdue minority stop visiting
    due = ((mi + ph) % k) == 0
    due &= np.where(dil == 2, mi <= w.c_stop[ki], True) & (rng.random(len(ki)) < 0.93)
    recs.append((ki[due], "入户走访", uniform_days(rng, np.full(due.sum(), start), end)))
    video = rng.random(len(ki)) < np.where(w.c_group[ki] == 1, 0.2, 0.03)
    recs.append((ki[video], "视频联系", uniform_days(rng, np.full(video.sum(), start), end)))
    # home schooling twice a month for severely disabled school-age children
    age = age_at(w.c_birth[ki], end)
    sj = w.c_disabled[ki] & np.isin(w.c_dis_grade[ki], ["一级", "二级"]) & (age >= 6)
    for half in (0, 1):
        m = sj & (rng.random(len(ki)) < 0.9)
        lo = start + (0 if half == 0 else 14)
        hi_ = start + (13 if half == 0 else ndays - 1)
        recs.append((ki[m], "送教上门", uniform_days(rng, np.full(m.sum(), lo), hi_)))
    # every left-behind child: a home visit each quarter, a phone call most other months
    li = np.flatnonzero(lb_nonkey)
    q = (((mi + w.c_phase[li]) % 3) == 0) & (rng.random(len(li)) < 0.8)
    recs.append((li[q], "入户走访", uniform_days(rng, np.full(q.sum(), start), end)))
    c = ~q & (rng.random(len(li)) < 0.5)
    recs.append((li[c], "电话联系", uniform_days(rng, np.full(c.sum(), start), end)))
    idx = np.concatenate([r[0] for r in recs])
    vtype = np.concatenate([np.full(len(r[0]), r[1], dtype=object) for r in recs])
    vdate = np.concatenate([r[2] for r in recs])
    order = np.lexsort((idx, vdate))
    idx, vtype, vdate = idx[order], vtype[order], vdate[order]
    n = len(idx)
    needs = w.c_needs[idx].copy()
    needs[(vtype == "电话联系") & (rng.random(n) < 0.6)] = ""
    director = w.cm_director[w.c_comm[idx]].copy()
    director[rng.random(n) < 0.03] = ""
    w.summary[f"visits_{plan.period}"] = n
    yield {"id_number": w.c_id[idx], "visit_date": vdate, "visit_type": vtype, "director_id": director,
           "community_code": w.cm_code[w.c_comm[idx]], "needs": needs}


def students_rows(w: World, plan) -> Iterator[dict]:
    _, end = period_bounds("students", plan.period)
    y, m, _ = ymd(np.array([end]))
    school_year = int(y[0]) if m[0] >= 9 else int(y[0]) - 1
    by, bm, _ = ymd(w.c_birth)
    entry = np.where(bm < 9, by + 6, by + 7)
    grade = school_year - entry + 1            # 1..6 primary, 7..9 junior, 10.. senior; -2..0 kindergarten
    pres = w.present(end, register_only=False)
    ok = pres & (grade >= -2) & (grade <= 10)
    stage = np.select([grade <= 0, grade <= 6, grade <= 9], ["幼儿园", "小学", "初中"], "高中").astype(object)
    g = w.c_group
    core = w.st_core[w.c_street]
    p_enrol = np.select([stage == "幼儿园", stage == "高中"], [np.where(core, 0.72, 0.65), 0.5],
                        np.where(g == 1, 0.97, 0.8))
    p_enrol = np.where(g == 2, p_enrol * 0.75, p_enrol)
    ok &= w.c_enrol_u < p_enrol
    idx = np.flatnonzero(ok)
    stg = stage[idx]
    typ = w.st_type[w.c_street[idx]]
    fringe = np.isin(typ, ["工业园区", "城乡结合部"])
    p_pub = np.where(w.c_group[idx] == 1, 0.95,
                     np.where(core[idx], np.where(fringe, 0.72, 0.88), np.where(fringe, 0.72, 0.8)))
    p_pub = np.where(stg == "幼儿园", 0.45, np.where(stg == "高中", 0.85, p_pub))
    pub_u = w.c_pub_u[idx]
    want = np.where(pub_u < p_pub, "公办", np.where((stg == "幼儿园") & (pub_u < p_pub + (1 - p_pub) * 0.7),
                                                   "普惠性民办", "民办")).astype(object)
    sc = w.schools
    sc_stage = sc.stage.to_numpy()
    sc_type = sc.school_type.to_numpy()
    sc_street = sc.street.to_numpy()
    sc_county = w.st_county_idx[sc_street]
    school = np.full(len(idx), -1)
    c_street = w.c_street[idx]
    frame = pd.DataFrame({"s": c_street, "stage": stg, "want": want})
    for (s, stage_, want_), rows in frame.groupby(["s", "stage", "want"], sort=True).indices.items():
        stage_ok = (sc_stage == stage_) | ((sc_stage == "九年一贯制") & (stage_ in ("小学", "初中")))
        cands = np.array([], int)
        for level in ("street", "county", "city"):
            base = stage_ok & (sc_type == want_)
            sel = base & (sc_street == s) if level == "street" else (
                base & (sc_county == w.st_county_idx[s]) if level == "county" else base)
            cands = np.flatnonzero(sel)
            if len(cands):
                break
        if not len(cands):
            cands = np.flatnonzero(stage_ok)
        if not len(cands):
            continue
        school[rows] = cands[np.minimum((w.c_school_u[idx[rows]] * len(cands)).astype(int), len(cands) - 1)]
    keep = school >= 0
    idx, school, stg = idx[keep], school[keep], stg[keep]
    gr = grade[idx]
    variant = plan.variant % 2
    names = {-2: "小班", -1: "中班", 0: "大班", 1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级",
             6: "六年级", 7: "初一" if variant else "七年级", 8: "初二" if variant else "八年级",
             9: "初三" if variant else "九年级", 10: "高一"}
    grade_txt = np.vectorize(names.get, otypes=[object])(gr) if len(gr) else np.array([], dtype=object)
    w.summary[f"students_{plan.period}"] = len(idx)
    if plan.period == "2025H2":
        w.migrant_enrolled = np.bincount(school[w.c_group[idx] != 1], minlength=len(sc))
    yield {"id_number": w.c_id[idx], "child_name": w.c_name[idx], "school_code": sc.school_code.to_numpy()[school],
           "school_name": sc.school_name.to_numpy()[school], "stage": stg, "grade": grade_txt,
           "school_type": sc_type[school], "street_code": w.st_code[sc_street[school]],
           "is_migrant": _bool(w.c_group[idx] != 1)}


def school_places_rows(w: World, plan) -> Iterator[dict]:
    rng = stream(w.seed, "school_places", w.city_code)
    sc = w.schools
    if not hasattr(w, "migrant_enrolled"):
        list(students_rows(w, Plan("students", "2025H2", "csv", "utf-8", "", [], "code", 0)))
    mig = w.migrant_enrolled
    typ = w.st_type[sc.street.to_numpy()]
    util = np.where(np.isin(typ, ["工业园区", "城乡结合部"]), rng.uniform(0.92, 1.18, len(sc)),
                    np.where(typ == "乡村", rng.uniform(0.55, 0.9, len(sc)), rng.uniform(0.8, 1.02, len(sc))))
    enrolled = np.maximum(np.round(sc.places.to_numpy() * util), np.ceil(mig * 1.15))
    yield {"school_code": sc.school_code.to_numpy(), "school_name": sc.school_name.to_numpy(),
           "stage": sc.stage.to_numpy(), "school_type": sc.school_type.to_numpy(),
           "street_code": w.st_code[sc.street.to_numpy()], "street_name": w.st_name[sc.street.to_numpy()],
           "places": sc.places.to_numpy().astype(float), "enrolled": enrolled.astype(float),
           "migrant_enrolled": mig.astype(float)}


def residence_permits_rows(w: World, plan) -> Iterator[dict]:
    _, end = period_bounds("residence_permits", plan.period)
    m = w.present(end, register_only=False) & w.c_police & (w.c_group != 1) & (w.c_police_reg <= end)
    idx = np.flatnonzero(m)
    reg = np.maximum(w.c_police_reg[idx], w.c_birth[idx])
    years = (end - reg) // 365 + 1
    expiry = reg + 365 * years - np.where(w.c_permit_lapsed[idx], 365, 0)
    expiry = np.maximum(expiry, reg + 365)
    out = _child_cols(w, idx)
    out["sex"] = np.where(w.c_male[idx], "男", "女").astype(object)
    out["birth_date"] = w.c_birth[idx]
    out |= _loc_cols(w, idx)
    out["registered_date"] = reg
    out["permit_expiry"] = expiry
    w.summary[f"residence_permits_{plan.period}"] = len(idx)
    yield out


def disabled_children_rows(w: World, plan) -> Iterator[dict]:
    _, end = period_bounds("disabled_children", plan.period)
    idx = np.flatnonzero(w.present(end, register_only=False) & w.c_disabled)
    aid = w.c_rehab[idx]
    yield {"id_number": w.c_id[idx], "child_name": w.c_name[idx], "disability_type": w.c_dis_type[idx],
           "disability_grade": w.c_dis_grade[idx], "street_code": w.st_code[w.c_street[idx]],
           "has_rehab_aid": _bool(aid), "rehab_aid_amount": np.where(aid, w.c_rehab_amt[idx], np.nan)}


def health_records_rows(w: World, plan) -> Iterator[dict]:
    _, end = period_bounds("health_records", plan.period)
    m = w.present(end, register_only=False) & (end < w.c_b7) & w.c_health
    rec = np.maximum(w.c_birth, w.c_arrival) + w.c_health_lag
    m &= rec <= end
    idx = np.flatnonzero(m)
    rec = rec[idx]
    young = age_at(w.c_birth[idx], end) < 3
    last = end - (w.c_checkup_u[idx] * np.where(young, 150, 360)).astype(np.int64)
    last = np.where(w.c_checkup_u[idx] > 0.93, NAD, np.maximum(last, rec))
    s = w.c_street[idx]
    provider = np.where(np.asarray([n.endswith("街道") for n in w.st_name], bool)[s],
                        w.st_name[s] + "社区卫生服务中心", w.st_name[s] + "卫生院").astype(object)
    yield {"id_number": w.c_id[idx], "child_name": w.c_name[idx], "record_date": rec, "provider": provider,
           "street_code": w.st_code[s], "last_checkup_date": last}


def vaccinations_rows(w: World, plan) -> Iterator[dict]:
    start, end = period_bounds("vaccinations", plan.period)
    scale = np.where(w.c_vacc_slow, 35.0, 8.0)
    ids, vac, dose, date = [], [], [], []
    cand = np.flatnonzero((w.c_birth <= end) & (w.c_birth >= end - 7 * 366))
    for j, (v, d, off) in enumerate(_VACC):
        rng = stream(w.seed, "vacc", w.city_code, j)      # same draws every month: a child's dates are stable
        delay, given = rng.exponential(1.0, w.n)[cand], rng.random(w.n)[cand]
        dd = w.c_birth[cand] + off + (0 if off == 0 else (delay * scale[cand]).astype(np.int64))
        ok = (dd >= start) & (dd <= end) & (given < w.c_vacc_cov[cand])
        ok &= (w.c_arrival[cand] <= dd) & (w.c_depart[cand] > dd)
        sel = cand[ok]
        ids.append(sel), vac.append(np.full(len(sel), v, dtype=object)), dose.append(np.full(len(sel), d))
        date.append(dd[ok])
    idx = np.concatenate(ids)
    order = np.lexsort((idx, np.concatenate(date)))
    idx = idx[order]
    s = w.c_street[idx]
    clinic = np.where(np.asarray([n.endswith("街道") for n in w.st_name], bool)[s],
                      w.st_name[s] + "社区卫生服务中心预防接种门诊", w.st_name[s] + "卫生院预防接种门诊").astype(object)
    yield {"id_number": w.c_id[idx], "vaccine": np.concatenate(vac)[order],
           "dose": np.concatenate(dose)[order].astype(float), "vaccination_date": np.concatenate(date)[order],
           "clinic": clinic, "street_code": w.st_code[s]}


def medical_insurance_rows(w: World, plan) -> Iterator[dict]:
    _, end = period_bounds("medical_insurance", plan.period)
    rng = stream(w.seed, "insurance", w.city_code, plan.period)
    m = w.present(end, register_only=False) & w.c_insured
    idx = np.flatnonzero(m)
    n = len(idx)
    u = w.c_ins_u[idx]
    ext = w.c_external[idx]
    place = np.where(~ext, "本市", np.where(u < 0.45, "本市", np.where(u < 0.95, "户籍地", "其他"))).astype(object)
    start_new = np.maximum(w.c_birth[idx], w.c_arrival[idx]) + rng.integers(5, 60, n)
    annual = uniform_days(rng, np.full(n, to_day(2024, 9, 1)), to_day(2024, 12, 31))
    enrolled = np.where(np.maximum(w.c_birth[idx], w.c_arrival[idx]) < to_day(2024, 9, 1), annual,
                        np.minimum(start_new, end))
    yield {"id_number": w.c_id[idx],
           "insurance_type": np.where(rng.random(n) < 0.02, "职工基本医疗保险", "城乡居民基本医疗保险").astype(object),
           "insured_place": place, "enrolled_date": enrolled,
           "status": pick(rng, ["正常参保", "暂停", "终止"], [0.96, 0.03, 0.01], n)}


def assistance_rows(w: World, plan) -> Iterator[dict]:
    _, end = period_bounds("assistance", plan.period)
    rng = stream(w.seed, "assistance", w.city_code, plan.period)
    pres = w.present(end)
    parts = [("低保", w.c_dibao, (700, 1000)), ("特困供养", w.c_tekun, (1100, 1500)),
             ("孤儿基本生活费", w.c_orphan, (1800, 2300)), ("事实无人抚养儿童生活补贴", w.c_defacto & ~w.c_orphan, (1600, 2100)),
             ("临时救助", w.c_temp_aid, (500, 5000))]
    ids, typ, amt, sd = [], [], [], []
    for name, flag, (lo, hi) in parts:
        idx = np.flatnonzero(pres & flag)
        ids.append(idx), typ.append(np.full(len(idx), name, dtype=object))
        amt.append(np.round(rng.uniform(lo, hi, len(idx)) / 10) * 10)
        first = np.maximum(w.c_arrival[idx], w.c_birth[idx])
        lo_d = np.maximum(first, end - 180 if name == "临时救助" else to_day(2019, 1, 1))
        sd.append(uniform_days(rng, lo_d, end))
    idx = np.concatenate(ids)
    yield {"id_number": w.c_id[idx], "assistance_type": np.concatenate(typ), "monthly_amount": np.concatenate(amt),
           "start_date": np.concatenate(sd)}


def childcare_rows(w: World, plan) -> Iterator[dict]:
    rng = stream(w.seed, "childcare", w.city_code)
    res = w.streets.residents.to_numpy()
    rate = np.where(w.st_core, rng.uniform(3.2, 4.8, len(res)),
                    np.where(w.st_type == "乡村", rng.uniform(1.2, 2.8, len(res)), rng.uniform(2.6, 3.8, len(res))))
    target = res * rate / 1000
    brands = ["小太阳", "爱贝", "童心", "启蒙", "彩虹", "贝乐", "悦宝", "小橡树", "蒲公英", "星星"]
    rows = []
    for s in range(len(res)):
        left, k = target[s], 0
        while left >= 15 or (k == 0 and left >= 5):
            p = int(min(max(left, 15), rng.integers(30, 151)))
            left -= p
            kind = rng.random()
            name = (f"{w.st_base[s]}幼儿园托班" if kind < 0.25 else
                    f"{w.st_base[s]}{brands[(k + s) % 10]}托育{'中心' if kind < 0.7 else '园'}")
            if k >= 10:
                name = f"{w.st_base[s]}{brands[(k + s) % 10]}托育{k}号园"
            rows.append((s, f"TY{w.st_code[s][:9]}{k + 1:02d}", name, p))
            k += 1
    cc = pd.DataFrame(rows, columns=["street", "institution_id", "institution_name", "places"])
    cc = cc.drop_duplicates("institution_name").reset_index(drop=True)
    cc["street"] = cc.street.astype(np.int64)
    n = len(cc)
    inclusive = rng.random(n) < np.where(w.st_core[cc.street.to_numpy()], 0.62, 0.75)
    places = cc.places.to_numpy()
    inc_places = np.where(inclusive, places, np.where(rng.random(n) < 0.3, np.round(places * 0.3), 0))
    yield {"institution_id": cc.institution_id.to_numpy().astype(object),
           "institution_name": cc.institution_name.to_numpy().astype(object),
           "street_code": w.st_code[cc.street.to_numpy()], "street_name": w.st_name[cc.street.to_numpy()],
           "places": places.astype(float), "inclusive_places": inc_places.astype(float),
           "enrolled": np.round(places * rng.uniform(0.45, 0.92, n)).astype(float), "is_inclusive": _bool(inclusive),
           "registered_date": uniform_days(rng, np.full(n, to_day(2020, 6, 1)), to_day(2026, 9, 30))}


def directors_rows(w: World, plan) -> Iterator[dict]:
    rng = stream(w.seed, "directors", w.city_code)
    nd, ns = len(w.dir_id), len(w.sup_id)
    comm = w.dir_comm
    core_d = w.st_core[w.cm_street[comm]]
    core_s = w.st_core[w.sup_street]
    role = np.r_[np.full(nd, "儿童主任", dtype=object), np.full(ns, "儿童督导员", dtype=object)]
    full = np.r_[rng.random(nd) < np.where(core_d, 0.2, 0.06), rng.random(ns) < np.where(core_s, 0.6, 0.3)]
    trained_p = np.r_[np.where(core_d, 0.93, 0.8), np.where(core_s, 0.97, 0.9)]
    u = rng.random(nd + ns)
    trained = np.where(u < trained_p, uniform_days(rng, np.full(nd + ns, to_day(2025, 3, 1)), to_day(2025, 11, 30)),
                       np.where(u < trained_p + 0.1, uniform_days(rng, np.full(nd + ns, to_day(2023, 3, 1)), to_day(2024, 11, 30)),
                                NAD))
    region = np.r_[w.cm_code[comm], w.st_code[w.sup_street]]
    street = np.r_[w.cm_street[comm], w.sup_street]
    cname = np.r_[w.cm_name[comm], np.full(ns, "", dtype=object)]
    male = rng.random(nd + ns) < 0.3
    yield {"staff_id": np.r_[w.dir_id, w.sup_id], "staff_name": person_names(rng, male, adult=True), "role": role,
           "is_full_time": _bool(full), "region_code": region, "street_name": w.st_name[street],
           "community_name": cname, "trained_date": trained,
           "appointed_date": uniform_days(rng, np.full(nd + ns, to_day(2019, 1, 1)), to_day(2025, 10, 31))}


def children_homes_rows(w: World, plan) -> Iterator[dict]:
    rng = stream(w.seed, "homes", w.city_code)
    nc = len(w.cm_code)
    core = w.st_core[w.cm_street]
    has_home = rng.random(nc) < np.where(core, 0.74, 0.46)
    care_home = rng.random(nc) < np.where(np.isin(w.st_type[w.cm_street], ["工业园区", "城乡结合部"]), 0.12, 0.02)
    rows = []
    for c in np.flatnonzero(has_home):
        rows.append(("儿童之家", w.cm_code[c], w.cm_street[c], w.cm_name[c], f"{w.cm_name[c]}儿童之家", (40, 200)))
    for c in np.flatnonzero(care_home):
        rows.append(("关爱之家", w.cm_code[c], w.cm_street[c], w.cm_name[c], f"{w.cm_name[c]}流动儿童关爱之家",
                     (60, 300)))
    for s in range(len(w.st_code)):
        if rng.random() < 0.93:
            rows.append(("未成年人保护工作站", w.st_code[s], s, "", f"{w.st_name[s]}未成年人保护工作站", (60, 300)))
    for ci, code in enumerate(w.ct_code):
        sts = np.flatnonzero(w.st_county_idx == ci)
        rows.append(("未成年人救助保护机构", code, int(sts[0]), "", f"{w.ct_name[ci]}未成年人救助保护中心", (500, 3000)))
    n = len(rows)
    lo = np.array([r[5][0] for r in rows])
    hi = np.array([r[5][1] for r in rows])
    yield {"facility_id": np.array([f"ET{r[1]}{i:03d}" for i, r in enumerate(rows)], dtype=object),
           "facility_name": np.array([r[4] for r in rows], dtype=object),
           "facility_type": np.array([r[0] for r in rows], dtype=object),
           "region_code": np.array([r[1] for r in rows], dtype=object),
           "street_name": w.st_name[np.array([r[2] for r in rows])],
           "community_name": np.array([r[3] for r in rows], dtype=object),
           "area_m2": np.round(rng.uniform(lo, hi)),
           "opened_date": uniform_days(rng, np.full(n, to_day(2017, 6, 1)), to_day(2025, 10, 31)),
           "is_active": _bool(rng.random(n) < 0.9)}


def volunteer_teams_rows(w: World, plan) -> Iterator[dict]:
    tm = w.teams
    s = tm.street.to_numpy()
    yield {"team_id": tm.team_id.to_numpy().astype(object), "team_name": tm.team_name.to_numpy().astype(object),
           "team_type": tm.team_type.to_numpy().astype(object), "street_code": w.st_code[s],
           "street_name": w.st_name[s], "founded_date": tm.founded.to_numpy()}


def volunteers_rows(w: World, plan) -> Iterator[dict]:
    vo = w.volunteers
    yield {"volunteer_id": vo.volunteer_id.to_numpy().astype(object), "volunteer_name": vo.name.to_numpy(),
           "team_id": vo.team_id.to_numpy().astype(object), "volunteer_type": vo.volunteer_type.to_numpy().astype(object),
           "is_agent_parent": _bool(vo.agent.to_numpy()), "joined_date": vo.joined.to_numpy()}


def pairings_rows(w: World, plan) -> Iterator[dict]:
    _, end = period_bounds("pairings", plan.period)
    rng = stream(w.seed, "pairings", w.city_code, plan.period)
    ki = np.flatnonzero(w.key_mask(2, end))
    risk = w.risk(2)[ki]
    p = np.where(w.st_core[w.c_street[ki]], 0.5, 0.7)
    p = np.where(risk <= 1, 0.85, p)
    ki = ki[rng.random(len(ki)) < p]
    vo = w.volunteers
    elig = ~vo.team_type.isin(["小小志愿者"]).to_numpy()
    v_street = vo.street.to_numpy()
    v_ids = vo.volunteer_id.to_numpy()
    v_agent = vo.agent.to_numpy()
    vid, cid = [], []
    street = w.c_street[ki]
    for s in np.unique(street):
        kids = ki[street == s]
        pool = np.flatnonzero(elig & (v_street == s))
        if not len(pool):
            continue
        wgt = np.where(v_agent[pool], 3.0, 1.0)
        first = pool[rng.choice(len(pool), len(kids), p=wgt / wgt.sum())]
        vid.append(v_ids[first]), cid.append(kids)
        extra = rng.random(len(kids)) < 0.1                    # a second helper for some children
        if extra.any() and len(pool) > 1:
            second = pool[rng.choice(len(pool), extra.sum())]
            ok = second != first[extra]
            vid.append(v_ids[second[ok]]), cid.append(kids[extra][ok])
    if vid:
        vid, cid = np.concatenate(vid), np.concatenate(cid)
    else:
        vid, cid = np.array([], dtype=object), np.array([], dtype=np.int64)
    n = len(cid)
    start = uniform_days(rng, np.maximum(np.full(n, to_day(2024, 3, 1)), w.c_regdate[cid]), end)
    ended = rng.random(n) < 0.1
    endd = np.where(ended, uniform_days(rng, start, end), NAD)
    yield {"volunteer_id": vid.astype(object), "id_number": w.c_id[cid], "start_date": start, "end_date": endd,
           "status": np.where(ended, "已结束", "结对中").astype(object)}


_ACT_BY_TEAM = {
    "教师": ["作业辅导", "四点半课堂", "家庭教育指导", "阅读陪伴", "书法兴趣班"],
    "社会妈妈": ["代理家长陪伴", "生活慰问", "阅读陪伴", "安全教育"],
    "五老": ["安全教育", "书法兴趣班", "代理家长陪伴", "生活慰问"],
    "党员": ["生活慰问", "安全教育", "城市融入", "四点半课堂"],
    "小小志愿者": ["阅读陪伴", "城市融入"],
    "大学生": ["作业辅导", "心理疏导", "四点半课堂", "阅读陪伴"],
    "社会组织": ["心理疏导", "家庭教育指导", "城市融入", "四点半课堂"],
}


def activities_rows(w: World, plan) -> Iterator[dict]:
    start, end = period_bounds("activities", plan.period)
    rng = stream(w.seed, "activities", w.city_code, plan.period)
    tm = w.teams
    s = tm.street.to_numpy()
    lam = np.where(w.st_core[s], 2.0, 1.0) * np.where(w.scale == "tiny", 1.5, 1.0)
    n_act = rng.poisson(lam)
    ti = np.repeat(np.arange(len(tm)), n_act)
    n = len(ti)
    st = s[ti]
    ttype = tm.team_type.to_numpy()[ti]
    atype = np.empty(n, dtype=object)
    for t, opts in _ACT_BY_TEAM.items():
        m = ttype == t
        atype[m] = np.asarray(opts, dtype=object)[rng.integers(0, len(opts), m.sum())]
    mism = w.streets.mismatch.to_numpy()[st]
    cal = mism & (rng.random(n) < 0.45)
    atype[cal] = "书法兴趣班"
    atype[mism & (atype == "作业辅导") & (rng.random(n) < 0.8)] = "书法兴趣班"
    poor = w.streets.poor_funding.to_numpy()[st]
    u = rng.random(n)
    status = np.where(u < np.where(poor, 0.25, 0.04), "计划", np.where(u < np.where(poor, 0.35, 0.07), "取消",
                                                                        "已开展")).astype(object)
    held = status == "已开展"
    part = np.where(atype == "四点半课堂", rng.integers(15, 61, n), rng.integers(6, 41, n)).astype(float)
    sessions = np.where(atype == "四点半课堂", rng.integers(4, 13, n), rng.integers(1, 3, n))
    vols = rng.integers(2, 9, n)
    hours = vols * rng.choice([1.5, 2.0, 2.5, 3.0], n) * np.where(atype == "四点半课堂", sessions, 1)
    # where held at community level, use a community of the street
    comm_of = [np.flatnonzero(w.cm_street == k) for k in range(len(w.st_code))]
    pick = np.array([comm_of[k][int(x * len(comm_of[k]))] for k, x in zip(st, rng.random(n))], dtype=np.int64) \
        if n else np.array([], dtype=np.int64)
    at_comm = rng.random(n) < 0.6
    region = np.where(at_comm, w.cm_code[pick] if n else np.array([], dtype=object), w.st_code[st])
    ids = np.array([f"HD{w.city4[2:]}{plan.period.replace('-', '')}{i + 1:05d}" for i in range(n)], dtype=object)
    out = {"activity_id": ids, "team_id": tm.team_id.to_numpy().astype(object)[ti], "activity_type": atype,
           "activity_date": uniform_days(rng, np.full(n, start), end), "region_code": region.astype(object),
           "street_name": w.st_name[st], "status": status,
           "participants": np.where(held, part, np.where(status == "计划", np.nan, 0.0)),
           "person_times": np.where(held, part * sessions, np.nan),
           "volunteer_hours": np.where(held, hours, np.nan)}
    w.summary[f"activities_{plan.period}"] = n
    yield out


def progress_reports_rows(w: World, plan) -> Iterator[dict]:
    q = PROGRESS_QUARTERS.index(plan.period)
    _, end = period_bounds("progress_reports", plan.period)
    rng = stream(w.seed, "progress", w.city_code, plan.period)
    base_rng = stream(w.seed, "progress-base", w.city_code)
    nct = len(w.ct_code)
    lag = np.where(w.ct_core, 0.0, 1.0) * base_rng.uniform(0.5, 1.5, nct)   # 县域 lag behind
    # a few indicators computed from the world itself
    ct_of_comm = w.st_county_idx[w.cm_street]
    dir_rate = np.array([100 * w.cm_has_director[ct_of_comm == c].mean() for c in range(nct)])
    inds = [  # plan, measure, indicator, dept, unit, start value, target, (county values or None)
        ("yaodu_2025", "M1", "流动儿童信息半年更新率", "民政局", "%", 88, 100, None),
        ("yaodu_2025", "M2", "重点对象每月联系率", "民政局", "%", 85, 100, None),
        ("yaodu_2025", "M2", "重点对象三个月内入户走访率", "民政局", "%", 78, 100, None),
        ("yaodu_2025", "M3", "乡镇街道月度信息比对完成率", "民政局", "%", 70, 100, None),
        ("yaodu_2025", "4", "流动儿童主动搜索次数", "卫健局", "次", 1, 3, None),
        ("yaodu_2025", "8", "残疾儿童康复救助人数", "残联", "人", None, None, "rehab"),
        ("yaodu_2025", "13", "家庭教育指导服务场次", "妇联", "场", 4, 12, None),
        ("changzhou_2024", "1", "重点对象入户巡访覆盖率", "民政局", "%", 80, 100, None),
        ("changzhou_2024", "6", "委托照护协议签订率", "民政局", "%", 55, 100, None),
        ("changzhou_2024", "15", "村（社区）儿童主任配备率", "民政局", "%", None, None, "dir"),
        ("changzhou_2024", "15", "儿童主任年度培训覆盖率", "民政局", "%", 75, 100, None),
        ("city_list_2025", "A1", "普惠性托育机构数", "卫健委", "个", None, None, "cc_n"),
        ("city_list_2025", "A2", "0—6岁流动儿童健康档案建档率", "卫健委", "%", 84, 95, None),
        ("city_list_2025", "C1", "0—6岁流动儿童疫苗接种率", "卫健委", "%", 95, 99, None),
        ("city_list_2025", "B1", "流动儿童义务教育入学率", "教育局", "%", 96, 100, None),
        ("city_list_2025", "B2", "学前三年毛入园率", "教育局", "%", 88, 95, None),
        ("city_list_2025", "F1", "计划活动实际开展率", "妇联", "%", 75, 95, None),
    ]
    rehab = np.bincount(w.c_county[w.c_disabled & w.c_rehab & w.present(end, False)], minlength=nct)
    cc = next(childcare_rows(w, plan))
    st_index = {c: i for i, c in enumerate(w.st_code)}
    cc_st = np.array([st_index[c] for c in cc["street_code"]], dtype=int)
    cc_county = np.bincount(w.st_county_idx[cc_st], weights=cc["is_inclusive"].astype(float), minlength=nct)
    # a realistic spread: some indicators ahead of pace (achieved early), most near it, some behind
    pace = (1.7, 1.0, 0.9, 0.7, 1.25, 1.0, 0.75, 1.7, 0.8, 1.0, 0.95, 1.0, 0.85, 1.7, 1.0, 0.9, 0.6)
    # a few reports owed but never sent (indicator index, county index, quarter index)
    missing = {(2, nct - 1, 2), (8, 0, 2), (15, nct // 2, 1), (10, nct - 1, 2)}
    rows = []
    for i, (plan_id, measure, ind, dept, unit, v0, v1, special) in enumerate(inds):
        for c in range(nct):
            if (i, c, q) in missing:
                continue
            if special == "dir":
                val = dir_rate[c] - (2 - q) * base_rng.uniform(0, 1.5)
            elif special == "rehab":
                val = rehab[c] * (0.8 + 0.1 * q)
            elif special == "cc_n":
                val = cc_county[c] - (2 - q) * (base_rng.random() < 0.5)
            else:
                prog = min(1.1, pace[i] * (0.45 + 0.18 * q) / (1 + 0.3 * lag[c]))
                val = v0 + (v1 - v0) * prog + rng.normal(0, (v1 - v0) * 0.03)
                val = min(val, 100.0) if unit == "%" else max(val, 0)
            val = round(float(val), 1) if unit == "%" else float(round(val))
            dname = f"{w.ct_name[c]}{dept}"
            note = "" if rng.random() < 0.8 else rng.choice(["经费未到位，部分活动延期", "已完成年度目标", "数据来自季度比对",
                                                               "县域村（社区）覆盖不足"])
            rows.append((plan_id, measure, ind, dname, w.ct_code[c],
                         int(uniform_days(rng, end - 12, end)), val, unit, note))
    cols = list(zip(*rows))
    yield {"plan_id": np.array(cols[0], dtype=object), "measure_no": np.array(cols[1], dtype=object),
           "indicator": np.array(cols[2], dtype=object), "department": np.array(cols[3], dtype=object),
           "region_code": np.array(cols[4], dtype=object), "report_date": np.array(cols[5], dtype=np.int64),
           "value": np.array(cols[6], dtype=float), "unit": np.array(cols[7], dtype=object),
           "note": np.array(cols[8], dtype=object)}


def plan_indicators_rows(w: World, plan) -> Iterator[dict]:
    """The city's own plan file (清单 indicators), as the lead office would land it."""
    import csv
    ref = Path(__file__).resolve().parents[1] / "reference" / "plan_indicators.csv"
    with ref.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["plan_id"] == "city_list_2025"]
    names = {"city_list_2025": "示范市流动儿童关爱服务清单"}

    def day(text: str) -> int:
        return date_to_day(dt.date.fromisoformat(text)) if text else NAD

    def num(text: str) -> float:
        return float(text) if text else np.nan

    kind = {"computed": "系统计算", "reported": "部门报送"}
    col = {
        "plan_id": [r["plan_id"] for r in rows], "plan_name": [names[r["plan_id"]] for r in rows],
        "area": [r["area"] for r in rows], "measure_no": [r["measure_no"] for r in rows], "measure": [""] * len(rows),
        "indicator": [r["indicator"] for r in rows], "unit": [r["unit"] for r in rows],
        "direction": [r["direction"] for r in rows], "baseline": [num(r["baseline"]) for r in rows],
        "baseline_date": [day(r["baseline_date"]) for r in rows], "target": [num(r["target"]) for r in rows],
        "deadline": [day(r["deadline"]) for r in rows], "lead_department": [r["lead_department"] for r in rows],
        "kind": [kind[r["kind"]] for r in rows], "model": [r["model"] for r in rows],
        "cadence": [r["cadence"] for r in rows], "reporting_start": [day(r["reporting_start"]) for r in rows],
        "note": [r["source"] for r in rows],
    }
    out = {}
    for k, v in col.items():
        if k in ("baseline_date", "deadline", "reporting_start"):
            out[k] = np.array(v, dtype=np.int64)
        elif k in ("baseline", "target"):
            out[k] = np.array(v, dtype=float)
        else:
            out[k] = np.array(v, dtype=object)
    yield out


GENERATORS = {
    "plan_indicators": plan_indicators_rows,
    "regions": regions_rows, "population": population_rows, "civil_register": civil_register_rows,
    "key_children": key_children_rows, "visits": visits_rows, "students": students_rows,
    "school_places": school_places_rows, "residence_permits": residence_permits_rows,
    "disabled_children": disabled_children_rows, "health_records": health_records_rows,
    "vaccinations": vaccinations_rows, "medical_insurance": medical_insurance_rows, "assistance": assistance_rows,
    "childcare": childcare_rows, "directors": directors_rows, "children_homes": children_homes_rows,
    "volunteer_teams": volunteer_teams_rows, "volunteers": volunteers_rows, "pairings": pairings_rows,
    "activities": activities_rows, "progress_reports": progress_reports_rows,
}
