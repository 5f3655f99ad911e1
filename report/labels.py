"""The one table of column labels: the Chinese header of every result column a page, a download or the
meeting pack shows.

A column name means one thing everywhere, so it has one label everywhere: a list exported from one page
reads like the same list on another. Where two pages used one name for two things (a standard's 来源 and a
data source; a weight's 理由 and a rejection's 原因), the page renames its column to a name of its own
(standard_source, weight_reason) rather than labelling the same name twice. Labels that depend on the data
(the figure a landing changes, whether an area is a county or a street) are passed by the caller as `named`.
"""

from __future__ import annotations

import pandas as pd

from warehouse.queries import metrics

LABELS: dict[str, str] = {
    # child lists, matching, data quality (key-children ledger)
    "masked_name": "姓名（脱敏）", "masked_id": "身份证号（脱敏）", "check_label": "比对项目", "department": "责任部门",
    "period": "数据期别", "street_name": "街道（乡镇）", "street_code": "街道代码", "community_code": "社区代码",
    "age_years": "年龄（岁）", "detail": "说明", "county_code": "区县代码", "director_id": "儿童主任编号",
    "risk_level": "风险等级", "key_type": "对象类型", "last_contact_date": "最近联系日期",
    "last_home_visit_date": "最近入户走访日期", "next_due_date": "下次应访日期", "overdue_days": "逾期天数",
    "is_overdue": "是否逾期", "area_code": "区划代码", "area_name": "地区", "children": "人数", "contact_overdue": "联系逾期",
    "home_visit_overdue": "入户逾期", "overdue": "逾期人数", "due_30d": "30天内到期", "compliance_rate": "按时率",
    "overdue_days_max": "最长逾期天数", "matched": "已匹配", "unmatched": "未匹配",
    "match_rate": metrics.label("match_rate"), "department_pair": "部门比对", "street": "街道", "title": "数据名称",
    "source": "数据源", "cadence": "报送周期", "latest_period": "最新期别", "expected_period_start": "应报期别起",
    "periods_behind": "滞后期数", "is_late": "是否逾期", "periods_landed": "已报期数", "periods_expected": "应报期数",
    "completeness": metrics.label("completeness"), "rows_read": "读取行数", "rows_accepted": "接收行数",
    "rows_rejected": "拒收行数", "rejection_rate": "拒收率", "latest_rejection_rate": "最新一期拒收率",
    "resubmissions": "重报次数", "extracts": "数据项", "late": "逾期项", "change": "变化", "from_level": "上期等级",
    "to_level": "本期等级", "previous_period": "上期", "contact_every_days": "联系间隔（天）",
    "home_visit_every_days": "入户间隔（天）", "plan": "方案", "source_text": "依据", "reason_code": "原因代码",
    "reason": "拒收原因", "share_rate": "占拒收行", "survey_date": "排查日期", "previous_risk_level": "上期等级",
    "has_care_agreement": "签订委托照护协议", "visits": "走访次数", "home_visits": "入户次数", "visit_date": "走访日期",
    "visit_type": "走访方式", "needs": "需求", "guardian_name": "监护人姓名", "guardian_relation": "与儿童关系",
    "guardian_phone": "联系电话", "school_name": "就读学校", "masked_guardian_name": "监护人（脱敏）",
    "masked_guardian_phone": "联系电话（脱敏）",
    # targets (status table)
    "plan_id": "计划编号", "area": "领域/行动", "measure_no": "措施编号", "measure": "措施名称", "name": "指标名称",
    "indicator": "计划原文指标", "unit": "单位", "direction": "方向", "kind": "指标类型", "lead_department": "牵头单位",
    "baseline": "基线值", "baseline_date": "基线日期", "target": "目标值", "deadline": "截止日期", "current_value": "当前值",
    "value_date": "数值日期", "reported_by": "报送单位", "share_of_target": "完成目标比例(%)", "expected_today": "今日应达值",
    "missing_reports": "应报未报份数", "status": "状态", "report_overdue": "报告逾期", "target_scope": "目标范围",
    "today": "评估日期", "origin": "来源", "help": "指标定义",
    # volunteers
    "held": "已开展活动", "planned": "计划活动", "cancelled": "取消活动", "participants": "参与儿童人数", "person_times": "服务人次",
    "volunteer_hours": "志愿服务时长（小时）", "team_type": "队伍类型", "teams": "队伍数", "volunteers": "志愿者",
    "active_volunteers": "活跃志愿者", "agent_parents": "代理家长", "activities": "已开展活动", "county_name": "区县",
    "migrant": "流动儿童", "per_1000": "每千名流动儿童活动场次", "community_name": "社区", "key_children": "重点儿童",
    "paired": "已结对", "street_activities": "所在街道近12个月活动", "team_id": "队伍编号", "team_name": "队伍名称",
    "last_activity_date": "最近活动日期", "days_since_activity": "距今天数", "service_type": "服务类型",
    "need_share": "需求占比", "offer_share": "活动占比", "gap": "需求占比−活动占比",
    # service gaps
    "rank": "排名", "area_group": "主城区/县域", "area_type": "区域类型", "gap_name": "缺口", "family": "类别",
    "supply_name": "供给", "supply": "供给数", "demand_name": "需求（基数）", "demand": "需求数", "ratio": "现状比值",
    "basis": "口径", "standard_value": "标准值", "required": "按标准应有", "shortfall": "缺口（单位数）", "gap_share": "缺口率",
    "gap_index": "综合缺口指数", "gaps_counted": "计入指标数", "counties": "区县数", "weight": "权重", "measure_label": "指标",
    "measure_unit": "计量单位", "side": "需求/供给", "source_period": "数据期", "value": "数值", "source_label": "数据",
    "position": "名次", "standard": "对照标准", "worst": "最大缺口",
    # rejected rows: etl.read's bilingual column names
    "行号 row_no": "行号", "原因代码 reason_code": "原因代码", "原因 reason": "原因说明",
    # targets (values and department views)
    "numerator": "分子", "denominator": "分母", "period_start": "报送期起", "period_end": "报送期止", "plan_name": "计划",
    "lead_departments": "牵头单位", "measures": "措施", "indicators": "指标", "phase": "阶段", "start": "开始",
    "end": "结束", "milestone": "里程碑",
    # gaps and volunteers, where a word of another page meant something else
    "standard_source": "标准来源", "weight_reason": "权重理由", "needs_recorded": "走访记录需求次数", "month": "月份",
    # setup and audit
    "level": "层级", "level_zh": "层级", "regions": "区划数", "with_polygon": "有边界", "without_polygon": "缺边界",
    "region_code": "区划代码", "region_name": "名称", "role": "角色", "role_zh": "角色", "scope_name": "管辖区域",
    "users": "用户数", "at": "时间（北京时间）", "user": "用户", "action_label": "操作", "what": "对象", "scope": "范围",
    "ok": "成功",
    # upload (the diff of a landing)
    "rows_before": "原有行数", "kept": "保留", "added": "新增", "changed": "更改", "removed": "删除",
    "rows_after": "导入后行数",
    # 督办 (a follow-up item's closing or return reason is not a rejection's)
    "assignee": "承办", "due": "期限", "referral_to": "转办至", "followup_reason": "办理说明", "action_zh": "操作",
}


def label(column: str) -> str:
    """The Chinese header of `column` (the column's own name when the table has none)."""
    return LABELS.get(column, column)


def headers(columns, named: dict[str, str] | None = None) -> dict[str, str]:
    """Column → Chinese header for `columns`, in order; `named` gives the labels that depend on the data."""
    named = named or {}
    return {c: named.get(c, label(c)) for c in columns}


def chinese(df: pd.DataFrame, columns=None, named: dict[str, str] | None = None) -> pd.DataFrame:
    """`columns` of `df` (all when None), in order, under their Chinese headers."""
    cols = list(df.columns if columns is None else columns)
    return df[cols].rename(columns=headers(cols, named))
