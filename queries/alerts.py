"""Early warning (事前预警): clusters of one category in one township, surges of collective visits,
jumps in over-the-head and collective visits against last year and last month, and petitioners
coming back again and again. Every alert says what was observed against what was expected."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine

from data.schema import ARRIVAL_MEASURES
from queries.execute import fetch_frame
from queries.filters import Filters, add_months

ALERT, ANOMALY = "告警", "异常"
LEVEL_ORDER = {ALERT: 0, ANOMALY: 1}


@dataclass(frozen=True)
class AlertSettings:
    """Thresholds; the defaults follow common practice (20% / 10% jumps) and were measured on the
    demo data (README: recall and false alarms)."""

    cluster_windows: tuple[int, ...] = (7, 30)
    cluster_alert_p: float = 1e-4     # Poisson tail below this: 告警
    cluster_anomaly_p: float = 1e-3   # below this: 异常
    cluster_min_count: int = 4        # never fewer cases than this in the window
    baseline_days: int = 365          # the township's own history before the window
    jump_window_days: int = 30
    jump_alert_pct: float = 20.0
    jump_anomaly_pct: float = 10.0
    jump_min_count: int = 5           # so that 1 -> 2 is not a 100% alarm
    repeat_window_days: int = 90
    repeat_min_cases: int = 4
    jump_measures: tuple[str, ...] = field(default=("到市", "到省", "进京", "集体访"))


def poisson_tail(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected)."""
    if observed <= 0:
        return 1.0
    expected = max(expected, 1e-9)
    term = math.exp(-expected)
    below = 0.0
    for k in range(observed):
        below += term
        term *= expected / (k + 1)
    return max(0.0, 1.0 - below)


def mask_name(name: str | None) -> str:
    """张三丰 -> 张*丰, 李四 -> 李*."""
    if not name:
        return "—"
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _place_clause(filters: Filters) -> tuple[str, dict]:
    place, params = filters.place_where("c")
    return place, params


def arrivals_at(engine: Engine, filters: Filters, day: date, group: tuple[str, ...]) -> pd.DataFrame:
    """Cases registered up to `day` (inclusive), per group (county_code, township_code, category),
    from the running totals: the last month's end plus the month so far, per township and
    category."""
    place, params = filters.place_where("a")
    keys = ", ".join(f"a.{g}" for g in group)
    measures = ", ".join(f"SUM(a.{m}) AS {m}" for m in ARRIVAL_MEASURES)
    sql = f"""
SELECT {keys}, {measures} FROM (
  SELECT * FROM rollup_arrivals_monthly WHERE month = (
    SELECT MAX(month) FROM rollup_arrivals_monthly WHERE month < :month)
  UNION ALL
  SELECT * FROM rollup_arrivals WHERE received_on = :day) a
WHERE {place}
GROUP BY {keys}"""
    return fetch_frame(engine, sql, {**params, "day": day, "month": day.replace(day=1)})


def counts_between(engine: Engine, filters: Filters, start: date, end: date,
                   group: tuple[str, ...]) -> pd.DataFrame:
    """Cases registered from `start` to `end` (inclusive) per group: two reads of running totals."""
    after = arrivals_at(engine, filters, end, group)
    before = arrivals_at(engine, filters, start - timedelta(days=1), group)
    merged = after.merge(before, on=list(group), how="left", suffixes=("", "_before")).fillna(0)
    for m in ARRIVAL_MEASURES:
        merged[m] = (merged[m] - merged[f"{m}_before"]).astype("int64")
    return merged[[*group, *ARRIVAL_MEASURES]]


