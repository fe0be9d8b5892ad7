"""The monthly dispatch review (月度调度): the month's movement, units' progress, overdue cases,
key cases and the year so far. A month's figures are taken as they stood at its last day."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from queries import steps
from queries.dialect import days_between
from queries.execute import fetch_frame
from queries.figures import case_figures
from queries.filters import Filters, add_months, month_end, parse_month
from queries.scope import Scope
from queries.rates import DEADLINE, pct

OPEN_AT = "(c.received_on <= :{d} AND (c.closed_on IS NULL OR c.closed_on > :{d}))"


def month_filters(month: str, today: date, place: Filters | Scope) -> Filters:
    """The filters of one month, taken at its end (or today, for the current month), with the
    scope, place and category of `place` (or just a scope)."""
    start = parse_month(month)
    end = min(month_end(start), today)
    if start > today:
        raise ValueError(f"{month} 尚未开始")
    if isinstance(place, Scope):
        return Filters(start=start, end=end, as_of=end, scope=place)
    return replace(place, start=start, end=end, as_of=end)


def last_complete_month(today: date) -> str:
    return add_months(today.replace(day=1), -1).strftime("%Y-%m")


def _previous_month(filters: Filters) -> Filters:
    start = add_months(filters.start, -1)
    return replace(filters, start=start, end=month_end(start), as_of=month_end(start))


SUMMARY_MEASURES = ("case_count", "person_count", "closed_events", "resolved_events", "open_count",
                    "overdue_count")


def dispatch_summary(engine: Engine, filters: Filters) -> pd.DataFrame:
    """One row: new_count, new_person_count, new_prev_month_count, new_last_year_count,
    closed_count, resolved_count, backlog_start_count, backlog_end_count, overdue_end_count."""
    cube = steps.cube_for(filters)
    if cube is not None:
        where, params = steps.place_clause(filters, cube=cube)
        previous, last_year = _previous_month(filters), filters.year_earlier()

        totals = steps.sums_at(engine, [filters.end, add_days(filters.start, -1),
                                        add_days(previous.start, -1), last_year.end,
                                        add_days(last_year.start, -1)],
                               where, params, (), SUMMARY_MEASURES, cube)
        end, before, before_previous, ly_end, ly_before = (r for _, r in totals.iterrows())
        row = {
            "new_count": end.case_count - before.case_count,
            "new_person_count": end.person_count - before.person_count,
            "new_prev_month_count": before.case_count - before_previous.case_count,
            "new_last_year_count": ly_end.case_count - ly_before.case_count,
            "closed_count": end.closed_events - before.closed_events,
            "resolved_count": end.resolved_events - before.resolved_events,
            "backlog_start_count": before.open_count,
            "backlog_end_count": end.open_count,
            "overdue_end_count": end.overdue_count,
        }
        return pd.DataFrame([row]).astype("int64")
    place, params = filters.place_where("c")
    previous = _previous_month(filters)
    last_year = filters.year_earlier()
    params.update(m_start=filters.start, m_end=filters.end, pm_start=previous.start,
                  pm_end=previous.end, ly_start=last_year.start, ly_end=last_year.end,
                  before=add_days(filters.start, -1))
    sql = f"""
SELECT
  SUM(CASE WHEN c.received_on BETWEEN :m_start AND :m_end THEN 1 ELSE 0 END) AS new_count,
  COALESCE(SUM(CASE WHEN c.received_on BETWEEN :m_start AND :m_end THEN c.person_count END), 0)
    AS new_person_count,
  SUM(CASE WHEN c.received_on BETWEEN :pm_start AND :pm_end THEN 1 ELSE 0 END) AS new_prev_month_count,
  SUM(CASE WHEN c.received_on BETWEEN :ly_start AND :ly_end THEN 1 ELSE 0 END) AS new_last_year_count,
  SUM(CASE WHEN c.closed_on BETWEEN :m_start AND :m_end THEN 1 ELSE 0 END) AS closed_count,
  SUM(CASE WHEN c.resolved_on BETWEEN :m_start AND :m_end THEN 1 ELSE 0 END) AS resolved_count,
  SUM(CASE WHEN {OPEN_AT.format(d='before')} THEN 1 ELSE 0 END) AS backlog_start_count,
  SUM(CASE WHEN {OPEN_AT.format(d='m_end')} THEN 1 ELSE 0 END) AS backlog_end_count,
  SUM(CASE WHEN {OPEN_AT.format(d='m_end')} AND {DEADLINE} < :m_end THEN 1 ELSE 0 END)
    AS overdue_end_count
