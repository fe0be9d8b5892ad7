"""The audit log, read for the administrators' page and the command line."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine

from queries.execute import fetch_frame

AUDIT_COLUMNS = "a.id, a.at, a.username, a.action, a.target, a.detail, a.result"


def _where(since, until, username, action) -> tuple[str, dict]:
    clauses, params = ["1 = 1"], {}
    if since:
        clauses.append("a.at >= :since")
        params["since"] = since
    if until:
        clauses.append("a.at < :until")
        params["until"] = until + timedelta(days=1)
    if username:
        clauses.append("a.username = :username")
        params["username"] = username
    if action:
        clauses.append("a.action = :action")
        params["action"] = action
    return " AND ".join(clauses), params


def audit_entries(engine: Engine, since: date | None = None, until: date | None = None,
                  username: str | None = None, action: str | None = None, limit: int | None = 5000
                  ) -> pd.DataFrame:
    """id, at, username, action, target, detail (JSON text), result: newest first."""
    where, params = _where(since, until, username, action)
    sql = f"SELECT {AUDIT_COLUMNS} FROM audit_log a WHERE {where} ORDER BY a.id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return fetch_frame(engine, sql, params)


def audit_count(engine: Engine, since: date | None = None, until: date | None = None,
                username: str | None = None, action: str | None = None) -> int:
    """How many audit rows match (the page shows the newest few thousand)."""
    where, params = _where(since, until, username, action)
    frame = fetch_frame(engine, f"SELECT COUNT(*) AS n FROM audit_log a WHERE {where}", params)
    return int(frame["n"].iloc[0])
