"""Case text that looks like a formula leaves every export as text; numbers and dates keep their type."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date

import pandas as pd
from openpyxl import load_workbook
from sqlalchemy import text

from queries.scope import EVERYTHING
from tests.fixture_cases import AS_OF

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]


def plant_hostile_text(engine) -> None:
    """Puts formula-like text into every kind of imported text an export shows."""
    from data.rollups import rebuild_all

    with engine.begin() as conn:
        conn.execute(text("UPDATE units SET name = :v WHERE id = 3"), {"v": HOSTILE[0]})
        conn.execute(text("UPDATE units SET name = :v WHERE id = 1"), {"v": HOSTILE[3]})
        conn.execute(text("UPDATE regions SET name = :v WHERE code = '100200001'"), {"v": HOSTILE[1]})
        conn.execute(text("UPDATE regions SET name = :v WHERE code = '100100002'"), {"v": HOSTILE[6]})
        conn.execute(text("UPDATE regions SET name = :v WHERE code = '100000'"), {"v": HOSTILE[4]})
        conn.execute(text("UPDATE cases SET category = :v WHERE case_no = 'B1'"), {"v": HOSTILE[2]})
        conn.execute(text("UPDATE key_cases SET leader = :v, requirements = :r WHERE case_no = 'A2'"),
                     {"v": HOSTILE[5], "r": HOSTILE[4]})
        conn.execute(text("UPDATE key_cases SET requirements = :r WHERE case_no = 'C1'"),
                     {"r": HOSTILE[2]})
    rebuild_all(engine)


def assert_no_formula(data: bytes) -> list:
    """Every cell of every sheet, read back: none is a formula, in openpyxl's view or in the XML."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name
    book = load_workbook(io.BytesIO(data))
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                cells.append(cell)
    return cells


def hostile_found(cells) -> set[str]:
    found = set()
    for cell in cells:
        if isinstance(cell.value, str):
            for value in HOSTILE:
                if value in cell.value:
                    found.add(value)
                    if cell.value == value:
                        assert cell.data_type == "s" and cell.quotePrefix
    return found


def test_meeting_pack_keeps_formulas_as_text(fixture_engine):
    from exports.dispatch_pack import dispatch_pack

    plant_hostile_text(fixture_engine)
    data = dispatch_pack(fixture_engine, "2025-03", AS_OF, EVERYTHING)
    cells = assert_no_formula(data)
    assert hostile_found(cells) >= {HOSTILE[0], HOSTILE[2], HOSTILE[3], HOSTILE[4], HOSTILE[5]}
    book = load_workbook(io.BytesIO(data))
    overdue = book["逾期清单"]
    row = [c.value for c in overdue[4]]
    assert row[:4] == ["B1", HOSTILE[0], HOSTILE[1], HOSTILE[2]]
    assert overdue["E4"].value.date() == date(2025, 1, 10) and overdue["E4"].is_date
    assert overdue["G4"].value == 18 and overdue["G4"].data_type == "n"
    summary = book["本月概况"]
    assert summary["B4"].value == 2 and summary["B4"].data_type == "n"
    assert summary["A1"].value.startswith(HOSTILE[4])  # the jurisdiction's name in the title


def test_ranking_workbook_keeps_formulas_as_text(fixture_engine):
    from exports.ranking_reports import ranking_report
    from tests.test_ranking import SMALL

    plant_hostile_text(fixture_engine)
    data = ranking_report(fixture_engine, "2025-Q1", AS_OF, "xlsx", scheme=SMALL, place=EVERYTHING)
    cells = assert_no_formula(data)
    assert hostile_found(cells) >= {HOSTILE[1], HOSTILE[4], HOSTILE[6]}
    sheet = load_workbook(io.BytesIO(data))["排名"]
    names = {sheet.cell(row=r, column=2).value: sheet.cell(row=r, column=4).value
             for r in range(4, 7)}
    assert set(names) == {HOSTILE[1], HOSTILE[6], "一镇"}
    assert all(isinstance(score, float) for score in names.values())


def test_battle_table_keeps_formulas_as_text(fixture_engine):
    from exports.battle_table import battle_table_frame, battle_table_xlsx
    from queries.filters import Filters
    from queries.reference import region_names
    from queries.situation_map import key_case_board

    plant_hostile_text(fixture_engine)
    period = Filters.for_months("2025-01", "2025-03", AS_OF, scope=EVERYTHING)
    table = battle_table_frame(key_case_board(fixture_engine, period), region_names(fixture_engine))
    data = battle_table_xlsx(table, f"{HOSTILE[4]}重点信访案件作战图", HOSTILE[0])
    cells = assert_no_formula(data)
    assert hostile_found(cells) >= {HOSTILE[0], HOSTILE[2], HOSTILE[3], HOSTILE[4], HOSTILE[5]}
    sheet = load_workbook(io.BytesIO(data))["作战图"]
    assert sheet["E4"].value == HOSTILE[5] and sheet["G4"].value == HOSTILE[4]
    assert sheet["I4"].data_type == "n" and sheet["H4"].is_date


def test_csv_keeps_formulas_as_text():
    from exports.cells import csv_bytes

    frame = pd.DataFrame({"文本": HOSTILE, "件数": range(len(HOSTILE)),
                          "比率": [-1.5] * len(HOSTILE),
                          "日期": [date(2025, 3, 1)] * len(HOSTILE)})
    data = csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["文本", "件数", "比率", "日期"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in HOSTILE]
    assert [r[1] for r in rows[1:]] == [str(i) for i in range(len(HOSTILE))]
    assert {r[2] for r in rows[1:]} == {"-1.5"} and {r[3] for r in rows[1:]} == {"2025-03-01"}
    assert not any(field[:1] in "=+-@\t\r" and field[:1] for r in rows[1:] for field in r[:1])