FROM cases c
WHERE {place} AND c.received_on <= :m_end
  AND (c.closed_on IS NULL OR c.closed_on >= :ly_start OR c.received_on >= :ly_start)"""
    frame = fetch_frame(engine, sql, params)
    return frame.fillna(0).astype("int64")


def add_days(day: date, days: int) -> date:
    return date.fromordinal(day.toordinal() + days)


def trailing_year(filters: Filters) -> Filters:
    """Cases registered in the twelve months ending with the month, taken at its end."""
    return replace(filters, start=add_months(filters.start, -11))


def unit_progress(engine: Engine, filters: Filters) -> pd.DataFrame:
    """unit_id, unit_name, unit_kind, dispatched_count, closed_count, closed_ontime_count,
    closed_late_count, overdue_open_count, avg_handling_days, ontime_close_pct (cases registered in
    the trailing twelve months), ontime_close_prev_pct (the same a month earlier), ontime_change_pct;
    worst first."""
    if steps.cube_for(filters, ("unit",)) == "U":
        frame = _unit_progress_from_rollups(engine, filters)
    else:
        frame = _unit_progress_from_cases(engine, filters)
    rates = _ontime_counts(engine, filters)
    rates["ontime_close_pct"] = [pct(n, d) for n, d in
                                 zip(rates["ontime_close_num"], rates["ontime_close_den"])]
    rates["ontime_close_prev_pct"] = [pct(n, d) for n, d in
                                      zip(rates["ontime_close_num_prev"], rates["ontime_close_den_prev"])]
    frame = frame.merge(rates[["unit_id", "ontime_close_pct", "ontime_close_prev_pct"]],
                        on="unit_id", how="left")
    frame["ontime_change_pct"] = frame["ontime_close_pct"] - frame["ontime_close_prev_pct"]
    frame = frame[(frame["dispatched_count"] + frame["closed_count"] + frame["overdue_open_count"]) > 0]
    frame = frame.sort_values(["overdue_open_count", "ontime_close_pct", "unit_name"],
                              ascending=[False, True, True], na_position="last")
    return frame.reset_index(drop=True)


def _ontime_counts(engine: Engine, filters: Filters) -> pd.DataFrame:
    """unit_id, ontime_close_num/_den for the cases registered in the trailing twelve months at
    the month end, and the same a month earlier (_prev)."""
    current, previous = trailing_year(filters), trailing_year(_previous_month(filters))
    columns = ["unit_id", "ontime_close_num", "ontime_close_den"]
    if not (steps.usable(current, ("unit",)) and steps.usable(previous, ("unit",))):
        return case_figures(engine, current, by="unit")[columns].merge(
            case_figures(engine, previous, by="unit")[columns], on="unit_id", how="left",
            suffixes=("", "_prev"))
    where, params = steps.place_clause(filters, cube="U")
    params.update(c_first=current.start, c_last=current.end.replace(day=1),
                  p_first=previous.start, p_last=previous.end.replace(day=1))
    sums = steps.sums_at(
        engine, [current.as_of, previous.as_of], where, params, ("member",),
        ("ontime_close_num", "ontime_close_den"), "U",
        extra=["r.received_month >= :c_first AND r.received_month <= :c_last",
               "r.received_month >= :p_first AND r.received_month <= :p_last"])
    sums = sums[sums["member"] != ""].assign(unit_id=lambda d: d["member"].astype("int64"))
    now, before = (sums[sums["point"] == k][columns] for k in (0, 1))
    return now.merge(before, on="unit_id", how="left", suffixes=("", "_prev"))


UNIT_MEASURES = ("dispatched_events", "closed_events", "ontime_close_num", "closed_late_events",
                 "handling_days_sum", "handling_count", "overdue_count")


def _unit_progress_from_rollups(engine: Engine, filters: Filters) -> pd.DataFrame:
    where, params = steps.place_clause(filters, cube="U")
    frame = steps.events_between(engine, filters.start, filters.end, where, params, ("member",),
                                 UNIT_MEASURES, "U", states=("overdue_count",))
    frame = frame[frame["member"] != ""]
    frame["unit_id"] = frame["member"].astype("int64")
    units = fetch_frame(engine, "SELECT id AS unit_id, name AS unit_name, kind AS unit_kind FROM units")
    frame = units.merge(frame, on="unit_id", how="inner")
    frame = frame.rename(columns={"dispatched_events": "dispatched_count",
                                  "closed_events": "closed_count",
                                  "ontime_close_num": "closed_ontime_count",
                                  "closed_late_events": "closed_late_count",
                                  "overdue_count": "overdue_open_count"})
    counts = [c for c in frame.columns if c.endswith("_count")]
    frame[counts] = frame[counts].astype("int64")
    frame["avg_handling_days"] = (frame["handling_days_sum"] / frame["handling_count"]
                                  ).where(frame["handling_count"] > 0).astype(float)
    return frame[["unit_id", "unit_name", "unit_kind", "dispatched_count", "closed_count",
                  "closed_ontime_count", "closed_late_count", "overdue_open_count",
                  "avg_handling_days"]]


def _unit_progress_from_cases(engine: Engine, filters: Filters) -> pd.DataFrame:
    place, params = filters.place_where("c")
    params.update(m_start=filters.start, m_end=filters.end)
    handling = days_between(engine.dialect.name, "c.accepted_on", "c.closed_on")
    closed_in_month = "c.closed_on BETWEEN :m_start AND :m_end"
    sql = f"""
