"""Every rate of DOMAIN.md, defined once: its numerator and denominator as SQL conditions."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from queries import defaults
from queries.dialect import days_between

# The cases of a query, each with its evaluation when there is one.
CASES_WITH_EVALUATIONS = "cases c LEFT JOIN evaluations e ON e.case_no = c.case_no"

CLOSED = "(c.closed_on IS NOT NULL AND c.closed_on <= :as_of)"
OPEN = "(c.closed_on IS NULL OR c.closed_on > :as_of)"
DEADLINE = "COALESCE(c.extended_due_on, c.due_on)"
OVERDUE_OPEN = f"({OPEN} AND {DEADLINE} < :as_of)"
EVALUATED = "(e.case_no IS NOT NULL AND e.evaluated_on <= :as_of)"


@dataclass(frozen=True)
class Rate:
    key: str
    numerator: str
    denominator: str


def rate_definitions(dialect_name: str) -> tuple[Rate, ...]:
    """及时受理率, 按期办结率, 参评率, 满意率 (and its strict form), 重复信访率."""
    accepted = "(c.accepted_on IS NOT NULL AND c.accepted_on <= :as_of)"
    accept_days = days_between(dialect_name, "c.received_on", "c.accepted_on")
    return (
        Rate("timely_accept",
             f"{accepted} AND {accept_days} <= :accept_days",
             f"({accepted} OR c.received_on < :accept_cutoff)"),
        Rate("ontime_close",
             f"{CLOSED} AND {DEADLINE} IS NOT NULL AND c.closed_on <= {DEADLINE}",
             f"{DEADLINE} IS NOT NULL AND ({CLOSED} OR {DEADLINE} < :as_of)"),
        Rate("participation",
             EVALUATED,
             f"({EVALUATED} OR ({CLOSED} AND c.closed_on < :eval_cutoff))"),
        Rate("satisfaction",
             f"{EVALUATED} AND e.result IN ('满意', '基本满意')",
             EVALUATED),
        Rate("satisfaction_strict",
             f"{EVALUATED} AND e.result = '满意'",
             EVALUATED),
        Rate("repeat", "c.is_repeat", "1 = 1"),
    )


RATE_KEYS = ("timely_accept", "ontime_close", "participation", "satisfaction",
             "satisfaction_strict", "repeat")


def rate_select_sql(dialect_name: str) -> str:
    """SELECT items `<key>_num, <key>_den` for every rate."""
    items = []
    for rate in rate_definitions(dialect_name):
        items.append(f"SUM(CASE WHEN {rate.numerator} THEN 1 ELSE 0 END) AS {rate.key}_num")
        items.append(f"SUM(CASE WHEN {rate.denominator} THEN 1 ELSE 0 END) AS {rate.key}_den")
    return ",\n       ".join(items)


def rate_params(as_of: date) -> dict:
    """The parameters every rate needs, derived from the day figures are taken."""
    return {
        "as_of": as_of,
        "accept_days": defaults.ACCEPT_DAYS,
        "accept_cutoff": as_of - timedelta(days=defaults.ACCEPT_DAYS),
        "eval_cutoff": as_of - timedelta(days=defaults.EVALUATION_WINDOW_DAYS),
    }


def pct(numerator: float, denominator: float) -> float | None:
    """A percentage, or None when there is nothing to divide by."""
    if denominator is None or pd.isna(denominator) or denominator == 0:
        return None
    return 100.0 * float(numerator) / float(denominator)


def add_rate_pct(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds `<key>_pct` next to every `<key>_num`/`<key>_den` pair."""
    frame = frame.copy()
    for key in RATE_KEYS:
        if f"{key}_num" in frame:
            frame[f"{key}_pct"] = pd.to_numeric(pd.Series(
                [pct(n, d) for n, d in zip(frame[f"{key}_num"], frame[f"{key}_den"])],
                index=frame.index, dtype=object), errors="coerce").astype(float)
    return frame


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    """The Wilson score interval of a proportion, in percent; (None, None) when n is 0."""
    if not n:
        return None, None
    p = successes / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return 100.0 * max(0.0, (centre - margin) / scale), 100.0 * min(1.0, (centre + margin) / scale)


def add_wilson(frame: pd.DataFrame, key: str, z: float = 1.96) -> pd.DataFrame:
    """Adds `<key>_low_pct` and `<key>_high_pct`: the Wilson 95% interval of the rate."""
    frame = frame.copy()
    bounds = [wilson_interval(int(n), int(d), z) for n, d in zip(frame[f"{key}_num"], frame[f"{key}_den"])]
    frame[f"{key}_low_pct"] = pd.Series([b[0] for b in bounds], index=frame.index, dtype=float)
    frame[f"{key}_high_pct"] = pd.Series([b[1] for b in bounds], index=frame.index, dtype=float)
    return frame


def key_clear_definition() -> Rate:
    """积案化解率 (销号率): key cases crossed off in the period (:f_start..:f_end) ÷ key cases on
    the list at some time in it (listed by its end, not crossed off before its start). Over
    key_cases k."""
    return Rate("key_clear",
                "(k.cleared_on IS NOT NULL AND k.cleared_on BETWEEN :f_start AND :f_end)",
                "(k.listed_on <= :f_end AND (k.cleared_on IS NULL OR k.cleared_on >= :f_start))")
