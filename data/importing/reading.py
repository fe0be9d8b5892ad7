"""Reading an office's file into rows of cells, within limits a hostile file cannot break.

An .xlsx is a zip archive: its entries' sizes, count and compression ratio are checked before
anything is unpacked. Its first sheet is read as a stream (data/importing/xlsx.py; the sheet's
claimed dimension is ignored) with caps on rows and columns; .csv and .xls have the same caps.
The parse runs in a child process with an address-space limit (CHILD_MEMORY_BYTES) and a time
limit (CHILD_SECONDS), so a runaway file ends the child with a Chinese message, never the
dashboard."""
from __future__ import annotations

import csv
import gc
import io
import logging
import os
import pickle
import subprocess
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path

from data.importing.checks import ImportRefused

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 100 * 2**20       # an uploaded or imported file
MAX_ROWS = 300_000                 # rows of one sheet or CSV file, the header rows included
MAX_COLUMNS = 100                  # columns of one sheet or CSV file
MAX_CELLS = 6_000_000              # non-empty cells of one file (what the dashboard then holds)
MAX_CELL_CHARS = 32_767            # one cell's text (Excel's own limit)
ZIP_MAX_ENTRIES = 1_000            # entries of an .xlsx archive
ZIP_MAX_ENTRY_BYTES = 512 * 2**20  # one entry, unpacked
ZIP_MAX_TOTAL_BYTES = 768 * 2**20  # all entries, unpacked
ZIP_MAX_RATIO = 100                # unpacked / packed size of an entry larger than 1 MB
EXCEL_MAX_ROW = 1_048_576          # Excel's last row: no sheet row number beyond it is read
CHILD_MEMORY_BYTES = 1536 * 2**20  # the parsing child's address space (virtual memory)
CHILD_SECONDS = 240                # the parsing child's wall-clock time
SHARED_TEXT_CHARS = 40             # texts this short (and dates) are held once however often
SHARED_VALUES = 200_000            # they repeat, up to this many distinct ones
PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
CHILD_LIMITS = ("MAX_ROWS", "MAX_COLUMNS", "MAX_CELLS", "MAX_CELL_CHARS", "CHILD_MEMORY_BYTES")


def check_size(content: bytes, filename: str) -> None:
    if not content:
        raise ImportRefused(f"文件 {filename} 是空的")
    if len(content) > MAX_FILE_BYTES:
        raise ImportRefused(f"文件 {filename} 过大（{len(content) / 2**20:.0f} MB，最大 "
                            f"{MAX_FILE_BYTES // 2**20} MB），请分成几个文件导入")


def check_archive(content: bytes, filename: str) -> None:
    """Refuses an .xlsx whose archive would unpack to too much (a zip bomb) before unpacking."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportRefused(f"文件 {filename} 无法读取：不是有效的 Excel 文件，请确认文件未损坏、"
                            "扩展名与内容一致") from exc
    if len(entries) > ZIP_MAX_ENTRIES:
        raise ImportRefused(f"文件 {filename} 无法导入：内部包含 {len(entries):,} 个部件"
                            f"（最多 {ZIP_MAX_ENTRIES:,} 个），不像是普通的 Excel 表格")
    total = 0
    for entry in entries:
        total += entry.file_size
        packed = max(entry.compress_size, 1)
        if entry.file_size > ZIP_MAX_ENTRY_BYTES or total > ZIP_MAX_TOTAL_BYTES:
            raise ImportRefused(f"文件 {filename} 无法导入：解压后超过 "
                                f"{ZIP_MAX_TOTAL_BYTES // 2**20} MB，请分成几个文件导入")
        if entry.file_size > 2**20 and entry.file_size / packed > ZIP_MAX_RATIO:
            raise ImportRefused(f"文件 {filename} 无法导入：内部数据的压缩比异常"
                                f"（{entry.file_size / packed:,.0f} 倍），可能是恶意构造的文件")


# ---- in the child process ----------------------------------------------------------------------

class _Refused(Exception):
    """Raised in the child; its message goes back to the parent as is."""


def _csv_rows(content: bytes, filename: str):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _Refused(f"文件 {filename} 的编码无法识别（支持 UTF-8 和 GBK/GB18030）")
    csv.field_size_limit(MAX_CELL_CHARS)
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise _Refused(f"文件 {filename} 无法读取：CSV 格式有误（{exc}），或单元格超过 "
                       f"{MAX_CELL_CHARS:,} 个字符") from exc


def _xlsx_rows(content: bytes):
    from data.importing.xlsx import first_sheet_rows

    # Explicit bounds: the sheet's own dimension (A1:XFD1048576 in a hostile file) is ignored.
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        yield from first_sheet_rows(archive, EXCEL_MAX_ROW, MAX_COLUMNS + 1)


def _xls_rows(content: bytes, filename: str):
    import xlrd

    book = xlrd.open_workbook(file_contents=content, on_demand=True)
    sheet = book.sheet_by_index(0)
    if sheet.nrows > MAX_ROWS or sheet.ncols > MAX_COLUMNS:
        raise _Refused(_too_big(filename, sheet.nrows, sheet.ncols))
    for r in range(sheet.nrows):
        row = []
        for c in range(sheet.ncols):
            cell = sheet.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                except (ValueError, OverflowError):
                    row.append(cell.value)
            elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                row.append(None)
            else:
                row.append(cell.value)
        yield row


def _too_big(filename: str, rows: int, columns: int) -> str:
    if columns > MAX_COLUMNS:
        return (f"文件 {filename} 无法导入：超过 {MAX_COLUMNS} 列。请只保留需要导入的列，"
                "或检查表格右侧是否有多余内容")
    return f"文件 {filename} 无法导入：超过 {MAX_ROWS:,} 行，请分成几个文件导入"


def _empty(value) -> bool:
    return value is None or value == ""


def read_rows_here(content: bytes, filename: str) -> list[tuple[int, list]]:
    """(row number in the file, 0-based; cells) of every non-empty row, within the caps. Runs in
    the child process."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(content, filename)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(content)
    else:
        rows = _xls_rows(content, filename)
    kept: list[tuple[int, list]] = []
    cells = width = 0
    # Short texts and dates repeat down a column (places, categories, 是/否, days): one object
    # each, so that they are sent to the parent and held there once.
    shared: dict = {}
    nones = (None,) * (MAX_COLUMNS + 1)
    usual = 0  # the previous row's width: most rows of a list have the same
    for number, row in enumerate(rows):
        if number >= MAX_ROWS and any(not _empty(v) for v in row):
            raise _Refused(_too_big(filename, number + 1, 0))
        # The last non-empty cell (rows come padded to the column bound).
        if (0 < usual <= len(row) and not _empty(row[usual - 1])
                and row[usual:] == nones[usual:len(row)]):
            last = usual - 1
        else:
            last = len(row) - 1
            while last >= 0 and _empty(row[last]):
                last -= 1
            usual = last + 1
        if last < 0:
            continue
        if last >= MAX_COLUMNS:
            raise _Refused(_too_big(filename, 0, last + 1))
        values = list(row[:last + 1])
        for i, value in enumerate(values):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise _Refused(f"文件 {filename} 第 {number + 1} 行有超过 {MAX_CELL_CHARS:,} 个字符"
                               "的单元格，请检查后重新导出")
            if (isinstance(value, datetime) or isinstance(value, str)
                    and len(value) <= SHARED_TEXT_CHARS) and len(shared) < SHARED_VALUES:
                values[i] = shared.setdefault(value, value)
        cells += sum(1 for v in values if v is not None and v != "")
        if cells > MAX_CELLS:
            raise _Refused(f"文件 {filename} 无法导入：内容超过 {MAX_CELLS:,} 个单元格，请分成几个文件导入")
        width = max(width, len(values))
        kept.append((number, values))
    return kept


