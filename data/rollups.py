"""Rollup tables: every count and rate of the dashboard as steps in time, summed ahead.

Each case changes each figure on certain days: it adds one to 信访总量 the day it is registered,
one to 在办 then and minus one the day it is closed, one to 逾期未结 the day after its deadline
(and minus one when it is finally closed), one to the denominator of 按期办结率 on the earlier of its
closing and the day after its deadline, and so on. A figure "as of day X over the cases registered
in months A..B" is then the sum of the steps dated on or before X of those cases, exactly.

The steps are summed per registration month, county and one breakdown: township (cube "T"),
responsible unit ("U"), category ("C"), channel ("H") or evaluation method ("M"):

* `rollup_daily`   the steps of each day, as they are (days with a step only) - read for the days
  of the as-of month up to the as-of day;
* `rollup_monthly` running totals up to each month's end - read for the month before it.

So a one-year view reads some thousands of rows instead of the case table, for any as-of day; and
new cases add rows for the days they have steps on, not for every day to the month's end. The
tables are rebuilt by the demo generator and refreshed, for the registration months touched, by
every import; `python cli.py rollup` rebuilds them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

from sqlalchemy import Connection, Engine, text

from data import schema
from queries import defaults
from queries.filters import add_months, month_end



@dataclass(frozen=True)
class Step:
    """A kind of step: the day it happens, which cases have it, what it adds to which measure."""

    day: str          # SQL date expression; {add:N} is "the date N days later"
    when: str         # SQL condition
    adds: dict        # measure -> SQL value


def _deadline() -> str:
    return "COALESCE(c.extended_due_on, c.due_on)"


def steps(dialect: str) -> tuple[Step, ...]:
    d = _deadline()
    a, w = defaults.ACCEPT_DAYS, defaults.EVALUATION_WINDOW_DAYS
    add = _adder(dialect)
    days = {"sqlite": "CAST(julianday(c.closed_on) - julianday(c.accepted_on) AS INTEGER)",
            "postgresql": "(c.closed_on - c.accepted_on)"}[dialect]
    escalation = {}
    for key, value in (("to_city", "到市"), ("to_province", "到省"), ("to_beijing", "进京")):
        escalation[f"{key}_count"] = f"CASE WHEN c.escalation = '{value}' THEN 1 ELSE 0 END"
        escalation[f"{key}_person_count"] = f"CASE WHEN c.escalation = '{value}' THEN c.person_count ELSE 0 END"
    return (
        Step("c.received_on", "1 = 1", {
            "case_count": "1", "person_count": "c.person_count",
            "collective_count": "CASE WHEN c.is_collective THEN 1 ELSE 0 END",
            "collective_person_count": "CASE WHEN c.is_collective THEN c.person_count ELSE 0 END",
            **escalation,
            "repeat_num": "CASE WHEN c.is_repeat THEN 1 ELSE 0 END",
            "open_count": "1"}),
        Step("c.closed_on", "c.closed_on IS NOT NULL", {
            "open_count": "-1", "closed_events": "1",
            "ontime_close_num": f"CASE WHEN {d} IS NOT NULL AND c.closed_on <= {d} THEN 1 ELSE 0 END",
            "closed_late_events": f"CASE WHEN {d} IS NOT NULL AND c.closed_on > {d} THEN 1 ELSE 0 END",
            "overdue_count": f"CASE WHEN {d} IS NOT NULL AND c.closed_on > {d} THEN -1 ELSE 0 END",
            "handling_days_sum": f"CASE WHEN c.accepted_on IS NOT NULL THEN {days} ELSE 0 END",
            "handling_count": "CASE WHEN c.accepted_on IS NOT NULL THEN 1 ELSE 0 END"}),
        Step(add(d, 1), f"{d} IS NOT NULL AND (c.closed_on IS NULL OR c.closed_on > {d})",
             {"overdue_count": "1"}),
        Step(f"CASE WHEN c.closed_on IS NOT NULL AND c.closed_on <= {d} THEN c.closed_on "
             f"ELSE {add(d, 1)} END", f"{d} IS NOT NULL", {"ontime_close_den": "1"}),
        Step("c.accepted_on", f"c.accepted_on IS NOT NULL AND c.accepted_on <= {add('c.received_on', a)}",
             {"timely_accept_num": "1"}),
        Step(f"CASE WHEN c.accepted_on IS NOT NULL AND c.accepted_on <= {add('c.received_on', a)} "
             f"THEN c.accepted_on ELSE {add('c.received_on', a + 1)} END", "1 = 1",
             {"timely_accept_den": "1"}),
        Step("e.evaluated_on", "e.case_no IS NOT NULL", {
            "participation_num": "1", "satisfaction_den": "1",
            "satisfaction_num": "CASE WHEN e.result IN ('满意', '基本满意') THEN 1 ELSE 0 END",
            "satisfaction_strict_num": "CASE WHEN e.result = '满意' THEN 1 ELSE 0 END"}),
        Step(f"CASE WHEN e.case_no IS NOT NULL AND (c.closed_on IS NULL OR e.evaluated_on <= "
             f"{add('c.closed_on', w)}) THEN e.evaluated_on ELSE {add('c.closed_on', w + 1)} END",
             "(e.case_no IS NOT NULL OR c.closed_on IS NOT NULL)", {"participation_den": "1"}),
        Step("c.resolved_on", "c.resolved_on IS NOT NULL", {"resolved_events": "1"}),
        Step("c.dispatched_on", "c.dispatched_on IS NOT NULL", {"dispatched_events": "1"}),
    )


def _adder(dialect: str):
    if dialect == "sqlite":
        return lambda expr, n: f"date({expr}, '+{n} days')"
    return lambda expr, n: f"({expr} + {n})"


def month_start_sql(dialect: str, expr: str) -> str:
    if dialect == "sqlite":
        return f"(substr({expr}, 1, 7) || '-01')"
    return f"CAST(date_trunc('month', {expr}) AS date)"


MEASURES = schema.ROLLUP_MEASURES
STEP_KEYS = "cube, {step}, received_month, county_code, member"  # rollup_daily/monthly keys
GRID_KEYS = "received_month, county_code, township_code, lon_cell, lat_cell"
# cube -> the case column that is its member (as text).
CUBES = {"T": "township_code", "U": "unit_id", "C": "category", "H": "channel", "M": "method"}


# The case columns the steps and the grid read.
STEP_COLUMNS = ("case_no", "received_on", "county_code", "township_code", "unit_id", "category",
                "channel", "person_count", "is_collective", "escalation", "is_repeat",
                "dispatched_on", "accepted_on", "due_on", "extended_due_on", "closed_on",
                "resolved_on", "lon", "lat")


def _step_select(dialect: str, step: Step, where: str, cases: str = "cases",
                 evaluations: str = "evaluations") -> str:
    values = ", ".join(f"{step.adds.get(m, '0')} AS {m}" for m in MEASURES)
    return (f"SELECT {month_start_sql(dialect, 'c.received_on')} AS received_month, c.county_code, "
            f"c.township_code, c.unit_id, c.category, c.channel, e.method, "
            f"CASE WHEN {step.day} < c.received_on THEN c.received_on ELSE {step.day} END AS step_day, "
            f"{values}\nFROM {cases} c LEFT JOIN {evaluations} e ON e.case_no = c.case_no\n"
            f"WHERE ({step.when}) AND ({where})")


def _copy_cases(conn: Connection, where: str, params: dict) -> None:
    """The matching cases and their evaluations as temporary tables rollup_cases and
    rollup_evaluations: read once from the large tables, not once per step."""
    columns = ", ".join(f"c.{name}" for name in STEP_COLUMNS)
    _temp(conn, "rollup_cases", f"SELECT {columns} FROM cases c WHERE {where}", params)
    _temp(conn, "rollup_evaluations", "SELECT e.case_no, e.evaluated_on, e.method, e.result "
          "FROM evaluations e WHERE e.case_no IN (SELECT case_no FROM rollup_cases)")
    conn.execute(text("CREATE INDEX rollup_evaluations_ix ON rollup_evaluations (case_no)"))
    if conn.dialect.name == "postgresql":
        for name in ("rollup_cases", "rollup_evaluations"):
            conn.execute(text(f"ANALYZE {name}"))


def _temp(conn: Connection, name: str, sql: str, params: dict | None = None) -> None:
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(text(f"CREATE TEMPORARY TABLE {name} AS {sql}"), params or {})


# The temporary tables of _fill.
SCRATCH = ("rollup_fine", "rollup_sparse", "rollup_sparse_month", "rollup_days", "rollup_months",
           "rollup_cases", "rollup_evaluations")


def _drop(conn: Connection, names: Iterable[str]) -> None:
    for name in names:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _calendar(conn: Connection, first: date, last: date, days: bool = True) -> None:
    """Temporary tables of every month (rollup_months) and, with `days`, every day (rollup_days)
    from `first` to `last`."""
    rows_of: dict[str, list] = {"rollup_days": [], "rollup_months": []}
    day = first
    while day <= last:
        if days:
            rows_of["rollup_days"].append({"day": day, "month": day.replace(day=1)})
        if day.day == 1:
            rows_of["rollup_months"].append({"month": day})
        day = date.fromordinal(day.toordinal() + 1)
    for name, columns in (("rollup_days", "month DATE, day DATE"), ("rollup_months", "month DATE")):
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        if name == "rollup_days" and not days:
            continue
        rows = rows_of[name]
        conn.execute(text(f"CREATE TEMPORARY TABLE {name} ({columns})"))
        if rows:
            keys = list(rows[0])
            conn.execute(text(f"INSERT INTO {name} ({', '.join(keys)}) VALUES "
                              f"({', '.join(':' + k for k in keys)})"), rows)
        conn.execute(text(f"CREATE INDEX {name}_ix ON {name} ({columns.replace(' DATE', '')})"))


def as_date(value) -> date | None:
    if value is None:
        return None
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _upsert(keys: str, measures: Iterable[str], table: str) -> str:
    """The clause that adds a row's measures to the row already there with the same keys."""
    return (f"ON CONFLICT ({keys}) DO UPDATE SET "
            + ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures))


