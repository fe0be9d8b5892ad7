"""Where the case database is, how to open it, migrate it and write to it in bulk."""
from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Iterable, Sequence

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, select, text

from data.schema import settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_DIR / "data" / "xinfang.db"  # the embedded default, git-ignored
SECRETS_PATH = PROJECT_DIR / ".streamlit" / "secrets.toml"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
CONNECT_TIMEOUT_S = 5  # seconds to wait for a PostgreSQL server before saying it is unreachable


class DatabaseError(RuntimeError):
    """A database problem explained in Chinese for the user."""


def config_value(name: str) -> str | None:
    """The environment variable NAME, else `name` in .streamlit/secrets.toml, else None."""
    value = os.environ.get(name.upper(), "").strip()
    if value:
        return value
    if SECRETS_PATH.exists():
        try:
            secrets = tomllib.loads(SECRETS_PATH.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise DatabaseError(f"配置文件 {SECRETS_PATH} 格式有误：{exc}") from exc
        value = str(secrets.get(name.lower(), "")).strip()
        if value:
            return value
    return None


def database_url() -> str:
    """DATABASE_URL, else `database_url` in .streamlit/secrets.toml, else the SQLite file in data/."""
    return config_value("database_url") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def is_default_url(url: str) -> bool:
    return url == f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for the URL; postgresql:// URLs use the psycopg 3 driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    # PostgreSQL's JIT compiler spends more than it saves on the short queries of a dashboard,
    # whose cost estimates over a large case table still trigger it. A server that does not
    # answer (network cut) is given up after CONNECT_TIMEOUT_S instead of the system's minutes.
    # A connection whose network silently died is noticed by TCP keepalives and a TCP user
    # timeout (unacknowledged data) within about a minute, not after the system's two hours.
    options = ({"connect_args": {"options": "-c jit=off", "connect_timeout": CONNECT_TIMEOUT_S,
                                 "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                                 "keepalives_count": 3, "tcp_user_timeout": 60_000}}
               if url.startswith("postgresql") else {})
    if url.startswith("sqlite"):
        # A write waits up to 30 s for another one (an import, the demo's background years)
        # instead of failing after SQLite's default 5 s.
        options = {"connect_args": {"timeout": 30}}
    try:
        # pool_pre_ping: a connection the server dropped (restart, network cut) is replaced
        # before use. hide_parameters: an error's text never carries a row's values (a
        # petitioner's name, phone, ID number), in a log or anywhere else.
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **options)
    except Exception as exc:  # bad URL syntax or missing driver
        raise DatabaseError(f"数据库地址无法识别：{mask_url(url)}（{exc}）") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise DatabaseError(
            f"无法连接数据库 {mask_url(str(engine.url))}：{exc.__class__.__name__}。"
            "请检查 DATABASE_URL 或 .streamlit/secrets.toml 中的 database_url、数据库服务是否启动。"
        ) from exc


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; does nothing when it is already there."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def schema_exists(engine: Engine) -> bool:
    return inspect(engine).has_table("cases")


def read_setting(engine: Engine, key: str, default: str | None = None) -> str | None:
    with engine.connect() as conn:
        value = conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar()
    return default if value is None else value


def write_setting(conn, key: str, value: str) -> None:
    """Upsert one settings row inside the caller's transaction."""
    conn.execute(settings.delete().where(settings.c.key == key))
    conn.execute(settings.insert().values(key=key, value=value))


def _sqlite_value(value):
    return value.isoformat() if isinstance(value, date) else value


def bulk_insert(conn, table, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert tuples in column order: COPY on PostgreSQL, executemany elsewhere."""
    rows = list(rows)
    if not rows:
        return 0
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        rows = [tuple(_sqlite_value(v) for v in row) for row in rows]
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
    return len(rows)
