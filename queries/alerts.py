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
from queries.personal import mask_name
from queries.scope import Scope
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


def probability_text(p: float) -> str:
    """A small probability as a reader says it: 约 1/18,000, 不到百万分之一, 约 2.5%."""
    if p < 1e-6:
        return "不到百万分之一"
    if p < 0.01:
        return f"约 1/{int(float(f'{1 / p:.2g}')):,}"
    return f"约 {100 * p:.1f}%"


def first_improbable(expected: float, threshold: float, most: int) -> int:
    """The smallest count k (1..most) with poisson_tail(k, expected) < threshold; `most` if none.
    One pass: the tail for k + 1 is the tail for k less P(X = k)."""
    expected = max(expected, 1e-9)
    term, tail = math.exp(-expected), 1.0  # P(X = 0); P(X >= 1) + P(X = 0)
    for k in range(1, most + 1):
        tail -= term  # now P(X >= k)
        if max(0.0, tail) < threshold:
            return k
        term *= expected / k
    return most


def _place_clause(filters: Filters) -> tuple[str, dict]:
    place, params = filters.place_where("c")
    return place, params


def arrival_spans(engine: Engine, filters: Filters, spans: dict[str, tuple[date, date]],
                  group: tuple[str, ...], measures: tuple[str, ...] = ARRIVAL_MEASURES
                  ) -> pd.DataFrame:
    """Cases registered in each named span (first and last day inclusive) per group (county_code,
    township_code, category), as columns `{span}_{measure}`; one query. A span's count is the
    running total at its last day minus the one at the day before its first; a running total is a
    month-end row plus the month-to-date row of the day."""
    days: list[date] = []
    signs: dict[str, list[tuple[int, int]]] = {}
    for name, (first, last) in spans.items():
        signs[name] = []
        for day, sign in ((last, 1), (first - timedelta(days=1), -1)):
            if day not in days:
                days.append(day)
            signs[name].append((days.index(day), sign))
    place, params = filters.place_where("a")
    columns = ", ".join(("county_code", "township_code", "category", *measures))
    parts = []
    for k, day in enumerate(days):
        params[f"d{k}"], params[f"m{k}"] = day, day.replace(day=1)
        parts.append(f"SELECT {k} AS k, {columns} FROM rollup_arrivals_monthly WHERE month = ("
                     f"SELECT MAX(month) FROM rollup_arrivals_monthly WHERE month < :m{k})")
        parts.append(f"SELECT {k} AS k, {columns} FROM rollup_arrivals WHERE received_on = :d{k}")
    keys = ", ".join(f"a.{g}" for g in group)
    sums = ", ".join(
        f"SUM(a.{m} * CASE a.k {' '.join(f'WHEN {k} THEN {sign}' for k, sign in pairs)} ELSE 0 END)"
        f" AS {name}_{m}" for name, pairs in signs.items() for m in measures)
    frame = fetch_frame(engine, f"""
SELECT {keys}, {sums} FROM ({' UNION ALL '.join(parts)}) a
WHERE {place}
GROUP BY {keys}""", params)
    counts = [c for c in frame.columns if c not in group]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    return frame


def counts_between(engine: Engine, filters: Filters, start: date, end: date,
                   group: tuple[str, ...]) -> pd.DataFrame:
    """Cases registered from `start` to `end` (inclusive) per group: two reads of running totals."""
    frame = arrival_spans(engine, filters, {"n": (start, end)}, group)
    return frame.rename(columns={f"n_{m}": m for m in ARRIVAL_MEASURES})


def _cluster_spans(day: date, settings: AlertSettings) -> dict[str, tuple[date, date]]:
    """Each trailing window (o<days>) and the year of history before it (b<days>)."""
    spans = {}
    for window in settings.cluster_windows:
        start = day - timedelta(days=window - 1)
        spans[f"o{window}"] = (start, day)
        spans[f"b{window}"] = (start - timedelta(days=settings.baseline_days),
                               start - timedelta(days=1))
    return spans


