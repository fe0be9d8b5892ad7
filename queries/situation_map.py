"""The situation map (挂图作战): township figures, case density, and the key cases with their colour."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine

from queries.dialect import days_between
from queries.execute import fetch_frame
from queries.figures import case_figures
from data.schema import GRID_DEGREES
from queries.scope import Scope
from queries.filters import Filters, month_end
from queries import steps
from queries.rates import DEADLINE, add_rate_pct

# The supervision colours, in the order of urgency used to sort the battle table.
COLOURS = ("red", "blue", "yellow", "grey", "green")
DUE_SOON_DAYS = 7         # blue: the 化解时限 falls within this many days
BEHIND_TOLERANCE_PCT = 10
CLEARED_STAGE = "已销号"
BEFORE_CLEARING_STAGE = "待验收"  # the stage shown for a case crossed off after the day looked at  # yellow: progress lags the share of time used by more than this


def supervision_colour(as_of: date, listed_on: date, resolve_by: date, progress_pct: int,
                       cleared_on: date | None, resolved_on: date | None,
                       case_deadline: date | None, case_closed_on: date | None) -> str:
    """green: crossed off (销号) or resolved (化解) by as_of;
    red: past its 化解时限, or the case is open past its handling deadline;
    blue: 化解时限 within DUE_SOON_DAYS days;
    yellow: progress behind the share of time used by more than BEHIND_TOLERANCE_PCT points;
    grey: on schedule."""
    if (cleared_on and cleared_on <= as_of) or (resolved_on and resolved_on <= as_of):
        return "green"
    case_open = case_closed_on is None or case_closed_on > as_of
    if as_of > resolve_by or (case_open and case_deadline is not None and as_of > case_deadline):
        return "red"
    if (resolve_by - as_of).days <= DUE_SOON_DAYS:
        return "blue"
    span = max(1, (resolve_by - listed_on).days)
    used_pct = 100.0 * max(0, (as_of - listed_on).days) / span
    if progress_pct < used_pct - BEHIND_TOLERANCE_PCT:
        return "yellow"
    return "grey"


def colour_sql(dialect_name: str) -> str:
    """supervision_colour as SQL over key_cases k and cases c at :as_of, so that a board of
    thousands of cases is coloured and ordered by the database."""
    def days(start: str, end: str) -> str:
        return days_between(dialect_name, start, end)

    used, span = days("k.listed_on", ":as_of"), days("k.listed_on", "k.resolve_by")
    return f"""CASE
  WHEN k.cleared_on <= :as_of OR c.resolved_on <= :as_of THEN 'green'
  WHEN k.resolve_by < :as_of
       OR ((c.closed_on IS NULL OR c.closed_on > :as_of) AND {DEADLINE} < :as_of) THEN 'red'
  WHEN {days(":as_of", "k.resolve_by")} <= {DUE_SOON_DAYS} THEN 'blue'
  WHEN k.progress_pct < 100.0 * (CASE WHEN {used} > 0 THEN {used} ELSE 0 END)
                        / (CASE WHEN {span} > 1 THEN {span} ELSE 1 END) - {BEHIND_TOLERANCE_PCT}
       THEN 'yellow'
  ELSE 'grey' END"""


def township_areas(engine: Engine, scope: Scope) -> pd.DataFrame:
    """code, name, county_code, lon, lat, population, boundary (GeoJSON text), boundary_schematic
    of the townships inside the scope."""
    where, params = scope.where("r", county_column="parent_code", township_column="code")
    return fetch_frame(engine, f"""