def _fill_grid(conn: Connection, where: str, params: dict, merge: bool = False,
               cases: str = "cases") -> None:
    """Cases per registration month and grid cell of GRID_DEGREES (added to the rows there when
    `merge`)."""
    month = month_start_sql(conn.dialect.name, "c.received_on")
    lon = f"CAST(FLOOR(c.lon / {schema.GRID_DEGREES}) AS INTEGER)"
    lat = f"CAST(FLOOR(c.lat / {schema.GRID_DEGREES}) AS INTEGER)"
    conn.execute(text(f"""
INSERT INTO rollup_grid (received_month, county_code, township_code, lon_cell, lat_cell, case_count)
SELECT {month}, COALESCE(c.county_code, ''), COALESCE(c.township_code, ''), {lon}, {lat}, COUNT(*)
FROM {cases} c WHERE c.lon IS NOT NULL AND c.lat IS NOT NULL AND ({where})
GROUP BY {month}, COALESCE(c.county_code, ''), COALESCE(c.township_code, ''), {lon}, {lat}
{_upsert(GRID_KEYS, ['case_count'], 'rollup_grid') if merge else ''}"""), params)


def _fill(conn: Connection, where: str, params: dict, merge: bool = False) -> None:
    """Adds the rows of the cases matching `where` (alias c) to both tables and every cube; with
    `merge`, rows whose keys are already there get the new cases' sums added to them.

    rollup_daily holds, for each day a group has steps on, the sum of that day's steps;
    rollup_monthly holds, for each month from a group's first step to the last month with any
    step, the sum of all its steps up to the month's end. A figure as of day X is then one monthly
    row (the month before X's) plus the daily rows of X's month up to X, per group.

    Both are sums of per-case steps, and a group's monthly rows run from its first step to the
    table's end; so the rows of cases not yet counted, merged into the tables, are exactly the
    rows a recomputation with them would give."""
    dialect = conn.dialect.name
    tables = ("cases", "evaluations")
    if where != "1 = 1":
        _copy_cases(conn, where, params)
        tables, where, params = ("rollup_cases", "rollup_evaluations"), "1 = 1", {}
    _fill_grid(conn, where, params, merge, tables[0])
    union = "\nUNION ALL\n".join(_step_select(dialect, s, where, *tables) for s in steps(dialect))
    sums = ", ".join(f"SUM({m}) AS {m}" for m in MEASURES)
    names = ", ".join(MEASURES)
    members = ", ".join(CUBES.values())
    _temp(conn, "rollup_fine", f"""
SELECT received_month, county_code, {members}, step_day, {sums}
FROM ({union}) s WHERE step_day IS NOT NULL
GROUP BY received_month, county_code, {members}, step_day""", params)
    month = month_start_sql(dialect, "step_day")
    cubes = "\nUNION ALL\n".join(
        f"SELECT '{cube}' AS cube, received_month, COALESCE(county_code, '') AS county_code, "
        f"COALESCE({f'CAST({column} AS VARCHAR(64))' if column == 'unit_id' else column}, '') AS member, "
        f"step_day, {month} AS step_month, {sums} FROM rollup_fine "
        f"GROUP BY received_month, county_code, {column}, step_day"
        for cube, column in CUBES.items())
    _temp(conn, "rollup_sparse", cubes)
    _temp(conn, "rollup_sparse_month", f"""
SELECT cube, received_month, county_code, member, step_month, {sums}
FROM rollup_sparse GROUP BY cube, received_month, county_code, member, step_month""")
    first, last_step = conn.execute(text(
        "SELECT MIN(received_month), MAX(step_day) FROM rollup_sparse")).one()
    # Every cube holds every case, so one cube's last month is the table's (read from its key).
    known = conn.execute(text("SELECT MAX(step_month) FROM rollup_monthly WHERE cube = 'M'")).scalar()
    if first is None:
        _drop(conn, SCRATCH)
        return
    last_month = max(as_date(last_step).replace(day=1), as_date(known) or date.min)
    _calendar(conn, as_date(first), month_end(last_month), days=False)  # months only
    if known is not None and as_date(known) < last_month:
        # New steps beyond the last month: every other group carries its total forward too.
        conn.execute(text(f"""
INSERT INTO rollup_monthly (cube, received_month, county_code, member, step_month, {names})
SELECT r.cube, r.received_month, r.county_code, r.member, m.month, {', '.join('r.' + m for m in MEASURES)}
FROM rollup_monthly r JOIN rollup_months m ON m.month > :known
WHERE r.step_month = :known"""), {"known": as_date(known)})
    group = "cube, received_month, county_code, member"
    running = ", ".join(f"SUM({m}) OVER w AS {m}" for m in MEASURES)
    conn.execute(text(f"""
INSERT INTO rollup_daily (cube, received_month, county_code, member, step_day, {names})
SELECT cube, received_month, county_code, member, step_day, {names} FROM rollup_sparse
WHERE 1 = 1
ORDER BY cube, step_day, received_month, county_code, member
{_upsert(STEP_KEYS.format(step='step_day'), MEASURES, 'rollup_daily') if merge else ''}"""))
    conn.execute(text(f"""
INSERT INTO rollup_monthly (cube, received_month, county_code, member, step_month, {names})
SELECT s.cube, s.received_month, s.county_code, s.member, m.month, {', '.join('s.' + m for m in MEASURES)}
FROM (SELECT {group}, step_month, LEAD(step_month) OVER w AS next_month, {running}
      FROM rollup_sparse_month
      WINDOW w AS (PARTITION BY {group} ORDER BY step_month)) s
JOIN rollup_months m ON m.month >= s.step_month AND (s.next_month IS NULL OR m.month < s.next_month)
WHERE 1 = 1
ORDER BY s.cube, m.month, s.received_month, s.county_code, s.member
{_upsert(STEP_KEYS.format(step='step_month'), MEASURES, 'rollup_monthly') if merge else ''}"""))
    _drop(conn, SCRATCH)