def cluster_alerts(engine: Engine, filters: Filters, settings: AlertSettings = AlertSettings()
                   ) -> pd.DataFrame:
    """kind, level, township_code, category, window_days, window_start, window_end, observed,
    expected, p_value, case_nos, first_seen: clusters of one category (and collective-visit
    surges, category 集体访) in one township over the trailing windows ending at filters.as_of."""
    day = filters.as_of
    starts = {w: day - timedelta(days=w - 1) for w in settings.cluster_windows}
    counts = arrival_spans(engine, filters, _cluster_spans(day, settings),
                           ("township_code", "category"), ("case_count", "collective_count"))
    rows = []
    for window, start in starts.items():
        observed, baseline = f"o{window}_case_count", f"b{window}_case_count"
        by_category = counts[counts[observed] >= settings.cluster_min_count]
        collective = counts.groupby("township_code", as_index=False)[
            [f"o{window}_collective_count", f"b{window}_collective_count"]].sum()
        collective = collective[collective[f"o{window}_collective_count"] >= 2]
        candidates = zip(
            [*by_category["township_code"], *collective["township_code"]],
            [*by_category["category"], *["集体访"] * len(collective)],
            [*by_category[observed], *collective[f"o{window}_collective_count"]],
            [*by_category[baseline], *collective[f"b{window}_collective_count"]])
        for township, category, seen, base in candidates:
            expected = max(base * window / settings.baseline_days, 0.2)
            p = poisson_tail(int(seen), expected)
            level = ALERT if p < settings.cluster_alert_p else (
                ANOMALY if p < settings.cluster_anomaly_p else None)
            if level is None:
                continue
            rows.append({"kind": "集体访激增" if category == "集体访" else "同类聚集",
                         "level": level, "township_code": township,
                         "category": category, "window_days": window, "window_start": start,
                         "window_end": day, "observed": int(seen),
                         "expected": round(expected, 2), "p_value": p})
    frame = pd.DataFrame(rows, columns=["kind", "level", "township_code", "category", "window_days",
                                        "window_start", "window_end", "observed", "expected",
                                        "p_value"])
    # A cluster seen in both windows is one alert: keep the stronger (smaller p).
    frame = frame.sort_values("p_value", kind="stable").drop_duplicates(
        ["township_code", "category"])
    return _attach_cases(engine, frame, settings)


def _attach_cases(engine: Engine, frame: pd.DataFrame, settings: AlertSettings) -> pd.DataFrame:
    """Adds case_nos and first_seen: the day the count first became improbable in the window.
    One query for every alert: each alert's township, category (or collective visits) and window
    as a row of a VALUES list, joined to its cases."""
    frame = frame.reset_index(drop=True)
    found: dict[int, list[tuple[date, str]]] = {}
    if len(frame):
        params = {"e": max(frame["window_end"]), "yes": True}
        by_category, collective = [], []
        for n, row in enumerate(frame.itertuples()):
            params.update({f"t{n}": row.township_code, f"k{n}": row.category,
                           f"s{n}": row.window_start})
            if row.category == "集体访":
                collective.append(f"({n}, :t{n}, :s{n})")
            else:
                by_category.append(f"({n}, :t{n}, :s{n}, :k{n})")
        # VALUES columns are column1, column2... in SQLite and PostgreSQL alike. A category's
        # cases come from the township-category-day index.
        # PostgreSQL would hash the whole case table against the list; LATERAL makes it look up
        # each alert's cases in the index (SQLite does so by itself, and has no LATERAL).
        lateral = engine.dialect.name == "postgresql"

        def part(values: list[str], condition: str) -> str:
            cases = (f"(SELECT c.received_on, c.case_no FROM cases c WHERE {condition} "
                     f"OFFSET 0) c"  # OFFSET 0: not flattened back into a join
                     if lateral else "cases c")
            on = "TRUE" if lateral else condition
            return (f"SELECT a.column1 AS n, c.received_on, c.case_no FROM (VALUES "
                    f"{', '.join(values)}) a {'CROSS JOIN LATERAL' if lateral else 'JOIN'} "
                    f"{cases} {'' if lateral else f'ON {on}'}")

        parts = []
        if by_category:
            parts.append(part(by_category, "c.township_code = a.column2 AND c.category = a.column4 "
                                           "AND c.received_on >= a.column3 AND c.received_on <= :e"))
        if collective:
            parts.append(part(collective, "c.township_code = a.column2 AND c.received_on >= a.column3 "
                                          "AND c.received_on <= :e AND c.is_collective = :yes"))
        cases = fetch_frame(engine, " UNION ALL ".join(parts) + "\nORDER BY 1, 2, 3", params,
                            date_columns=("received_on",))
        for n, day, case_no in zip(cases["n"], cases["received_on"], cases["case_no"]):
            found.setdefault(int(n), []).append((day, case_no))
    case_lists, first_seen = [], []
    for n, row in enumerate(frame.itertuples()):
        cases = [(day, no) for day, no in found.get(n, ()) if day <= row.window_end]
        case_lists.append([no for _day, no in cases])
        needed = first_improbable(row.expected, settings.cluster_anomaly_p, len(cases))
        first_seen.append(cases[max(0, needed - 1)][0] if cases else None)
    frame = frame.copy()
    frame["case_nos"] = case_lists
    frame["first_seen"] = first_seen
    return frame


