"""The first worksheet of an .xlsx file, streamed a row at a time with lxml: the values openpyxl's
read-only mode gives (values_only, cached formula results), without its objects per cell.

Shared and inline strings (rich text joined, phonetic runs left out), numbers, booleans, error
codes, ISO dates, and numbers whose cell format is a date as dates (1900 and 1904 date systems),
as openpyxl decides them. The XML is parsed without entities, DTDs or network access; the rows
and columns read are bounded by the caller, whatever the sheet claims."""
from __future__ import annotations

import posixpath
import zipfile
from typing import Iterator

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
ROW, CELL, VALUE, TEXT, RUN, INLINE = (MAIN + t for t in ("row", "c", "v", "t", "r", "is"))
DIGITS = "0123456789"


def _parse(archive: zipfile.ZipFile, name: str):
    with archive.open(name) as source:
        return etree.parse(source, _parser()).getroot()


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False)


def _relations(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target path in the archive) of a part."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in archive.namelist():
        return {}
    found = {}
    for rel in _parse(archive, rels).iter(RELS + "Relationship"):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        found[rel.get("Id")] = (rel.get("Type", ""), path)
    return found


def _text(node) -> str:
    """A string item's text: its plain text, then its rich-text runs."""
    if len(node) == 1 and node[0].tag == TEXT:  # the usual plain text, quickly
        return node[0].text or ""
    plain = node.find(TEXT)
    parts = [plain.text] if plain is not None and plain.text else []
    for run in node.iterchildren(RUN):
        text = run.findtext(TEXT)
        if text:
            parts.append(text)
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    if not path or path not in archive.namelist():
        return []
    strings = []
    with archive.open(path) as source:
        for _event, node in etree.iterparse(source, tag=MAIN + "si", resolve_entities=False,
                                            no_network=True, load_dtd=False, huge_tree=False):
            strings.append(_text(node).replace("x005F_", ""))
            node.clear()
    return strings


def _date_styles(archive: zipfile.ZipFile, path: str | None) -> tuple[set[int], set[int]]:
    """The cell format indexes that show dates, and those that show durations."""
    if not path or path not in archive.namelist():
        return set(), set()
    styles = _parse(archive, path)
    custom = {int(f.get("numFmtId")): f.get("formatCode", "")
              for f in styles.iterfind(f"{MAIN}numFmts/{MAIN}numFmt")}
    dates, durations = set(), set()
    for index, xf in enumerate(styles.iterfind(f"{MAIN}cellXfs/{MAIN}xf")):
        number = int(xf.get("numFmtId", 0))
        code = custom.get(number, BUILTIN_FORMATS.get(number))
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return dates, durations


def _number(text: str):
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


def first_sheet_rows(archive: zipfile.ZipFile, max_row: int, max_col: int) -> Iterator[tuple]:
    """Every row of the first worksheet up to `max_row` (rows missing in the file as empty
    tuples), each as the values of columns 1..max_col at most, ending at its last cell."""
    book = next((path for kind, path in _relations(archive, "").values()
                 if kind.endswith("/officeDocument")), "xl/workbook.xml")
    workbook = _parse(archive, book)
    related = _relations(archive, book)
    sheet = next((related[s.get(R_ID)][1] for s in workbook.iter(MAIN + "sheet")
                  if related.get(s.get(R_ID), ("",))[0].endswith("/worksheet")), None)
    if sheet is None:
        return
    by_kind = {kind.rsplit("/", 1)[-1]: path for kind, path in related.values()}
    strings = _shared_strings(archive, by_kind.get("sharedStrings"))
    dates, durations = _date_styles(archive, by_kind.get("styles"))
    properties = workbook.find(MAIN + "workbookPr")
    epoch = (CALENDAR_MAC_1904 if properties is not None
             and properties.get("date1904", "").lower() in ("1", "true") else WINDOWS_EPOCH)
    columns: dict[str, int] = {}
    expected = 1
    with archive.open(sheet) as source:
        for _event, row in etree.iterparse(source, tag=ROW, resolve_entities=False,
                                           no_network=True, load_dtd=False, huge_tree=False):
            number = int(row.get("r") or expected)
            if number > max_row:
                break
            if number < expected:  # a row out of order is left out, as openpyxl does
                row.clear()
                continue
            while expected < number:  # rows the file leaves out
                yield ()
                expected += 1
            expected = number + 1
            values: list = []
            column = 0
            for cell in row:
                if cell.tag != CELL:
                    continue
                ref = cell.get("r")
                if ref:
                    letters = ref.rstrip(DIGITS)
                    column = columns.get(letters) or columns.setdefault(letters, _column(letters))
                else:
                    column += 1
                if column > max_col:
                    continue
                kind = cell.get("t") or "n"
                wanted = INLINE if kind == "inlineStr" else VALUE
                child = cell[0] if len(cell) else None  # the value comes first, unless a formula
                if child is not None and child.tag != wanted:
                    child = cell.find(wanted)
                if kind == "inlineStr":
                    value = _text(child) if child is not None else None
                else:
                    value = (child.text if child is not None else None) or None
                    if value is None:
                        pass
                    elif kind == "n":
                        value = _number(value)
                        style = cell.get("s")
                        if style and int(style) in dates:
                            try:
                                value = from_excel(value, epoch,
                                                   timedelta=int(style) in durations)
                            except (OverflowError, ValueError):
                                value = "#VALUE!"
                    elif kind == "s":
                        value = strings[int(value)]
                    elif kind == "b":
                        value = bool(int(value))
                    elif kind == "d":
                        value = from_ISO8601(value)
                if column > len(values) + 1:
                    values.extend([None] * (column - 1 - len(values)))
                if column == len(values) + 1:
                    values.append(value)
                else:  # a cell named twice, or out of order: the later one wins
                    values[column - 1] = value
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]
            yield tuple(values)


def _column(letters: str) -> int:
    """A column's number from its letters (A = 1); ValueError when they are not letters."""
    number = 0
    for letter in letters.upper():
        if not "A" <= letter <= "Z":
            raise ValueError("not a cell reference")
        number = number * 26 + ord(letter) - 64
    if not number:
        raise ValueError("not a cell reference")
    return number