ARRIVAL_KEYS = "county_code, township_code, category"


def fill_arrivals(conn: Connection, since: date | None = None) -> None:
    """Registrations per township and category as running totals: rollup_arrivals_monthly up to
    each month's end (every month from a pair's first case to the last month), rollup_arrivals
    from the month's first day to each day (every day from the pair's first case in the month to
    the month's end). All of them, or from the month of `since` on (reading every case from then)."""
    names = ", ".join(schema.ARRIVAL_MEASURES)
    params: dict = {}
    where, seed = "1 = 1", ""
    if since is not None:
        since = since.replace(day=1)
        params["since"] = since
        for table, column in (("rollup_arrivals", "received_on"),
                              ("rollup_arrivals_monthly", "month")):
            conn.execute(text(f"DELETE FROM {table} WHERE {column} >= :since"), params)
        where = "c.received_on >= :since"
        seed = (f"UNION ALL SELECT month, {ARRIVAL_KEYS}, {names} FROM rollup_arrivals_monthly "
                f"WHERE month = (SELECT MAX(month) FROM rollup_arrivals_monthly WHERE month < :since)")
    _arrivals(conn, where, params, seed)


def merge_arrivals(conn: Connection, where: str, params: dict) -> None:
    """Adds the cases matching `where` (alias c), none of them counted yet, to both arrival
    tables: reads those cases only, whichever months they fall in. A running total is a sum of
    per-day steps, and a pair's rows run from its first step to the month's (monthly: the
    table's) end; so the new cases' own running totals, added to the rows there (rows inserted
    where the pair had none), are exactly what a recomputation with them would give. New months
    beyond the table's last one first get every pair's total carried forward."""
    _arrivals(conn, where, params, merge=True)


