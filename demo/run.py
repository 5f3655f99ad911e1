"""Deterministic demo data: the 21 department extracts of the fictional 示范市 (or 示范省).

`generate(out_dir, scale, seed)` writes extracts the way departments hand them over — a mix of UTF-8,
UTF-8-with-BOM and GB18030 CSV and .xlsx with title rows, varied Chinese headers, varied date formats,
names instead of codes in some files — plus about 1–2 % intentionally bad rows per file (counted in
the manifest). Everything is synthetic: province code 99 does not exist, names are random
combinations of common characters, ID numbers are well-formed but belong to nobody.

Same (scale, seed) → byte-identical files. The province scale streams city by city, so memory stays
bounded by one city's children.
"""
from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from demo.geography import URBAN_CORE, Geography, build_geography
from etl.contracts import Source, get_source, parse_period, sources
from etl.private import make_private, private_dir

# ---- public API --------------------------------------------------------------------------------
SCALES = ("tiny", "city", "province")
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoFile:
    """One generated extract."""

    source: str
    period: str
    path: Path
    rows: int = 0          # data rows written (bad rows included, title/blank rows excluded)
    bad_rows: int = 0      # rows made bad on purpose (should be rejected by validation)


def generate(out_dir: Path, scale: str = "city", seed: int = 7, progress: Progress | None = None, *,
             _cities: int | None = None, _children_per_city: int | None = None,
             _workers: int | None = None) -> list[DemoFile]:
    """Write the demo extracts and manifest.json into out_dir; return the files in landing order.

    `progress(label, done, total)` is called after each file (each city × file at province scale).
    `_cities` / `_children_per_city` override the size (used to test the province code path small);
    `_workers` sets the number of processes for the city scale (default: 2 where fork is available).
    The output does not depend on the number of workers.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    out_dir = private_dir(Path(out_dir))  # 0700 before the first file: the extracts hold names and ID numbers
    geo = build_geography(scale, seed, _cities=(_cities or 13) if scale == "province" else None)
    per_city = _children_per_city or {"tiny": 1_500, "city": 100_000, "province": 800_000}[scale]
    plans = _plans(scale, seed)
    workers = _workers if _workers is not None else (2 if scale == "city" else 1)
    if workers > 1 and scale != "province" and _fork_available():
        results = _run_parallel(geo, out_dir, scale, seed, per_city, plans, workers, progress)
    else:
        results = _run_serial(geo, out_dir, scale, seed, per_city, plans, progress)
    summary: dict[str, int] = {}
    for _, _, summ in results:
        for k, v in summ.items():
            summary[k] = max(summary.get(k, 0), v)      # school_places re-counts students_2025H2
    bounds = geo.write_geojson(out_dir)
    manifest = {
        "scale": scale, "seed": seed, "synthetic": True,
        "note": "示意数据，非真实数据 synthetic demo data (fictional province code 99)",
        "files": [{"source": f.source, "period": f.period, "file": f.path.name, "rows": f.rows,
                   "bad_rows": f.bad_rows, "bad_kinds": kinds, "format": p.fmt, "encoding": p.encoding}
                  for (f, kinds, _), p in zip(results, plans)],
        "boundaries": [{"level": lvl, "file": p.name} for lvl, p in bounds],
        "summary": dict(sorted(summary.items())),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                                           encoding="utf-8")
    make_private(out_dir)  # the writers (csv, xlsxwriter, GeoJSON) create files by the umask: narrow them
    return [r[0] for r in results]


def _run_serial(geo, out_dir, scale, seed, per_city, plans, progress):
    """All files in one process, city by city (streams at province scale)."""
    cities = list(geo.cities.city_code)
    single = len(cities) == 1
    writers = [None if single else _Writer(out_dir, p, seed, scale) for p in plans]
    closed: list = [None] * len(plans)
    total, done = len(cities) * len(plans), 0
    summaries: list[dict] = [{} for _ in plans]
    for ci, city_code in enumerate(cities):
        world = _World(geo, city_code, ci, per_city, seed, scale)
        for i, plan in enumerate(plans):
            writer = writers[i] or _Writer(out_dir, plan, seed, scale)
            world.summary = {}
            for chunk in _GENERATORS[plan.source](world, plan):
                writer.write(chunk, world)
            for k, v in world.summary.items():
                summaries[i][k] = summaries[i].get(k, 0) + v        # summed over cities
            if single:                                             # one city: finish the file now
                closed[i] = (writer.close(), writer.bad_kinds)
            done += 1
            if progress:
                progress(f"{world.city_name} {plan.source} {plan.period}", done, total)
        del world
    if not single:
        closed = [(w.close(), w.bad_kinds) for w in writers]
    return [(f, kinds, summ) for (f, kinds), summ in zip(closed, summaries)]


_WORKER: dict = {}


def _fork_available() -> bool:
    """Fork only from a single-threaded process (forking a threaded server can deadlock the child)."""
    import multiprocessing as mp
    import threading

    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1


def _worker_init(out_dir, scale, seed, per_city):
    geo = build_geography(scale, seed)
    _WORKER.update(world=_World(geo, geo.cities.city_code.iloc[0], 0, per_city, seed, scale),
                   out_dir=Path(out_dir), scale=scale, seed=seed)


def _worker_run(plan: _Plan):
    w = _WORKER["world"]
    w.summary = {}
    writer = _Writer(_WORKER["out_dir"], plan, _WORKER["seed"], _WORKER["scale"])
    for chunk in _GENERATORS[plan.source](w, plan):
        writer.write(chunk, w)
    return writer.close(), writer.bad_kinds, dict(w.summary)


_COST = {"civil_register": 30, "visits": 5, "key_children": 6, "students": 8, "residence_permits": 8,
         "medical_insurance": 8, "health_records": 3, "activities": 2}


def _run_parallel(geo, out_dir, scale, seed, per_city, plans, workers, progress):
    """One city's files spread over worker processes; each worker draws the same world."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    order = sorted(range(len(plans)), key=lambda i: -_COST.get(plans[i].source, 1))
    results: list = [None] * len(plans)
    with ctx.Pool(workers, initializer=_worker_init, initargs=(str(out_dir), scale, seed, per_city)) as pool:
        it = pool.imap(_worker_run, [plans[i] for i in order])
        for done, i in enumerate(order, 1):
            results[i] = it.next()
            if progress:
                progress(f"{plans[i].source} {plans[i].period}", done, len(plans))
    return results


def tqdm_progress(desc: str = "生成演示数据"):
    """A progress callback that drives a tqdm bar (call .close() on the returned object when done)."""
    from tqdm import tqdm

    bar = tqdm(total=None, desc=desc, unit="步")

    def cb(label: str, done: int, total: int) -> None:
        bar.total = total
        bar.set_postfix_str(label, refresh=False)
        bar.update(done - bar.n)

    cb.close = bar.close  # type: ignore[attr-defined]
    return cb


# ---- periods and dates -------------------------------------------------------------------------
HALF_YEARS = ("2025H1", "2025H2", "2026H1")
MONTHS = tuple(f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13) if (y, m) <= (2026, 10))
VACC_MONTHS = ("2026-08", "2026-09", "2026-10")
PROGRESS_QUARTERS = ("2026Q1", "2026Q2", "2026Q3")
_EPOCH = dt.date(1970, 1, 1)
NAD = -(10 ** 9)          # "no date" in int-day arrays
FAR = 10 ** 6             # "never" (departure)


def _d(y: int, m: int, d: int) -> int:
    return (dt.date(y, m, d) - _EPOCH).days


def _days(x: dt.date) -> int:
    return (x - _EPOCH).days


def _ymd(days: np.ndarray):
    a = np.asarray(days, dtype="int64").astype("datetime64[D]")
    y = a.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = a.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (a - a.astype("datetime64[M]")).astype(np.int64) + 1
    return y, mo, d


def _age(birth: np.ndarray, at: int) -> np.ndarray:
    """Completed years at day `at`."""
    by, bm, bd = _ymd(birth)
    ey, em, ed = _ymd(np.array([at]))
    return ey[0] - by - ((em[0] * 100 + ed[0]) < (bm * 100 + bd))


def _birthday(birth: np.ndarray, years: int) -> np.ndarray:
    """The day someone born on `birth` turns `years` (29 February → 1 March)."""
    y, m, d = _ymd(birth)
    months = ((y + years - 1970) * 12 + m - 1).astype("datetime64[M]")
    return months.astype("datetime64[D]").astype(np.int64) + d - 1


def _period_bounds(source: str, period: str) -> tuple[int, int]:
    a, b = parse_period(period, get_source(source).period)
    return _days(a), _days(b)


def _period_zh(period: str) -> str:
    if "H" in period:
        y, h = period.split("H")
        return f"{y}年{'上' if h == '1' else '下'}半年"
    if "Q" in period:
        y, q = period.split("Q")
        return f"{y}年第{'一二三四'[int(q) - 1]}季度"
    if "-" in period:
        y, m = period.split("-")
        return f"{y}年{int(m)}月"
    return f"{period}年度"


# ---- random helpers ----------------------------------------------------------------------------
def _rng(seed: int, *keys) -> np.random.Generator:
    """An independent, reproducible stream per purpose (order of generation never matters)."""
    return np.random.default_rng([seed, *(zlib.crc32(str(k).encode()) for k in keys)])


def _pick(rng, values, p, n):
    p = np.asarray(p, dtype=float)
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p / p.sum())]


def _udays(rng, lo, hi):
    """Uniform integer day in [lo, hi] (arrays or scalars); hi < lo is clamped to lo."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.maximum(np.asarray(hi, dtype=np.int64), lo)
    return lo + np.floor(rng.random(np.broadcast(lo, hi).shape) * (hi - lo + 1)).astype(np.int64)


# ---- resident ID numbers (GB 11643) ------------------------------------------------------------
_ID_W = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    s = sum(int(c) * w for c, w in zip(first17, _ID_W.tolist()))
    return "10X98765432"[s % 11]


def _make_ids(prefix: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> np.ndarray:
    n = len(prefix)
    y, m, d = _ymd(birth)
    num = [(np.asarray(prefix, np.int64), 6), (y, 4), (m, 2), (d, 2), (np.asarray(seq, np.int64), 3)]
    dig = np.empty((n, 18), dtype=np.uint8)
    pos = 0
    for val, width in num:
        for k in range(width):
            dig[:, pos + k] = (val // 10 ** (width - 1 - k)) % 10
        pos += width
    chk = (dig[:, :17].astype(np.int64) * _ID_W).sum(axis=1) % 11
    dig[:, :17] += 48
    dig[:, 17] = _ID_CHECK[chk]
    return dig.view("S18").ravel().astype("U18").astype(object)


def _assign_seq(prefix: np.ndarray, birth: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Order codes (3 digits) unique per (prefix, birth date); odd for boys, even for girls."""
    n = len(prefix)
    key = np.asarray(prefix, np.int64) * 100_000 + (np.asarray(birth, np.int64) + 20_000)
    k2 = key * 2 + male.astype(np.int64)
    order = np.argsort(k2, kind="stable")
    ks = k2[order]
    new = np.r_[True, ks[1:] != ks[:-1]]
    gid = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    rank = np.arange(n) - starts[gid]
    if n and rank.max() >= 500:
        raise RuntimeError("too many children per (region, birth date) for 3-digit order codes")
    offset = (ks % 1_000_003) * 7919 % 500
    seq_sorted = ((offset + rank) % 500) * 2 + (ks % 2)
    seq = np.empty(n, np.int64)
    seq[order] = seq_sorted
    return seq


