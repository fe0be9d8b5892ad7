"""The shared filters: period, place and category, as a SQL clause, parameters and a caption."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Mapping

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

    @classmethod
    def for_months(cls, start_month: str, end_month: str, as_of: date, county: str | None = None,
                   township: str | None = None, category: str | None = None) -> "Filters":
        """Whole months from start_month to end_month, the last one cut at as_of."""
        start = parse_month(start_month)
        end = month_end(parse_month(end_month))
        if end < start:
            raise ValueError(f"起始月份 {start_month} 晚于截止月份 {end_month}")
        return cls(start=start, end=min(end, as_of), as_of=as_of, county=county or None,
                   township=township or None, category=category or None)

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


def default_filters(as_of: date, months: int = 12) -> Filters:
    """The last `months` whole months up to and including as_of's month."""
    start = add_months(as_of.replace(day=1), -(months - 1))
    return Filters.for_months(start.strftime("%Y-%m"), as_of.strftime("%Y-%m"), as_of)


def previous_day(day: date) -> date:
    return day - timedelta(days=1)
