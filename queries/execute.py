"""The one path every query takes to the database: named parameters, a DataFrame back."""
from __future__ import annotations

from typing import Iterable

import pandas as pd
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from data.rollups import as_date


def fetch_frame(engine: Engine, sql: str, params: dict | None = None,
                date_columns: Iterable[str] = (), work_mem_mb: int | None = None) -> pd.DataFrame:
    """Runs one SELECT with named parameters; date columns come back as datetime.date.
    work_mem_mb (PostgreSQL): the memory of each sort, hash and bitmap of this query alone."""
    try:
        rows, names = _read(engine, sql, params, work_mem_mb)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        # The connection dropped under the query (server restarted, network cut): the pool has
        # been emptied; one more try on a new connection, which fails plainly if it is still down.
        rows, names = _read(engine, sql, params, work_mem_mb)
    dates = set(date_columns)
    if not rows or len(set(names)) < len(names):
        frame = pd.DataFrame(rows, columns=names)
        for column in dates:
            frame[column] = pd.Series([_as_date(v) for v in frame[column]], index=frame.index,
                                      dtype=object)
        return frame
    # Column by column: dates parsed from the driver's values, not from pandas' strings.
    return pd.DataFrame({name: [_as_date(v) for v in values] if name in dates else values
                         for name, values in zip(names, zip(*rows))})


def _read(engine: Engine, sql: str, params: dict | None,
          work_mem_mb: int | None = None) -> tuple[list, list[str]]:
    with engine.connect() as conn:
        if work_mem_mb and conn.dialect.name == "postgresql":  # for this transaction only
            conn.execute(text(f"SET LOCAL work_mem = '{int(work_mem_mb)}MB'"))
        result = conn.execute(text(sql), params or {})
        # Plain tuples from the driver: a text() query has no result processing to skip.
        return result.cursor.fetchall(), list(result.keys())


def _as_date(value):
    """A driver's date (PostgreSQL) as it is, SQLite's ISO text parsed, NULL as NaT."""
    if value is None or isinstance(value, float):  # NULL, or NaN in an all-NULL column
        return pd.NaT
    return as_date(value)
