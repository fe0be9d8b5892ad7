"""rollup_daily holds each day's steps as they are, no longer the running total from the month's
first day to every day until the month's end: the rows of days without a step go, and an import
adds rows for the days its cases have steps on (on ten million cases, 2.5 million running-total
rows were rewritten for a year's import of 100,000 cases). A figure as of day X adds the steps of
X's month up to X to the monthly running total (queries/steps.py).

Revision ID: 0010
Revises: 0009
"""
from alembic import op
from sqlalchemy import inspect, text

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

KEYS = ("cube", "step_day", "received_month", "county_code", "member")
GROUP = "cube, received_month, county_code, member"


def _measures(conn) -> list[str]:
    """rollup_daily's columns other than its keys, as the table has them."""
    return [c["name"] for c in inspect(conn).get_columns("rollup_daily") if c["name"] not in KEYS]


def _replace(conn, select: str) -> None:
    """rollup_daily's rows become those of `select` (columns KEYS then the measures)."""
    names = ", ".join((*KEYS, *_measures(conn)))
    conn.execute(text("DROP TABLE IF EXISTS daily_rewrite"))
    conn.execute(text(f"CREATE TEMPORARY TABLE daily_rewrite AS {select}"))
    conn.execute(text("DELETE FROM rollup_daily"))
    conn.execute(text(f"INSERT INTO rollup_daily ({names}) SELECT {names} FROM daily_rewrite "
                      f"ORDER BY {', '.join(KEYS)}"))
    conn.execute(text("DROP TABLE daily_rewrite"))


def upgrade() -> None:
    from data.rollups import analyze, month_start_sql, rebuild_steps

    conn = op.get_bind()
    if conn.execute(text("SELECT 1 FROM rollup_daily LIMIT 1")).first() is None:
        # Tables made by 0002 on a database with cases: computed here for the first time.
        if conn.execute(text("SELECT 1 FROM cases LIMIT 1")).first() is not None:
            rebuild_steps(conn)
            analyze(conn)
        return
    measures = _measures(conn)
    month = month_start_sql(conn.dialect.name, "step_day")
    steps = ", ".join(f"{m} - COALESCE(LAG({m}) OVER w, 0) AS {m}" for m in measures)
    _replace(conn, f"""
SELECT {', '.join(KEYS)}, {', '.join(measures)} FROM (
  SELECT {', '.join(KEYS)}, {steps} FROM rollup_daily
  WINDOW w AS (PARTITION BY {GROUP}, {month} ORDER BY step_day)) s
WHERE {' OR '.join(f'{m} <> 0' for m in measures)}""")
    analyze(conn)


def downgrade() -> None:
    """Back to running totals on every day from a group's first step in a month to its end."""
    from data.rollups import month_start_sql

    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    measures = _measures(conn)
    month = month_start_sql(conn.dialect.name, "step_day")
    following = "date(day, '+1 day')" if sqlite else "day + 1"
    month_end = ("date(step_day, 'start of month', '+1 month', '-1 day')" if sqlite
                 else "CAST(date_trunc('month', step_day) + interval '1 month - 1 day' AS date)")
    running = ", ".join(f"SUM({m}) OVER w AS {m}" for m in measures)
    _replace(conn, f"""
WITH RECURSIVE days(day) AS (
  SELECT MIN(step_day) FROM rollup_daily
  UNION ALL SELECT {following} FROM days WHERE day < (SELECT MAX({month_end}) FROM rollup_daily))
SELECT s.cube, d.day AS step_day, s.received_month, s.county_code, s.member,
       {', '.join('s.' + m for m in measures)}
FROM (SELECT {GROUP}, step_day, {month_end} AS month_end, LEAD(step_day) OVER w AS next_day,
             {running}
      FROM rollup_daily WINDOW w AS (PARTITION BY {GROUP}, {month} ORDER BY step_day)) s
JOIN days d ON d.day >= s.step_day AND d.day <= s.month_end
  AND (s.next_day IS NULL OR d.day < s.next_day)""")
