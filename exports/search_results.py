"""The search results (综合查询结果) with Chinese headers and as an Excel sheet."""
from __future__ import annotations

import pandas as pd

from exports.excel import Sheet, workbook_bytes


def search_table(found: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The cases found with Chinese headers, petitioners masked, newest first as found."""
    return pd.DataFrame({
        "信访件编号": found["case_no"],
        "登记日期": found["received_on"],
        "问题属地": [names.get(t, t or "") for t in found["township_code"]],
        "内容分类": found["category"],
        "信访形式": found["channel"],
        "层级": found["escalation"],
        "重复件": ["是" if v else "" for v in found["is_repeat"]],
        "重点案件": ["是" if v else "" for v in found["is_key_case"]],
        "责任单位": found["unit_name"],
        "办理状态": found["state"],
        "信访人": found["petitioner_masked"],
        "诉求摘要": found["summary"],
    })


def search_workbook(table: pd.DataFrame, caption: str) -> bytes:
    return workbook_bytes([Sheet("查询结果", f"综合查询结果（{caption}）", table)])