def cluster_alerts(engine: Engine, filters: Filters, settings: AlertSettings = AlertSettings()
                   ) -> pd.DataFrame:
    """kind, level, township_code, category, window_days, window_start, window_end, observed,
    expected, p_value, case_nos, first_seen: clusters of one category (and collective-visit
    surges, category 集体访) in one township over the trailing windows ending at filters.as_of."""
    day = filters.as_of
    rows = []
    for window in settings.cluster_windows:
        start = day - timedelta(days=window - 1)
        base_start = start - timedelta(days=settings.baseline_days)
        observed = counts_between(engine, filters, start, day, ("township_code", "category"))
        baseline = counts_between(engine, filters, base_start, start - timedelta(days=1),
                                  ("township_code", "category"))
        both = observed.merge(baseline, on=["township_code", "category"], how="left",
                              suffixes=("", "_base")).fillna(0)
        by_category = both[both["case_count"] >= settings.cluster_min_count].assign(
            observed=lambda d: d["case_count"], baseline=lambda d: d["case_count_base"])
        collective = both.groupby("township_code", as_index=False)[
            ["collective_count", "collective_count_base"]].sum()
        collective = collective[collective["collective_count"] >= 2].assign(
            category="集体访", observed=lambda d: d["collective_count"],
            baseline=lambda d: d["collective_count_base"])
        counts = pd.concat([by_category[["township_code", "category", "observed", "baseline"]],
                            collective[["township_code", "category", "observed", "baseline"]]],
                           ignore_index=True)
        for row in counts.itertuples():
            expected = max(row.baseline * window / settings.baseline_days, 0.2)
            p = poisson_tail(int(row.observed), expected)
            level = ALERT if p < settings.cluster_alert_p else (
                ANOMALY if p < settings.cluster_anomaly_p else None)
            if level is None:
                continue
            rows.append({"kind": "集体访激增" if row.category == "集体访" else "同类聚集",
                         "level": level, "township_code": row.township_code,
                         "category": row.category, "window_days": window, "window_start": start,
                         "window_end": day, "observed": int(row.observed),
                         "expected": round(expected, 2), "p_value": p})
    frame = pd.DataFrame(rows, columns=["kind", "level", "township_code", "category", "window_days",
                                        "window_start", "window_end", "observed", "expected",
                                        "p_value"])
    # A cluster seen in both windows is one alert: keep the stronger (smaller p).
    frame = frame.sort_values("p_value").drop_duplicates(["township_code", "category"])
    return _attach_cases(engine, frame, settings)


def _attach_cases(engine: Engine, frame: pd.DataFrame, settings: AlertSettings) -> pd.DataFrame:
    """Adds case_nos and first_seen: the day the count first became improbable in the window."""
    case_lists, first_seen = [], []
    found = _cases_in(engine, "c.township_code", list(frame["township_code"].unique()),
                      min(frame["window_start"], default=None), max(frame["window_end"], default=None))
    for row in frame.itertuples():
        collective = row.category == "集体访"
        cases = found[(found["area"] == row.township_code)
                      & (found["received_on"] >= row.window_start)
                      & (found["received_on"] <= row.window_end)
                      & (found["is_collective"] if collective else found["category"] == row.category)]
        case_lists.append(list(cases["case_no"]))
        needed = next((k for k in range(1, len(cases) + 1)
                       if poisson_tail(k, row.expected) < settings.cluster_anomaly_p), len(cases))
        first_seen.append(cases["received_on"].iloc[max(0, needed - 1)] if len(cases) else None)
    frame = frame.copy()
    frame["case_nos"] = case_lists
    frame["first_seen"] = first_seen
    return frame.reset_index(drop=True)


def _cases_in(engine: Engine, column: str, areas: list, start: date | None, end: date | None
              ) -> pd.DataFrame:
    """case_no, received_on, area, category, is_collective, escalation of the cases of the given
    townships or counties registered from start to end, in order: one query for every alert."""
    columns = ["case_no", "received_on", "area", "category", "is_collective", "escalation"]
    if not areas or start is None:
        return pd.DataFrame(columns=columns)
    marks = ", ".join(f":a{i}" for i in range(len(areas)))
    frame = fetch_frame(engine, f"""
SELECT c.case_no, c.received_on, {column} AS area, c.category, c.is_collective, c.escalation
FROM cases c WHERE {column} IN ({marks}) AND c.received_on BETWEEN :s AND :e
ORDER BY c.received_on, c.case_no""", {**{f"a{i}": a for i, a in enumerate(areas)},
                                      "s": start, "e": end}, date_columns=("received_on",))
    frame["is_collective"] = frame["is_collective"].astype(bool)
    return frame


