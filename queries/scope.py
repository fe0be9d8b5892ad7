"""The jurisdiction a query may see: the whole database, one county or one township.

Every Filters carries a Scope; a Filters without one raises, so a forgotten scope fails loudly
instead of showing everything. Lists that are not Filters-shaped (places, map areas, the cases
behind an alert) take the Scope itself.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine


class ScopeError(PermissionError):
    """A query outside the account's jurisdiction, or one without a jurisdiction."""


@dataclass(frozen=True)
class Scope:
    """The region an account sees: `county` and `township` are None above their level."""

    region_code: str
    level: str  # 'all' (the city or the whole database), 'county' or 'township'
    county: str | None = None
    township: str | None = None

    @property
    def is_everything(self) -> bool:
        return self.level == "all"

    def allows(self, county: str | None, township: str | None = None) -> bool:
        """True when a place (county and/or township code; None for no narrowing) lies inside
        this scope."""
        if self.county and county and county != self.county:
            return False
        return not (self.township and township and township != self.township)

    def where(self, alias: str = "c", county_column: str = "county_code",
              township_column: str = "township_code") -> tuple[str, dict]:
        """A SQL condition restricting rows (aliased) to the scope, and its parameters."""
        clauses, params = ["1 = 1"], {}
        if self.county:
            clauses.append(f"{alias}.{county_column} = :s_county")
            params["s_county"] = self.county
        if self.township:
            clauses.append(f"{alias}.{township_column} = :s_township")
            params["s_township"] = self.township
        return " AND ".join(clauses), params


EVERYTHING = Scope(region_code="", level="all")


def scope_of_region(engine: Engine, region_code: str) -> Scope:
    """The scope of a region code: the city (or top county of a county-only database) sees
    everything, a county its townships, a township itself. ScopeError for an unknown code."""
    from queries.execute import fetch_frame  # below filters in the import order

    frame = fetch_frame(engine, "SELECT code, level, parent_code FROM regions WHERE code = :code",
                        {"code": region_code})
    if not len(frame):
        raise ScopeError(f"辖区代码“{region_code}”不存在")
    level, parent = frame["level"].iloc[0], frame["parent_code"].iloc[0]
    if level == "city":
        return Scope(region_code, "all")
    if level == "county":
        top = fetch_frame(engine, "SELECT COUNT(*) AS n FROM regions WHERE level = 'county'")
        if int(top["n"].iloc[0]) == 1 and not _has_region(engine, parent):
            return Scope(region_code, "all")
        return Scope(region_code, "county", county=region_code)
    if level == "township":
        return Scope(region_code, "township", county=parent, township=region_code)
    raise ScopeError(f"辖区代码“{region_code}”是村（社区），账号的辖区只能是市、县或乡镇")


def _has_region(engine: Engine, code: str | None) -> bool:
    from queries.execute import fetch_frame

    if not code:
        return False
    return bool(len(fetch_frame(engine, "SELECT 1 AS x FROM regions WHERE code = :c", {"c": code})))