def _arrivals(conn: Connection, where: str, params: dict, seed: str = "", merge: bool = False
              ) -> None:
    names = ", ".join(schema.ARRIVAL_MEASURES)
    dialect = conn.dialect.name
    counts = {
        "case_count": "COUNT(*)",
        "collective_count": "SUM(CASE WHEN c.is_collective THEN 1 ELSE 0 END)",
        "to_city_count": "SUM(CASE WHEN c.escalation = '到市' THEN 1 ELSE 0 END)",
        "to_province_count": "SUM(CASE WHEN c.escalation = '到省' THEN 1 ELSE 0 END)",
        "to_beijing_count": "SUM(CASE WHEN c.escalation = '进京' THEN 1 ELSE 0 END)",
    }
    _temp(conn, "arrival_steps", f"""
SELECT c.received_on, {month_start_sql(dialect, 'c.received_on')} AS month,
       COALESCE(c.county_code, '') AS county_code, COALESCE(c.township_code, '') AS township_code,
       c.category, {', '.join(f'{sql} AS {m}' for m, sql in counts.items())}
FROM cases c WHERE {where}
GROUP BY c.received_on, COALESCE(c.county_code, ''), COALESCE(c.township_code, ''), c.category""",
          params)
    _temp(conn, "arrival_months", f"""
SELECT month, {ARRIVAL_KEYS}, {', '.join(f'SUM({m}) AS {m}' for m in schema.ARRIVAL_MEASURES)}
FROM arrival_steps GROUP BY month, {ARRIVAL_KEYS}
{seed}""", params)
    first, last = conn.execute(text("SELECT MIN(received_on), MAX(received_on) FROM arrival_steps")).one()
    known = as_date(conn.execute(text("SELECT MAX(month) FROM rollup_arrivals_monthly")).scalar())
    if first is not None:
        last_month = max(as_date(last).replace(day=1), known or date.min)
        _calendar(conn, as_date(first).replace(day=1), month_end(last_month))
        if merge and known is not None and known < last_month:
            conn.execute(text(f"""
INSERT INTO rollup_arrivals_monthly (month, {ARRIVAL_KEYS}, {names})
SELECT m.month, {', '.join('r.' + c for c in ARRIVAL_KEYS.split(', '))},
       {', '.join('r.' + m for m in schema.ARRIVAL_MEASURES)}
FROM rollup_arrivals_monthly r JOIN rollup_months m ON m.month > :known
WHERE r.month = :known"""), {"known": known})
        running = ", ".join(f"SUM({m}) OVER w AS {m}" for m in schema.ARRIVAL_MEASURES)
        values = ", ".join("s." + m for m in schema.ARRIVAL_MEASURES)
        keys = ", ".join("s." + c for c in ARRIVAL_KEYS.split(", "))
        conn.execute(text(f"""
INSERT INTO rollup_arrivals (received_on, {ARRIVAL_KEYS}, {names})
SELECT d.day, {keys}, {values}
FROM (SELECT received_on, month, {ARRIVAL_KEYS}, LEAD(received_on) OVER w AS next_day, {running}
      FROM arrival_steps WINDOW w AS (PARTITION BY {ARRIVAL_KEYS}, month ORDER BY received_on)) s
JOIN rollup_days d ON d.month = s.month AND d.day >= s.received_on
  AND (s.next_day IS NULL OR d.day < s.next_day)
WHERE 1 = 1
ORDER BY d.day, s.county_code, s.township_code, s.category
{_upsert('received_on, ' + ARRIVAL_KEYS, schema.ARRIVAL_MEASURES, 'rollup_arrivals') if merge else ''}"""))
        conn.execute(text(f"""
INSERT INTO rollup_arrivals_monthly (month, {ARRIVAL_KEYS}, {names})
SELECT m.month, {keys}, {values}
FROM (SELECT month, {ARRIVAL_KEYS}, LEAD(month) OVER w AS next_month, {running}
      FROM arrival_months WINDOW w AS (PARTITION BY {ARRIVAL_KEYS} ORDER BY month)) s
JOIN rollup_months m ON m.month >= s.month AND m.month >= :first
  AND (s.next_month IS NULL OR m.month < s.next_month)
WHERE 1 = 1
ORDER BY m.month, s.county_code, s.township_code, s.category
{_upsert('month, ' + ARRIVAL_KEYS, schema.ARRIVAL_MEASURES, 'rollup_arrivals_monthly') if merge else ''}"""),
                     {"first": as_date(first).replace(day=1)})
        for name in ("rollup_days", "rollup_months"):
            conn.execute(text(f"DROP TABLE {name}"))
    for name in ("arrival_steps", "arrival_months"):
        conn.execute(text(f"DROP TABLE {name}"))


