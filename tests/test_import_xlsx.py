"""The .xlsx reader (data/importing/xlsx.py) gives, cell for cell, the values openpyxl's
read-only mode gives: shared, inline and rich-text strings, numbers, booleans, errors, formulas,
dates in every way a sheet can hold them, both date systems, gaps, and the column bound."""
import io
import zipfile
from datetime import date, datetime, time, timedelta

from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from data.importing.xlsx import first_sheet_rows

MAX_ROW, MAX_COL = 1_048_576, 101


def trimmed(rows) -> list[tuple]:
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        out.append(tuple(row))
    while out and not out[-1]:
        out.pop()
    return out


def both(content: bytes) -> tuple[list, list]:
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    theirs = trimmed(book.worksheets[0].iter_rows(min_row=1, max_row=MAX_ROW, min_col=1,
                                                  max_col=MAX_COL, values_only=True))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        ours = trimmed(first_sheet_rows(archive, MAX_ROW, MAX_COL))
    return ours, theirs


def saved(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def every_kind(sheet) -> None:
    sheet.append(["信访件编号", "登记日期", "人数", "金额", "是否", "备注"])
    sheet.append(["X-001", datetime(2025, 3, 5), 3, 2.5, True, "  前后有空格 \n第二行"])
    sheet.append(["X-002", date(2025, 3, 6), -7, 1e-7, False, ""])
    sheet.append(["X-003", "2025/3/7", 10**15, 12345678.125, None, "=1+1"])
    sheet["G3"] = CellRichText(["普通", TextBlock(InlineFont(b=True), "加粗"), "结尾"])
    sheet["H2"] = time(13, 45, 30)
    sheet["H3"] = timedelta(hours=30, minutes=5)
    sheet["H3"].number_format = "[h]:mm:ss"
    sheet["I2"] = 45731
    sheet["I2"].number_format = 'yyyy"年"m"月"d"日"'
    sheet["I3"] = 45731
    sheet["I3"].number_format = "0.00%"
    sheet["J2"] = "#N/A"
    sheet["J2"].data_type = "e"
    sheet["K4"] = datetime(2025, 12, 31, 23, 59, 59)
    sheet["K4"].number_format = "yyyy-mm-dd hh:mm:ss"
    sheet["B4"] = 45732
    sheet["B4"].number_format = "m/d/yy"
    sheet["A7"] = "隔了两行"
    sheet["E7"] = "稀疏"
    sheet["CW8"] = "第 101 列"
    sheet["CX8"] = "第 102 列（界外）"
    sheet["XFD9"] = "最右一列"


def test_every_kind_of_cell_as_openpyxl_reads_it():
    book = Workbook()
    every_kind(book.active)
    book.create_sheet("第二页").append(["不读"])
    ours, theirs = both(saved(book))
    assert ours == theirs
    assert ours[1][:5] == ("X-001", datetime(2025, 3, 5), 3, 2.5, True)
    assert ours[2][6] == "普通加粗结尾" and ours[7][100] == "第 101 列" and len(ours[7]) == 101


def test_1904_dates_and_inline_strings():
    book = Workbook()
    book.epoch = CALENDAR_MAC_1904
    every_kind(book.active)
    ours, theirs = both(saved(book))
    assert ours == theirs and ours[1][1] == datetime(2025, 3, 5)
    streamed = Workbook(write_only=True)  # inline strings, no dimension
    sheet = streamed.create_sheet("信访件")
    sheet.append(["信访事项登记表"])
    sheet.append(["信访件编号", "登记日期", "信访人数"])
    for k in range(200):
        sheet.append([f"N-{k:04d}", datetime(2025, 1, 1) + timedelta(days=k), k % 7 + 1])
    ours, theirs = both(saved(streamed))
    assert ours == theirs and len(ours) == 202 and ours[2] == ("N-0000", datetime(2025, 1, 1), 1)
