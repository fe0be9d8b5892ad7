"""The one path every query takes to the database: named parameters, a DataFrame back."""
from __future__ import annotations

from typing import Iterable

import pandas as pd
from sqlalchemy import Engine, text


def fetch_frame(engine: Engine, sql: str, params: dict | None = None,
                date_columns: Iterable[str] = ()) -> pd.DataFrame:
    """Runs one SELECT with named parameters; date columns come back as datetime.date."""
    with engine.connect() as conn:
        result = conn.execute(text(sql), params or {})
        # Plain tuples from the driver: a text() query has no result processing to skip, and
        # pandas builds a frame from tuples several times faster than from Row objects.
        frame = pd.DataFrame(result.cursor.fetchall(), columns=list(result.keys()))
    for column in date_columns:
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame
