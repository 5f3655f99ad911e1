"""What the demo writes for each source, as one table: the file's title, its periods, the file formats the
department uses in turn, and how heavy it is to generate; and the plan of every file (name, title rows,
format) drawn from it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from demo.draw import period_zh, stream
from etl.contracts import get_source, parse_period, sources

HALF_YEARS = ("2025H1", "2025H2", "2026H1")
MONTHS = tuple(f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13) if (y, m) <= (2026, 10))
VACC_MONTHS = ("2026-08", "2026-09", "2026-10")
PROGRESS_QUARTERS = ("2026Q1", "2026Q2", "2026Q3")


class FileFormat(NamedTuple):
    """How a department writes one file."""

    fmt: str                # csv | xlsx
    encoding: str           # utf-8 | utf-8-sig | gb18030 (csv); "" for xlsx
    titled: bool            # title rows above the header
    names: str              # code | name | mixed (how locations are given)


def _xlsx(names: str, titled: bool = True) -> FileFormat:
    return FileFormat("xlsx", "", titled, names)


def _csv(encoding: str, names: str, titled: bool = False) -> FileFormat:
    return FileFormat("csv", encoding, titled, names)


@dataclass(frozen=True)
class DemoSource:
    """The demo's settings for one source. The n-th period's file takes formats[n % len(formats)]."""

    file_title: str
    periods: tuple[str, ...]
    formats: tuple[FileFormat, ...]
    csv_in_province: bool = False   # large: at province scale written as UTF-8-with-BOM CSV, not xlsx
    cost: int = 1                   # relative generation time (the heaviest files start first)


Y2025 = ("2025",)
SOURCES: dict[str, DemoSource] = {
    "regions": DemoSource("统计用区划代码表", Y2025, (_xlsx("code"),)),
    "population": DemoSource("分街道常住人口", Y2025, (_csv("gb18030", "mixed", titled=True),)),
    "civil_register": DemoSource(
        "流动儿童监测摸排台账", HALF_YEARS,
        (_xlsx("code"), _csv("gb18030", "mixed"), _csv("utf-8-sig", "code")), csv_in_province=True, cost=30),
    "key_children": DemoSource(
        "重点对象台账", HALF_YEARS, (_xlsx("name"), _xlsx("code", titled=False), _xlsx("mixed")),
        csv_in_province=True, cost=6),
    "visits": DemoSource(
        "走访记录", MONTHS,
        (_csv("utf-8", "code"), _csv("utf-8", "code"), _csv("gb18030", "code"), _csv("utf-8", "code"),
         _csv("utf-8-sig", "code"), _xlsx("code", titled=False)), csv_in_province=True, cost=5),
    "activities": DemoSource(
        "志愿服务活动记录表", MONTHS, (_xlsx("code"), _xlsx("name"), _csv("utf-8-sig", "mixed")),
        csv_in_province=True, cost=2),
    "students": DemoSource(
        "流动儿童学籍比对数据", HALF_YEARS,
        (_csv("utf-8", "code"), _csv("utf-8-sig", "code"), _csv("gb18030", "code")),
        csv_in_province=True, cost=8),
    "residence_permits": DemoSource(
        "流动人口居住登记（未成年人）", HALF_YEARS,
        (_csv("gb18030", "code"), _csv("utf-8", "mixed"), _csv("utf-8-sig", "code")), csv_in_province=True,
        cost=8),
    "disabled_children": DemoSource(
        "残疾儿童康复救助名册", HALF_YEARS, (_xlsx("code"), _xlsx("code", titled=False), _xlsx("code")),
        csv_in_province=True),
    "health_records": DemoSource(
        "0-6岁儿童健康档案", ("2026Q3",), (_csv("utf-8-sig", "code"),), csv_in_province=True, cost=3),
    "vaccinations": DemoSource(
        "预防接种记录", VACC_MONTHS,
        (_csv("gb18030", "code"), _csv("utf-8", "code"), _xlsx("code", titled=False)), csv_in_province=True),
    "medical_insurance": DemoSource(
        "未成年人居民医保参保", Y2025, (_csv("utf-8-sig", "code"),), csv_in_province=True, cost=8),
    "assistance": DemoSource("困难家庭儿童救助名单", ("2026-10",), (_xlsx("code"),), csv_in_province=True),
    "childcare": DemoSource("托育机构托位统计", ("2026Q3",), (_xlsx("name"),)),
    "school_places": DemoSource("学校幼儿园学位统计", Y2025, (_xlsx("code"),)),
    "directors": DemoSource("儿童主任儿童督导员花名册", Y2025, (_xlsx("code"),)),
    "children_homes": DemoSource("儿童之家及未保工作站", Y2025, (_csv("gb18030", "mixed"),)),
    "volunteer_teams": DemoSource("志愿服务队伍", Y2025, (_xlsx("name"),)),
    "volunteers": DemoSource("志愿者名册", ("2026-10",), (_csv("utf-8-sig", "code"),), csv_in_province=True),
    "pairings": DemoSource(
        "结对帮扶台账", ("2026-10",), (_xlsx("code", titled=False),), csv_in_province=True),
    "progress_reports": DemoSource(
        "行动计划目标进展", PROGRESS_QUARTERS, (_xlsx("code"), _xlsx("code"), _csv("utf-8", "code"))),
    "plan_indicators": DemoSource("行动计划指标表", Y2025, (_xlsx("code"),)),
    "region_changes": DemoSource("", (), ()),      # a demo city has had no division changes: no file
}


# ---- file plans: which files, in which format --------------------------------------------------
@dataclass
class Plan:
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


def file_plans(scale: str, seed: int) -> list[Plan]:
    """Every file the demo writes, in landing order (regions and population first)."""
    order = ["regions", "population"] + [s for s in sorted(sources()) if s not in ("regions", "population")]
    plans = []
    area = "示范省" if scale == "province" else "示范市"
    for src in order:
        s = get_source(src)
        demo = SOURCES[src]
        for i, period in enumerate(demo.periods):
            fmt, enc, titled, names = demo.formats[i % len(demo.formats)]
            if scale == "province":
                names = "code"
                if demo.csv_in_province and fmt == "xlsx":
                    fmt, enc = "csv", "utf-8-sig"
            rng = stream(seed, "plan", src, period)
            tag = _period_tag(period, rng)
            ext = "xlsx" if fmt == "xlsx" else "csv"
            fname = f"{area}{demo.file_title}_{tag}.{ext}" if rng.random() < 0.7 or src == "regions" else \
                f"{demo.file_title}{tag}.{ext}"
            dept = s.department.split("/")[0].replace("各成员单位", "民政局（汇总）")
            title = []
            if titled:
                title = [f"{area}{s.title}（{period_zh(period)}）"]
                if rng.random() < 0.8 or src in ("civil_register", "regions"):
                    _, pend = parse_period(period, s.period)
                    rep = pend + dt.timedelta(days=int(rng.integers(3, 15)))
                    title.append(f"填报单位：{area}{dept}  填报日期：{rep.year}年{rep.month}月{rep.day}日")
            plans.append(Plan(src, period, fmt, enc or "", fname, title, names, i))
    if len({p.filename for p in plans}) != len(plans):
        raise RuntimeError("demo file names collide")
    return plans


def _period_tag(period: str, rng) -> str:
    if rng.random() < 0.5:
        return period
    if "H" in period or "Q" in period:
        return period_zh(period)
    if "-" in period:
        return f"{period[:4]}年{period[5:]}月"
    return f"{period}年"