def fill_petitioners(conn: Connection, where: str = "", params: dict | None = None) -> None:
    """rollup_petitioners for every petitioner, or (where: a condition on the cases c) for the
    petitioners of those cases, counting all their cases."""
    chosen = "c.petitioner_key IS NOT NULL"
    if where:
        chosen = (f"c.petitioner_key IN (SELECT DISTINCT c.petitioner_key FROM cases c "
                  f"WHERE {where} AND c.petitioner_key IS NOT NULL)")
        conn.execute(text(f"DELETE FROM rollup_petitioners WHERE petitioner_key IN ("
                          f"SELECT c.petitioner_key FROM cases c WHERE {where})"), params or {})
    else:
        conn.execute(text("DELETE FROM rollup_petitioners"))
    conn.execute(text(f"""
INSERT INTO rollup_petitioners (petitioner_key, case_count)
SELECT c.petitioner_key, COUNT(*) FROM cases c WHERE {chosen}
GROUP BY c.petitioner_key HAVING COUNT(*) >= 2"""), params or {})


def recount_petitioners(conn: Connection, keys: Iterable[str]) -> None:
    """rollup_petitioners for exactly these petitioners, counting their cases as they are now
    (after cases were removed or put back)."""
    keys = sorted(set(keys))
    if not keys:
        return
    # The keys as a temporary table: two statements, whatever their number.
    conn.execute(text("DROP TABLE IF EXISTS recount_keys"))
    conn.execute(text("CREATE TEMPORARY TABLE recount_keys (petitioner_key VARCHAR(64) PRIMARY KEY)"))
    conn.execute(text("INSERT INTO recount_keys (petitioner_key) VALUES (:k)"),
                 [{"k": k} for k in keys])
    listed = "SELECT petitioner_key FROM recount_keys"
    conn.execute(text(f"DELETE FROM rollup_petitioners WHERE petitioner_key IN ({listed})"))
    conn.execute(text(f"""
INSERT INTO rollup_petitioners (petitioner_key, case_count)
SELECT c.petitioner_key, COUNT(*) FROM cases c WHERE c.petitioner_key IN ({listed})
GROUP BY c.petitioner_key HAVING COUNT(*) >= 2"""))
    conn.execute(text("DROP TABLE recount_keys"))


