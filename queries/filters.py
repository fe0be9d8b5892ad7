"""The shared filters: period, place and category, as a SQL clause, parameters and a caption."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Mapping

from queries.scope import Scope, ScopeError

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> date:
    """The first day of a 'YYYY-MM' month; ValueError with a Chinese message otherwise."""
    match = MONTH_PATTERN.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise ValueError(f"月份“{text}”格式不对，应为 YYYY-MM，例如 2025-06")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clipped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_label(day: date) -> str:
    return f"{day.year}年{day.month}月"


@dataclass(frozen=True)
class Filters:
    """A period of registration dates (inclusive), a place, a category, and the day figures are taken."""

    start: date
    end: date
    as_of: date
    county: str | None = None
    township: str | None = None
    category: str | None = None
    scope: Scope | None = None

    def __post_init__(self) -> None:
        """Deny by default: no scope is an error; a place outside the scope is an error; the
        scope's own county and township are forced into every clause."""
        if not isinstance(self.scope, Scope):
            raise ScopeError("查询未指定权限范围（辖区），已拒绝执行")
        if not self.scope.allows(self.county, self.township):
            raise ScopeError("所选地区超出账号的辖区范围")
        if self.scope.county:
            object.__setattr__(self, "county", self.scope.county)
        if self.scope.township:
            object.__setattr__(self, "township", self.scope.township)

    @classmethod
    def for_months(cls, start_month: str, end_month: str, as_of: date, county: str | None = None,
                   township: str | None = None, category: str | None = None, *,
                   scope: Scope | None = None) -> "Filters":
        """Whole months from start_month to end_month, the last one cut at as_of."""
        start = parse_month(start_month)
        end = month_end(parse_month(end_month))
        if end < start:
            raise ValueError(f"起始月份 {start_month} 晚于截止月份 {end_month}")
        return cls(start=start, end=min(end, as_of), as_of=as_of, county=county or None,
                   township=township or None, category=category or None, scope=scope)

    @property
    def start_month(self) -> str:
        return self.start.strftime("%Y-%m")

    @property
    def end_month(self) -> str:
        return self.end.strftime("%Y-%m")

    def where(self, alias: str = "c") -> tuple[str, dict]:
        """A WHERE clause over the cases table (aliased) and its named parameters."""
        place, params = self.place_where(alias)
        params.update(f_start=self.start, f_end=self.end)
        return f"{alias}.received_on >= :f_start AND {alias}.received_on <= :f_end AND {place}", params

    def place_where(self, alias: str = "c") -> tuple[str, dict]:
        """The place and category part of the clause only (no period), and its parameters."""
        clauses = ["1 = 1"]
        params: dict = {"as_of": self.as_of}
        if self.county:
            clauses.append(f"{alias}.county_code = :f_county")
            params["f_county"] = self.county
        if self.township:
            clauses.append(f"{alias}.township_code = :f_township")
            params["f_township"] = self.township
        if self.category:
            clauses.append(f"{alias}.category = :f_category")
            params["f_category"] = self.category
        return " AND ".join(clauses), params

    def year_earlier(self) -> "Filters":
        """The same period, place and category one year before, figures taken one year before."""
        return replace(self, start=add_months(self.start, -12), end=add_months(self.end, -12),
                       as_of=add_months(self.as_of, -12))

    def caption(self, region_names: Mapping[str, str] | None = None) -> str:
        """A Chinese sentence naming the period, the place and the category."""
        names = region_names or {}
        if (self.start.year, self.start.month) == (self.end.year, self.end.month):
            period = month_label(self.start)
        else:
            period = f"{month_label(self.start)}至{month_label(self.end)}"
        if self.end < month_end(self.end):
            period += f"（截至{self.end.month}月{self.end.day}日）"
        place = names.get(self.township or "", "") or names.get(self.county or "", "") or "全辖区"
        if self.township and self.county and self.county in names:
            place = f"{names[self.county]}{names.get(self.township, self.township)}"
        parts = [period, place]
        if self.category:
            parts.append(f"{self.category}类")
        return " · ".join(parts)


def default_filters(as_of: date, scope: Scope, months: int = 12) -> Filters:
    """The last `months` whole months up to and including as_of's month, over the scope."""
    start = add_months(as_of.replace(day=1), -(months - 1))
    return Filters.for_months(start.strftime("%Y-%m"), as_of.strftime("%Y-%m"), as_of, scope=scope)




PERIOD_PATTERN = re.compile(r"^(\d{4})(?:-(?:(\d{2})|Q([1-4])))?$")


def parse_period(text: str) -> tuple[date, date, str]:
    """'2025-06', '2025-Q2' or '2025' -> (first day, last day, Chinese label)."""
    match = PERIOD_PATTERN.match(str(text).strip().upper())
    if not match:
        raise ValueError(f"期间“{text}”格式不对，应为 2025-06（月）、2025-Q2（季度）或 2025（年）")
    year = int(match.group(1))
    if match.group(2):
        start = parse_month(f"{year}-{match.group(2)}")
        return start, month_end(start), month_label(start)
    if match.group(3):
        quarter = int(match.group(3))
        start = date(year, 3 * quarter - 2, 1)
        return start, month_end(add_months(start, 2)), f"{year}年第{'一二三四'[quarter - 1]}季度"
    return date(year, 1, 1), date(year, 12, 31), f"{year}年"


def previous_period(text: str) -> str:
    """The period of the same length just before: 2025-06 -> 2025-05, 2025-Q1 -> 2024-Q4, 2025 -> 2024."""
    start, _end, _label = parse_period(text)
    text = str(text).strip().upper()
    if "Q" in text:
        before = add_months(start, -3)
        return f"{before.year}-Q{(before.month - 1) // 3 + 1}"
    if "-" in text:
        return add_months(start, -1).strftime("%Y-%m")
    return str(start.year - 1)


def period_filters(text: str, as_of: date, place: "Filters | Scope") -> Filters:
    """Filters for a month, quarter or year, taken at as_of, with the scope, place and category
    of `place` (or just a scope)."""
    start, end, _label = parse_period(text)
    if start > as_of:
        raise ValueError(f"期间 {text} 尚未开始（数据截至 {as_of:%Y-%m-%d}）")
    if isinstance(place, Scope):
        return Filters(start=start, end=min(end, as_of), as_of=as_of, scope=place)
    return replace(place, start=start, end=min(end, as_of), as_of=as_of)
