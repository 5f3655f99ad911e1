"""上线检查: where a deployment stands (region table, boundaries, key, users, each extract by county, the codes
a landed change table retires) and the next step, in order. `gather` reads through the door, `steps` is a pure
function of what it read, and the render_* blocks draw one section each, so views/setup.py only wires them
together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from auth import users
from auth.roles import PAGES, ROLES
from etl import deployment
from report import labels
from settings import data_dir, key_available
from ui import format as fmt
from ui.format import md_escape as md
from warehouse import queries as q
from warehouse.queries import setup as qs
from warehouse.queries.quality import CADENCE_LABELS

REGISTER = "civil_register"  # 流动儿童监测摸排台账: every page counts children from it
PLAN = "plan_indicators"  # 行动计划目录: the deployment's own plan, measures and targets
STEPPED = {"regions", REGISTER, PLAN}  # sources with a step of their own
# Needed only where division codes changed between periods (撤县设区, streets merged): listed, never a step.
OPTIONAL = {"region_changes"}
UPLOAD = "views/upload.py"
LONG_LIST = 10  # more missing regions than this: the list starts collapsed


@dataclass
class State:
    """What the page read, for the scope of the signed-in user."""

    root: pd.DataFrame
    root_configured: bool
    levels: pd.DataFrame
    problems: pd.DataFrame
    coverage: pd.DataFrame
    missing: pd.DataFrame
    unmatched: pd.DataFrame
    key: bool
    users: pd.DataFrame  # role, role_zh, scope_name, users
    extracts: pd.DataFrame
    counties: pd.DataFrame
    fed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    retired: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=qs.RETIRED_COLUMNS))

    @property
    def regions(self) -> int:
        return int(self.levels["regions"].sum())

    def landed(self, source: str) -> bool:
        row = self.extracts[self.extracts["source"] == source]
        return not row.empty and not bool(row["never_sent"].iloc[0])

    def has_role(self, role: str) -> bool:
        return bool((self.users["role"] == role).any())


def gather(wh, scope: q.Scope) -> State:
    """Everything the page shows, read once per rerun (the queries are cached per snapshot)."""
    configured = deployment.root_code(data_dir())
    ex = wh.query(qs.extracts, scope)
    return State(
        root=wh.query(qs.root, scope, configured), root_configured=configured is not None,
        levels=wh.query(qs.regions_by_level, scope), problems=wh.query(qs.region_problems, scope),
        coverage=wh.query(qs.boundary_coverage, scope), missing=wh.query(qs.boundaries_missing, scope),
        unmatched=wh.query(qs.boundaries_unmatched, scope), key=key_available(),
        users=users_table(wh, scope), extracts=ex, counties=wh.query(qs.extract_counties, scope), fed=qs.pages_fed(),
        retired=wh.query(qs.retired_codes, scope))


def users_table(wh, scope: q.Scope) -> pd.DataFrame:
    """Enabled users whose area meets the viewer's, counted by role and area (names of people are not shown)."""
    rows = []
    for u in users.load().values():
        written = tuple(sorted(str(c) for c in u.scope))
        try:  # "" is the whole deployment; a code the user file holds was checked when it was written
            theirs = q.Scope.everything() if "" in written else q.Scope.of(*written)
        except ValueError:
            continue
        if u.disabled or not written or (scope & theirs).is_empty:
            continue
        rows.append({"role": u.role, "written": written})
    cols = ["role", "role_zh", "scope_name", "users"]
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows)
    codes = {c: deployment.normalise_code(c) for cs in df["written"] for c in cs}
    names = wh.query(qs.region_names, scope, tuple(sorted({n for n in codes.values() if n})))
    name = dict(zip(names["region_code"], names["region_name"]))
    df["scope_name"] = ["、".join("全部" if c == "" else name.get(codes[c], f"{c}（不在区划代码表中）") for c in cs)
                        for cs in df["written"]]
    out = df.groupby(["role", "scope_name"], as_index=False).size().rename(columns={"size": "users"})
    out["role_zh"] = out["role"].map(fmt.role_zh)
    out["_o"] = out["role"].map({r: i for i, r in enumerate(ROLES)})
    return out.sort_values(["_o", "scope_name"]).drop(columns="_o")[cols].reset_index(drop=True)


@dataclass(frozen=True)
class Step:
    no: int
    title: str
    done: bool
    summary: str  # what stands (done) or what is missing (not done), Markdown-safe
    todo: tuple[str, ...] = ()  # commands and instructions, Markdown
    uploads: tuple[str, ...] = ()  # sources to land through 数据上传 (link with the source preselected)


