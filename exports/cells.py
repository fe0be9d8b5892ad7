"""One rule for every value that leaves in a spreadsheet or CSV file: text stays text.

Case text is user input. A cell whose text starts with =, +, -, @, a tab or a carriage return
is run as a formula by Excel, WPS and LibreOffice when it is written as a formula (xlsx) or
opened from a CSV file. Every export writes its cells through `write_cell` (xlsx) or
`csv_bytes` (CSV); numbers stay numbers and dates stay dates.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    """True for text that a spreadsheet would take as the start of a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def plain_value(value):
    """None for missing values, a date for timestamps, Python numbers for NumPy and Decimal ones."""
    if isinstance(value, Decimal):
        value = float(value)
    if value is None or value is pd.NA or value is pd.NaT or (
            isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, (str, date, datetime)):
        value = value.item()
        if isinstance(value, float) and pd.isna(value):
            return None
    return value


def write_cell(ws, row: int, column: int, value):
    """Writes one value into an openpyxl sheet; text is always stored as text, never a formula."""
    value = plain_value(value)
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl marks any text starting with '=' as a formula
        if is_formula_like(value):
            cell.quotePrefix = True  # stays text when the cell is edited in Excel or WPS
    return cell


def csv_text(value) -> str:
    """One CSV field's text: formula-like text gets a leading apostrophe, as spreadsheets do."""
    value = plain_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if is_formula_like(text) else text


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV with a byte-order mark (Excel and WPS then read the Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_text(name) for name in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow([csv_text(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