def _cases_in(engine: Engine, column: str, areas: list, start: date | None, end: date | None,
              escalated_only: bool = False) -> pd.DataFrame:
    """case_no, received_on, area, category, is_collective, escalation of the cases of the given
    townships or counties registered from start to end, in order: one query for every alert.
    escalated_only: only collective and over-the-head (越级) cases."""
    columns = ["case_no", "received_on", "area", "category", "is_collective", "escalation"]
    if not areas or start is None:
        return pd.DataFrame(columns=columns)
    marks = ", ".join(f":a{i}" for i in range(len(areas)))
    only = "AND (c.is_collective = :yes OR c.escalation <> '本级')" if escalated_only else ""
    frame = fetch_frame(engine, f"""
SELECT c.case_no, c.received_on, {column} AS area, c.category, c.is_collective, c.escalation
FROM cases c WHERE {column} IN ({marks}) AND c.received_on BETWEEN :s AND :e {only}
ORDER BY c.received_on, c.case_no""", {**{f"a{i}": a for i, a in enumerate(areas)},
                                      "s": start, "e": end, "yes": True},
                        date_columns=("received_on",))
    frame["is_collective"] = frame["is_collective"].astype(bool)
    return frame


def _case_index(found: pd.DataFrame, column: str) -> dict[tuple[str, str], list[tuple[date, str]]]:
    """(area, value of `column`) and (area, 集体访) -> [(received_on, case_no)] in order."""
    index: dict[tuple[str, str], list[tuple[date, str]]] = {}
    for area, value, collective, day, case_no in zip(
            found["area"], found[column], found["is_collective"], found["received_on"],
            found["case_no"]):
        index.setdefault((area, value), []).append((day, case_no))
        if collective:
            index.setdefault((area, "集体访"), []).append((day, case_no))
    return index


JUMP_MEASURES = {"到市": "to_city_count", "到省": "to_province_count", "进京": "to_beijing_count",
                 "集体访": "collective_count"}


def _jump_spans(day: date, settings: AlertSettings) -> dict[str, tuple[date, date]]:
    """The trailing window (now), the one before it (prev) and the same one a year earlier (ly)."""
    window = settings.jump_window_days
    start = day - timedelta(days=window - 1)
    return {"now": (start, day),
            "prev": (start - timedelta(days=window), start - timedelta(days=1)),
            "ly": (add_months(start, -12), add_months(day, -12))}


