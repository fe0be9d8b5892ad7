"""Formatted, print-ready Excel workbooks from DataFrames (openpyxl)."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from exports.cells import plain_value, write_cell

FONT_NAME = "宋体"
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
PORTRAIT_WIDTH = 100  # character widths an A4 portrait page holds at about 9 pt

# Number formats: what a cell shows; the stored value stays a plain number.
COUNT = "#,##0"                # counts and days, thousands separated
DECIMAL = "#,##0.0"            # averages
SCORE = "#,##0.00"             # composite scores, as the page and the circular print them
PERCENT = "0.0%"               # rates: the cell holds the fraction (75.0 -> 0.75)
PERCENT_POINTS = '0"%"'        # whole percent points entered by staff (progress 60 -> "60%")
POINT_CHANGE = "+0.0;-0.0;0.0"  # differences of rates, in percentage points
COUNT_CHANGE = "+#,##0;-#,##0;0"  # differences of counts or ranks
DATE = "yyyy-mm-dd"


@dataclass
class Sheet:
    """One worksheet: a title row, Chinese headers, the rows; optional fills per cell value."""

    name: str
    title: str
    frame: pd.DataFrame
    percent_columns: tuple[str, ...] = ()  # rates in percent points, written as fractions
    formats: dict[str, str] = field(default_factory=dict)  # column -> number format (else by type)
    fills: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> value -> RGB
    highlight_rows: list[bool] | None = None  # rows to fill light red (e.g. candidates)
    note: str | None = None


def _width(value) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _landscape(widths: list[int]) -> bool:
    """Wide tables print landscape: more than an A4 portrait line holds at a readable size."""
    return sum(widths) > PORTRAIT_WIDTH


def number_format(value, column_format: str | None) -> str | None:
    """The format of one numeric or date cell: the column's own, else by the value's type."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    if isinstance(value, date):
        return DATE
    if column_format:
        return column_format
    return COUNT if isinstance(value, int) else DECIMAL


def workbook_bytes(sheets: list[Sheet]) -> bytes:
    """The sheets as one .xlsx file: frozen headers, fitted widths, A4 fitted to the page width
    (landscape when wide), title and header rows repeated on every printed page."""
    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        ws = book.create_sheet(spec.name[:31])
        columns = list(spec.frame.columns)
        width = max(1, len(columns))
        write_cell(ws, 1, 1, spec.title).font = Font(name=FONT_NAME, size=16, bold=True)
        ws.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        ws.row_dimensions[1].height = 30
        header_row = 2
        if spec.note:
            write_cell(ws, 2, 1, spec.note).font = Font(name=FONT_NAME, size=10, color="555555")
            ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
            header_row = 3
        widths = [_width(c) + 2 for c in columns]
        for j, name in enumerate(columns, start=1):
            cell = write_cell(ws, header_row, j, name)
            cell.font = Font(name=FONT_NAME, bold=True)
            cell.fill = HEADER_FILL
            cell.border = BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for i, row in enumerate(spec.frame.itertuples(index=False), start=header_row + 1):
            highlight = spec.highlight_rows is not None and spec.highlight_rows[i - header_row - 1]
            for j, (name, raw) in enumerate(zip(columns, row), start=1):
                value = plain_value(raw)
                cell = write_cell(ws, i, j, value)
                cell.font = Font(name=FONT_NAME)
                cell.border = BORDER
                column_format = spec.formats.get(name)
                if name in spec.percent_columns and isinstance(value, (int, float)):
                    cell.value = value / 100.0
                    column_format = PERCENT
                shown = number_format(value, column_format)
                if shown:
                    cell.number_format = shown
                fill = spec.fills.get(name, {}).get(str(value))
                if fill:
                    cell.fill = PatternFill("solid", fgColor=fill)
                elif highlight:
                    cell.fill = PatternFill("solid", fgColor="F8D7DA")
                widths[j - 1] = max(widths[j - 1], min(_width(value if not isinstance(value, date)
                                                             else "2025-01-01") + 2, 50))
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w
        for row in ws.iter_rows(min_row=header_row + 1):
            for cell in row:
                if isinstance(cell.value, str) and _width(cell.value) > 48:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        ws.print_title_rows = f"1:{header_row}"  # title, note and headers on every page
        ws.page_setup.orientation = "landscape" if _landscape(widths) else "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