SELECT u.id AS unit_id, u.name AS unit_name, u.kind AS unit_kind,
  SUM(CASE WHEN c.dispatched_on BETWEEN :m_start AND :m_end THEN 1 ELSE 0 END) AS dispatched_count,
  SUM(CASE WHEN {closed_in_month} THEN 1 ELSE 0 END) AS closed_count,
  SUM(CASE WHEN {closed_in_month} AND c.closed_on <= {DEADLINE} THEN 1 ELSE 0 END) AS closed_ontime_count,
  SUM(CASE WHEN {closed_in_month} AND c.closed_on > {DEADLINE} THEN 1 ELSE 0 END) AS closed_late_count,
  SUM(CASE WHEN {OPEN_AT.format(d='m_end')} AND {DEADLINE} < :m_end THEN 1 ELSE 0 END)
    AS overdue_open_count,
  AVG(CASE WHEN {closed_in_month} AND c.accepted_on IS NOT NULL THEN {handling} END)
    AS avg_handling_days
FROM units u JOIN cases c ON c.unit_id = u.id
WHERE {place} AND c.received_on <= :m_end AND (c.closed_on IS NULL OR c.closed_on >= :m_start)
GROUP BY u.id, u.name, u.kind"""
    frame = fetch_frame(engine, sql, params)
    counts = [c for c in frame.columns if c.endswith("_count")]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["avg_handling_days"] = frame["avg_handling_days"].astype(float)
    return frame


def overdue_cases(engine: Engine, filters: Filters, limit: int | None = None) -> pd.DataFrame:
    """case_no, unit_name, township_code, category, received_on, deadline, days_overdue, leader
    (key cases), supervised_count and last_supervised_on (督办 by the month end); longest first.
    With a limit, only that many of the longest overdue (found in the open-case index first)."""
    place, params = filters.place_where("o")
    params.update(m_end=filters.end, limit=limit)
    deadline = DEADLINE.replace("c.", "o.")
    overdue = f"o.received_on <= :m_end AND {deadline} < :m_end AND {place}"
    # The open-case index holds the deadline and the day: the candidates come from it alone.
    candidates = " UNION ALL ".join(
        f"SELECT o.id, {deadline} AS deadline FROM cases o WHERE {closed} AND {overdue}"
        for closed in ("o.closed_on IS NULL", "o.closed_on > :m_end"))
    if limit is not None:
        candidates = f"SELECT id, deadline FROM ({candidates}) t ORDER BY deadline, id LIMIT :limit"
    place, _ = filters.place_where("c")
    overdue_days = days_between(engine.dialect.name, DEADLINE, ":m_end")
    sql = f"""
