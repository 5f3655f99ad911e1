"""Roles, the pages each may open, and whether it has case access (个案权限).

Case access means: exact small figures, masked child lists, and a child's full file on an explicit,
logged action within the user's own area. Every other role sees figures only, with the small-number
rule applied by the query door (warehouse.queries.run).

Lists and exact figures go together: a list of an area's children (未结对重点儿童, the matching worklists,
the due list) reveals the area's exact count, so the door (`privacy.child_list`) serves lists only to
case roles. Who works with individual children, per the seed documents (儿童督导员、儿童主任 do the
一人一档 files, the monthly visits and the follow-up of children missing from another register):
- leader: no list — steers by figures at meetings (推进会); a child list adds nothing to a decision there.
- planner: no list — plans places and staff from counts per area.
- county_officer: no list — oversees the county's figures and data returns, does not visit children;
  uploads the county's own sheet (数据上传): rows outside the county are refused, nothing outside it removed.
- wf_staff: no list — 妇联 tracks teams, activities and pairing coverage; the unpaired children are
  paired with volunteers through the case worker (儿童主任), who sees the list.
- data_officer: no list — lands extracts and watches match rates; the worklists' follow-up visits are
  case work (民政 推送名册、跟进走访).
- case_worker: lists and a child's file, in their own area — the 儿童主任/督导员 who visit the children
  and, per the seeds, mobilise volunteers for one-to-one pairing (so 志愿服务 with its unpaired list).
- dept_officer: a list of the masked items of their own department's follow-up queue (督办), in their own
  area — the member department (卫健、残联、教育 …) that must act on a child a matching check or an overdue
  visit listed; no other page with a list, no child's file.
- admin: lists and files everywhere — to check what case workers see and to answer audits.
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
    "followup": ("重点儿童与比对", "督办", "views/followup.py"),
    "instructions": ("总览", "领导批示", "views/instructions.py"),
    "data_quality": ("数据", "数据质量", "views/data_quality.py"),
    "signoff": ("数据", "数据确认", "views/signoff.py"),
    "setup": ("数据", "上线检查", "views/setup.py"),
    "audit": ("管理", "审计日志", "views/audit.py"),
    "alerts": ("我的", "提醒与订阅", "views/alerts.py"),
}


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    pages: tuple[str, ...]
    home: str  # the page "/" opens for this role: where its daily work is
    case_access: bool = False


ROLES: dict[str, Role] = {r.key: r for r in (
    Role("leader", "领导", ("overview", "targets", "instructions", "map", "gaps", "volunteers", "alerts"), "overview"),
    Role("planner", "规划人员", ("overview", "targets", "instructions", "map", "gaps", "alerts"), "overview"),
    Role("county_officer", "区县工作人员", ("overview", "targets", "instructions", "map", "gaps", "followup",
                                            "volunteers", "upload", "data_quality", "signoff", "alerts"), "overview"),
    Role("wf_staff", "妇联工作人员", ("volunteers", "upload", "map", "instructions", "signoff", "alerts"), "volunteers"),
    Role("data_officer", "数据专员", ("data_quality", "signoff", "upload", "matching", "followup", "targets",
                                      "setup", "alerts"), "data_quality"),
    Role("case_worker", "个案工作者", ("key_children", "matching", "followup", "volunteers", "map",
                                          "alerts"), "key_children",
         case_access=True),
    # A member department's officer (卫健、教育、残联 …, the user's department in auth/users.json): works
    # through the items assigned or referred to their department and answers leaders' instructions.
    Role("dept_officer", "部门工作人员", ("followup", "instructions", "targets", "alerts"), "followup", case_access=True),
    Role("admin", "系统管理员", tuple(PAGES), "overview", case_access=True),
)}


def role(key: str) -> Role:
    try:
        return ROLES[key]
    except KeyError:
        raise ValueError(f"未知角色 unknown role {key!r}（可选 choose from: {', '.join(ROLES)}）") from None


def home(key: str) -> str | None:
    """The url_path "/" opens for the role (None: an unknown role, which may open nothing)."""
    r = ROLES.get(key)
    return r.home if r else None


def pages_for(key: str) -> tuple[str, ...]:
    """The url_paths the role may open, in navigation order (unknown role → none)."""
    r = ROLES.get(key)
    return tuple(p for p in PAGES if r and p in r.pages)
