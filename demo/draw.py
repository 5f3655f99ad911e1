"""The demo's basic draws: day numbers, reproducible random streams, resident ID numbers and names.

Dates are int day numbers since 1970-01-01 in arrays (NAD: no date). Everything is synthetic: names are
random combinations of common characters, ID numbers are well-formed but belong to nobody.
"""
from __future__ import annotations

import datetime as dt
import zlib

import numpy as np

from etl.contracts import get_source, parse_period

# ---- dates as day numbers ---------------------------------------------------------------------
_EPOCH = dt.date(1970, 1, 1)
NAD = -(10 ** 9)          # "no date" in int-day arrays
FAR = 10 ** 6             # "never" (departure)


def to_day(y: int, m: int, d: int) -> int:
    return (dt.date(y, m, d) - _EPOCH).days


def date_to_day(x: dt.date) -> int:
    return (x - _EPOCH).days


def ymd(days: np.ndarray):
    a = np.asarray(days, dtype="int64").astype("datetime64[D]")
    y = a.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = a.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (a - a.astype("datetime64[M]")).astype(np.int64) + 1
    return y, mo, d


def age_at(birth: np.ndarray, at: int) -> np.ndarray:
    """Completed years at day `at`."""
    by, bm, bd = ymd(birth)
    ey, em, ed = ymd(np.array([at]))
    return ey[0] - by - ((em[0] * 100 + ed[0]) < (bm * 100 + bd))


def birthday(birth: np.ndarray, years: int) -> np.ndarray:
    """The day someone born on `birth` turns `years` (29 February → 1 March)."""
    y, m, d = ymd(birth)
    months = ((y + years - 1970) * 12 + m - 1).astype("datetime64[M]")
    return months.astype("datetime64[D]").astype(np.int64) + d - 1


def period_bounds(source: str, period: str) -> tuple[int, int]:
    a, b = parse_period(period, get_source(source).period)
    return date_to_day(a), date_to_day(b)


def period_zh(period: str) -> str:
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
def stream(seed: int, *keys) -> np.random.Generator:
    """An independent, reproducible stream per purpose (order of generation never matters)."""
    return np.random.default_rng([seed, *(zlib.crc32(str(k).encode()) for k in keys)])


def pick(rng, values, p, n):
    p = np.asarray(p, dtype=float)
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=p / p.sum())]


def uniform_days(rng, lo, hi):
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


def make_ids(prefix: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> np.ndarray:
    n = len(prefix)
    y, m, d = ymd(birth)
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


def assign_seq(prefix: np.ndarray, birth: np.ndarray, male: np.ndarray) -> np.ndarray:
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
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
                 "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
COMPOUND_SURNAMES = ["欧阳", "司马", "上官", "诸葛"]
_BOY = list("子浩宇轩梓晨俊博文涵睿泽一诚辰铭昊杰天明嘉佑宸逸凯然奕航皓霖锦瑞阳乐鹏安思远彦毅恒煜帆宁朗哲") + ["䶮", "喆", "堃"]
_GIRL = list("欣怡梓涵诗雨可馨语婷佳悦琪萱若思梦雅晴冉一依彤婉静瑶琳妍淑心嘉甜露曼月伊芮安朵玥祎沐桐")
ADULT_NAMES = ["建国", "伟", "芳", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
          "霞", "平", "刚", "桂英", "华", "玉兰", "红梅", "志强", "海燕", "建华", "春梅", "丽娟", "国强", "文静", "卫东",
          "晓燕", "秀兰", "小红", "海波", "德明", "淑芬", "立新"]


def person_names(rng, male: np.ndarray, adult: bool = False) -> np.ndarray:
    n = len(male)
    w = 1.0 / (np.arange(len(SURNAMES)) + 6.0)
    sur = np.asarray(SURNAMES, dtype=object)[rng.choice(len(SURNAMES), n, p=w / w.sum())]
    comp = rng.random(n) < 0.003
    sur[comp] = np.asarray(COMPOUND_SURNAMES, dtype=object)[rng.integers(0, len(COMPOUND_SURNAMES), comp.sum())]
    if adult:
        return sur + np.asarray(ADULT_NAMES, dtype=object)[rng.integers(0, len(ADULT_NAMES), n)]
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
