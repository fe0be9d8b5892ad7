"""Every Excel export prints its numbers as a report does: counts with thousands separators, rates
as percentages with one decimal, differences with one decimal and a sign; numbers stay numbers and
no cell is a formula. Read back with openpyxl from workbooks built on the fixture, both backends."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from queries.scope import EVERYTHING
from tests.fixture_cases import AS_OF
from tests.test_export_cells import assert_no_formula

COUNT = "#,##0"
PERCENT = "0.0%"
NUMBER_AS_TEXT = re.compile(r"^[+-]?[\d,]+(\.\d+)?%?$|^\d+/\d+$")
IDENTIFIERS = {"信访件编号"}  # numbering may be all digits: text on purpose


def header_row(sheet) -> int:
    """Title, an optional note (merged across the sheet), then the headers."""
    return 3 if any(r.min_row == 2 for r in sheet.merged_cells.ranges) else 2


def columns(sheet) -> dict[str, list]:
    """Header -> the data cells under it."""
    top = header_row(sheet)
    return {sheet.cell(row=top, column=j).value:
            [sheet.cell(row=i, column=j) for i in range(top + 1, sheet.max_row + 1)]
            for j in range(1, sheet.max_column + 1)}


def assert_numbers_formatted(data: bytes) -> dict:
    """No formula anywhere; every number carries a format other than General; no figure is
    written as text. Returns sheet title -> columns."""
    assert_no_formula(data)
    book = load_workbook(io.BytesIO(data))
    sheets = {}
    for sheet in book.worksheets:
        sheets[sheet.title] = cols = columns(sheet)
        for name, cells in cols.items():
            for cell in cells:
                if cell.data_type == "n" and cell.value is not None:
                    assert cell.number_format != "General", (sheet.title, name, cell.coordinate)
                if isinstance(cell.value, str) and name not in IDENTIFIERS:
                    assert not NUMBER_AS_TEXT.match(cell.value), (sheet.title, name, cell.value)
    return sheets


def assert_format(cells, expected: str, at_least: int = 1) -> None:
    """Every numeric cell of the column has the format; at least `at_least` of them are numbers."""
    numbers = [c for c in cells if c.value is not None]
    assert len(numbers) >= at_least, [c.value for c in cells]
    for cell in numbers:
        assert cell.data_type == "n" and not isinstance(cell.value, str), (cell.coordinate, cell.value)
        assert cell.number_format == expected, (cell.coordinate, cell.number_format)


def test_formats_carry_thousands_separators_and_one_decimal():
    from exports import excel

    assert "#,##0" in excel.COUNT and "#,##0" in excel.COUNT_CHANGE
    assert excel.DECIMAL.endswith(".0") and excel.PERCENT == "0.0%"
    assert excel.POINT_CHANGE.split(";")[0] == "+0.0"


def test_decimal_values_stay_numbers():
    from decimal import Decimal

    import pandas as pd

    from exports.excel import Sheet, workbook_bytes

    frame = pd.DataFrame({"件数": [12345, 7], "平均": [Decimal("1234.56"), None],
                          "比率": [95.31, None], "名称": ["甲", "乙"]})
    data = workbook_bytes([Sheet("表", "标题", frame, percent_columns=("比率",))])
    cols = assert_numbers_formatted(data)["表"]
    assert [c.value for c in cols["件数"]] == [12345, 7]
    assert_format(cols["件数"], COUNT, 2)
    assert cols["平均"][0].value == pytest.approx(1234.56)
    assert_format(cols["平均"], "#,##0.0")
    assert cols["比率"][0].value == pytest.approx(0.9531)
    assert_format(cols["比率"], PERCENT)


def test_dispatch_pack_formats(fixture_engine):
    from exports.dispatch_pack import dispatch_pack

    sheets = assert_numbers_formatted(dispatch_pack(fixture_engine, "2025-03", AS_OF, EVERYTHING))
    assert_format(sheets["本月概况"]["数值"], COUNT, 7)
    units = sheets["单位进度"]
    for name in ("本月交办", "本月办结", "其中按期", "其中逾期", "逾期未结"):
        assert_format(units[name], COUNT, 3)
    assert_format(units["按期办结率"], PERCENT, 2)
    assert_format(units["上月按期办结率"], PERCENT)
    assert_format(units["变化（百分点）"], "+0.0;-0.0;0.0")
    assert_format(units["平均办理天数"], "#,##0.0", 2)
    by_unit = {c.value: i for i, c in enumerate(units["责任单位"])}
    yi = by_unit["一镇"]  # 3 of 4 closed on time by the end of March; 4 of 4 a month earlier
    assert units["按期办结率"][yi].value == pytest.approx(0.75)
    assert units["变化（百分点）"][yi].value == pytest.approx(-25.0)
    overdue = sheets["逾期清单"]
    assert_format(overdue["逾期天数"], COUNT)
    assert_format(overdue["已督办次数"], COUNT)
    assert overdue["逾期天数"][0].value == 18
    keys = sheets["重点案件"]
    assert_format(keys["剩余天数"], COUNT, 2)
    assert_format(keys["进度"], '0"%"', 2)
    assert sorted(c.value for c in keys["进度"]) == [60, 100]  # percent points, as imported


def test_ranking_workbook_formats(fixture_engine):
    from exports.ranking_reports import ranking_report
    from queries.ranking import RATE_INDICATORS
    from tests.test_ranking import SMALL

    data = ranking_report(fixture_engine, "2025-Q1", AS_OF, "xlsx", scheme=SMALL, place=EVERYTHING)
    sheet = assert_numbers_formatted(data)["排名"]
    for name in ("排名", "信访件数", "集体访（批次）", "到市访（件）", "到市访（人次）", "到省访（件）",
                 "到省访（人次）", "进京访（件）", "进京访（人次）"):
        assert_format(sheet[name], COUNT, 3)
    for label, _better in RATE_INDICATORS.values():
        assert_format(sheet[label], PERCENT)
        assert_format(sheet[f"{label}排名"], COUNT)
    assert_format(sheet["综合得分"], "#,##0.00", 3)
    assert_format(sheet["排名变化"], "+#,##0;-#,##0;0")
    assert_format(sheet["候选稳健度"], PERCENT)
    row = {c.value: i for i, c in enumerate(sheet["乡镇（街道）"])}
    yi, san = row["一镇"], row["三镇"]
    assert sheet["按期办结率"][yi].value == pytest.approx(2 / 3, abs=0.0005)  # 66.7% as shown
    assert (sheet["到省访（件）"][yi].value, sheet["到省访（人次）"][yi].value) == (1, 3)
    assert (sheet["进京访（件）"][yi].value, sheet["进京访（人次）"][yi].value) == (1, 1)
    assert (sheet["到市访（件）"][san].value, sheet["到市访（人次）"][san].value) == (1, 2)
    assert sheet["排名变化"][yi].value == -1
    assert 0 < sheet["候选稳健度"][yi].value <= 1


@pytest.mark.parametrize("level", ["county", "unit"])
def test_ranking_workbook_formats_other_levels(fixture_engine, level):
    from exports.ranking_reports import ranking_report
    from tests.test_ranking import SMALL

    data = ranking_report(fixture_engine, "2025-Q1", AS_OF, "xlsx", level, scheme=SMALL,
                          place=EVERYTHING)
    sheet = assert_numbers_formatted(data)["排名"]
    assert_format(sheet["信访件数"], COUNT, 2)
    assert_format(sheet["按期办结率"], PERCENT, 2)


def test_battle_table_formats(fixture_engine):
    from exports.battle_table import battle_table_frame, battle_table_xlsx
    from queries.reference import region_names
    from queries.situation_map import key_case_board
    from tests.scoping import all_months

    board = key_case_board(fixture_engine, all_months("2025-01", "2025-03", AS_OF))
    data = battle_table_xlsx(battle_table_frame(board, region_names(fixture_engine)), "作战图", "说明")
    sheet = assert_numbers_formatted(data)["作战图"]
    assert_format(sheet["剩余天数"], COUNT, 2)
    assert_format(sheet["进度"], '0"%"', 2)
    assert [c.value for c in sheet["剩余天数"]] == [20, -21]


def test_search_results_formats(fixture_engine):
    from exports.search_results import search_table, search_workbook
    from queries.reference import region_names
    from queries.search import search_cases
    from tests.scoping import all_months

    period = all_months("2025-01", "2025-03", AS_OF)
    table = search_table(search_cases(fixture_engine, period), region_names(fixture_engine))
    sheet = assert_numbers_formatted(search_workbook(table, "说明"))["查询结果"]
    assert len(sheet["信访件编号"]) == 12
    assert all(c.is_date and c.number_format == "yyyy-mm-dd" for c in sheet["登记日期"])