def _period(p: object) -> str:
    """A period as Chinese text (2026H1 → 2026年上半年); — when there is none."""
    return fmt.period_label(p) if isinstance(p, str) and p else "—"


def _land_cmd(source: str, period: object) -> str:
    return f"`python -m etl land {source} 文件.xlsx --period {period if isinstance(period, str) else '统计期'}`"


def _expected(state: State, source: str) -> str | None:
    row = state.extracts[state.extracts["source"] == source]
    return None if row.empty else row["expected_period"].iloc[0]


def _title(state: State, source: str) -> str:
    row = state.extracts[state.extracts["source"] == source]
    return source if row.empty else str(row["title"].iloc[0])


def _extract_step(state: State, no: int, title: str, source: str) -> Step:
    period = _expected(state, source)
    if state.landed(source):
        row = state.extracts[state.extracts["source"] == source].iloc[0]
        counties = state.counties[state.counties["source"] == source]
        lacking = counties.loc[~counties["has_rows"].astype(bool), "county_name"]
        note = f"；最新一期缺 {'、'.join(md(n) for n in lacking)} 的数据" if len(lacking) else ""
        return Step(no, title, True, f"已报至 {_period(row['latest_period'])}{note}")
    return Step(no, title, False, f"尚未导入“{md(_title(state, source))}”",
                (f"应报期：{_period(period)}；命令行：{_land_cmd(source, period)}",),
                (source,))


INIT_TODO = ("运行 `python -m etl init --root 本地区划代码`：创建数据目录、密钥（secret.key，权限 600）和第一个管理员；"
             "密钥请另行备份，丢失后新旧数据无法按人比对。也可设置环境变量 TONGXIN_SECRET。")
REGIONS_TODO = "导入统计局的统计用区划代码表（代码、名称即可；GB18030 CSV、Excel 或网页另存的 .xls）："
BOUNDARIES_TODO = ("`python -m etl boundaries 边界文件.geojson`（DataV/高德的 GeoJSON 自动按 GCJ-02 纠偏，其他 GCJ-02 "
                   "坐标的文件加 `--gcj02`；Shapefile 压缩包、GeoPackage 亦可；层级和代码字段由代码识别，"
                   "识别不了时用 `--level`、`--code-field` 指明）")


def steps(state: State) -> list[Step]:
    """The go-live checklist, in order: init and key → region table → boundaries → users → the register →
    the other extracts (those feeding the most pages first) → the action plan."""
    out = [Step(1, "初始化与密钥", state.key, "身份证号哈希密钥已配置" if state.key else "缺少身份证号哈希密钥",
                () if state.key else (INIT_TODO,))]
    cmd = REGIONS_TODO + _land_cmd("regions", _expected(state, "regions"))
    out.append(Step(2, "区划代码表", state.regions > 0,
                    f"已有 {state.regions:,} 个区划" if state.regions else "尚未导入区划代码表",
                    () if state.regions else (cmd,), () if state.regions else ("regions",)))
    cov = state.coverage.set_index("level")
    polygons = {lv: int(cov.at[lv, "without_polygon"]) for lv in qs.POLYGON_LEVELS}
    done = state.regions > 0 and int(cov.at["county", "regions"]) > 0 and not any(polygons.values())
    gaps = "、".join(f"{qs.LEVEL_ZH[lv]} {n} 个" for lv, n in polygons.items() if n)
    summary = "区县和街道均有边界" if done else (f"缺边界：{gaps}" if gaps else "先导入区划代码表")
    out.append(Step(3, "边界", done, summary, () if done else (BOUNDARIES_TODO,)))
    missing = [r for r in ("county_officer", "data_officer") if not state.has_role(r)]
    out.append(Step(4, "用户", not missing,
                    "已有区县工作人员和数据专员" if not missing else "没有" + "、".join(fmt.role_zh(r) for r in missing),
                    tuple(f"`python -m auth add 用户名 --role {r} --scope "
                          f"{'区县代码' if r == 'county_officer' else '本地区划代码'}`（密码在终端输入）" for r in missing)))
    out.append(_extract_step(state, 5, "流动儿童监测摸排台账", REGISTER))
    others = other_extracts(state)
    todo = others.loc[others["never_sent"].astype(bool)]
    out.append(Step(6, "其他部门数据", todo.empty,
                    f"{len(others)} 项均已导入" if todo.empty else f"{len(todo)} 项尚未导入（按所用页面多少排列）",
                    tuple(f"{md(r.title)}（{md(r.department)}，应报 {_period(r.expected_period)}）："
                          f"用于{md(r.pages_zh)}；{_land_cmd(r.source, r.expected_period)}"
                          for r in todo.itertuples()),
                    tuple(todo["source"])))
    out.append(_extract_step(state, 7, "行动计划目录", PLAN))
    return out