def jump_alerts(engine: Engine, filters: Filters, settings: AlertSettings = AlertSettings()
                ) -> pd.DataFrame:
    """kind, level, area_code, area_level, category (到市/到省/进京/集体访), window_start,
    window_end, observed, last_month, last_year, change_pct, compared_with: jumps against the same
    window last year and the window before."""
    day = filters.as_of
    spans = _jump_spans(day, settings)
    start = spans["now"][0]
    measures = {name: m for name, m in JUMP_MEASURES.items() if name in settings.jump_measures}
    townships = arrival_spans(engine, filters, spans, ("county_code", "township_code"),
                              tuple(measures.values()))
    counties = townships.drop(columns="township_code").groupby("county_code", as_index=False).sum()
    rows = []
    for area_level, frame in (("county", counties), ("township", townships)):
        column = f"{area_level}_code"
        for area, *counts in zip(frame[column], *[frame[f"{w}_{m}"] for m in measures.values()
                                                   for w in spans]):
            for i, name in enumerate(measures):
                now, prev, ly = (int(n) for n in counts[3 * i:3 * i + 3])
                if now < settings.jump_min_count:
                    continue
                # A rise must hold against both last year and the window before.
                changes = {"上年同期": _change(now, ly), "上一周期": _change(now, prev)}
                compared, change = min(changes.items(), key=lambda kv: kv[1])
                level = jump_level(change, settings)
                if level is None:
                    continue
                rows.append({"kind": "越级集体访上升", "level": level, "area_code": area,
                             "area_level": area_level, "category": name, "window_start": start,
                             "window_end": day, "observed": now, "last_month": prev,
                             "last_year": ly, "change_pct": round(change, 1),
                             "compared_with": compared})
    rows.sort(key=lambda r: (r["area_level"], r["area_code"]))
    found = {level: _case_index(_cases_in(
        engine, f"c.{level}_code", sorted({r["area_code"] for r in rows if r["area_level"] == level}),
        start, day, escalated_only=True), "escalation") for level in ("county", "township")}
    for row in rows:
        cases = found[row["area_level"]].get((row["area_code"], row["category"]), [])
        row["case_nos"] = [no for _day, no in cases]
        # First seen: the case with which the count first rose enough against both baselines.
        needed = next((k for k in range(settings.jump_min_count, len(cases) + 1)
                       if min(_change(k, row["last_year"]), _change(k, row["last_month"]))
                       > settings.jump_anomaly_pct), len(cases))
        row["first_seen"] = cases[needed - 1][0] if cases else None
    return pd.DataFrame(rows, columns=["kind", "level", "area_code", "area_level", "category",
                                       "window_start", "window_end", "observed", "last_month",
                                       "last_year", "change_pct", "compared_with", "case_nos",
                                       "first_seen"])


def jump_level(change_pct: float, settings: AlertSettings) -> str | None:
    """告警 for a rise of more than jump_alert_pct, 异常 for more than jump_anomaly_pct (strictly:
    a rise of exactly 20% is not "more than 20%")."""
    if change_pct > settings.jump_alert_pct:
        return ALERT
    if change_pct > settings.jump_anomaly_pct:
        return ANOMALY
    return None


def _change(now: int, before: int) -> float:
    if before == 0:
        return 100.0 * now  # from nothing: every case counts as a full 100%
    return 100.0 * (now - before) / before


