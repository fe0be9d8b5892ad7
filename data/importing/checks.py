"""What every imported field must satisfy before anything is written: the problems found, the
dates offices write, and the bounds both databases store (text lengths, no NUL characters,
integer ranges, plausible dates). Checked here, so that "检查通过" on SQLite is the same verdict
as on PostgreSQL, and the write cannot fail on a value."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Column, String

EARLIEST_DAY = date(1990, 1, 1)   # no case, evaluation or listing of a case before this day
FUTURE_MARGIN_DAYS = 1            # a day past the data day for clocks and time zones
DEADLINE_YEARS = 5                # a deadline (办理期限, 化解时限) at most this many years after its start
TEXT_MAX_CHARS = 20_000           # a free-text column (诉求摘要, 工作要求) at most this long
MAX_PERSONS = 10_000              # 信访人数 of one case
EXCEL_EPOCH = date(1899, 12, 30)
DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?(?:\s*.*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


class ImportRefused(ValueError):
    """A file, plan or write that cannot go ahead; the message is Chinese and shown as is."""


@dataclass
class Problem:
    row: int | None      # the row number as the office sees it in the file (1-based), None: the file
    column: str | None
    value: str | None
    message: str

    def text(self) -> str:
        where = "文件" if self.row is None else f"第 {self.row} 行"
        if self.column:
            where += f"「{self.column}」列"
        value = "" if self.value in (None, "") else f"（值：{shown(self.value)}）"
        return f"{where}：{self.message}{value}"


def shown(value: str, limit: int = 60) -> str:
    """A value as a message may quote it: no NUL, at most `limit` characters."""
    text = str(value).replace("\x00", "\\0")
    return text if len(text) <= limit else text[:limit] + "……"


def clean(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def header_names(cells) -> list[str]:
    return [clean(v).replace(" ", "").replace("\n", "") for v in cells]


def best_header(frame, aliases: dict[str, tuple[str, ...]], scan: int = 20
                ) -> tuple[int, dict[str, str]]:
    """The row (position in frame) that names the most known columns, and field -> column;
    (-1, {}) when no row names any."""
    best, best_mapping = -1, {}
    for position in range(min(scan, len(frame))):
        names = header_names(frame.iloc[position])
        mapping = {f: next(a for a in names_ if a in names) for f, names_ in aliases.items()
                   if any(a in names for a in names_)}
        if len(mapping) > len(best_mapping):
            best, best_mapping = position, mapping
    return best, best_mapping


def parse_date(value) -> date | None:
    """A date as offices write it; None for empty; ValueError when it is not a date."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError("不是有效日期")
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return parse_date(float(text))
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError as exc:
                raise ValueError("不是有效日期") from exc
    raise ValueError("日期格式无法识别（可用 2024-03-05、2024/3/5、2024年3月5日）")


def latest_day(today: date) -> date:
    """The last day an event may carry: the data day and a small margin."""
    return today + timedelta(days=FUTURE_MARGIN_DAYS)


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def day_problem(day: date | None, today: date, what: str, not_before: date | None = None,
                before_name: str = "", not_after: date | None = None) -> str | None:
    """Why a date cannot be right for its meaning, or None: before 1990, after the data day (plus
    a margin) unless `not_after` says otherwise, before the day it follows."""
    if day is None:
        return None
    if day < EARLIEST_DAY:
        return f"{what}早于 {EARLIEST_DAY.year} 年，请核对"
    last = not_after if not_after is not None else latest_day(today)
    if day > last:
        return (f"{what}晚于今天" if not_after is None
                else f"{what}晚于{before_name}后 {DEADLINE_YEARS} 年，请核对")
    if not_before is not None and day < not_before:
        return f"{what}早于{before_name}"
    return None


def text_limit(column: Column) -> int:
    """How many characters the column stores: its String length, or TEXT_MAX_CHARS."""
    if isinstance(column.type, String) and column.type.length:
        return column.type.length
    return TEXT_MAX_CHARS


def text_problem(value: str, column: Column) -> str | None:
    """Why a text cannot be stored in the column, or None."""
    if "\x00" in value:
        return "含有空字符（NUL），请删除后重新导出"
    limit = text_limit(column)
    if len(value) > limit:
        return f"内容过长（{len(value):,} 个字符，最多 {limit:,} 个）"
    return None


def whole_number(value, low: int, high: int) -> int:
    """An integer from text or a number (1, '1', '1.0', '3,000'); ValueError outside [low, high],
    for fractions, infinities and anything else."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        number = value
    else:
        text = clean(value).replace(",", "")
        if re.fullmatch(r"[+-]?\d{1,12}", text):
            number = int(text)
        else:
            try:
                real = float(text)
            except (TypeError, ValueError, OverflowError) as exc:
                raise ValueError from exc
            if not math.isfinite(real) or not real.is_integer() or abs(real) > 10**12:
                raise ValueError
            number = int(real)
    if not low <= number <= high:
        raise ValueError
    return number


def real_number(value, low: float, high: float) -> float | None:
    """A finite number in [low, high] from text or a number; None for empty; ValueError else."""
    text = clean(value).replace(",", "")
    if not text:
        return None
    try:
        number = float(text)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError from exc
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError
    return number
