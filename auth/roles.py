"""Roles, the pages each may open, and whether it has case access (个案权限).

Case access means: exact small figures, masked child lists, and a child's full file on an explicit,
logged action within the user's own area. Every other role sees figures only, with the small-number
rule applied by the query door (warehouse.queries.run).
"""

from __future__ import annotations

from dataclasses import dataclass

# url_path → (navigation section, title, page file). The one list of pages; app.py builds from it.
PAGES: dict[str, tuple[str, str, str]] = {
    "overview": ("总览", "总览", "views/overview.py"),
    "targets": ("总览", "目标进展", "views/targets.py"),
    "map": ("分布与缺口", "流动儿童分布", "views/map.py"),
    "gaps": ("分布与缺口", "服务缺口", "views/gaps.py"),
    "key_children": ("重点儿童与比对", "重点儿童", "views/key_children.py"),
    "matching": ("重点儿童与比对", "数据比对", "views/matching.py"),
    "volunteers": ("妇联", "志愿服务", "views/volunteers.py"),
    "upload": ("妇联", "数据上传", "views/upload.py"),
    "data_quality": ("数据", "数据质量", "views/data_quality.py"),
    "audit": ("管理", "审计日志", "views/audit.py"),
}


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    pages: tuple[str, ...]
    case_access: bool = False


ROLES: dict[str, Role] = {r.key: r for r in (
    Role("leader", "领导", ("overview", "targets", "map", "gaps", "volunteers")),
    Role("planner", "规划人员", ("overview", "targets", "map", "gaps")),
    Role("county_officer", "区县工作人员", ("overview", "targets", "map", "gaps", "volunteers", "data_quality")),
    Role("wf_staff", "妇联工作人员", ("volunteers", "upload", "map")),
    Role("data_officer", "数据专员", ("data_quality", "upload", "matching", "targets")),
    Role("case_worker", "个案工作者", ("key_children", "matching", "map"), case_access=True),
    Role("admin", "系统管理员", tuple(PAGES), case_access=True),
)}


def role(key: str) -> Role:
    try:
        return ROLES[key]
    except KeyError:
        raise ValueError(f"未知角色 unknown role {key!r}（可选 choose from: {', '.join(ROLES)}）") from None


def pages_for(key: str) -> tuple[str, ...]:
    """The url_paths the role may open, in navigation order (unknown role → none)."""
    r = ROLES.get(key)
    return tuple(p for p in PAGES if r and p in r.pages)
