"""The monthly dispatch review on a hand-built month (March 2025 of the fixture)."""
from datetime import date

import pytest
from sqlalchemy import text

from queries.dispatch import (
    dispatch_summary, last_complete_month, month_filters, overdue_cases, unit_progress, year_so_far,
)

from tests.fixture_cases import AS_OF
from tests.scoping import all_months
from queries.scope import EVERYTHING

MARCH = month_filters("2025-03", AS_OF, EVERYTHING)


def test_month_filters():
    assert (MARCH.start, MARCH.end, MARCH.as_of) == (date(2025, 3, 1), date(2025, 3, 31),
                                                      date(2025, 3, 31))
    partial = month_filters("2025-03", date(2025, 3, 10), EVERYTHING)
    assert partial.end == partial.as_of == date(2025, 3, 10)
    assert last_complete_month(date(2025, 1, 15)) == "2024-12"
    with pytest.raises(ValueError):
        month_filters("2025-04", AS_OF, EVERYTHING)


def test_summary_crosses_month_ends(fixture_engine):
    row = dispatch_summary(fixture_engine, MARCH).iloc[0]
    assert row["new_count"] == 2                 # A3, A5
    assert row["new_prev_month_count"] == 2      # February: A4, B3
    assert row["new_last_year_count"] == 0
    assert row["closed_count"] == 3              # A1 on time, A2 late, B2 on its deadline
    assert row["resolved_count"] == 1            # A1
    assert row["backlog_start_count"] == 7       # open at 28 February: A1 A2 A4 A6 B1 B2 B3
    assert row["backlog_end_count"] == 6         # 7 + 2 - 3: A3 A4 A5 A6 B1 B3 (closed in April)
    assert row["overdue_end_count"] == 1         # B1; A6's extension runs to 16 April


def test_unit_table_against_direct_counts(fixture_engine):
    units = unit_progress(fixture_engine, MARCH)
    assert list(units["unit_name"]) == ["三镇", "一镇", "市人力资源和社会保障局"]
    town3, town1, bureau = (units.iloc[i] for i in range(3))
    assert (town1["closed_count"], town1["closed_ontime_count"], town1["closed_late_count"]) == (2, 1, 1)
    assert town1["avg_handling_days"] == pytest.approx(56.0)   # 50 and 62 days
    assert town1["ontime_close_pct"] == pytest.approx(75.0)    # A1, C1, D1 of A1, A2, C1, D1
    assert town1["ontime_close_prev_pct"] == pytest.approx(100.0)
    assert town1["ontime_change_pct"] == pytest.approx(-25.0)
    assert town3["overdue_open_count"] == 1 and town3["ontime_close_pct"] == pytest.approx(50.0)
    assert bureau["dispatched_count"] == 1
    with fixture_engine.connect() as conn:
        direct = conn.execute(text(
            "SELECT COUNT(*) FROM cases WHERE closed_on BETWEEN '2025-03-01' AND '2025-03-31'"
            if fixture_engine.dialect.name == "sqlite" else
            "SELECT COUNT(*) FROM cases WHERE closed_on BETWEEN DATE '2025-03-01' AND DATE '2025-03-31'"
        )).scalar()
    assert units["closed_count"].sum() == direct == 3


def test_overdue_list(fixture_engine):
    frame = overdue_cases(fixture_engine, MARCH)
    assert list(frame["case_no"]) == ["B1"]
    b1 = frame.iloc[0]
    assert b1["days_overdue"] == 18 and b1["unit_name"] == "三镇"
    assert b1["supervised_count"] == 1 and b1["last_supervised_on"] == date(2025, 3, 20)


def test_year_so_far(fixture_engine):
    frame = year_so_far(fixture_engine, MARCH)
    assert list(frame["report_month"]) == ["2025-01", "2025-02", "2025-03"]
    assert list(frame["new_count"]) == [8, 2, 2]
    assert list(frame["closed_count"]) == [2, 2, 3]
    assert list(frame["backlog_end_count"]) == [7, 7, 6]


def test_place_filter_applies(fixture_engine):
    county = month_filters("2025-03", AS_OF, all_months("2025-01", "2025-03", AS_OF,
                                                                county="100200"))
    row = dispatch_summary(fixture_engine, county).iloc[0]
    assert (row["backlog_start_count"], row["closed_count"], row["backlog_end_count"]) == (3, 1, 2)


def test_meeting_pack_cell_by_cell(fixture_engine):
    import io

    from openpyxl import load_workbook

    from exports.dispatch_pack import dispatch_pack

    book = load_workbook(io.BytesIO(dispatch_pack(fixture_engine, "2025-03", AS_OF, EVERYTHING)))
    assert book.sheetnames == ["本月概况", "单位进度", "逾期清单", "重点案件"]
    summary = book["本月概况"]
    assert summary["A1"].value == "测试市2025年3月信访工作调度会材料：本月概况"
    assert [c.value for c in summary[3]] == ["指标", "数值", "说明"]
    figures = {summary.cell(row=r, column=1).value: summary.cell(row=r, column=2).value
               for r in range(4, summary.max_row + 1)}
    assert figures == {"新增（增量）": 2, "办结": 3, "化解": 1, "月初存量": 7, "月末存量": 6,
                       "逾期未结": 1, "重点案件本月销号": 1}
    assert "较月初下降 1 件" in summary["C8"].value
    units = book["单位进度"]
    assert units["A4"].value == "三镇" and units["G4"].value == 1
    assert units["H5"].value == 0.75 and units["H5"].number_format == "0.0%"
    assert units.freeze_panes == "A4" and units.page_setup.orientation == "landscape"
    overdue = book["逾期清单"]
    assert [overdue["A4"].value, overdue["G4"].value, overdue["I4"].value] == ["B1", 18, 1]
    keys = book["重点案件"]
    rows = {keys.cell(row=r, column=3).value: keys.cell(row=r, column=2).value
            for r in range(4, keys.max_row + 1)}
    assert rows == {"A2": "", "C1": "是"} or rows == {"A2": None, "C1": "是"}
    for sheet in book.worksheets:
        assert sheet.column_dimensions["A"].width >= 6


def test_cli_export_dispatch(tmp_path):
    import subprocess
    import sys

    from data.database import PROJECT_DIR, make_engine, migrate
    from tests.fixture_cases import load_fixture

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_fixture(engine)
    out = tmp_path / "pack.xlsx"
    result = subprocess.run([sys.executable, "cli.py", "export", "dispatch", "--month", "2025-03",
                             "--url", url, "--out", str(out)], cwd=PROJECT_DIR, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert out.exists() and "已导出" in result.stdout
    bad = subprocess.run([sys.executable, "cli.py", "export", "dispatch", "--month", "2025-3x",
                          "--url", url, "--out", str(tmp_path / "x.xlsx")], cwd=PROJECT_DIR,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "格式不对" in bad.stderr and not (tmp_path / "x.xlsx").exists()