# ---- names (synthetic: random combinations of common characters) --------------------------------
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
                 "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
_COMPOUND = ["欧阳", "司马", "上官", "诸葛"]
_BOY = list("子浩宇轩梓晨俊博文涵睿泽一诚辰铭昊杰天明嘉佑宸逸凯然奕航皓霖锦瑞阳乐鹏安思远彦毅恒煜帆宁朗哲") + ["䶮", "喆", "堃"]
_GIRL = list("欣怡梓涵诗雨可馨语婷佳悦琪萱若思梦雅晴冉一依彤婉静瑶琳妍淑心嘉甜露曼月伊芮安朵玥祎沐桐")
_ADULT = ["建国", "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
          "霞", "平", "刚", "桂英", "华", "玉兰", "红梅", "志强", "海燕", "建华", "春梅", "丽娟", "国强", "文静", "卫东",
          "晓燕", "秀兰", "小红", "海波", "德明", "淑芬", "立新"]


def _names(rng, male: np.ndarray, adult: bool = False) -> np.ndarray:
    n = len(male)
    w = 1.0 / (np.arange(len(_SURNAMES)) + 6.0)
    sur = np.asarray(_SURNAMES, dtype=object)[rng.choice(len(_SURNAMES), n, p=w / w.sum())]
    comp = rng.random(n) < 0.003
    sur[comp] = np.asarray(_COMPOUND, dtype=object)[rng.integers(0, len(_COMPOUND), comp.sum())]
    if adult:
        return sur + np.asarray(_ADULT, dtype=object)[rng.integers(0, len(_ADULT), n)]
    boy_w = np.ones(len(_BOY))
    boy_w[-3:] = 0.02
    c1b = np.asarray(_BOY, dtype=object)[rng.choice(len(_BOY), n, p=boy_w / boy_w.sum())]
    c2b = np.asarray(_BOY, dtype=object)[rng.choice(len(_BOY), n, p=boy_w / boy_w.sum())]
    c1g = np.asarray(_GIRL, dtype=object)[rng.integers(0, len(_GIRL), n)]
    c2g = np.asarray(_GIRL, dtype=object)[rng.integers(0, len(_GIRL), n)]
    c1 = np.where(male, c1b, c1g)
    c2 = np.where(male, c2b, c2g)
    two = (rng.random(n) < 0.78) & (c1 != c2)
    return sur + c1 + np.where(two, c2, "")


# ---- the world of one city: streets, services and the children --------------------------------
_KIDS_SHARE = 0.168                    # children under 16 per resident
_BAND_SHARE = {"0_3": 0.022, "3_6": 0.028, "6_12": 0.068, "12_16": 0.050}
_BIRTHS = {2009: 16.2, 2010: 15.9, 2011: 16.0, 2012: 16.4, 2013: 16.4, 2014: 16.9, 2015: 16.6, 2016: 17.9,
           2017: 17.2, 2018: 15.2, 2019: 14.7, 2020: 12.0, 2021: 10.6, 2022: 9.6, 2023: 9.0, 2024: 9.5,
           2025: 9.0, 2026: 9.0}
BIRTH_MIN, BIRTH_MAX = _d(2009, 7, 1), _d(2026, 10, 31)
_EXTERNAL = [("河岭省", ["安平县", "临河县", "宁远县", "柳城县", "青阳县", "石桥县", "云台县", "长丰县", "东平县", "南川县"]),
             ("江川省", ["广福县", "新塘县", "白石县", "清溪县", "丰乐县", "永和县", "双河县", "金沙县", "龙山县", "凤台县"])]
RISK = ("红色", "橙色", "黄色", "绿色")
NEEDS = ("作业辅导", "四点半课堂", "家庭教育指导", "阅读陪伴", "心理疏导", "城市融入", "安全教育", "生活慰问",
         "代理家长陪伴", "医疗康复")
TEAM_TYPES = ("社会妈妈", "五老", "党员", "教师", "小小志愿者", "大学生", "社会组织")
_VACC = [("乙肝疫苗", 1, 0), ("卡介苗", 1, 0), ("乙肝疫苗", 2, 30), ("脊灰疫苗", 1, 61), ("脊灰疫苗", 2, 91),
         ("百白破疫苗", 1, 91), ("脊灰疫苗", 3, 122), ("百白破疫苗", 2, 122), ("百白破疫苗", 3, 152),
         ("乙肝疫苗", 3, 182), ("A群流脑疫苗", 1, 182), ("麻腮风疫苗", 1, 243), ("乙脑疫苗", 1, 243),
         ("A群流脑疫苗", 2, 274), ("百白破疫苗", 4, 547), ("麻腮风疫苗", 2, 547), ("甲肝疫苗", 1, 547),
         ("乙脑疫苗", 2, 730), ("脊灰疫苗", 4, 1461), ("白破疫苗", 1, 2191)]