def rebuild_steps(conn: Connection) -> None:
    """Recomputes the step, grid and arrival tables (those of migration 0002) from the cases."""
    for table in ("rollup_daily", "rollup_monthly", "rollup_grid", "rollup_arrivals",
                  "rollup_arrivals_monthly"):
        conn.execute(text(f"DELETE FROM {table}"))
    _fill(conn, "1 = 1", {})
    fill_arrivals(conn)


def rebuild(conn: Connection) -> None:
    """Recomputes every rollup table from the cases, inside the caller's transaction."""
    rebuild_steps(conn)
    fill_petitioners(conn)
    analyze(conn)


def analyze(conn: Connection, light: bool = False, vacuum: bool = False) -> None:
    """Statistics for the query planner, so that it starts joins from the small side (key cases,
    not the case table) and picks the rollups' keys. `light`: after a small change. `vacuum`
    (PostgreSQL, on a connection in autocommit): VACUUM as well, after a bulk load, so that
    index-only scans (the overdue list) need not visit the table until autovacuum has come by."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA optimize" if light else "ANALYZE"))
    elif not light:
        # This schema's tables only: a bare ANALYZE reads every schema of the database (and two
        # of them at once can deadlock on the catalog).
        from sqlalchemy import inspect

        from data.schema import metadata

        present = set(inspect(conn).get_table_names())
        for table in metadata.sorted_tables:
            if table.name in present:
                conn.execute(text(f"{'VACUUM (ANALYZE)' if vacuum else 'ANALYZE'} {table.name}"))


def vacuum(engine: Engine) -> None:
    """PostgreSQL after a bulk write or delete: statistics, the visibility map and the dead rows'
    space made reusable (what autovacuum does in its own time, where it is on)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            analyze(conn, vacuum=True)