SELECT c.case_no, u.name AS unit_name, c.township_code, c.category, c.received_on,
       {DEADLINE} AS deadline, {overdue_days} AS days_overdue, k.leader,
       (SELECT COUNT(*) FROM case_events ev WHERE ev.case_no = c.case_no AND ev.kind = '督办'
          AND ev.happened_on <= :m_end) AS supervised_count,
       (SELECT MAX(ev.happened_on) FROM case_events ev WHERE ev.case_no = c.case_no
          AND ev.kind = '督办' AND ev.happened_on <= :m_end) AS last_supervised_on
FROM cases c LEFT JOIN units u ON u.id = c.unit_id LEFT JOIN key_cases k ON k.case_no = c.case_no
WHERE {place} AND {OPEN_AT.format(d='m_end')} AND {DEADLINE} < :m_end
  AND c.id IN (SELECT id FROM ({candidates}) ids)
ORDER BY days_overdue DESC, c.case_no"""
    frame = fetch_frame(engine, sql, params, date_columns=("received_on", "deadline",
                                                            "last_supervised_on"))
    frame["days_overdue"] = frame["days_overdue"].astype("int64")
    frame["supervised_count"] = frame["supervised_count"].astype("int64")
    return frame


def year_so_far(engine: Engine, filters: Filters) -> pd.DataFrame:
    """report_month, new_count, closed_count, backlog_end_count for each month of the year up to
    the chosen one."""
    months = []
    current = filters.start.replace(month=1)
    while current <= filters.start:
        months.append(current)
        current = add_months(current, 1)
    cube = steps.cube_for(filters)
    if cube is not None:
        where, params = steps.place_clause(filters, cube=cube)
        ends = [add_days(months[0], -1)] + [min(month_end(m), filters.end) for m in months]
        totals = [row for _, row in steps.sums_at(
            engine, ends, where, params, (), ("case_count", "closed_events", "open_count"),
            cube).iterrows()]
        return pd.DataFrame({
            "report_month": [m.strftime("%Y-%m") for m in months],
            "new_count": [int(b.case_count - a.case_count) for a, b in zip(totals, totals[1:])],
            "closed_count": [int(b.closed_events - a.closed_events)
                             for a, b in zip(totals, totals[1:])],
            "backlog_end_count": [int(b.open_count) for b in totals[1:]],
        })
    place, params = filters.place_where("c")
    items = []
    for i, start in enumerate(months):
        end = min(month_end(start), filters.end)
        params[f"s{i}"], params[f"e{i}"] = start, end
        items.append(f"SUM(CASE WHEN c.received_on BETWEEN :s{i} AND :e{i} THEN 1 ELSE 0 END) AS new_{i}")
        items.append(f"SUM(CASE WHEN c.closed_on BETWEEN :s{i} AND :e{i} THEN 1 ELSE 0 END) AS closed_{i}")
        items.append(f"SUM(CASE WHEN {OPEN_AT.format(d=f'e{i}')} THEN 1 ELSE 0 END) AS backlog_{i}")
    params["first"] = months[0]
    sql = f"""
SELECT {', '.join(items)}
FROM cases c
WHERE {place} AND c.received_on <= :e{len(months) - 1}
  AND (c.closed_on IS NULL OR c.closed_on >= :first)"""
    row = fetch_frame(engine, sql, params).fillna(0).iloc[0]
    return pd.DataFrame({
        "report_month": [m.strftime("%Y-%m") for m in months],
        "new_count": [int(row[f"new_{i}"]) for i in range(len(months))],
        "closed_count": [int(row[f"closed_{i}"]) for i in range(len(months))],
        "backlog_end_count": [int(row[f"backlog_{i}"]) for i in range(len(months))],
    })
