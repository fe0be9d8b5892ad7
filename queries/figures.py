"""Case counts and rates over the filtered cases, overall or per month, place, unit or category."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from data.schema import ROLLUP_MEASURES
from queries import steps
from queries.dialect import month_of
from queries.execute import fetch_frame
from queries.filters import Filters
from queries.rates import (
    CASES_WITH_EVALUATIONS, OPEN, OVERDUE_OPEN, RATE_KEYS, add_rate_pct, rate_params,
    rate_select_sql,
)

GROUPINGS = {
    "month": ("report_month", None),
    "county": ("county_code", "c.county_code"),
    "township": ("township_code", "c.township_code"),
    "unit": ("unit_id", "c.unit_id"),
    "category": ("category", "c.category"),
    "channel": ("channel", "c.channel"),
    "method": ("method", "e.method"),
}

ESCALATION_COLUMNS = {"to_city": "到市", "to_province": "到省", "to_beijing": "进京"}


def _count_items() -> str:
    items = [
        "COUNT(*) AS case_count",
        "COALESCE(SUM(c.person_count), 0) AS person_count",
        "SUM(CASE WHEN c.is_collective THEN 1 ELSE 0 END) AS collective_count",
        "COALESCE(SUM(CASE WHEN c.is_collective THEN c.person_count ELSE 0 END), 0)"
        " AS collective_person_count",
    ]
    for key, value in ESCALATION_COLUMNS.items():
        items.append(f"SUM(CASE WHEN c.escalation = '{value}' THEN 1 ELSE 0 END) AS {key}_count")
        items.append(f"COALESCE(SUM(CASE WHEN c.escalation = '{value}' THEN c.person_count ELSE 0 END), 0)"
                     f" AS {key}_person_count")
    items.append(f"SUM(CASE WHEN {OPEN} THEN 1 ELSE 0 END) AS open_count")
    items.append(f"SUM(CASE WHEN {OVERDUE_OPEN} THEN 1 ELSE 0 END) AS overdue_count")
    return ",\n       ".join(items)


COUNT_COLUMNS = (
    "case_count", "person_count", "collective_count", "collective_person_count",
    *[f"{key}{suffix}" for key in ESCALATION_COLUMNS for suffix in ("_count", "_person_count")],
    "open_count", "overdue_count",
    *[f"{key}{part}" for key in RATE_KEYS for part in ("_num", "_den")],
)


def case_figures(engine: Engine, filters: Filters, by: str | tuple[str, ...] | None = None,
                 source: str = "auto", measures: tuple[str, ...] | None = None) -> pd.DataFrame:
    """[group columns], case_count, person_count, collective_*, to_city/to_province/to_beijing_*,
    open_count, overdue_count, and <rate>_num/_den/_pct for every rate. Read from the rollups
    when they can answer exactly (source "auto"), or always from the case table ("cases").
    measures: only these counts (case_count among them; a rate's _num brings its _den and _pct),
    for a page that shows a few: the rollups then read only those."""
    groupings = (by,) if isinstance(by, str) else (by or ())
    unknown = [g for g in groupings if g not in GROUPINGS]
    if unknown:
        raise ValueError(f"unknown grouping: {unknown}")
    keys = [GROUPINGS[g][0] for g in groupings]
    counts = list(COUNT_COLUMNS)
    if measures is not None:
        wanted = set(measures) | {f"{m[:-4]}_den" for m in measures if m.endswith("_num")}
        counts = [c for c in COUNT_COLUMNS if c in wanted]
    if source == "auto" and steps.usable(filters, groupings):
        rolled = tuple(m for m in ROLLUP_MEASURES if measures is None or m in measures
                       or m == "case_count")
        frame = steps.figures(engine, filters, groupings, rolled)
        return add_rate_pct(frame[keys + counts])
    dialect = engine.dialect.name
    where, params = filters.where("c")
    params.update(rate_params(filters.as_of))
    select_group, group_clause = "", ""
    if groupings:
        expressions = [GROUPINGS[g][1] or month_of(dialect, "c.received_on") for g in groupings]
        select_group = "".join(f"{e} AS {GROUPINGS[g][0]},\n       "
                               for g, e in zip(groupings, expressions))
        group_clause = f"GROUP BY {', '.join(expressions)} ORDER BY {', '.join(expressions)}"
    sql = f"""
SELECT {select_group}{_count_items()},
       {rate_select_sql(dialect)}
FROM {CASES_WITH_EVALUATIONS}
WHERE {where}
{group_clause}"""
    frame = fetch_frame(engine, sql, params)
    numeric = [c for c in frame.columns if c.endswith(("_count", "_num", "_den"))]
    frame[numeric] = frame[numeric].fillna(0).astype("int64")
    if "unit_id" in frame:
        frame["unit_id"] = frame["unit_id"].astype("Int64")
    return add_rate_pct(frame[keys + counts])
