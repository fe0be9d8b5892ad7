"""Figures read from the rollup tables (data/rollups.py) instead of the case table.

A figure as of day X is the sum of its steps dated on or before X: the monthly table's running
totals up to the end of the month before X's, and the daily table's steps of X's month up to X
(or X's month's running totals less the steps after X, whichever reads fewer days). `usable`
says when a set of filters can be answered this way exactly; the callers fall back to the case
table otherwise (two breakdowns at once, such as units within one township or categories per
township).
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine

from data.schema import ROLLUP_MEASURES
from queries.execute import fetch_frame
from queries.filters import Filters, month_end

# grouping -> the cube whose member it is (month and county are columns of every cube).
MEMBER_CUBES = {"township": "T", "unit": "U", "category": "C", "channel": "H", "method": "M"}
MEMBER_COLUMNS = {"township": "township_code", "unit": "unit_id", "category": "category",
                  "channel": "channel", "method": "method"}
FILTER_CUBES = {"township": "T", "category": "C"}


def cube_for(filters: Filters, groupings: tuple[str, ...] = ()) -> str | None:
    """The one cube that can answer, or None: at most one breakdown other than month and county
    among the groupings and the township/category filters."""
    if any(g not in (*MEMBER_CUBES, "month", "county") for g in groupings):
        return None
    cubes = {MEMBER_CUBES[g] for g in groupings if g in MEMBER_CUBES}
    cubes |= {cube for name, cube in FILTER_CUBES.items() if getattr(filters, name)}
    if len(cubes) > 1:
        return None
    # Without a breakdown any cube answers (each holds every case once): the one of fewest rows,
    # the evaluation methods.
    return cubes.pop() if cubes else "M"


def usable(filters: Filters, groupings: tuple[str, ...] = ()) -> bool:
    """True when the rollups give exactly what the case table would: whole months of
    registration (the last one may stop at the as-of day) and one breakdown at most."""
    return (filters.start.day == 1
            and (filters.end == month_end(filters.end) or filters.end >= filters.as_of)
            and cube_for(filters, groupings) is not None)


def place_clause(filters: Filters, alias: str = "r", cube: str = "T") -> tuple[str, dict]:
    """The place (and category) filter over the rollup rows of one cube."""
    clauses, params = ["1 = 1"], {}
    if filters.county:
        clauses.append(f"{alias}.county_code = :f_county")
        params["f_county"] = filters.county
    member = filters.township if cube == "T" else filters.category if cube == "C" else None
    if member:
        clauses.append(f"{alias}.member = :f_member")
        params["f_member"] = member
    return " AND ".join(clauses), params


def sums_as_of(engine: Engine, at: date, where: str, params: dict, group: tuple[str, ...] = (),
               measures: tuple[str, ...] = ROLLUP_MEASURES, cube: str = "T") -> pd.DataFrame:
    """Every measure summed over the rollup rows of `cube` matching `where` (alias r), as of day
    `at`: per group, the cumulative row of the month before `at`'s month plus the daily steps of
    `at`'s month up to `at`; or, from the middle of the month on, the cumulative row of `at`'s
    month less the daily steps after `at` (none at the month's end)."""
    return sums_at(engine, [at], where, params, group, measures, cube).drop(columns="point")


def sums_at(engine: Engine, days: list[date], where: str, params: dict,
            group: tuple[str, ...] = (), measures: tuple[str, ...] = ROLLUP_MEASURES,
            cube: str = "T", extra: list[str] | None = None) -> pd.DataFrame:
    """sums_as_of for several days in one query: a column `point` (the day's index in `days`)
    before the group columns. `extra`, one per day, adds a condition (alias r) to that day's rows.
    Without a group every point has its row, zeros included."""
    cols = "".join(f"r.{g}, " for g in group)
    values = ", ".join(f"r.{m}" for m in measures)
    negated = ", ".join(f"-r.{m} AS {m}" for m in measures)
    outer = "".join(f"{g}, " for g in group)
    bound = {**params, "cube": cube}
    parts = []
    for k, at in enumerate(days):
        last = month_end(at)
        bound[f"at{k}"], bound[f"at_month{k}"], bound[f"at_end{k}"] = at, at.replace(day=1), last
        condition = f"{where}{f' AND {extra[k]}' if extra and extra[k] else ''}"
        if (last - at).days < at.day:
            # Late in the month (or its last day): the running total to the month's end less the
            # steps after `at`, fewer days to read. There are no steps after the table's last
            # month, whose row then stands for any later one.
            month, daily = "<=", negated
            days_read = f":at{k} < r.step_day AND r.step_day <= :at_end{k}"
        else:
            month, daily = "<", values
            days_read = f":at_month{k} <= r.step_day AND r.step_day <= :at{k}"
        parts.append(f"""
  SELECT {k} AS point, {cols}{values} FROM rollup_monthly r
  WHERE r.cube = :cube AND r.step_month = (SELECT MAX(step_month) FROM rollup_monthly
                                           WHERE cube = :cube AND step_month {month} :at_month{k})
    AND {condition}""")
        if at != last:
            parts.append(f"""
  SELECT {k} AS point, {cols}{daily} FROM rollup_daily r
  WHERE r.cube = :cube AND {days_read} AND {condition}""")
    sql = f"""
SELECT point, {outer}{', '.join(f'SUM({m}) AS {m}' for m in measures)} FROM ({' UNION ALL '.join(parts)}
) s
GROUP BY point{''.join(f', {g}' for g in group)} ORDER BY point{''.join(f', {g}' for g in group)}"""
    frame = fetch_frame(engine, sql, bound)
    if not group:
        frame = frame.set_index("point").reindex(range(len(days))).rename_axis("point").reset_index()
    frame[list(measures)] = frame[list(measures)].fillna(0).astype("int64")
    frame["point"] = frame["point"].astype("int64")
    return frame


def events_between(engine: Engine, start: date, end: date, where: str, params: dict,
                   group: tuple[str, ...] = (), measures: tuple[str, ...] = ROLLUP_MEASURES,
                   cube: str = "T", states: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every measure's steps dated from `start` to `end` (both included), summed: the figures as
    of `end` less those as of the day before `start`; the measures in `states` (among
    `measures`) as they stand at `end` instead. One query."""
    both = sums_at(engine, [end, day_before(start)], where, params, group, measures, cube)
    after, before = (both[both["point"] == k].drop(columns="point") for k in (0, 1))
    if not group:
        after, before = after.reset_index(drop=True), before.reset_index(drop=True)
        moved = [m for m in measures if m not in states]
        after[moved] = after[moved] - before[moved]
        return after
    merged = after.merge(before, on=list(group), how="outer", suffixes=("", "_before")).fillna(0)
    for m in measures:
        if m not in states:
            merged[m] = merged[m] - merged[f"{m}_before"]
        merged[m] = merged[m].astype("int64")
    return merged[[*group, *measures]]


def figures(engine: Engine, filters: Filters, groupings: tuple[str, ...],
            measures: tuple[str, ...] = ROLLUP_MEASURES) -> pd.DataFrame:
    """The columns of queries.figures.case_figures (before percentages), from the rollups; or
    only `measures` (case_count among them)."""
    cube = cube_for(filters, groupings)
    where, params = place_clause(filters, cube=cube)
    where += " AND r.received_month >= :rm_start AND r.received_month <= :rm_end"
    params.update(rm_start=filters.start.replace(day=1), rm_end=filters.end.replace(day=1))
    columns = {"month": "received_month", "county": "county_code"}
    group = tuple(columns.get(g, "member") for g in groupings)
    frame = sums_as_of(engine, filters.as_of, where, params, group, measures, cube)
    names = {"received_month": "report_month", "county_code": "county_code"}
    for g in groupings:
        if g in MEMBER_CUBES:
            names["member"] = MEMBER_COLUMNS[g]
    frame = frame.rename(columns=names)
    for column in ("county_code", *MEMBER_COLUMNS.values()):
        if column in frame:
            frame[column] = frame[column].mask(frame[column] == "")
    if "report_month" in frame:
        frame["report_month"] = pd.to_datetime(frame["report_month"]).dt.strftime("%Y-%m")
    if "unit_id" in frame:
        frame["unit_id"] = pd.to_numeric(frame["unit_id"]).astype("Int64")
    if group:
        frame = frame[frame["case_count"] > 0].copy()
    if "repeat_num" in frame:
        frame["repeat_den"] = frame["case_count"]
    if "satisfaction_strict_num" in frame:
        frame["satisfaction_strict_den"] = frame["satisfaction_den"]
    return frame.reset_index(drop=True)


def day_before(day: date) -> date:
    return day - timedelta(days=1)