def child_main() -> None:
    """The child: limits itself, reads one request from stdin, writes one answer to stdout."""
    job, args, limits = pickle.load(sys.stdin.buffer)
    globals().update(limits)  # the parent's limits, as configured there
    gc.disable()  # a short life building many small objects: no cycles worth the collector's time
    try:
        import resource
    except ImportError:  # Windows: no address-space limit, the time limit still holds
        resource = None
    if resource is not None:
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    try:
        if job == "rows":
            answer = ("ok", read_rows_here(*args))
        else:
            from data.importing.boundaries import read_features_here

            answer = ("ok", read_features_here(*args))
    except _Refused as exc:
        answer = ("refused", str(exc))
    except MemoryError:
        answer = ("memory", None)
    except Exception as exc:  # noqa: BLE001 - a damaged file: the class name is enough
        answer = ("broken", exc.__class__.__name__)
    del args
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


def in_child(job: str, args: tuple, filename: str):
    """Runs a reading job in a child process with CHILD_MEMORY_BYTES and CHILD_SECONDS; its
    result, or ImportRefused with a Chinese message."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "data.importing.child"], cwd=PROJECT_DIR,
                              env=env, input=pickle.dumps((job, args, {n: globals()[n] for n in CHILD_LIMITS})), capture_output=True,
                              timeout=CHILD_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ImportRefused(f"文件 {filename} 读取超过 {CHILD_SECONDS} 秒仍未完成，已停止。"
                            "请检查文件是否过大或损坏，或分成几个文件导入") from exc
    try:
        status, value = pickle.loads(done.stdout)
    except Exception:  # noqa: BLE001 - the child died (killed for memory, or crashed)
        status, value = "memory", None
        log.warning("reading child ended with code %s after %.1f s: %s", done.returncode,
                    time.monotonic() - started, done.stderr[-300:].decode(errors="replace"))
    if status == "ok":
        return value
    if status == "refused":
        raise ImportRefused(value)
    if status == "memory":
        raise ImportRefused(f"文件 {filename} 读取时所需内存超过 {CHILD_MEMORY_BYTES // 2**20} MB，"
                            "已停止。请检查文件是否过大或损坏，或分成几个文件导入")
    raise ImportRefused(f"文件 {filename} 无法读取：{value}，请确认文件未损坏、扩展名与内容一致")


def read_table(content: bytes, filename: str):
    """The file's non-empty rows as a DataFrame of cells (text, numbers or dates as stored), indexed
    by row position in the file (0-based); no header applied. ImportRefused when the file is
    empty, unreadable or beyond the limits."""
    import pandas as pd

    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportRefused(f"不支持的文件类型 {suffix or '（无扩展名）'}：请用 .xlsx、.xls 或 .csv")
    check_size(content, filename)
    if suffix in (".xlsx", ".xlsm"):
        check_archive(content, filename)
    rows = in_child("rows", (content, filename), filename)
    if not rows:
        raise ImportRefused(f"文件 {filename} 没有内容")
    width = max(len(cells) for _n, cells in rows)
    frame = pd.DataFrame([cells + [None] * (width - len(cells)) for _n, cells in rows],
                         index=[n for n, _c in rows], dtype=object)
    frame.columns = range(width)
    return frame