def _month_spans(months: list[date]) -> tuple[list[str], dict]:
    """A condition on the cases c per month (registered in it), and their parameters."""
    params: dict = {}
    for k, month in enumerate(months):
        params[f"m{k}"], params[f"n{k}"] = month, add_months(month, 1)
    return [f"(c.received_on >= :m{k} AND c.received_on < :n{k})" for k in range(len(months))], params


def refresh(conn: Connection, months: Iterable[date], added_by: int | None = None,
            added_months: Iterable[date] = (), fresh: bool = False) -> None:
    """Recomputes the rows of the cases registered in the given months, inside the caller's
    transaction: for imports, which touch a few months. `added_by`: an import batch whose new
    cases (none of them counted yet) were registered in `added_months`; in those of its months
    not recomputed, their steps are added to the rows there instead (reading the new cases only,
    not the months' other cases). `fresh`: none of the given months' cases is counted yet (the
    months were empty): their arrivals are added, not recomputed from the earliest month on.

    The arrivals' running totals carry every month into all later ones: a recomputation reads
    every case from its first month on, so new cases are merged into them whenever they can be
    (all of them when no existing case changed, else those before the first changed month)."""
    months = sorted({m.replace(day=1) for m in months})
    added = sorted({m.replace(day=1) for m in added_months} - set(months)) if added_by else []
    if fresh and months:
        spans, params = _month_spans(months)
        merge_arrivals(conn, " OR ".join(spans), params)
    else:
        if added:
            merge_arrivals(conn, "c.batch_id = :batch" + (" AND c.received_on < :since" if months else ""),
                           {"batch": added_by, **({"since": months[0]} if months else {})})
        if months:
            fill_arrivals(conn, months[0])
    for month in months:
        params = {"m": month, "next": add_months(month, 1)}
        for table in ("rollup_daily", "rollup_monthly", "rollup_grid"):
            conn.execute(text(f"DELETE FROM {table} WHERE received_month = :m"), params)
        _fill(conn, "c.received_on >= :m AND c.received_on < :next", params)
        fill_petitioners(conn, "c.received_on >= :m AND c.received_on < :next", params)
    if added:
        spans, params = _month_spans(months)  # their new cases are counted by the recomputation
        params["batch"] = added_by
        where = ["c.batch_id = :batch", *(f"NOT {span}" for span in spans)]
        _fill(conn, " AND ".join(where), params, merge=True)
        recount_petitioners(conn, {key for (key,) in conn.execute(text(
            f"SELECT c.petitioner_key FROM cases c WHERE {' AND '.join(where)}"), params) if key})
    analyze(conn, light=True)


def rebuild_all(engine: Engine) -> None:
    from data import search_index

    with engine.begin() as conn:
        search_index.rebuild(conn)
        rebuild(conn)