def other_extracts(state: State) -> pd.DataFrame:
    """Extracts without a step of their own that feed some page, those feeding the most pages first."""
    ex = state.extracts[~state.extracts["source"].isin(STEPPED | OPTIONAL)].copy()
    ex["pages"] = [state.fed.get(s, ()) for s in ex["source"]]
    ex = ex[ex["pages"].map(len) > 0]
    ex["pages_zh"] = ["、".join(PAGES[p][1] for p in ps) for ps in ex["pages"]]
    ex["_n"] = -ex["pages"].map(len)
    return ex.sort_values(["_n", "source"]).drop(columns="_n").reset_index(drop=True)


def next_step(state: State) -> Step | None:
    return next((s for s in steps(state) if not s.done), None)


# --------------------------------------------------------------------------------------------
# Rendering


def render_checklist(state: State) -> None:
    """The numbered checklist: done steps ticked, the next one open with its commands and upload links."""
    st.subheader("下一步做什么")
    todo = steps(state)
    nxt = next((s for s in todo if not s.done), None)
    if nxt is None:
        st.success("上线所需的各项均已就绪：可以打开总览，准备第一次会议。")
    ticked: list[str] = []  # consecutive done steps share one block: the open ones stay near the top
    for s in todo:
        if s.done:
            ticked.append(f":green[✓] {s.no}. {s.title}：{s.summary}")
            continue
        if ticked:
            st.markdown("  \n".join(ticked))
            ticked = []
        head = f"下一步：{s.no}. {s.title}" if s is nxt else f"{s.no}. {s.title}"
        with st.expander(f":orange[○] {head}：{s.summary}", expanded=s is nxt):
            for text, source in zip(s.todo, (*s.uploads, *[None] * len(s.todo))):
                st.markdown(f"- {text}")
                if source:
                    st.page_link(UPLOAD, label=f"在数据上传页导入“{_title(state, source)}”（含模板下载）",
                                 query_params={"source": source}, icon=":material/upload_file:")
    if ticked:
        st.markdown("  \n".join(ticked))


def render_regions(state: State) -> None:
    st.subheader("区划代码表")
    if state.root.empty:
        st.error("尚未导入区划代码表：各页面按区划汇总，须先导入（见上方第 2 步）。" if state.regions == 0 else
                 "区划代码表没有唯一的顶层区划：请检查是否混入了其他地区，或用 `python -m etl init --root 代码` 指定。")
    else:
        r = state.root.iloc[0]
        how = "按数据目录的 deployment.yaml 配置" if state.root_configured else "取自区划代码表的顶层"
        st.markdown(f"部署区域：**{md(r['region_name'])}**（{r['region_code']}，{qs.LEVEL_ZH[r['level']]}；{how}）")
    for col, row in zip(st.columns(len(state.levels)), state.levels.itertuples()):
        col.metric(row.level_zh, f"{row.regions:,}")
    for problem, say, kind in (("county_without_streets", "没有街道（乡镇）的区县", st.warning),
                               ("street_without_communities", "没有社区（村）的街道（乡镇）", st.info)):
        rows = state.problems[state.problems["problem"] == problem]
        if not rows.empty:
            names = "、".join(md(n) for n in rows["region_name"].head(LONG_LIST))
            more = f" 等 {len(rows)} 个" if len(rows) > LONG_LIST else f"（{len(rows)} 个）"
            note = "（提示：社区级数据将无法定位，不影响街道汇总）" if kind is st.info else ""
            kind(f"{say}：{names}{more}{note}")


def render_boundaries(state: State) -> None:
    st.subheader("边界")
    st.dataframe(labels.chinese(state.coverage, ["level_zh", "regions", "with_polygon", "without_polygon"]),
                 hide_index=True)
    st.caption("地图按街道着色、以区县为轮廓；社区以点显示，无需边界。")
    if not state.missing.empty:
        with st.expander(f"缺边界的区县和街道（{len(state.missing)} 个）", expanded=len(state.missing) <= LONG_LIST):
            st.dataframe(labels.chinese(state.missing.assign(level=state.missing["level"].map(qs.LEVEL_ZH))),
                         hide_index=True)
    if not state.unmatched.empty:
        st.warning(f"{len(state.unmatched)} 个边界的代码不在区划代码表中（如 "
                   f"{'、'.join(md(c) for c in state.unmatched['region_code'].head(5))}），地图不会显示它们。")


