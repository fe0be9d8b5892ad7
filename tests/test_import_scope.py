"""Imports by a county or township account accept only rows of its jurisdiction, on both backends."""
from __future__ import annotations

import pandas as pd

from data.importing.cases import check_jurisdiction, plan_import
from data.importing.lists import EVALUATION_LIST, plan_list
from tests.fixture_cases import AS_OF

HEADER = ["信访件编号", "登记日期", "信访形式", "问题属地", "内容分类"]


def _frame(rows, header=HEADER) -> pd.DataFrame:
    return pd.DataFrame([header, *rows])


def test_township_account_imports_its_own_rows_only(fixture_engine):
    frame = _frame([["N1", "2025-03-01", "来信", "一镇", "民政"],      # row 2: its own township
                    ["N2", "2025-03-02", "来访", "二镇", "民政"],      # row 3: the next township
                    ["B1", "2025-01-10", "来访", "一镇", "民政"],      # row 4: a 三镇 case moved in
                    ["A1", "2025-01-05", "来信", "一镇", "民政"]])     # row 5: its own case, updated
    plan = plan_import(fixture_engine, frame, today=AS_OF)
    assert plan.ok
    checked = check_jurisdiction(fixture_engine, plan, "100100", "100100001")
    assert sorted(checked.problem_rows()) == [3, 4]
    assert any("不在本账号的辖区内" in p.message for p in checked.problems if p.row == 3)
    assert any("辖区以外的信访件" in p.message for p in checked.problems if p.row == 4)
    county = check_jurisdiction(fixture_engine, plan_import(fixture_engine, frame, today=AS_OF),
                                "100100", None)
    assert sorted(county.problem_rows()) == [4]
    everything = check_jurisdiction(fixture_engine, plan_import(fixture_engine, frame, today=AS_OF),
                                    None, None)
    assert everything.ok


def test_lists_refer_to_cases_of_the_jurisdiction_only(fixture_engine):
    frame = _frame([["A1", "2025-03-05", "电话回访", "满意"], ["B2", "2025-03-20", "微信", "不满意"]],
                   ["信访件编号", "评价日期", "评价方式", "评价结果"])
    plan = plan_list(fixture_engine, frame, EVALUATION_LIST, today=AS_OF)
    assert plan.ok, [p.text() for p in plan.problems]
    checked = check_jurisdiction(fixture_engine, plan, "100100", "100100001")
    assert checked.problem_rows() == {3} or sorted(checked.problem_rows()) == [3]