def repeat_petitioner_alerts(engine: Engine, filters: Filters,
                             settings: AlertSettings = AlertSettings()) -> pd.DataFrame:
    """level, petitioner (masked name), township_code, category, observed, window_start,
    window_end, case_nos, first_seen: the same petitioner (matched on their stable key) on the
    same matter (the same 内容分类: 同人同事) several times in the trailing window."""
    day = filters.as_of
    start = day - timedelta(days=settings.repeat_window_days - 1)
    place, params = _place_clause(filters)
    params.update(s=start, e=day, n=settings.repeat_min_cases)
    # The window's cases of every petitioner with enough of them within the place (listed
    # wherever they were registered); one query, starting from the petitioners with that many
    # cases at all (rollup_petitioners) and their cases by petitioner and day.
    found = fetch_frame(engine, f"""
SELECT p.petitioner_key, p.case_no, p.township_code, p.category, p.petitioner_name,
       p.received_on, g.observed, g.first_seen
FROM cases p JOIN (
  SELECT c.petitioner_key, c.category, COUNT(*) AS observed, MIN(c.received_on) AS first_seen
  FROM rollup_petitioners t CROSS JOIN cases c  -- in this order (SQLite keeps it)
  WHERE c.petitioner_key = t.petitioner_key AND t.case_count >= :n
    AND c.received_on BETWEEN :s AND :e AND {place}
  GROUP BY c.petitioner_key, c.category HAVING COUNT(*) >= :n) g
  ON g.petitioner_key = p.petitioner_key AND g.category = p.category
WHERE p.received_on BETWEEN :s AND :e
ORDER BY p.received_on, p.case_no""", params, date_columns=("received_on", "first_seen"))
    groups: dict[str, dict] = {}
    for key, case_no, township, category, name, observed, first in zip(
            found["petitioner_key"], found["case_no"], found["township_code"], found["category"],
            found["petitioner_name"], found["observed"], found["first_seen"]):
        group = groups.setdefault((key, category), {"name": name, "observed": int(observed),
                                                    "first": first, "case_nos": []})
        group.update(township=township, category=category)  # the latest case's
        group["case_nos"].append(case_no)
    rows = [{"kind": "重复信访",
             "level": ALERT if g["observed"] >= settings.repeat_min_cases + 2 else ANOMALY,
             "petitioner": mask_name(g["name"]), "township_code": g["township"],
             "category": g["category"], "observed": g["observed"], "window_start": start,
             "window_end": day, "case_nos": g["case_nos"], "first_seen": g["first"]}
            for _key, g in sorted(groups.items())]
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
                                f"{row.expected:.1f} 件（出现这么多件的概率"
                                f"{probability_text(row.p_value)}）",
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
                      "detail": f"信访人 {row.petitioner} 近{settings.repeat_window_days}天就"
                                f"{row.category}问题来信来访 {row.observed} 次（同人同事）",
                      "case_nos": row.case_nos, "first_seen": row.first_seen,
                      "score": float(row.observed)})
    frame = pd.DataFrame(parts, columns=["kind", "level", "area_code", "area_level", "category",
                                         "window_days", "window_start", "window_end", "observed",
                                         "expected", "detail", "case_nos", "first_seen", "score"])
    frame["level_order"] = frame["level"].map(LEVEL_ORDER)
    frame = frame.sort_values(["level_order", "score"], ascending=[True, False])
    return frame.drop(columns="level_order").reset_index(drop=True)


def alert_cases(engine: Engine, scope: Scope, case_nos: tuple[str, ...]) -> pd.DataFrame:
    """case_no, received_on, township_code, category, channel, person_count, is_collective,
    escalation, unit_name, status, summary of the cases behind an alert (no personal data), those
    inside the scope only."""
    if not case_nos:
        return pd.DataFrame(columns=["case_no", "received_on", "township_code", "category", "channel",
                                     "person_count", "is_collective", "escalation", "unit_name",
                                     "status", "summary"])
    where, params = scope.where("c")
    params.update({f"n{i}": n for i, n in enumerate(case_nos)})
    marks = ", ".join(f":n{i}" for i in range(len(case_nos)))
    return fetch_frame(engine, f"""
SELECT c.case_no, c.received_on, c.township_code, c.category, c.channel, c.person_count,
       c.is_collective, c.escalation, u.name AS unit_name, c.status, c.summary
FROM cases c LEFT JOIN units u ON u.id = c.unit_id
WHERE c.case_no IN ({marks}) AND {where} ORDER BY c.received_on, c.case_no""", params,
                       date_columns=("received_on",))
