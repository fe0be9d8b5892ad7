"""Satisfaction (满意度): rates per month and per unit of comparison, with their Wilson intervals
and sample sizes, and the 不满意 cases behind any figure."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from queries.execute import fetch_frame
from queries.figures import GROUPINGS, case_figures
from queries.filters import Filters, month_end, parse_month
from queries.rates import EVALUATED, add_wilson

KEEP = ["satisfaction_num", "satisfaction_den", "satisfaction_pct", "satisfaction_low_pct",
        "satisfaction_high_pct", "satisfaction_strict_num", "satisfaction_strict_pct",
        "participation_num", "participation_den", "participation_pct"]
BREAKDOWNS = ("county", "township", "category", "channel", "method")
# The counts behind KEEP (the rollups read only these).
MEASURES = ("case_count", "satisfaction_num", "satisfaction_den", "satisfaction_strict_num",
            "participation_num", "participation_den")


def satisfaction_trend(engine: Engine, filters: Filters) -> pd.DataFrame:
    """report_month, satisfaction_num/_den/_pct/_low_pct/_high_pct, satisfaction_strict_*,
    participation_*: one row per month of registration."""
    frame = add_wilson(case_figures(engine, filters, by="month", measures=MEASURES), "satisfaction")
    return frame[["report_month", *KEEP]]


def satisfaction_breakdown(engine: Engine, filters: Filters, by: str) -> pd.DataFrame:
    """<group column>, the satisfaction columns, for county, township, category, channel or method.
    By method the participation columns are empty: a case not evaluated has no method, so every
    method's 参评率 would be 100% by construction."""
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown: {by}")
    frame = add_wilson(case_figures(engine, filters, by=by, measures=MEASURES), "satisfaction")
    column = GROUPINGS[by][0]
    if by == "method":
        frame = frame[frame[column].notna()].copy()
        frame[["participation_num", "participation_den"]] = pd.NA
        frame["participation_pct"] = float("nan")
    return frame[[column, *KEEP]].reset_index(drop=True)


def satisfaction_by_area_month(engine: Engine, filters: Filters, level: str) -> pd.DataFrame:
    """<county_code|township_code>, report_month, satisfaction_num, satisfaction_den: for sparklines."""
    frame = case_figures(engine, filters, by=(level, "month"), measures=MEASURES)
    return frame[[GROUPINGS[level][0], "report_month", "satisfaction_num", "satisfaction_den",
                  "satisfaction_pct"]]


def rank_against_target(frame: pd.DataFrame, target_pct: float, min_evaluations: int) -> pd.DataFrame:
    """Adds gap_pct (rate - target), ranked (enough evaluations) and rank (1 = the highest rate,
    the best); units with too few evaluations come last, unranked."""
    frame = frame.copy()
    frame["gap_pct"] = frame["satisfaction_pct"] - target_pct
    frame["ranked"] = frame["satisfaction_den"] >= min_evaluations
    ranked = frame[frame["ranked"]].sort_values(["gap_pct", "satisfaction_den"], ascending=[False, False])
    rest = frame[~frame["ranked"]].sort_values("satisfaction_den", ascending=False)
    ranked = ranked.assign(rank=range(1, len(ranked) + 1))
    rest = rest.assign(rank=pd.NA)
    return pd.concat([ranked, rest], ignore_index=True)


def dissatisfied_cases(engine: Engine, filters: Filters, by: str | None = None,
                       value: str | None = None, limit: int = 500) -> pd.DataFrame:
    """case_no, received_on, evaluated_on, method, unit_name, township_code, category, channel,
    summary of the 不满意 cases behind a figure (no personal data); newest first. Read from the
    newest 不满意 evaluations backwards (the evaluations come first in the join)."""
    where, params = filters.where("c")
    params["limit"] = limit
    extra = ""
    if by is not None and value is not None:
        if by == "month":
            extra = " AND c.received_on >= :m_start AND c.received_on <= :m_end"
            start = parse_month(value)
            params.update(m_start=start, m_end=month_end(start))
        elif by in BREAKDOWNS:
            extra = f" AND {GROUPINGS[by][1]} = :value"
            params["value"] = value
        else:
            raise ValueError(f"unknown breakdown: {by}")
    sql = f"""
SELECT c.case_no, c.received_on, e.evaluated_on, e.method, u.name AS unit_name, c.township_code,
       c.category, c.channel, c.summary
FROM evaluations e CROSS JOIN cases c LEFT JOIN units u ON u.id = c.unit_id
WHERE e.case_no = c.case_no AND {where} AND {EVALUATED} AND e.result = '不满意'{extra}
ORDER BY e.evaluated_on DESC, c.case_no
LIMIT :limit"""
    return fetch_frame(engine, sql, params, date_columns=("received_on", "evaluated_on"))