SELECT code, name, parent_code AS county_code, lon, lat, population, boundary, boundary_schematic
FROM regions r WHERE level = 'township' AND {where} ORDER BY code""", params)


def county_outlines(engine: Engine, scope: Scope) -> pd.DataFrame:
    """code, name, lon, lat, boundary (GeoJSON text) of the counties inside the scope (none for a
    township's scope: its own area is the outline)."""
    where, params = scope.where("r", county_column="code", township_column="code")
    return fetch_frame(engine, f"SELECT code, name, lon, lat, boundary FROM regions r "
                               f"WHERE level = 'county' AND {where} ORDER BY code", params)


MAP_MEASURES = ("case_count", "person_count", "open_count", "overdue_count", "satisfaction_num",
                "satisfaction_den")


def township_map_figures(engine: Engine, filters: Filters) -> pd.DataFrame:
    """township_code, case_count, open_count, overdue_count, satisfaction_*, per_10k per township."""
    if steps.usable(filters, ("township",)):  # only what the map shows, from the rollups
        figures = add_rate_pct(steps.figures(engine, filters, ("township",), MAP_MEASURES))
    else:
        figures = case_figures(engine, filters, by="township")
    population = fetch_frame(engine, "SELECT code AS township_code, population FROM regions "
                                     "WHERE level = 'township'")
    frame = figures.merge(population, on="township_code", how="left")
    frame["per_10k"] = [c * 10_000 / p if p and p > 0 else None
                        for c, p in zip(frame["case_count"], frame["population"])]
    keep = ["township_code", "case_count", "person_count", "open_count", "overdue_count",
            "satisfaction_num", "satisfaction_den", "satisfaction_pct", "per_10k"]
    return frame[keep]


def case_density(engine: Engine, filters: Filters, cell_deg: float = GRID_DEGREES) -> pd.DataFrame:
    """lon, lat (grid cell centre), case_count: the filtered cases on a grid. Whole months come
    from the grid rollup, a month cut short at the period's end from the cases (through the
    day-and-position index), in one query; a category filter reads the cases."""
    if cell_deg != GRID_DEGREES or filters.category or filters.start.day != 1:
        return _density_from_cases(engine, filters, cell_deg)
    last_full = filters.end if filters.end == month_end(filters.end) else (
        filters.end.replace(day=1) - timedelta(days=1))
    place, params = filters.place_where("r")
    params.update(m_start=filters.start, m_last=last_full.replace(day=1), cell=cell_deg,
                  d_start=max(filters.start, filters.end.replace(day=1)), d_end=filters.end)
    parts = []
    if last_full >= filters.start:
        parts.append(f"""
  SELECT r.lon_cell, r.lat_cell, r.case_count FROM rollup_grid r
  WHERE r.received_month >= :m_start AND r.received_month <= :m_last AND {place}""")
    if last_full < filters.end:
        cases_place, _ = filters.place_where("c")
        parts.append(f"""
  SELECT CAST(FLOOR(c.lon / :cell) AS INTEGER) AS lon_cell,
         CAST(FLOOR(c.lat / :cell) AS INTEGER) AS lat_cell, 1 AS case_count
  FROM cases c
  WHERE c.received_on >= :d_start AND c.received_on <= :d_end AND c.lon IS NOT NULL
    AND c.lat IS NOT NULL AND {cases_place}""")
    if not parts:
        return pd.DataFrame(columns=["lon", "lat", "case_count"])
    frame = fetch_frame(engine, f"""
SELECT (g.lon_cell + 0.5) * :cell AS lon, (g.lat_cell + 0.5) * :cell AS lat,
       SUM(g.case_count) AS case_count
FROM ({' UNION ALL '.join(parts)}) g
GROUP BY g.lon_cell, g.lat_cell ORDER BY g.lon_cell, g.lat_cell""", params)
    frame[["lon", "lat"]] = frame[["lon", "lat"]].astype(float).round(6)
    return frame


def _density_from_cases(engine: Engine, filters: Filters, cell_deg: float) -> pd.DataFrame:
    where, params = filters.where("c")
    params.update(cell=cell_deg)
    sql = f"""
SELECT (FLOOR(c.lon / :cell) + 0.5) * :cell AS lon, (FLOOR(c.lat / :cell) + 0.5) * :cell AS lat,
       COUNT(*) AS case_count
FROM cases c
WHERE {where} AND c.lon IS NOT NULL AND c.lat IS NOT NULL
GROUP BY FLOOR(c.lon / :cell), FLOOR(c.lat / :cell)"""
    return fetch_frame(engine, sql, params)


def key_case_board(engine: Engine, filters: Filters) -> pd.DataFrame:
    """case_no, category, township_code, unit_name, leader, requirements, listed_on,
    resolve_by, days_left, progress_pct, stage, cleared_on, summary, lon, lat, colour: every key
    case on the list at some time in the period, as it stood on filters.as_of; most urgent first
    (COLOURS order, then fewest days left). The stage is the one of as_of too: a case crossed off
    only later shows 待验收 then, not 已销号."""
    place, params = filters.place_where("c")
    params.update(f_start=filters.start, f_end=filters.end, cleared_stage=CLEARED_STAGE,
                  before_clearing=BEFORE_CLEARING_STAGE)
    dialect = engine.dialect.name
    urgency = " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(COLOURS))
    sql = f"""
SELECT * FROM (
  SELECT k.case_no, c.category, c.township_code, u.name AS unit_name, k.leader,
         k.requirements, k.listed_on, k.resolve_by,
         {days_between(dialect, ":as_of", "k.resolve_by")} AS days_left, k.progress_pct,
         CASE WHEN k.stage = :cleared_stage AND (k.cleared_on IS NULL OR k.cleared_on > :as_of)
              THEN :before_clearing ELSE k.stage END AS stage,
         CASE WHEN k.cleared_on <= :as_of THEN k.cleared_on END AS cleared_on, c.summary, c.lon,
         c.lat, {colour_sql(dialect)} AS colour
  FROM key_cases k JOIN cases c ON c.case_no = k.case_no LEFT JOIN units u ON u.id = c.unit_id
  WHERE k.listed_on <= :f_end AND k.listed_on <= :as_of
    AND (k.cleared_on IS NULL OR k.cleared_on >= :f_start) AND {place}
) b
ORDER BY CASE b.colour {urgency} END, b.days_left, b.case_no"""
    frame = fetch_frame(engine, sql, params, date_columns=("listed_on", "resolve_by", "cleared_on"))
    frame["days_left"] = frame["days_left"].astype("int64")
    frame["progress_pct"] = frame["progress_pct"].astype("int64")
    return frame


def as_of_month_end(filters: Filters, month_end: date) -> Filters:
    """The filters with figures taken at a past month end."""
    return replace(filters, as_of=month_end, end=min(filters.end, month_end))
