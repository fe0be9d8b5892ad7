"""What differs between SQLite and PostgreSQL, one entry per dialect."""
from __future__ import annotations

SQL_BY_DIALECT = {
    "sqlite": {
        "month": "substr({col}, 1, 7)",
        "days_between": "CAST(julianday({end}) - julianday({start}) AS INTEGER)",
        "true": "1",
    },
    "postgresql": {
        "month": "to_char({col}, 'YYYY-MM')",
        "days_between": "({end} - {start})",
        "true": "TRUE",
    },
}


def sql_for(dialect_name: str) -> dict[str, str]:
    try:
        return SQL_BY_DIALECT[dialect_name]
    except KeyError as exc:
        raise ValueError(f"unsupported database dialect: {dialect_name}") from exc


def month_of(dialect_name: str, col: str) -> str:
    """SQL for the 'YYYY-MM' month of a date column."""
    return sql_for(dialect_name)["month"].format(col=col)


def days_between(dialect_name: str, start: str, end: str) -> str:
    """SQL for the whole days from start to end (end - start)."""
    return sql_for(dialect_name)["days_between"].format(start=start, end=end)
