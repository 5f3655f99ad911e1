"""One table of column labels (report/labels.py): no page helper, view or report module keeps a header dict
of its own, so one column reads the same on every page, download and pack."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from report import labels

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u9fff]")
COLUMN = re.compile(r"[a-z][a-z0-9_]*")


def _header_entries(node: ast.Dict) -> int:
    """How many entries of a dict literal map a column-like name to a Chinese text."""
    return sum(isinstance(k, ast.Constant) and isinstance(k.value, str) and COLUMN.fullmatch(k.value) is not None
               and isinstance(v, ast.Constant) and isinstance(v.value, str) and CJK.search(v.value) is not None
               for k, v in zip(node.keys, node.values))


def _own_header_dicts(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign | ast.AnnAssign):  # HEADERS = {...}, _REJECT_HEADERS = {...}
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if any(re.search(r"HEADERS|LABELS$", n) for n in names) and isinstance(node.value, ast.Dict) \
                    and _header_entries(node.value) >= 2:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {names[0]}")
        if isinstance(node, ast.Call):  # df.rename(columns={"area_name": "地区", ...})
            for kw in node.keywords:
                if kw.arg in ("columns", "column_config") and isinstance(kw.value, ast.Dict) \
                        and _header_entries(kw.value) >= 2:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {kw.arg}=")
    return found


def _modules() -> list[Path]:
    return [p for d in ("ui", "report", "views") for p in sorted((ROOT / d).glob("*.py"))
            if p != ROOT / "report" / "labels.py"]


def test_no_module_keeps_its_own_header_dict():
    hits = [hit for p in _modules() for hit in _own_header_dicts(p)]
    assert hits == []


def test_the_scan_finds_a_header_dict(tmp_path):
    (tmp_path / "x.py").write_text('H_HEADERS = {"area_name": "地区", "county_name": "区县"}\n'
                                   'y = df.rename(columns={"plan_id": "计划编号", "start": "开始"})\n'
                                   'KIND_ZH = {"computed": "系统计算"}\n', encoding="utf-8")
    global ROOT
    root, ROOT = ROOT, tmp_path
    try:
        assert [h.split(" ")[1] for h in _own_header_dicts(tmp_path / "x.py")] == ["H_HEADERS", "columns="]
    finally:
        ROOT = root


def test_one_column_one_label_across_pages():
    """Columns the pages share read the same wherever they appear; a column that meant two things is two."""
    assert labels.label("department") == "责任部门" and labels.label("area_name") == "地区"
    assert labels.label("street_name") == "街道（乡镇）" and labels.label("county_name") == "区县"
    assert labels.label("source") == "数据源" and labels.label("standard_source") == "标准来源"
    assert labels.label("reason") == "拒收原因" and labels.label("weight_reason") == "权重理由"
    assert labels.label("unknown_column") == "unknown_column"


def test_chinese_keeps_order_and_takes_data_dependent_labels():
    import pandas as pd

    df = pd.DataFrame({"area_name": ["甲"], "rows_before": [3], "figure_before": [1.0], "extra": [0]})
    out = labels.chinese(df, ["rows_before", "area_name", "figure_before"], named={"area_name": "街道"})
    assert list(out.columns) == ["原有行数", "街道", "figure_before"]


def test_pages_use_the_table():
    import pandas as pd

    from ui import ledger, targets, volunteers

    df = pd.DataFrame({"department": ["民政局"], "street_name": ["东街"], "period": ["2026-10"]})
    assert list(ledger.chinese(df, list(df.columns)).columns) == ["责任部门", "街道（乡镇）", "数据期别"]
    assert list(volunteers.chinese(df, ["street_name"]).columns) == ["街道（乡镇）"]
    assert [labels.label(c) for c in targets.EXPORT_COLUMNS][:3] == ["计划编号", "领域/行动", "措施编号"]