def jump_alerts(engine: Engine, filters: Filters, settings: AlertSettings = AlertSettings()
                ) -> pd.DataFrame:
    """kind, level, area_code, area_level, category (到市/到省/进京/集体访), window_start,
    window_end, observed, last_month, last_year, change_pct, compared_with: jumps against the same
    window last year and the window before."""
    day = filters.as_of
    window = settings.jump_window_days
    start = day - timedelta(days=window - 1)
    prev_end, prev_start = start - timedelta(days=1), start - timedelta(days=window)
    ly_start, ly_end = add_months(start, -12), add_months(day, -12)
    measures = {"到市": "to_city_count", "到省": "to_province_count", "进京": "to_beijing_count",
                "集体访": "collective_count"}
    rows = []
    for area_level, column in (("county", "county_code"), ("township", "township_code")):
        totals: dict[date, pd.DataFrame] = {}

        def total(at: date) -> pd.DataFrame:
            if at not in totals:
                totals[at] = arrivals_at(engine, filters, at, (column,)).set_index(column)
            return totals[at]

        def between(a: date, b: date) -> pd.DataFrame:
            return total(b).subtract(total(a - timedelta(days=1)), fill_value=0)

        windows = {"now": between(start, day), "prev": between(prev_start, prev_end),
                   "ly": between(ly_start, ly_end)}
        areas = sorted(set().union(*[w.index for w in windows.values()]))
        for area in areas:
            for name, measure in measures.items():
                if name not in settings.jump_measures:
                    continue
                now, prev, ly = (int(w[measure].get(area, 0)) for w in windows.values())
                if now < settings.jump_min_count:
                    continue
                # A rise must hold against both last year and the window before.
                changes = {"上年同期": _change(now, ly), "上一周期": _change(now, prev)}
                compared, change = min(changes.items(), key=lambda kv: kv[1])
                level = ALERT if change >= settings.jump_alert_pct else (
                    ANOMALY if change >= settings.jump_anomaly_pct else None)
                if level is None:
                    continue
                rows.append({"kind": "越级集体访上升", "level": level, "area_code": area,
                             "area_level": area_level, "category": name, "window_start": start,
                             "window_end": day, "observed": now, "last_month": prev,
                             "last_year": ly, "change_pct": round(change, 1),
                             "compared_with": compared})
    found = {level: _cases_in(engine, f"c.{level}_code",
                              sorted({r["area_code"] for r in rows if r["area_level"] == level}),
                              start, day) for level in ("county", "township")}
    for row in rows:
        cases = found[row["area_level"]]
        cases = cases[cases["area"] == row["area_code"]]
        cases = cases[cases["is_collective"]] if row["category"] == "集体访" else \
            cases[cases["escalation"] == row["category"]]
        row["case_nos"] = list(cases["case_no"])
        # First seen: the case with which the count first rose enough against both baselines.
        needed = next((k for k in range(settings.jump_min_count, len(cases) + 1)
                       if min(_change(k, row["last_year"]), _change(k, row["last_month"]))
                       >= settings.jump_anomaly_pct), len(cases))
        row["first_seen"] = cases["received_on"].iloc[needed - 1] if len(cases) else None
    return pd.DataFrame(rows, columns=["kind", "level", "area_code", "area_level", "category",
                                       "window_start", "window_end", "observed", "last_month",
                                       "last_year", "change_pct", "compared_with", "case_nos",
                                       "first_seen"])


def _change(now: int, before: int) -> float:
    if before == 0:
        return 100.0 * now  # from nothing: every case counts as a full 100%
    return 100.0 * (now - before) / before


def repeat_petitioner_alerts(engine: Engine, filters: Filters,
                             settings: AlertSettings = AlertSettings()) -> pd.DataFrame:
    """level, petitioner (masked name), township_code, category, observed, window_start,
    window_end, case_nos, first_seen: petitioners (matched on their stable key) with several
    cases in the trailing window."""
    day = filters.as_of
    start = day - timedelta(days=settings.repeat_window_days - 1)
    place, params = _place_clause(filters)
    params.update(s=start, e=day, n=settings.repeat_min_cases)
    sql = f"""
SELECT c.petitioner_key, COUNT(*) AS observed, MIN(c.received_on) AS first_seen
FROM cases c
WHERE c.received_on BETWEEN :s AND :e AND c.petitioner_key IS NOT NULL AND {place}
GROUP BY c.petitioner_key
HAVING COUNT(*) >= :n"""
    groups = fetch_frame(engine, sql, params, date_columns=("first_seen",))
    rows = []
    keys = list(groups["petitioner_key"])
    found = fetch_frame(engine, f"""
SELECT petitioner_key, case_no, township_code, category, petitioner_name, received_on FROM cases
WHERE petitioner_key IN ({', '.join(f':k{i}' for i in range(len(keys))) or 'NULL'})
  AND received_on BETWEEN :s AND :e ORDER BY received_on, case_no""",
                        {**{f"k{i}": k for i, k in enumerate(keys)}, "s": start, "e": day})
    for group in groups.itertuples():
        cases = found[found["petitioner_key"] == group.petitioner_key]
        level = ALERT if group.observed >= settings.repeat_min_cases + 2 else ANOMALY
        rows.append({"kind": "重复信访", "level": level,
                     "petitioner": mask_name(cases["petitioner_name"].iloc[0]),
                     "township_code": cases["township_code"].iloc[-1],
                     "category": cases["category"].iloc[-1], "observed": int(group.observed),
                     "window_start": start, "window_end": day,
                     "case_nos": list(cases["case_no"]), "first_seen": group.first_seen})
    return pd.DataFrame(rows, columns=["kind", "level", "petitioner", "township_code", "category",
                                       "observed", "window_start", "window_end", "case_nos",
                                       "first_seen"])


