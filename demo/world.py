"""The synthetic world of one demo city: its streets and their people, services and staff, and the children.

`World` is drawn once per city from the seed; the department generators (demo.departments) only slice it,
so every department's file tells of the same children. Arrays prefixed `st_` run over streets, `cm_` over
communities, `ct_` over counties and `c_` over children; the children's columns are parallel arrays
(one entry per child) rather than a DataFrame, to keep a province's 800,000 children per city cheap.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from demo.draw import FAR, assign_seq, birthday, make_ids, person_names, pick, stream, to_day, uniform_days
from demo.geography import URBAN_CORE, Geography
from demo.sources import MONTHS

# ---- the world of one city: streets, services and the children --------------------------------
_KIDS_SHARE = 0.168                    # children under 16 per resident
BAND_SHARE = {"0_3": 0.022, "3_6": 0.028, "6_12": 0.068, "12_16": 0.050}
_BIRTHS = {2009: 16.2, 2010: 15.9, 2011: 16.0, 2012: 16.4, 2013: 16.4, 2014: 16.9, 2015: 16.6, 2016: 17.9,
           2017: 17.2, 2018: 15.2, 2019: 14.7, 2020: 12.0, 2021: 10.6, 2022: 9.6, 2023: 9.0, 2024: 9.5,
           2025: 9.0, 2026: 9.0}
BIRTH_MIN, BIRTH_MAX = to_day(2009, 7, 1), to_day(2026, 10, 31)
_EXTERNAL = [("河岭省", ["安平县", "临河县", "宁远县", "柳城县", "青阳县", "石桥县", "云台县", "长丰县", "东平县", "南川县"]),
             ("江川省", ["广福县", "新塘县", "白石县", "清溪县", "丰乐县", "永和县", "双河县", "金沙县", "龙山县", "凤台县"])]
RISK = ("红色", "橙色", "黄色", "绿色")
NEEDS = ("作业辅导", "四点半课堂", "家庭教育指导", "阅读陪伴", "心理疏导", "城市融入", "安全教育", "生活慰问",
         "代理家长陪伴", "医疗康复")
TEAM_TYPES = ("社会妈妈", "五老", "党员", "教师", "小小志愿者", "大学生", "社会组织")


class World:
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
        rng = stream(seed, "world", city_code)
        self._streets(rng, target)
        self._staff(stream(seed, "staff", city_code))
        self._children(stream(seed, "children", city_code))
        self._schools(stream(seed, "schools", city_code))
        self._teams(stream(seed, "teams", city_code))

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
        start = np.array([to_day(y, 7, 1) if y == 2009 else to_day(y, 1, 1) for y in yr])
        end = np.array([to_day(y, 10, 31) if y == 2026 else to_day(y, 12, 31) for y in yr])
        self.c_birth = uniform_days(rng, start, end)
        self.c_b16 = birthday(self.c_birth, 16)
        self.c_b7 = birthday(self.c_birth, 7)
        self.c_male = rng.random(n) < 0.53
        b = self.c_birth
        g = self.c_group
        # arrival / departure
        recent = rng.random(n) < np.where(g == 2, 0.45, 0.3)
        arr_old = uniform_days(rng, b, np.maximum(b, to_day(2024, 12, 31)))
        arr_new = uniform_days(rng, np.maximum(b, to_day(2025, 1, 1)), to_day(2026, 10, 31))
        arrival = np.where(recent, arr_new, arr_old)
        arrival = np.where(g == 1, b, arrival)
        born_here = (g != 1) & (rng.random(n) < 0.25)
        arrival = np.where(born_here, np.minimum(arrival, b), arrival)
        self.c_arrival = np.maximum(arrival, b)
        leaves = rng.random(n) < np.where(g == 1, 0.05, 0.10)
        dep = uniform_days(rng, np.maximum(self.c_arrival + 30, to_day(2025, 1, 1)), to_day(2027, 6, 30))
        self.c_depart = np.where(leaves, dep, FAR)
        lag = np.minimum(rng.exponential(45, n).astype(np.int64), 200)
        old = self.c_arrival < to_day(2022, 1, 1)
        self.c_regdate = np.where(old, uniform_days(rng, to_day(2022, 1, 1), to_day(2024, 12, 31)), self.c_arrival + lag)
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
        seq = assign_seq(prefix, b, self.c_male)
        self.c_id = make_ids(prefix, b, seq)
        self.c_name = person_names(rng, self.c_male)
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
        sec = pick(rng, sectors, p_mig, n)
        sec[ind] = pick(rng, sectors, p_ind, int(ind.sum()))
        sec[lb] = pick(rng, sectors, p_lb, int(lb.sum()))
        self.c_sector = sec
        dis = self.c_disabled
        self.c_dis_type = pick(rng, ["智力", "孤独症", "肢体", "言语", "听力", "视力", "多重", "精神"],
                                [25, 18, 18, 12, 10, 7, 6, 4], n)
        self.c_dis_grade = pick(rng, ["一级", "二级", "三级", "四级"], [15, 30, 30, 25], n)
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
        need = pick(rng, NEEDS, p_need_mig, n)
        need[lb] = pick(rng, NEEDS, p_need_lb, int(lb.sum()))
        need[mism & (rng.random(n) < 0.6)] = "作业辅导"
        need[dis & (rng.random(n) < 0.5)] = "医疗康复"
        need2 = pick(rng, NEEDS, np.ones(len(NEEDS)), n)
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
        self.c_police_reg = np.where(self.c_arrival < to_day(2018, 1, 1), uniform_days(rng, to_day(2018, 1, 1), to_day(2024, 6, 30)),
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
        rng_u = stream(self.seed, "key", self.city_code, half_index).random(self.n)
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
                st_type = pick(rng, ["公办", "普惠性民办", "民办"],
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
                             int(uniform_days(rng, to_day(2016, 3, 1), to_day(2025, 11, 30)))))
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
                                       "joined": uniform_days(rng, np.full(n, t.founded), to_day(2026, 10, 31))}))
        vo = pd.concat(vrows, ignore_index=True)
        vo["volunteer_id"] = [f"ZY{self.st_code[s][:9]}{i:04d}" for s, i in
                              zip(vo.street, vo.groupby("street").cumcount() + 1)]
        rural = ~self.st_core[vo.street.to_numpy()] & (self.st_type[vo.street.to_numpy()] == "乡村")
        agentable = vo.team_type.isin(["社会妈妈", "五老", "党员"]).to_numpy()
        vo["agent"] = (rng.random(len(vo)) < np.where(agentable & rural, 0.35, 0.05)) & (vo.team_type != "小小志愿者")
        female = rng.random(len(vo)) < np.where(vo.team_type == "社会妈妈", 1.0, 0.5)
        vo["name"] = person_names(rng, ~female, adult=True)
        self.volunteers = vo