class _World:
    """Everything about one city, drawn once; the source generators only slice it."""

    def __init__(self, geo: Geography, city_code: str, city_index: int, target: int, seed: int, scale: str):
        self.seed, self.scale, self.city_code, self.city_index = seed, scale, city_code, city_index
        self.city4 = city_code[:4]
        self.city_name = str(geo.cities.set_index("city_code").loc[city_code, "city_name"])
        self.area_name = "示范省" if scale == "province" else self.city_name
        self.province_row = scale == "province" and city_index == 0
        self.geo = geo
        self.counties = geo.counties[geo.counties.city_code == city_code].reset_index(drop=True)
        self.streets = geo.streets[geo.streets.city_code == city_code].reset_index(drop=True)
        self.comms = geo.communities[geo.communities.city_code == city_code].reset_index(drop=True)
        self.summary: dict[str, int] = {}
        rng = _rng(seed, "world", city_code)
        self._streets(rng, target)
        self._staff(_rng(seed, "staff", city_code))
        self._children(_rng(seed, "children", city_code))
        self._schools(_rng(seed, "schools", city_code))
        self._teams(_rng(seed, "teams", city_code))

    # -- streets: population, shares, flags
    def _streets(self, rng, target):
        st = self.streets
        ns = len(st)
        core = (st.county_area_type == URBAN_CORE).to_numpy()
        typ = st.area_type.to_numpy()
        lo = np.select([typ == "城区", typ == "工业园区", typ == "城乡结合部"], [45_000, 35_000, 30_000], 12_000)
        hi = np.select([typ == "城区", typ == "工业园区", typ == "城乡结合部"], [95_000, 80_000, 70_000], 40_000)
        res = rng.uniform(lo, hi)
        mig = np.select([typ == "工业园区", typ == "城乡结合部", typ == "城区"],
                        [0.42, 0.36, np.where(core, 0.11, 0.12)], np.where(core, 0.05, 0.035))
        lb = np.select([typ == "乡村", typ == "城区", typ == "城乡结合部"],
                       [np.where(core, 0.04, 0.13), np.where(core, 0.01, 0.035), 0.025], 0.005)
        noise = rng.lognormal(0, 0.25, ns)
        mig, lb = mig * noise, lb * rng.lognormal(0, 0.2, ns)
        hid = np.where(np.isin(typ, ["工业园区", "城乡结合部"]), 0.125, 0.04) * rng.lognormal(0, 0.2, ns)
        presence = 0.83
        k = target / float((res * _KIDS_SHARE * (mig * (1 - hid) + lb) * presence).sum())
        res = np.round(res * k).astype(np.int64)
        st["residents"] = res
        st["mig_share"], st["lb_share"], st["hid_share"] = mig, lb, hid
        st["core"] = core
        # services mismatch (calligraphy offered where homework help is needed), thin funding
        st["mismatch"] = rng.random(ns) < np.where(np.isin(typ, ["工业园区", "城乡结合部"]), 0.25, 0.08)
        st["poor_funding"] = rng.random(ns) < np.where(core, 0.08, 0.3)
        if ns >= 3 and not st["mismatch"].any():
            st.loc[int(np.argmax(mig)), "mismatch"] = True
        self.st_code = st.street_code.to_numpy().astype(object)
        self.st_name = st.street_name.to_numpy().astype(object)
        self.st_base = st.street_base.to_numpy().astype(object)
        self.st_type = typ
        self.st_core = core
        self.st_county = st.county_code.to_numpy().astype(object)
        cm = self.comms
        street_index = {c: i for i, c in enumerate(self.st_code)}
        cm["street_idx"] = cm.street_code.map(street_index).astype(int)
        self.cm_code = cm.community_code.to_numpy().astype(object)
        self.cm_name = cm.community_name.to_numpy().astype(object)
        self.cm_base = cm.community_base.to_numpy().astype(object)
        self.cm_street = cm.street_idx.to_numpy()
        self.cm_village = (cm.community_kind == "村").to_numpy()
        county_index = {c: i for i, c in enumerate(self.counties.county_code)}
        self.st_county_idx = np.array([county_index[c] for c in self.st_county])
        self.ct_name = self.counties.county_name.to_numpy().astype(object)
        self.ct_code = self.counties.county_code.to_numpy().astype(object)
        self.ct_core = (self.counties.area_type == URBAN_CORE).to_numpy()

    # -- children's directors and supervisors
    def _staff(self, rng):
        nc = len(self.cm_code)
        core = self.st_core[self.cm_street]
        u = rng.random(nc)
        n_dir = np.where(core, np.select([u < 0.05, u < 0.93], [0, 1], 2), np.select([u < 0.2, u < 0.96], [0, 1], 2))
        idx = np.repeat(np.arange(nc), n_dir)
        k = np.concatenate([np.arange(c) for c in n_dir]) if nc else np.array([], int)
        d_ids = np.array([f"ZR{self.cm_code[i]}{j + 1}" for i, j in zip(idx, k)], dtype=object)
        ns = len(self.st_code)
        n_sup = np.where(rng.random(ns) < 0.15, 2, 1)
        sidx = np.repeat(np.arange(ns), n_sup)
        sk = np.concatenate([np.arange(c) for c in n_sup])
        s_ids = np.array([f"DD{self.st_code[i][:9]}{j + 1}" for i, j in zip(sidx, sk)], dtype=object)
        self.dir_comm, self.dir_id = idx, d_ids
        self.sup_street, self.sup_id = sidx, s_ids
        first = np.full(nc, "", dtype=object)
        has = np.zeros(nc, bool)
        order = np.flatnonzero(k == 0)
        first[idx[order]] = d_ids[order]
        has[idx[order]] = True
        sup_first = np.full(ns, "", dtype=object)
        sup_first[sidx[sk == 0]] = s_ids[sk == 0]
        # the visit record names the community's director, else the street's supervisor
        self.cm_director = np.where(has, first, sup_first[self.cm_street])
        self.cm_has_director = has

    # -- the children universe
    def _children(self, rng):
        st = self.streets
        kids = st.residents.to_numpy() * _KIDS_SHARE
        n_mig = rng.poisson(kids * st.mig_share.to_numpy())
        n_lb = rng.poisson(kids * st.lb_share.to_numpy())
        hid_share = st.hid_share.to_numpy()
        streets_idx, groups, comms = [], [], []
        for s in range(len(st)):
            cidx = np.flatnonzero(self.cm_street == s)
            vil = self.cm_village[cidx]
            base_w = rng.gamma(1.5, 1.0, len(cidx)) + 0.05
            for g, n in ((0, n_mig[s]), (1, n_lb[s])):
                if n == 0:
                    continue
                w = base_w * (np.where(vil, 1.6, 1.0) if g == 0 else np.where(vil, 4.0, 1.0))
                comms.append(cidx[rng.choice(len(cidx), n, p=w / w.sum())])
                streets_idx.append(np.full(n, s))
                gg = np.full(n, g)
                if g == 0:
                    gg[rng.random(n) < hid_share[s]] = 2        # living here, unknown to civil affairs
                groups.append(gg)
        self.c_comm = np.concatenate(comms)
        self.c_street = np.concatenate(streets_idx)
        self.c_group = np.concatenate(groups)           # 0 migrant, 1 left-behind, 2 migrant not in register
        n = len(self.c_comm)
        self.n = n
        self.c_county = self.st_county_idx[self.c_street]
        # birth dates by cohort size
        years = np.array(sorted(_BIRTHS))
        frac = np.array([0.5 if y == 2009 else (10 / 12 if y == 2026 else 1.0) for y in years])
        w = np.array([_BIRTHS[y] for y in years]) * frac
        yr = years[rng.choice(len(years), n, p=w / w.sum())]
        start = np.array([_d(y, 7, 1) if y == 2009 else _d(y, 1, 1) for y in yr])
        end = np.array([_d(y, 10, 31) if y == 2026 else _d(y, 12, 31) for y in yr])
        self.c_birth = _udays(rng, start, end)
        self.c_b16 = _birthday(self.c_birth, 16)
        self.c_b7 = _birthday(self.c_birth, 7)
        self.c_male = rng.random(n) < 0.53
        b = self.c_birth
        g = self.c_group
        # arrival / departure
        recent = rng.random(n) < np.where(g == 2, 0.45, 0.3)
        arr_old = _udays(rng, b, np.maximum(b, _d(2024, 12, 31)))
        arr_new = _udays(rng, np.maximum(b, _d(2025, 1, 1)), _d(2026, 10, 31))
        arrival = np.where(recent, arr_new, arr_old)
        arrival = np.where(g == 1, b, arrival)
        born_here = (g != 1) & (rng.random(n) < 0.25)
        arrival = np.where(born_here, np.minimum(arrival, b), arrival)
        self.c_arrival = np.maximum(arrival, b)
        leaves = rng.random(n) < np.where(g == 1, 0.05, 0.10)
        dep = _udays(rng, np.maximum(self.c_arrival + 30, _d(2025, 1, 1)), _d(2027, 6, 30))
        self.c_depart = np.where(leaves, dep, FAR)
        lag = np.minimum(rng.exponential(45, n).astype(np.int64), 200)
        old = self.c_arrival < _d(2022, 1, 1)
        self.c_regdate = np.where(old, _udays(rng, _d(2022, 1, 1), _d(2024, 12, 31)), self.c_arrival + lag)
        # household registration
        core_child = self.st_core[self.c_street]
        ncounty = len(self.ct_code)
        intra = (g != 1) & (ncounty > 1) & (rng.random(n) < np.where(core_child, 0.28, 0.10))
        prefix = np.array([int(c[:6]) for c in self.ct_code])[self.c_county]
        hukou_text = np.array([self.city_name + c for c in self.ct_name], dtype=object)[self.c_county]
        # left-behind: own county and township
        lb = g == 1
        hukou_text = np.where(lb, hukou_text + self.st_name[self.c_street], hukou_text)
        if intra.any():
            wc = np.where(self.ct_core, 1.0, 3.0)
            other = rng.choice(ncounty, intra.sum(), p=wc / wc.sum())
            same = other == self.c_county[intra]
            other[same] = (other[same] + 1) % ncounty
            prefix[intra] = np.array([int(c[:6]) for c in self.ct_code])[other]
            hukou_text[intra] = np.array([self.city_name + c for c in self.ct_name], dtype=object)[other]
        ext = (g != 1) & ~intra
        ext_list = [(97 + pi, pi, ci) for pi in range(2) for ci in range(10)]
        ei = rng.integers(0, len(ext_list), ext.sum())
        cc = self.city_index + 1
        ext_prefix = np.array([int(f"{p}{cc:02d}{ci + 1:02d}") for p, _, ci in ext_list])
        ext_text = np.array([_EXTERNAL[pi][0] + _EXTERNAL[pi][1][ci] for _, pi, ci in ext_list], dtype=object)
        prefix[ext] = ext_prefix[ei]
        hukou_text[ext] = ext_text[ei]
        self.c_prefix = prefix
        self.c_hukou = hukou_text
        self.c_moved = np.where(lb, "本地户籍", np.where(intra, "市内跨县流动", "市外流入")).astype(object)
        self.c_external = ext
        seq = _assign_seq(prefix, b, self.c_male)
        self.c_id = _make_ids(prefix, b, seq)
        self.c_name = _names(rng, self.c_male)
        # family circumstances
        self.c_difficulty = rng.random(n) < np.where(lb, 0.08, 0.035)
        self.c_disabled = rng.random(n) < 0.010
        self.c_defacto = rng.random(n) < np.where(lb, 0.008, 0.0015)
        self.c_orphan = rng.random(n) < 0.0005
        self.c_tekun = (self.c_orphan | self.c_defacto) & (rng.random(n) < 0.15)
        self.c_dibao = rng.random(n) < np.select([lb, intra], [0.08, 0.03], 0.004)
        self.c_temp_aid = rng.random(n) < 0.005
        self.c_difficulty |= self.c_disabled & (rng.random(n) < 0.5) | self.c_defacto | self.c_orphan | self.c_dibao
        self.c_single = rng.random(n) < np.where(lb, 0.12, 0.08)
        ind = self.st_type[self.c_street] == "工业园区"
        sectors = ["制造业", "建筑业", "服务业", "灵活就业", "其他", "务农"]
        p_ind = [0.55, 0.12, 0.18, 0.10, 0.05, 0.0]
        p_mig = [0.25, 0.18, 0.35, 0.15, 0.07, 0.0]
        p_lb = [0.35, 0.28, 0.20, 0.08, 0.02, 0.07]
        sec = _pick(rng, sectors, p_mig, n)
        sec[ind] = _pick(rng, sectors, p_ind, int(ind.sum()))
        sec[lb] = _pick(rng, sectors, p_lb, int(lb.sum()))
        self.c_sector = sec
        dis = self.c_disabled
        self.c_dis_type = _pick(rng, ["智力", "孤独症", "肢体", "言语", "听力", "视力", "多重", "精神"],
                                [25, 18, 18, 12, 10, 7, 6, 4], n)
        self.c_dis_grade = _pick(rng, ["一级", "二级", "三级", "四级"], [15, 30, 30, 25], n)
        self.c_rehab = rng.random(n) < np.where(g == 2, 0.45, np.where(ext, 0.62, 0.8))
        self.c_rehab_amt = np.round(rng.uniform(60, 300, n)) * 100
        # key children (一人一档) and their risk colour
        p_key = np.where(dis | self.c_defacto | self.c_orphan, 0.9,
                         np.where(self.c_difficulty, 0.7, np.where(lb, 0.15, 0.02)))
        self.c_pkey = p_key
        self.c_ukey = rng.random(n)
        risk_p = np.array([0.03, 0.12, 0.30, 0.55])
        base = rng.choice(4, n, p=risk_p)
        worse = (dis | self.c_defacto | self.c_orphan) & (rng.random(n) < 0.5)
        base = np.where(worse, np.maximum(base - 1, 0), base)
        self.c_risk_base = base
        self.c_risk_steps = rng.choice([-1, 0, 1], (n, 3), p=[0.07, 0.80, 0.13])
        self.c_agree_u = rng.random(n)
        # visits: how diligent the child's director is
        self.c_dilig = rng.choice(3, n, p=[0.78, 0.14, 0.08])
        self.c_home_k = np.where(self.c_dilig == 0, rng.choice([1, 2, 3], n, p=[0.5, 0.3, 0.2]),
                                 rng.choice([4, 5], n))
        self.c_phase = rng.integers(0, 12, n)
        self.c_stop = rng.integers(0, len(MONTHS) - 4, n)
        # what the family asks for
        mism = st.mismatch.to_numpy()[self.c_street]
        p_need_mig = [30, 20, 10, 7, 8, 12, 8, 5, 0, 0]
        p_need_lb = [20, 8, 7, 8, 18, 0, 10, 12, 25, 0]
        need = _pick(rng, NEEDS, p_need_mig, n)
        need[lb] = _pick(rng, NEEDS, p_need_lb, int(lb.sum()))
        need[mism & (rng.random(n) < 0.6)] = "作业辅导"
        need[dis & (rng.random(n) < 0.5)] = "医疗康复"
        need2 = _pick(rng, NEEDS, np.ones(len(NEEDS)), n)
        two = (rng.random(n) < 0.2) & (need2 != need)
        self.c_needs = np.where(two, need + "、" + need2, need)
        # health, vaccination, insurance, schooling, police
        self.c_health = rng.random(n) < np.where(g == 2, 0.72, np.where(lb | ~ext, 0.93, 0.87))
        self.c_health_lag = np.where(self.c_arrival <= self.c_birth + 30, rng.integers(3, 45, n),
                                     rng.integers(10, 150, n))
        self.c_checkup_u = rng.random(n)
        self.c_vacc_cov = np.where(g == 2, 0.93, np.where(ext, 0.975, 0.995))
        self.c_vacc_slow = rng.random(n) < 0.1
        self.c_insured = rng.random(n) < np.where(g == 2, 0.6, 0.95)
        self.c_ins_u = rng.random(n)
        self.c_enrol_u = rng.random(n)
        self.c_pub_u = rng.random(n)
        self.c_school_u = rng.random(n)
        self.c_police = (g == 2) | ((g == 0) & (rng.random(n) < 0.96))
        self.c_police_lag = rng.integers(0, 90, n)
        self.c_police_reg = np.where(self.c_arrival < _d(2018, 1, 1), _udays(rng, _d(2018, 1, 1), _d(2024, 6, 30)),
                                     self.c_arrival + self.c_police_lag)
        self.c_permit_lapsed = rng.random(n) < 0.15

    def present(self, at: int, register_only: bool = True) -> np.ndarray:
        """Children living here on day `at` and under 16 (in the civil register, unless told)."""
        m = (self.c_arrival <= at) & (self.c_depart > at) & (self.c_birth <= at) & (at < self.c_b16)
        if register_only:
            m &= (self.c_group != 2) & (self.c_regdate <= at)
        return m

    def key_mask(self, half_index: int, at: int) -> np.ndarray:
        """Key children as of a half-year (index into HALF_YEARS) still here and under 16 at `at`."""
        rng_u = _rng(self.seed, "key", self.city_code, half_index).random(self.n)
        key = (self.c_ukey < self.c_pkey * 0.85) | (rng_u < self.c_pkey * 0.2)
        return key & self.present(at)

    def risk(self, half_index: int) -> np.ndarray:
        r = self.c_risk_base + self.c_risk_steps[:, 1:half_index + 1].sum(axis=1) if half_index else self.c_risk_base
        return np.clip(r, 0, 3)

    def key_type(self) -> np.ndarray:
        return np.select(
            [self.c_disabled, self.c_defacto | self.c_orphan, self.c_difficulty, self.c_group == 1],
            ["残疾儿童", "事实无人抚养儿童", "困境儿童", "留守儿童"], "流动儿童").astype(object)

    # -- schools and kindergartens
    def _schools(self, rng):
        rows = []
        brands_kg = ["启智", "童乐", "金苹果", "小博士", "贝贝", "阳光", "七彩", "蓝天"]
        brands_sc = ["育才", "明德", "启航", "博雅", "新星"]
        nth = "一二三四五六七八九十"
        for s in range(len(self.st_code)):
            typ, base = self.st_type[s], self.st_base[s]
            n_kg = {"城区": rng.integers(3, 7), "工业园区": rng.integers(2, 6), "城乡结合部": rng.integers(2, 5)}.get(
                typ, rng.integers(1, 4))
            for k in range(int(n_kg)):
                st_type = _pick(rng, ["公办", "普惠性民办", "民办"],
                                [0.7, 0.25, 0.05] if typ == "乡村" else [0.4, 0.45, 0.15], 1)[0]
                name = f"{base}{'中心' if k == 0 and st_type == '公办' else ''}幼儿园" if k == 0 else (
                    f"{base}第{nth[k]}幼儿园" if st_type == "公办" else f"{base}{brands_kg[(k + s) % 8]}幼儿园")
                rows.append((s, "幼儿园", st_type, name, int(rng.integers(6, 16)) * 30))
            n_pr = {"城区": rng.integers(1, 4), "工业园区": rng.integers(1, 3), "城乡结合部": rng.integers(1, 3)}.get(
                typ, rng.integers(1, 3))
            for k in range(int(n_pr)):
                name = f"{base}{'中心' if typ == '乡村' and k == 0 else ''}小学" if k == 0 else f"{base}第{nth[k]}小学"
                rows.append((s, "小学", "公办", name, int(rng.integers(18, 55)) * 50))
            if typ in ("工业园区", "城乡结合部") and rng.random() < 0.55:
                rows.append((s, "小学", "民办", f"{base}{brands_sc[s % 5]}学校", int(rng.integers(12, 30)) * 50))
            if typ in ("城乡结合部", "乡村") and rng.random() < 0.3:
                rows.append((s, "九年一贯制", "公办", f"{base}九年一贯制学校", int(rng.integers(30, 55)) * 50))
            if rng.random() < (0.7 if typ != "乡村" else 0.6):
                rows.append((s, "初中", "公办", f"{base}初级中学", int(rng.integers(18, 42)) * 50))
            if typ in ("工业园区", "城乡结合部") and rng.random() < 0.2:
                rows.append((s, "初中", "民办", f"{base}{brands_sc[(s + 2) % 5]}中学", int(rng.integers(10, 24)) * 50))
        for ci, cname in enumerate(self.ct_name):
            sts = np.flatnonzero((self.st_county_idx == ci) & (self.st_type == "城区"))
            if len(sts) == 0:
                sts = np.flatnonzero(self.st_county_idx == ci)
            if not any(r[1] == "初中" and self.st_county_idx[r[0]] == ci for r in rows):
                rows.append((int(sts[0]), "初中", "公办", f"{cname}实验初级中学", 1500))
            for k in range(int(rng.integers(1, 4)) if len(sts) > 1 else 1):
                rows.append((int(sts[k % len(sts)]), "高中", "公办", f"{cname}第{nth[k]}高级中学",
                             int(rng.integers(30, 60)) * 50))
            if self.ct_core[ci] and rng.random() < 0.5:
                rows.append((int(sts[0]), "高中", "民办", f"{cname}{brands_sc[ci % 5]}高级中学", 1200))
        sc = pd.DataFrame(rows, columns=["street", "stage", "school_type", "school_name", "places"])
        sc["school_code"] = [f"1{self.city4}{i + 1:05d}" for i in range(len(sc))]
        # names are unique within a city
        seen: dict[str, int] = {}
        names = []
        for nm in sc.school_name:
            k = seen.get(nm, 0)
            seen[nm] = k + 1
            names.append(nm if k == 0 else f"{nm}（{nth[k]}校区）")
        sc["school_name"] = names
        self.schools = sc

    # -- volunteer teams and volunteers
    def _teams(self, rng):
        rows = []
        for s in range(len(self.st_code)):
            typ, core = self.st_type[s], self.st_core[s]
            if self.scale == "tiny":
                n_types = 6
            else:
                n_types = int(rng.integers(4, 8) if core else rng.integers(2, 6))
                if typ == "工业园区":
                    n_types = int(rng.integers(1, 3))        # many children, little activity
            p = np.array([3, 2.5, 3, 2, 1.5, 1, 1.2])
            types = rng.choice(len(TEAM_TYPES), min(n_types, 7), replace=False, p=p / p.sum())
            for k, t in enumerate(sorted(types)):
                tname = TEAM_TYPES[t]
                label = {"五老": "“五老”关爱服务队", "小小志愿者": "小小志愿者服务队", "社会组织": "儿童关爱社工服务队",
                         "大学生": "大学生志愿服务队"}.get(tname, f"{tname}志愿服务队")
                rows.append((s, f"ZYD{self.st_code[s][:9]}{k + 1:02d}", f"{self.st_base[s]}{label}", tname,
                             int(_udays(rng, _d(2016, 3, 1), _d(2025, 11, 30)))))
        tm = pd.DataFrame(rows, columns=["street", "team_id", "team_name", "team_type", "founded"])
        self.teams = tm
        size = {"社会妈妈": (10, 30), "五老": (8, 25), "党员": (10, 40), "教师": (8, 20), "小小志愿者": (10, 40),
                "大学生": (10, 30), "社会组织": (5, 15)}
        vt = {"社会组织": "其他"}
        vrows = []
        for t in tm.itertuples(index=False):
            lo, hi = size[t.team_type]
            n = int(rng.integers(lo, hi + 1))
            if self.scale == "tiny":
                n = max(3, n // 3)
            vrows.append(pd.DataFrame({"team_id": t.team_id,
                                       "street": t.street, "team_type": t.team_type,
                                       "volunteer_type": vt.get(t.team_type, t.team_type),
                                       "joined": _udays(rng, np.full(n, t.founded), _d(2026, 10, 31))}))
        vo = pd.concat(vrows, ignore_index=True)
        vo["volunteer_id"] = [f"ZY{self.st_code[s][:9]}{i:04d}" for s, i in
                              zip(vo.street, vo.groupby("street").cumcount() + 1)]
        rural = ~self.st_core[vo.street.to_numpy()] & (self.st_type[vo.street.to_numpy()] == "乡村")
        agentable = vo.team_type.isin(["社会妈妈", "五老", "党员"]).to_numpy()
        vo["agent"] = (rng.random(len(vo)) < np.where(agentable & rural, 0.35, 0.05)) & (vo.team_type != "小小志愿者")
        female = rng.random(len(vo)) < np.where(vo.team_type == "社会妈妈", 1.0, 0.5)
        vo["name"] = _names(rng, ~female, adult=True)
        self.volunteers = vo


# ---- source generators: each yields canonical chunks (dict of column → array) ------------------
def _child_cols(w: _World, idx: np.ndarray) -> dict:
    return {"id_number": w.c_id[idx], "child_name": w.c_name[idx]}


def _loc_cols(w: _World, idx: np.ndarray) -> dict:
    c = w.c_comm[idx]
    return {"community_code": w.cm_code[c], "street_name": w.st_name[w.cm_street[c]], "community_name": w.cm_name[c]}


def _bool(x) -> np.ndarray:
    return np.asarray(x, dtype=np.int8)


def _g_regions(w: _World, plan) -> Iterator[dict]:
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


def _g_population(w: _World, plan) -> Iterator[dict]:
    rng = _rng(w.seed, "population", w.city_code)
    res = w.streets.residents.to_numpy()
    out = {"street_code": w.st_code, "street_name": w.st_name, "residents": res.astype(float)}
    end = _d(2025, 12, 31)
    pres = w.present(end, register_only=False)
    ages = _age(w.c_birth, end)
    for band, (lo, hi) in {"0_3": (0, 3), "3_6": (3, 6), "6_12": (6, 12), "12_16": (12, 16)}.items():
        est = res * _BAND_SHARE[band] * rng.lognormal(0, 0.08, len(res))
        m = pres & (ages >= lo) & (ages < hi)
        known = np.bincount(w.c_street[m], minlength=len(res))
        out[f"residents_{band}"] = np.round(np.maximum(est, known * 1.25)).astype(float)
    yield out


def _g_civil_register(w: _World, plan) -> Iterator[dict]:
    hi = HALF_YEARS.index(plan.period)
    _, end = _period_bounds("civil_register", plan.period)
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
    resurvey = _rng(w.seed, "resurvey", w.city_code, hi).random(len(idx)) < 0.3
    start, _ = _period_bounds("civil_register", plan.period)
    out["registered_date"] = np.where(resurvey, np.maximum(w.c_regdate[idx], _udays(
        _rng(w.seed, "resurvey-d", w.city_code, hi), start, end)), w.c_regdate[idx])
    yield out


def _g_key_children(w: _World, plan) -> Iterator[dict]:
    hi = HALF_YEARS.index(plan.period)
    start, end = _period_bounds("key_children", plan.period)
    idx = np.flatnonzero(w.key_mask(hi, end))
    w.summary[f"key_children_{plan.period}"] = len(idx)
    rng = _rng(w.seed, "key_children", w.city_code, plan.period)
    out = _child_cols(w, idx) | _loc_cols(w, idx)
    kt = w.key_type()[idx]
    out["key_type"] = kt
    out["risk_level"] = np.asarray(RISK, dtype=object)[w.risk(hi)[idx]]
    out["director_id"] = w.cm_director[w.c_comm[idx]]
    out["survey_date"] = np.maximum(w.c_regdate[idx], _udays(rng, np.full(len(idx), start), end))
    p_agree = (0.55, 0.60, 0.66)[hi] * np.where(w.st_core[w.c_street[idx]], 1.1, 0.95)
    agree = np.where(w.c_agree_u[idx] < p_agree, 1, 0)
    out["has_care_agreement"] = np.where(kt == "留守儿童", agree, -1).astype(np.int8)
    out |= _guardian_cols(w, idx, kt)
    out["school_name"] = _key_child_schools(w, idx, end)
    yield out


_PATERNAL = {"父亲", "祖父", "叔叔", "伯父"}   # share the child's surname (women keep their own)


def _guardian_cols(w: _World, idx: np.ndarray, kt: np.ndarray) -> dict:
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
    own = np.asarray([n[:2] if n[:2] in _COMPOUND else n[:1] for n in child], dtype=object)
    other = np.asarray(_SURNAMES, dtype=object)[(pick // 7) % len(_SURNAMES)]
    surname = np.where(np.isin(rel, list(_PATERNAL)), own, other)
    given = np.asarray(_ADULT, dtype=object)[(pick // 11) % len(_ADULT)]
    name = (surname + given).astype(object)
    phone = np.char.add("1390000", np.char.zfill(((pick // 13) % 10_000).astype(str), 4)).astype(object)
    phone[u > 0.97] = ""                     # a few rows without a number, as in real ledgers
    name[(u > 0.985) & (u <= 0.995)] = ""
    rel[name == ""] = ""
    return {"guardian_name": name, "guardian_relation": rel, "guardian_phone": phone}


def _key_child_schools(w: _World, idx: np.ndarray, at: int) -> np.ndarray:
    """The school or kindergarten of a key child aged 3 or more: one of its street's (else county's) schools of the
    child's stage, chosen by the same draw as the student register uses."""
    age = _age(w.c_birth[idx], at)
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


def _g_visits(w: _World, plan) -> Iterator[dict]:
    mi = MONTHS.index(plan.period)
    start, end = _period_bounds("visits", plan.period)
    ndays = end - start + 1
    rng = _rng(w.seed, "visits", w.city_code, plan.period)
    key = w.key_mask(_half_for_month(plan.period), end)
    lb_nonkey = ~key & w.present(end) & (w.c_group == 1)
    ki = np.flatnonzero(key)
    dil, k, ph = w.c_dilig[ki], w.c_home_k[ki], w.c_phase[ki]
    recs = []
    # phone contact, roughly monthly
    phone = rng.random(len(ki)) < np.array([0.95, 0.65, 0.35])[dil]
    recs.append((ki[phone], "电话联系", _udays(rng, np.full(phone.sum(), start), end)))
    # home visits every k months; the overdue minority stop visiting
    due = ((mi + ph) % k) == 0
    due &= np.where(dil == 2, mi <= w.c_stop[ki], True) & (rng.random(len(ki)) < 0.93)
    recs.append((ki[due], "入户走访", _udays(rng, np.full(due.sum(), start), end)))
    video = rng.random(len(ki)) < np.where(w.c_group[ki] == 1, 0.2, 0.03)
    recs.append((ki[video], "视频联系", _udays(rng, np.full(video.sum(), start), end)))
    # home schooling twice a month for severely disabled school-age children
    age = _age(w.c_birth[ki], end)
    sj = w.c_disabled[ki] & np.isin(w.c_dis_grade[ki], ["一级", "二级"]) & (age >= 6)
    for half in (0, 1):
        m = sj & (rng.random(len(ki)) < 0.9)
        lo = start + (0 if half == 0 else 14)
        hi_ = start + (13 if half == 0 else ndays - 1)
        recs.append((ki[m], "送教上门", _udays(rng, np.full(m.sum(), lo), hi_)))
    # every left-behind child: a home visit each quarter, a phone call most other months
    li = np.flatnonzero(lb_nonkey)
    q = (((mi + w.c_phase[li]) % 3) == 0) & (rng.random(len(li)) < 0.8)
    recs.append((li[q], "入户走访", _udays(rng, np.full(q.sum(), start), end)))
    c = ~q & (rng.random(len(li)) < 0.5)
    recs.append((li[c], "电话联系", _udays(rng, np.full(c.sum(), start), end)))
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


def _g_students(w: _World, plan) -> Iterator[dict]:
    _, end = _period_bounds("students", plan.period)
    y, m, _ = _ymd(np.array([end]))
    school_year = int(y[0]) if m[0] >= 9 else int(y[0]) - 1
    by, bm, _ = _ymd(w.c_birth)
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


def _g_school_places(w: _World, plan) -> Iterator[dict]:
    rng = _rng(w.seed, "school_places", w.city_code)
    sc = w.schools
    if not hasattr(w, "migrant_enrolled"):
        list(_g_students(w, _Plan("students", "2025H2", "csv", "utf-8", "", [], "code", 0)))
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


def _g_residence_permits(w: _World, plan) -> Iterator[dict]:
    _, end = _period_bounds("residence_permits", plan.period)
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


def _g_disabled_children(w: _World, plan) -> Iterator[dict]:
    _, end = _period_bounds("disabled_children", plan.period)
    idx = np.flatnonzero(w.present(end, register_only=False) & w.c_disabled)
    aid = w.c_rehab[idx]
    yield {"id_number": w.c_id[idx], "child_name": w.c_name[idx], "disability_type": w.c_dis_type[idx],
           "disability_grade": w.c_dis_grade[idx], "street_code": w.st_code[w.c_street[idx]],
           "has_rehab_aid": _bool(aid), "rehab_aid_amount": np.where(aid, w.c_rehab_amt[idx], np.nan)}


def _g_health_records(w: _World, plan) -> Iterator[dict]:
    _, end = _period_bounds("health_records", plan.period)
    m = w.present(end, register_only=False) & (end < w.c_b7) & w.c_health
    rec = np.maximum(w.c_birth, w.c_arrival) + w.c_health_lag
    m &= rec <= end
    idx = np.flatnonzero(m)
    rec = rec[idx]
    young = _age(w.c_birth[idx], end) < 3
    last = end - (w.c_checkup_u[idx] * np.where(young, 150, 360)).astype(np.int64)
    last = np.where(w.c_checkup_u[idx] > 0.93, NAD, np.maximum(last, rec))
    s = w.c_street[idx]
    provider = np.where(np.asarray([n.endswith("街道") for n in w.st_name], bool)[s],
                        w.st_name[s] + "社区卫生服务中心", w.st_name[s] + "卫生院").astype(object)
    yield {"id_number": w.c_id[idx], "child_name": w.c_name[idx], "record_date": rec, "provider": provider,
           "street_code": w.st_code[s], "last_checkup_date": last}


def _g_vaccinations(w: _World, plan) -> Iterator[dict]:
    start, end = _period_bounds("vaccinations", plan.period)
    scale = np.where(w.c_vacc_slow, 35.0, 8.0)
    ids, vac, dose, date = [], [], [], []
    cand = np.flatnonzero((w.c_birth <= end) & (w.c_birth >= end - 7 * 366))
    for j, (v, d, off) in enumerate(_VACC):
        rng = _rng(w.seed, "vacc", w.city_code, j)      # same draws every month: a child's dates are stable
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


def _g_medical_insurance(w: _World, plan) -> Iterator[dict]:
    _, end = _period_bounds("medical_insurance", plan.period)
    rng = _rng(w.seed, "insurance", w.city_code, plan.period)
    m = w.present(end, register_only=False) & w.c_insured
    idx = np.flatnonzero(m)
    n = len(idx)
    u = w.c_ins_u[idx]
    ext = w.c_external[idx]
    place = np.where(~ext, "本市", np.where(u < 0.45, "本市", np.where(u < 0.95, "户籍地", "其他"))).astype(object)
    start_new = np.maximum(w.c_birth[idx], w.c_arrival[idx]) + rng.integers(5, 60, n)
    annual = _udays(rng, np.full(n, _d(2024, 9, 1)), _d(2024, 12, 31))
    enrolled = np.where(np.maximum(w.c_birth[idx], w.c_arrival[idx]) < _d(2024, 9, 1), annual,
                        np.minimum(start_new, end))
    yield {"id_number": w.c_id[idx],
           "insurance_type": np.where(rng.random(n) < 0.02, "职工基本医疗保险", "城乡居民基本医疗保险").astype(object),
           "insured_place": place, "enrolled_date": enrolled,
           "status": _pick(rng, ["正常参保", "暂停", "终止"], [0.96, 0.03, 0.01], n)}


def _g_assistance(w: _World, plan) -> Iterator[dict]:
    _, end = _period_bounds("assistance", plan.period)
    rng = _rng(w.seed, "assistance", w.city_code, plan.period)
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
        lo_d = np.maximum(first, end - 180 if name == "临时救助" else _d(2019, 1, 1))
        sd.append(_udays(rng, lo_d, end))
    idx = np.concatenate(ids)
    yield {"id_number": w.c_id[idx], "assistance_type": np.concatenate(typ), "monthly_amount": np.concatenate(amt),
           "start_date": np.concatenate(sd)}


def _g_childcare(w: _World, plan) -> Iterator[dict]:
    rng = _rng(w.seed, "childcare", w.city_code)
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
           "registered_date": _udays(rng, np.full(n, _d(2020, 6, 1)), _d(2026, 9, 30))}


def _g_directors(w: _World, plan) -> Iterator[dict]:
    rng = _rng(w.seed, "directors", w.city_code)
    nd, ns = len(w.dir_id), len(w.sup_id)
    comm = w.dir_comm
    core_d = w.st_core[w.cm_street[comm]]
    core_s = w.st_core[w.sup_street]
    role = np.r_[np.full(nd, "儿童主任", dtype=object), np.full(ns, "儿童督导员", dtype=object)]
    full = np.r_[rng.random(nd) < np.where(core_d, 0.2, 0.06), rng.random(ns) < np.where(core_s, 0.6, 0.3)]
    trained_p = np.r_[np.where(core_d, 0.93, 0.8), np.where(core_s, 0.97, 0.9)]
    u = rng.random(nd + ns)
    trained = np.where(u < trained_p, _udays(rng, np.full(nd + ns, _d(2025, 3, 1)), _d(2025, 11, 30)),
                       np.where(u < trained_p + 0.1, _udays(rng, np.full(nd + ns, _d(2023, 3, 1)), _d(2024, 11, 30)),
                                NAD))
    region = np.r_[w.cm_code[comm], w.st_code[w.sup_street]]
    street = np.r_[w.cm_street[comm], w.sup_street]
    cname = np.r_[w.cm_name[comm], np.full(ns, "", dtype=object)]
    male = rng.random(nd + ns) < 0.3
    yield {"staff_id": np.r_[w.dir_id, w.sup_id], "staff_name": _names(rng, male, adult=True), "role": role,
           "is_full_time": _bool(full), "region_code": region, "street_name": w.st_name[street],
           "community_name": cname, "trained_date": trained,
           "appointed_date": _udays(rng, np.full(nd + ns, _d(2019, 1, 1)), _d(2025, 10, 31))}


def _g_children_homes(w: _World, plan) -> Iterator[dict]:
    rng = _rng(w.seed, "homes", w.city_code)
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
           "opened_date": _udays(rng, np.full(n, _d(2017, 6, 1)), _d(2025, 10, 31)),
           "is_active": _bool(rng.random(n) < 0.9)}


def _g_volunteer_teams(w: _World, plan) -> Iterator[dict]:
    tm = w.teams
    s = tm.street.to_numpy()
    yield {"team_id": tm.team_id.to_numpy().astype(object), "team_name": tm.team_name.to_numpy().astype(object),
           "team_type": tm.team_type.to_numpy().astype(object), "street_code": w.st_code[s],
           "street_name": w.st_name[s], "founded_date": tm.founded.to_numpy()}


def _g_volunteers(w: _World, plan) -> Iterator[dict]:
    vo = w.volunteers
    yield {"volunteer_id": vo.volunteer_id.to_numpy().astype(object), "volunteer_name": vo.name.to_numpy(),
           "team_id": vo.team_id.to_numpy().astype(object), "volunteer_type": vo.volunteer_type.to_numpy().astype(object),
           "is_agent_parent": _bool(vo.agent.to_numpy()), "joined_date": vo.joined.to_numpy()}


def _g_pairings(w: _World, plan) -> Iterator[dict]:
    _, end = _period_bounds("pairings", plan.period)
    rng = _rng(w.seed, "pairings", w.city_code, plan.period)
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
    start = _udays(rng, np.maximum(np.full(n, _d(2024, 3, 1)), w.c_regdate[cid]), end)
    ended = rng.random(n) < 0.1
    endd = np.where(ended, _udays(rng, start, end), NAD)
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


def _g_activities(w: _World, plan) -> Iterator[dict]:
    start, end = _period_bounds("activities", plan.period)
    rng = _rng(w.seed, "activities", w.city_code, plan.period)
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
           "activity_date": _udays(rng, np.full(n, start), end), "region_code": region.astype(object),
           "street_name": w.st_name[st], "status": status,
           "participants": np.where(held, part, np.where(status == "计划", np.nan, 0.0)),
           "person_times": np.where(held, part * sessions, np.nan),
           "volunteer_hours": np.where(held, hours, np.nan)}
    w.summary[f"activities_{plan.period}"] = n
    yield out


def _g_progress_reports(w: _World, plan) -> Iterator[dict]:
    q = PROGRESS_QUARTERS.index(plan.period)
    _, end = _period_bounds("progress_reports", plan.period)
    rng = _rng(w.seed, "progress", w.city_code, plan.period)
    base_rng = _rng(w.seed, "progress-base", w.city_code)
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
    cc = next(_g_childcare(w, plan))
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
                         int(_udays(rng, end - 12, end)), val, unit, note))
    cols = list(zip(*rows))
    yield {"plan_id": np.array(cols[0], dtype=object), "measure_no": np.array(cols[1], dtype=object),
           "indicator": np.array(cols[2], dtype=object), "department": np.array(cols[3], dtype=object),
           "region_code": np.array(cols[4], dtype=object), "report_date": np.array(cols[5], dtype=np.int64),
           "value": np.array(cols[6], dtype=float), "unit": np.array(cols[7], dtype=object),
           "note": np.array(cols[8], dtype=object)}


def _g_plan_indicators(w: _World, plan) -> Iterator[dict]:
    """The city's own plan file (清单 indicators), as the lead office would land it."""
    import csv
    ref = Path(__file__).resolve().parents[1] / "reference" / "plan_indicators.csv"
    with ref.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["plan_id"] == "city_list_2025"]
    names = {"city_list_2025": "示范市流动儿童关爱服务清单"}

    def day(text: str) -> int:
        return _days(dt.date.fromisoformat(text)) if text else NAD

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


_GENERATORS = {
    "plan_indicators": _g_plan_indicators,
    "regions": _g_regions, "population": _g_population, "civil_register": _g_civil_register,
    "key_children": _g_key_children, "visits": _g_visits, "students": _g_students,
    "school_places": _g_school_places, "residence_permits": _g_residence_permits,
    "disabled_children": _g_disabled_children, "health_records": _g_health_records,
    "vaccinations": _g_vaccinations, "medical_insurance": _g_medical_insurance, "assistance": _g_assistance,
    "childcare": _g_childcare, "directors": _g_directors, "children_homes": _g_children_homes,
    "volunteer_teams": _g_volunteer_teams, "volunteers": _g_volunteers, "pairings": _g_pairings,
    "activities": _g_activities, "progress_reports": _g_progress_reports,
}


# ---- file plans: which files, in which format --------------------------------------------------
@dataclass
class _Plan:
    source: str
    period: str
    fmt: str                # csv | xlsx
    encoding: str           # utf-8 | utf-8-sig | gb18030 (csv only)
    filename: str
    title: list[str]        # title rows above the header
    names: str              # code | name | mixed (how locations are given)
    variant: int = 0

    @property
    def key(self):
        return (self.source, self.period)


_FILE_TITLE = {
    "regions": "统计用区划代码表", "population": "分街道常住人口", "civil_register": "流动儿童监测摸排台账",
    "key_children": "重点对象台账", "visits": "走访记录", "activities": "志愿服务活动记录表",
    "students": "流动儿童学籍比对数据", "residence_permits": "流动人口居住登记（未成年人）",
    "disabled_children": "残疾儿童康复救助名册", "health_records": "0-6岁儿童健康档案", "vaccinations": "预防接种记录",
    "medical_insurance": "未成年人居民医保参保", "assistance": "困难家庭儿童救助名单", "childcare": "托育机构托位统计",
    "school_places": "学校幼儿园学位统计", "directors": "儿童主任儿童督导员花名册", "children_homes": "儿童之家及未保工作站",
    "volunteer_teams": "志愿服务队伍", "volunteers": "志愿者名册", "pairings": "结对帮扶台账",
    "progress_reports": "行动计划目标进展", "plan_indicators": "行动计划指标表",
}
_BIG = {"civil_register", "key_children", "visits", "students", "residence_permits", "health_records",
        "vaccinations", "medical_insurance", "activities", "volunteers", "pairings", "assistance",
        "disabled_children"}


def _periods(source: str) -> tuple[str, ...]:
    return {
        "regions": ("2025",), "population": ("2025",), "directors": ("2025",), "children_homes": ("2025",),
        "school_places": ("2025",), "medical_insurance": ("2025",), "volunteer_teams": ("2025",),
        "civil_register": HALF_YEARS, "key_children": HALF_YEARS, "students": HALF_YEARS,
        "residence_permits": HALF_YEARS, "disabled_children": HALF_YEARS,
        "visits": MONTHS, "activities": MONTHS, "childcare": ("2026Q3",), "health_records": ("2026Q3",),
        "vaccinations": VACC_MONTHS, "volunteers": ("2026-10",), "pairings": ("2026-10",),
        "assistance": ("2026-10",), "progress_reports": PROGRESS_QUARTERS, "plan_indicators": ("2025",),
        "region_changes": (),  # a demo city has had no division changes
    }[source]


def _format_for(source: str, period: str, i: int) -> tuple[str, str, bool, str]:
    """(fmt, encoding, titled, names) for a file in the city and tiny scales."""
    X, U, B, G = ("xlsx", "", True), ("csv", "utf-8", False), ("csv", "utf-8-sig", False), ("csv", "gb18030", False)
    table = {
        "regions": [X + ("code",)], "population": [("csv", "gb18030", True, "mixed")],
        "civil_register": [X + ("code",), G + ("mixed",), B + ("code",)],
        "key_children": [X + ("name",), ("xlsx", "", False, "code"), X + ("mixed",)],
        "students": [U + ("code",), B + ("code",), G + ("code",)],
        "residence_permits": [G + ("code",), U + ("mixed",), B + ("code",)],
        "disabled_children": [X + ("code",), ("xlsx", "", False, "code"), X + ("code",)],
        "health_records": [B + ("code",)], "vaccinations": [G + ("code",), U + ("code",), ("xlsx", "", False, "code")],
        "medical_insurance": [B + ("code",)], "assistance": [X + ("code",)], "childcare": [X + ("name",)],
        "school_places": [X + ("code",)], "directors": [X + ("code",)], "children_homes": [G + ("mixed",)],
        "volunteer_teams": [X + ("name",)], "volunteers": [B + ("code",)], "pairings": [("xlsx", "", False, "code")],
        "progress_reports": [X + ("code",), X + ("code",), U + ("code",)],
        "plan_indicators": [X + ("code",)],
    }
    if source == "visits":
        return (*[U, U, G, U, B, ("xlsx", "", False)][i % 6], "code")
    if source == "activities":
        f = [X, X, B][i % 3]
        return (*f, ("code", "name", "mixed")[i % 3])
    opts = table[source]
    return opts[i % len(opts)]


def _plans(scale: str, seed: int) -> list[_Plan]:
    order = ["regions", "population"] + [s for s in sorted(sources()) if s not in ("regions", "population")]
    plans = []
    area = "示范省" if scale == "province" else "示范市"
    for src in order:
        s = get_source(src)
        for i, period in enumerate(_periods(src)):
            fmt, enc, titled, names = _format_for(src, period, i)
            if scale == "province":
                names = "code"
                if src in _BIG and fmt == "xlsx":
                    fmt, enc = "csv", "utf-8-sig"
            rng = _rng(seed, "plan", src, period)
            tag = _period_tag(period, rng)
            ext = "xlsx" if fmt == "xlsx" else "csv"
            fname = f"{area}{_FILE_TITLE[src]}_{tag}.{ext}" if rng.random() < 0.7 or src == "regions" else \
                f"{_FILE_TITLE[src]}{tag}.{ext}"
            dept = s.department.split("/")[0].replace("各成员单位", "民政局（汇总）")
            title = []
            if titled:
                title = [f"{area}{s.title}（{_period_zh(period)}）"]
                if rng.random() < 0.8 or src in ("civil_register", "regions"):
                    _, pend = parse_period(period, s.period)
                    rep = pend + dt.timedelta(days=int(rng.integers(3, 15)))
                    title.append(f"填报单位：{area}{dept}  填报日期：{rep.year}年{rep.month}月{rep.day}日")
            plans.append(_Plan(src, period, fmt, enc or "", fname, title, names, i))
    if len({p.filename for p in plans}) != len(plans):
        raise RuntimeError("demo file names collide")
    return plans


def _period_tag(period: str, rng) -> str:
    if rng.random() < 0.5:
        return period
    if "H" in period or "Q" in period:
        return _period_zh(period)
    if "-" in period:
        return f"{period[:4]}年{period[5:]}月"
    return f"{period}年"


# ---- writing: headers, cosmetics, bad rows, formats --------------------------------------------
_DATE_STYLES = ("iso", "slash", "cn", "compact")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_BAD_ENUM = {
    "sex": "未知", "category": "困境儿童", "moved_from": "省外流入", "parents_sector": "个体经营",
    "key_type": "孤儿", "risk_level": "紫色", "visit_type": "微信联系", "activity_type": "手工课", "status": "延期",
    "stage": "职高", "school_type": "公办民助", "disability_type": "其他", "disability_grade": "五级",
    "vaccine": "流感疫苗", "assistance_type": "教育救助", "insurance_type": "商业保险", "insured_place": "外省",
    "role": "社工", "facility_type": "儿童友好空间", "team_type": "巾帼", "volunteer_type": "居民",
}
_BAD_COMMUNITY = ["幸福里社区", "阳光花城社区", "和谐家园社区", "锦绣华庭社区", "新时代村", "城东新村社区"]
_BAD_STREET = ["城东新区街道", "开发区管委会", "高铁新城街道"]
_REMARKS = ["新增", "信息待核实", "电话已变更", "监护人外出务工", "已核实", "本期迁入"]


class _Writer:
    """One output file: fixes its header/format choices once, then appends chunks (streaming)."""

    def __init__(self, out_dir: Path, plan: _Plan, seed: int, scale: str):
        self.plan, self.seed, self.scale = plan, seed, scale
        self.src: Source = get_source(plan.source)
        self.path = out_dir / plan.filename
        self.rows = 0
        self.bad = 0
        self.bad_kinds: dict[str, int] = {}
        self.chunk_no = 0
        rng = _rng(seed, "style", plan.source, plan.period)
        self.rng_style = rng
        self.columns = self._choose_columns(rng)
        self.headers = self._choose_headers(rng)
        contract_headers = {h for c in self.src.columns for h in c.headers}
        self.seq_col = "序号" not in contract_headers and rng.random() < 0.4
        self.remark_col = "备注" not in contract_headers and rng.random() < 0.3
        xlsx = plan.fmt == "xlsx"
        r = rng.random()
        self.date_style = ("excel" if xlsx and r < 0.5 else
                           ("mixed" if r > 0.85 else _DATE_STYLES[int(rng.integers(0, 4))]))
        self.alias_rate = 0.3 if rng.random() < 0.35 else 0.0
        self.noise_rate = 0.004 if rng.random() < 0.6 else 0.0
        self.short_street = rng.random() < 0.25          # write street codes as 9 digits (valid: right-padded)
        self.strip_suffix = 0.15 if rng.random() < 0.6 else 0.0
        self.trailing_blank = int(rng.integers(0, 4))
        self.newline = "\r\n" if plan.encoding == "gb18030" or rng.random() < 0.3 else "\n"
        self.all_headers = (["序号"] if self.seq_col else []) + self.headers + (["备注"] if self.remark_col else [])
        self._wb = self._ws = None
        self._xrow = 0
        self._open()

    # -- choices
    def _choose_columns(self, rng) -> list[str]:
        cols = [c.name for c in self.src.columns]
        mode = self.plan.names
        code_cols = {c.name for c in self.src.columns if c.type == "division"}
        if mode == "name" and self.src.require_any:
            for group in self.src.require_any:
                for g in group:
                    if g in code_cols and g in cols:
                        cols.remove(g)
        if self.plan.source == "civil_register" and self.plan.period == "2025H1":
            cols.remove("single_parent")      # the first round's form had no such column
        return cols

    def _choose_headers(self, rng) -> list[str]:
        used: set[str] = set()
        # never use a header text that another column of this contract also claims
        claims: dict[str, int] = {}
        for c in self.src.columns:
            for h in set(c.headers):
                claims[h] = claims.get(h, 0) + 1
        out = []
        for name in self.columns:
            col = self.src.column(name)
            opts = [h for h in (col.label, *col.aliases) if claims.get(h, 0) == 1 and h not in used]
            if col.level == "any" and self.plan.source != "progress_reports":
                opts = opts[:1]       # "街道代码" over a column of community codes would mislead
            if not opts:
                opts = [col.label]
            h = opts[0] if (rng.random() < 0.55 or len(opts) == 1) else opts[int(rng.integers(1, len(opts)))]
            used.add(h)
            out.append(h)
        return out

    # -- output
    def _open(self):
        p = self.plan
        if p.fmt == "csv":
            ncol = len(self.all_headers)
            lines = [t + "," * (ncol - 1) for t in p.title] + [",".join(_q(h) for h in self.all_headers)]
            with open(self.path, "wb") as f:
                f.write(self._enc(self.newline.join(lines) + self.newline, first=True))
        else:
            import xlsxwriter

            big = self.scale == "province"
            wb = xlsxwriter.Workbook(str(self.path), {"constant_memory": big, "strings_to_numbers": False,
                                                      "strings_to_formulas": False, "strings_to_urls": False})
            wb.set_properties({"title": self.src.title, "author": self.src.department, "company": "示范市（示意数据）",
                               "comments": "synthetic demo data 示意数据", "created": dt.datetime(2026, 11, 5, 9, 0, 0)})
            ws = wb.add_worksheet(["Sheet1", "台账", "数据", _period_zh(p.period)][p.variant % 4][:31])
            self._fmt_title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
            self._fmt_head = wb.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7", "text_wrap": True})
            self._fmt_cell = wb.add_format({"border": 1})
            dfmt = {"iso": "yyyy-mm-dd", "slash": "yyyy/m/d", "cn": 'yyyy"年"m"月"d"日"'}
            self._fmt_date = wb.add_format({"num_format": dfmt[["iso", "slash", "cn"][p.variant % 3]]})
            ncol = len(self.all_headers)
            r = 0
            for i, t in enumerate(p.title):
                if i == 0 and ncol > 1:
                    ws.merge_range(r, 0, r, ncol - 1, t, self._fmt_title)
                else:
                    ws.write_string(r, 0, t)
                r += 1
            for c, h in enumerate(self.all_headers):
                ws.write_string(r, c, h, self._fmt_head)
                ws.set_column(c, c, max(8, min(24, 2 * len(h) + 4)))
            self._wb, self._ws, self._xrow = wb, ws, r + 1

    def _enc(self, text: str, first: bool = False) -> bytes:
        """Encode for this file; the BOM of utf-8-sig goes only at the very start."""
        enc = self.plan.encoding or "utf-8"
        return text.encode("utf-8" if enc == "utf-8-sig" and not first else enc)

    def close(self) -> DemoFile:
        p = self.plan
        ncol = len(self.all_headers)
        if p.fmt == "csv":
            if self.trailing_blank:
                with open(self.path, "ab") as f:
                    f.write(self._enc(("," * (ncol - 1) + self.newline) * self.trailing_blank))
        else:
            for _ in range(self.trailing_blank):
                for c in range(ncol):
                    self._ws.write_blank(self._xrow, c, None, self._fmt_cell)
                self._xrow += 1
            self._wb.close()
        return DemoFile(p.source, p.period, self.path, self.rows, self.bad)

    # -- one chunk
    def write(self, chunk: dict, world: _World) -> None:
        """Append one chunk of canonical columns (split into slices to bound memory)."""
        n = len(next(iter(chunk.values()))) if chunk else 0
        step = 200_000
        if n <= step:
            return self._write(chunk, world)
        for a in range(0, n, step):
            self._write({k: v[a:a + step] for k, v in chunk.items()}, world)

    def _write(self, chunk: dict, world: _World) -> None:
        p = self.plan
        rng = _rng(self.seed, "write", p.source, p.period, world.city_code, self.chunk_no)
        self.chunk_no += 1
        n = len(next(iter(chunk.values()))) if chunk else 0
        cols = {}
        for c in self.columns:
            ctype = self.src.column(c).type
            if c not in chunk:
                cols[c] = _empty(ctype, n)
            elif ctype in ("date", "int", "float", "bool"):
                cols[c] = np.asarray(chunk[c]).copy()
            else:
                cols[c] = np.asarray(chunk[c], dtype=object).copy()
        name_rows = self._locate_by_name(cols, n, rng)
        overrides, dup_rows = self._inject_bad(cols, n, name_rows, rng, world)
        self._cosmetics(cols, n, rng, name_rows, overrides)
        text = self._to_cells(cols, n, rng, overrides)
        order = np.arange(n)
        if dup_rows:
            order = list(order)
            for r in dup_rows:
                order.insert(int(rng.integers(0, len(order) + 1)), r)
            order = np.asarray(order)
        m = len(order)
        extra_front = [np.char.mod("%d", np.arange(self.rows + 1, self.rows + m + 1)).astype(object)] \
            if self.seq_col else []
        extra_back = []
        if self.remark_col:
            rem = np.full(m, "", dtype=object)
            k = rng.random(m) < 0.05
            rem[k] = np.asarray(_REMARKS, dtype=object)[rng.integers(0, len(_REMARKS), k.sum())]
            extra_back = [rem]
        out_cols = extra_front + [t[order] for t in text] + extra_back
        self.rows += m
        if p.source == "regions" and world.city_index == len(world.geo.cities) - 1:
            out_cols = [np.r_[c, [""]] for c in out_cols]
            name_i = len(extra_front) + self.columns.index("region_name")
            out_cols[name_i][-1] = "注：本表区划、名称、边界均为示意数据，非真实行政区划"
            self._count("note_row")
            self.rows += 1
        if p.source == "population":
            out_cols = [np.r_[c, [""]] for c in out_cols]
            for i, c in enumerate(self.columns):
                j = len(extra_front) + i
                if c == "street_name":
                    out_cols[j][-1] = "合计"
                elif c.startswith("residents"):
                    vals = [float(x) for x in text[i] if x not in ("", None)]
                    out_cols[j][-1] = _num_cell(sum(vals), 0, p.fmt)
            self._count("total_row")
            self.rows += 1
        if p.fmt == "csv":
            self._write_csv(out_cols)
        else:
            self._write_xlsx(out_cols)

    def _count(self, kind: str, k: int = 1):
        self.bad += k
        self.bad_kinds[kind] = self.bad_kinds.get(kind, 0) + k

    def _locate_by_name(self, cols, n, rng) -> np.ndarray:
        """Rows located by name only (no code): all rows in name mode, some in mixed mode."""
        mode = self.plan.names
        name_cols = [c for c in self.columns if self.src.column(c).type == "division_name"]
        if not name_cols or mode == "code" or not self.src.require_any:
            return np.zeros(n, bool)
        if mode == "name":
            return np.ones(n, bool)
        code_cols = [g for grp in self.src.require_any for g in grp if self.src.column(g).type == "division"]
        name_req = [g for grp in self.src.require_any for g in grp if self.src.column(g).type == "division_name"]
        has_name = np.ones(n, bool)
        for c in name_req:
            has_name &= cols[c] != ""
        blank = has_name & (rng.random(n) < 0.08)
        for c in code_cols:
            cols[c] = np.where(blank, "", cols[c]).astype(object)
        return blank

    # -- intentionally bad rows
    def _inject_bad(self, cols, n, name_rows, rng, world) -> tuple[dict, list]:
        src, p = self.src, self.plan
        overrides: dict[tuple[int, str], str] = {}
        dups: list[int] = []
        self._bad_rows: set[int] = set()
        if p.source in ("regions", "population") or n == 0:
            return overrides, dups
        if n >= 20:
            k = max(1, round(float(n * rng.uniform(0.01, 0.02))))
        elif n >= 5:
            k = 1
        else:
            return overrides, dups
        ctype = {c: src.column(c).type for c in self.columns}
        idc = next((c for c in self.columns if ctype[c] == "id_card"), None)
        dates = [c for c in self.columns if ctype[c] == "date"]
        req_dates = [c for c in dates if src.column(c).required] or dates
        divs = [c for c in self.columns if ctype[c] == "division"]
        enums = [c for c in self.columns if ctype[c] == "enum" and c in _BAD_ENUM]
        req_enums = [c for c in enums if src.column(c).required] or enums
        ints = [c for c in self.columns if ctype[c] == "int" and (src.column(c).min or 0) >= 0
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
                self._make_old(cols, r, idc, rng, world)
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
                if "community_name" in self.columns and cols["community_name"][r] != "":
                    cols["community_name"][r] = _BAD_COMMUNITY[int(rng.integers(0, len(_BAD_COMMUNITY)))]
                else:
                    cols["street_name"][r] = _BAD_STREET[int(rng.integers(0, len(_BAD_STREET)))]
            elif kind == "enum_outside_list":
                c = req_enums[int(rng.integers(0, len(req_enums)))]
                cols[c][r] = _BAD_ENUM[c]
            elif kind == "negative_count":
                c = ints[int(rng.integers(0, len(ints)))]
                cols[c][r] = -float(rng.integers(1, 30))
            self._count(kind)
        self._bad_rows = {int(r) for r in rows}    # cosmetics leave these alone
        return overrides, dups

    def _make_old(self, cols, r, idc, rng, world):
        """Replace a child by someone at or past the contract's max_age (16, or 18/20) at the period's end."""
        _, end = _period_bounds(self.plan.source, self.plan.period)
        limit = self.src.max_age or 16
        hi = end - limit * 366 - 30
        birth = int(_udays(rng, hi - 3 * 365, hi))
        male = bool(rng.random() < 0.5)
        prefix = int(str(cols[idc][r])[:6])
        seq = int(rng.integers(0, 500)) * 2 + int(male)
        new = _make_ids(np.array([prefix]), np.array([birth]), np.array([seq]))[0]
        cols[idc][r] = new
        if "birth_date" in self.columns:
            cols["birth_date"][r] = birth
        if "sex" in self.columns:
            cols["sex"][r] = "男" if male else "女"

    # -- valid-but-messy cosmetics
    def _cosmetics(self, cols, n, rng, name_rows, overrides):
        """Valid-but-messy values: stray spaces, full-width digits, short street codes, aliases, no suffix."""
        if not n:
            return
        clean = np.ones(n, bool)
        clean[list(getattr(self, "_bad_rows", ()))] = False
        for c in self.columns:
            col = self.src.column(c)
            v = cols[c]
            if col.type in ("division", "code", "id_card") and self.noise_rate:
                for r in np.flatnonzero((rng.random(n) < self.noise_rate) & clean):
                    x = v[r]
                    if not x:
                        continue
                    if col.type == "id_card" or rng.random() < 0.5:
                        v[r] = [" " + x, x + " ", x + "  "][int(rng.integers(0, 3))]
                    else:
                        v[r] = x.translate(_FULLWIDTH)
            if col.type == "division" and col.level == "street" and self.short_street:
                cols[c] = v = _map_unique(v, lambda x: x[:9] if len(x) == 12 and x.endswith("000") else x)
            if col.type == "enum" and col.value_aliases and self.alias_rate:
                hit = (rng.random(n) < self.alias_rate) & clean
                pick = rng.random(n)
                inv: dict[str, list[str]] = {}
                for a, canon in col.value_aliases.items():
                    inv.setdefault(canon, []).append(a)
                for canon, al in inv.items():
                    m = hit & (v == canon)
                    if m.any():
                        v[m] = np.asarray(al, dtype=object)[(pick[m] * len(al)).astype(int)]
            if col.type == "division_name" and self.strip_suffix:
                hit = (rng.random(n) < self.strip_suffix) & clean
                if hit.any():
                    v[hit] = _map_unique(v[hit], _strip_suffix)


    # -- typed values → cells
    def _to_cells(self, cols, n, rng, overrides) -> list[np.ndarray]:
        xlsx = self.plan.fmt == "xlsx"
        out = []
        for c in self.columns:
            col = self.src.column(c)
            v = cols[c]
            if col.type == "date":
                cell = _fmt_dates(v, self.date_style, rng, xlsx)
            elif col.type in ("int", "float"):
                nd = 0 if col.type == "int" else (6 if c in ("lon", "lat") else 2)
                cell = _fmt_numbers(v, nd, xlsx)
            elif col.type == "bool":
                cell = np.where(v == 1, "是", np.where(v == 0, "否", "")).astype(object)
            else:
                cell = np.asarray(v, dtype=object)
            out.append(cell)
        for (r, c), t in overrides.items():
            out[self.columns.index(c)][r] = t
        return out

    def _write_csv(self, out_cols):
        if not len(out_cols) or not len(out_cols[0]):
            return
        cols = []
        for c in out_cols:
            lst = [x if x.__class__ is str else str(x) for x in c.tolist()]
            joined = "\x00".join(lst)
            if "," in joined or '"' in joined or "\n" in joined:
                lst = [_q(x) for x in lst]
            cols.append(lst)
        nl = self.newline
        text = nl.join(map(",".join, zip(*cols))) + nl
        with open(self.path, "ab") as f:
            f.write(self._enc(text))

    def _write_xlsx(self, out_cols):
        ws = self._ws
        ws_s, ws_n, ws_d = ws.write_string, ws.write_number, ws.write_datetime
        dfm = self._fmt_date
        r = self._xrow
        date_t = dt.date
        for row in zip(*[list(c) for c in out_cols]):       # row by row: required by constant_memory
            for j, v in enumerate(row):
                if isinstance(v, str):
                    if v:
                        ws_s(r, j, v)
                elif v is None:
                    continue
                elif isinstance(v, date_t):
                    ws_d(r, j, v, dfm)
                else:
                    ws_n(r, j, v)
            r += 1
        self._xrow = r


def _q(s: str) -> str:
    return '"' + s.replace('"', '""') + '"' if ("," in s or '"' in s or "\n" in s) else s


def _strip_suffix(name: str) -> str:
    for suf in ("街道", "社区", "镇", "乡", "村"):
        if name.endswith(suf) and len(name) > len(suf) + 1:
            return name[: -len(suf)]
    return name


def _map_unique(v: np.ndarray, fn) -> np.ndarray:
    """Apply fn to each distinct value once (names and codes repeat a lot)."""
    v = np.asarray(v, dtype=object)
    if not len(v):
        return v
    uniq, inv = np.unique(v.astype(str), return_inverse=True)
    return np.asarray([fn(u) for u in uniq.tolist()], dtype=object)[inv]


def _empty(ctype: str, n: int):
    if ctype == "date":
        return np.full(n, NAD, dtype=np.int64)
    if ctype in ("int", "float"):
        return np.full(n, np.nan)
    if ctype == "bool":
        return np.full(n, -1, dtype=np.int8)
    return np.full(n, "", dtype=object)


_DATE_LUT: dict[str, np.ndarray] = {}
_LUT_MIN, _LUT_MAX = _d(2000, 1, 1), _d(2032, 12, 31)


def _date_lut(style: str) -> np.ndarray:
    if style not in _DATE_LUT:
        days = np.arange(_LUT_MIN, _LUT_MAX + 1)
        y, m, d = _ymd(days)
        if style == "iso":
            f = [f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y, m, d)]
        elif style == "slash":
            f = [f"{a}/{b}/{c}" for a, b, c in zip(y, m, d)]
        elif style == "cn":
            f = [f"{a}年{b}月{c}日" for a, b, c in zip(y, m, d)]
        elif style == "compact":
            f = [f"{a:04d}{b:02d}{c:02d}" for a, b, c in zip(y, m, d)]
        else:  # excel: real dates
            f = [dt.date(int(a), int(b), int(c)) for a, b, c in zip(y, m, d)]
        _DATE_LUT[style] = np.array(f + [""], dtype=object)      # last slot: missing
    return _DATE_LUT[style]


def _fmt_dates(v, style, rng, xlsx) -> np.ndarray:
    v = np.asarray(v, dtype=np.int64)
    missing = (v == NAD)
    if ((v < _LUT_MIN) & ~missing).any() or (v > _LUT_MAX).any():
        raise ValueError("date out of the demo range")
    ix = np.where(missing, _LUT_MAX - _LUT_MIN + 1, v - _LUT_MIN)
    if style == "mixed":
        which = rng.integers(0, 4, len(v))
        out = np.empty(len(v), dtype=object)
        for k, s in enumerate(_DATE_STYLES):
            m = which == k
            out[m] = _date_lut(s)[ix[m]]
        return out
    if style == "excel" and not xlsx:
        style = "iso"
    return _date_lut(style)[ix]


def _fmt_numbers(v, nd, xlsx) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    miss = np.isnan(v)
    if xlsx:
        out = np.empty(len(v), dtype=object)
        vals = np.round(v, nd)
        out[:] = [int(x) if nd == 0 else float(x) for x in np.where(miss, 0, vals)]
        out[miss] = ""
        return out
    if nd == 0:
        s = np.where(miss, 0, v).astype(np.int64).astype(str).astype(object)
    else:
        s = np.array([_fmt_float(x, nd) for x in np.where(miss, 0, v)], dtype=object)
    s[miss] = ""
    return s


def _fmt_float(x: float, nd: int) -> str:
    s = f"{x:.{nd}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


def _num_cell(x: float, nd: int, fmt: str):
    return (round(float(x)) if nd == 0 else x) if fmt == "xlsx" else _fmt_float(x, nd)