def render_key(state: State) -> None:
    st.subheader("身份证号哈希密钥")
    if state.key:
        st.success("已配置（密钥不在页面显示）。请确认已另行备份：丢失后新导入的数据无法与旧数据按人比对。")
    else:
        st.error("未配置：含身份证号的数据不能导入。运行 `python -m etl init`，或设置环境变量 TONGXIN_SECRET。")


def render_users(state: State) -> None:
    st.subheader("用户")
    if state.users.empty:
        st.info("本辖区还没有用户。")
    else:
        st.dataframe(labels.chinese(state.users, ["role_zh", "scope_name", "users"]), hide_index=True)
    for role, why in (("county_officer", "各区县需要有人报送和查看本区县数据"),
                      ("data_officer", "需要有人统一导入各部门数据、查看数据质量")):
        if not state.has_role(role):
            st.warning(f"还没有{fmt.role_zh(role)}：{why}。用 `python -m auth add 用户名 --role {role} --scope 区划代码` 添加。")


def extracts_table(state: State) -> pd.DataFrame:
    """One row per extract, with Chinese headers: cadence, periods, status and the counties of its latest period."""
    ex = state.extracts.copy()
    by = state.counties.groupby("source")
    have = {s: g for s, g in by}
    cells, gaps = [], []
    for r in ex.itertuples():
        g = have.get(r.source)
        if not r.by_county:
            cells.append("—（无区划字段）"), gaps.append("")
        elif g is None:
            cells.append("—"), gaps.append("")
        else:
            cells.append(f"{int(g['has_rows'].sum())}/{len(g)}")
            gaps.append("、".join(g.loc[~g["has_rows"], "county_name"]))
    status = [("未导入（区划调整时才需要）" if r.source in OPTIONAL else "从未报送") if r.never_sent else (f"滞后 {r.periods_behind} 期" if r.is_late else "按期")
              for r in ex.itertuples()]
    return pd.DataFrame({
        "数据名称": ex["title"], "部门": ex["department"], "报送周期": ex["cadence"].map(CADENCE_LABELS),
        "已报期数": ex["periods_landed"].astype(int),
        "最新期别": [_period(p) if isinstance(p, str) else "从未报送" for p in ex["latest_period"]],
        "应报期别": [_period(p) for p in ex["expected_period"]],
        "状态": status, "最新一期有数据区县": cells, "缺数据区县": gaps})


def render_extracts(state: State) -> None:
    st.subheader(f"各部门数据（{len(state.extracts)} 项）")
    st.dataframe(extracts_table(state), hide_index=True, width="stretch")
    st.caption("应报期别：按报送周期，截至数据日期应已报送的最近一期。区县一栏看各数据最新一期里有数据的区县；"
               "没有区划字段的数据（如医保参保、社会救助）按全市报送。")


CHANGES = "region_changes"
SPLIT = "拆分，需人工确认"


def retired_table(state: State) -> pd.DataFrame:
    """The retired codes under Chinese headers, a split marked: its rows cannot follow one code by themselves."""
    r = state.retired
    return pd.DataFrame({
        "原区划代码": r["old_code"], "原名称": r["old_name"].fillna(""),
        "现区划代码": r["successor_codes"], "现名称": r["successor_names"],
        "变更日期": [pd.Timestamp(d).strftime("%Y-%m-%d") if pd.notna(d) else "" for d in r["effective_date"]],
        "变更类型": r["change_type"].fillna(""),
        "仍用原代码的行数": r["rows_in_use"].astype(int), "数据来源": r["usage"],
        "说明": [SPLIT if s else ("" if t else "原代码不在区划代码表中") for s, t in zip(r["is_split"],
                                                                          r["in_region_table"])]})


def render_changes(state: State) -> None:
    """区划变更: the codes a landed change table retires and the rows still on them; never a step."""
    st.subheader("区划变更")
    if not state.landed(CHANGES):
        st.caption("区划变更对照表是可选的：只在区划调整（撤县设区、街道合并或拆分）后需要，不影响上面的各步。"
                   "导入：`python -m etl land region_changes 变更对照表.xlsx --period 年份`；"
                   "导入后，本节列出被撤销的代码及仍使用它们的数据。")
        return
    if state.retired.empty:
        st.caption("已导入的区划变更对照表不涉及本辖区的区划代码。")
        return
    st.dataframe(retired_table(state), hide_index=True, width="stretch")
    st.caption("仍用原代码的行：各部门已导入、仍在使用的数据（含变更前各期）中，代码为原代码或属于原区划"
               "（如原县的街道、社区）的行。拆分的区划无法自动对应到一个现代码，须由报送部门按现区划核对后重新报送。")