def all_alerts(engine: Engine, filters: Filters, settings: AlertSettings = AlertSettings()
               ) -> pd.DataFrame:
    """Every alert as one ranked list: kind, level, area_code, area_level, category, window_days,
    window_start, window_end, observed, expected, detail, case_nos, first_seen, score."""
    parts = []
    clusters = cluster_alerts(engine, filters, settings)
    for row in clusters.itertuples():
        parts.append({"kind": row.kind, "level": row.level, "area_code": row.township_code,
                      "area_level": "township", "category": row.category,
                      "window_days": row.window_days, "window_start": row.window_start,
                      "window_end": row.window_end, "observed": row.observed,
                      "expected": row.expected,
                      "detail": f"近{row.window_days}天 {row.observed} 件，按本地历史预计 "
                                f"{row.expected:.1f} 件（P={row.p_value:.1e}）",
                      "case_nos": row.case_nos, "first_seen": row.first_seen,
                      "score": -math.log10(max(row.p_value, 1e-300))})
    for row in jump_alerts(engine, filters, settings).itertuples():
        expected = row.last_year if row.compared_with == "上年同期" else row.last_month
        parts.append({"kind": row.kind, "level": row.level, "area_code": row.area_code,
                      "area_level": row.area_level, "category": row.category,
                      "window_days": settings.jump_window_days, "window_start": row.window_start,
                      "window_end": row.window_end, "observed": row.observed,
                      "expected": float(expected),
                      "detail": f"近{settings.jump_window_days}天 {row.observed} 件，上一周期 "
                                f"{row.last_month} 件，上年同期 {row.last_year} 件（较{row.compared_with}"
                                f"上升 {row.change_pct:.0f}%）",
                      "case_nos": row.case_nos, "first_seen": row.first_seen,
                      "score": min(row.change_pct, 500) / 50})
    for row in repeat_petitioner_alerts(engine, filters, settings).itertuples():
        parts.append({"kind": row.kind, "level": row.level, "area_code": row.township_code,
                      "area_level": "township", "category": row.category,
                      "window_days": settings.repeat_window_days, "window_start": row.window_start,
                      "window_end": row.window_end, "observed": row.observed,
                      "expected": float(settings.repeat_min_cases - 1),
                      "detail": f"信访人 {row.petitioner} 近{settings.repeat_window_days}天"
                                f"来信来访 {row.observed} 次",
                      "case_nos": row.case_nos, "first_seen": row.first_seen,
                      "score": float(row.observed)})
    frame = pd.DataFrame(parts, columns=["kind", "level", "area_code", "area_level", "category",
                                         "window_days", "window_start", "window_end", "observed",
                                         "expected", "detail", "case_nos", "first_seen", "score"])
    frame["level_order"] = frame["level"].map(LEVEL_ORDER)
    frame = frame.sort_values(["level_order", "score"], ascending=[True, False])
    return frame.drop(columns="level_order").reset_index(drop=True)


def alert_cases(engine: Engine, case_nos: tuple[str, ...]) -> pd.DataFrame:
    """case_no, received_on, township_code, category, channel, person_count, is_collective,
    escalation, unit_name, status, summary of the cases behind an alert (no personal data)."""
    if not case_nos:
        return pd.DataFrame(columns=["case_no", "received_on", "township_code", "category", "channel",
                                     "person_count", "is_collective", "escalation", "unit_name",
                                     "status", "summary"])
    params = {f"n{i}": n for i, n in enumerate(case_nos)}
    marks = ", ".join(f":n{i}" for i in range(len(case_nos)))
    return fetch_frame(engine, f"""
SELECT c.case_no, c.received_on, c.township_code, c.category, c.channel, c.person_count,
       c.is_collective, c.escalation, u.name AS unit_name, c.status, c.summary
FROM cases c LEFT JOIN units u ON u.id = c.unit_id
WHERE c.case_no IN ({marks}) ORDER BY c.received_on, c.case_no""", params,
                       date_columns=("received_on",))
