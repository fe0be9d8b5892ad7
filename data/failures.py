"""What went wrong, told in Chinese to the user and logged on the server without personal data.

The page router (ui/errors.py) and the command line (cli.py) both turn an unexpected exception
into `explain(exc, ...)`. A database error's text carries the SQL and, from the driver, values of
the row (a petitioner's name, phone or ID number): neither the message shown nor the log line
contains it. The log line has the exception types, the SQLSTATE, the SQL statement (engines hide
parameters, see data/database.py) and the stack, under a short reference the user can quote.
"""
from __future__ import annotations

import logging
import secrets
import traceback

from sqlalchemy import exc as sa_exc

from data.database import DatabaseError

LOGGER = logging.getLogger("xinfang")

CONNECTION_LOST = ("与数据库的连接中断或数据库暂时不可用（例如数据库服务正在重启、网络中断）。"
                   "数据库恢复后刷新页面即可，无需重启看板。")
READ_ONLY = "数据库文件为只读，无法写入：请让管理员检查数据库文件及其目录的写权限。本次未写入任何数据。"
BUSY = "数据库正忙（另一项写入正在进行），请稍后重试。本次未写入任何数据。"
DISK_FULL = "数据库所在磁盘已满，无法写入。本次未写入任何数据。"
DATA_REFUSED = "数据库拒绝了要写入的数据（数值超出范围或不符合数据库的要求），本次未写入任何数据。"
SCHEMA = "数据库结构与本程序不一致，请执行 python cli.py migrate 后重试。"
OTHER = "处理时出错。"

# SQLSTATE classes of PostgreSQL: 08 connection, 57P admin shutdown, 53 resources, 22 data,
# 23 integrity, 42 syntax or undefined object, 25P02 failed transaction.
_PG_CLASSES = {"08": CONNECTION_LOST, "57": CONNECTION_LOST, "53": DISK_FULL, "22": DATA_REFUSED,
               "23": DATA_REFUSED, "42": SCHEMA}


def _driver_error(exc: BaseException) -> BaseException | None:
    return getattr(exc, "orig", None) if isinstance(exc, sa_exc.DBAPIError) else None


def sqlstate(exc: BaseException) -> str:
    """The PostgreSQL SQLSTATE or SQLite error name of a database error, else ''."""
    orig = _driver_error(exc)
    if orig is None:
        return ""
    return str(getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None) or "")


def is_connection_lost(exc: BaseException) -> bool:
    """True when the database went away: the connection dropped or cannot be made."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (sa_exc.DisconnectionError, sa_exc.InterfaceError)):
        return True
    state = sqlstate(exc)
    if state[:2] in ("08", "57"):
        return True
    if isinstance(exc, sa_exc.OperationalError) and not state:
        # psycopg raises OperationalError without SQLSTATE when no server answers
        return _driver_error(exc).__class__.__module__.startswith("psycopg")
    return False


def _message_for(exc: BaseException) -> str:
    if isinstance(exc, PermissionError) and not exc.filename:  # a query outside the jurisdiction
        return "请求超出本账号的辖区或权限，已拒绝执行。"
    if isinstance(exc, DatabaseError):
        return str(exc)  # written in Chinese by this program, without personal data
    if is_connection_lost(exc):
        return CONNECTION_LOST
    state = sqlstate(exc)
    if state in ("SQLITE_READONLY", "SQLITE_READONLY_DBMOVED", "SQLITE_CANTOPEN") or state == "25006":
        return READ_ONLY
    if state.startswith("SQLITE_BUSY") or state.startswith("SQLITE_LOCKED") or state == "55P03":
        return BUSY
    if state == "SQLITE_FULL":
        return DISK_FULL
    if state.startswith("SQLITE_CONSTRAINT") or state in ("SQLITE_TOOBIG", "SQLITE_MISMATCH"):
        return DATA_REFUSED
    if state.startswith("SQLITE_ERROR") and isinstance(exc, sa_exc.OperationalError):
        return SCHEMA  # no such table / column
    if state[:2] in _PG_CLASSES:
        return _PG_CLASSES[state[:2]]
    if isinstance(exc, (sa_exc.IntegrityError, sa_exc.DataError)):
        return DATA_REFUSED
    if isinstance(exc, MemoryError):
        return "内存不足，无法完成本次操作。"
    if isinstance(exc, OSError) and exc.errno == 28:
        return DISK_FULL
    return OTHER


def _log_text(exc: BaseException) -> str:
    """Exception types, SQLSTATE, SQL statement and stack; no exception message of a driver."""
    lines = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = f"{type(current).__module__}.{type(current).__qualname__}"
        state = sqlstate(current)
        lines.append(name + (f" [{state}]" if state else ""))
        statement = getattr(current, "statement", None)
        if statement:
            lines.append("  statement: " + " ".join(str(statement).split())[:2000])
        if isinstance(current, DatabaseError):
            lines.append(f"  {current}")
        lines.extend("  " + frame.rstrip().replace("\n", "\n  ")
                     for frame in traceback.format_tb(current.__traceback__))
        current = current.__cause__ or current.__context__
    return "\n".join(lines)


def explain(exc: BaseException, where: str, log_place: str = "服务器日志") -> str:
    """Logs the failure at `where` (a page or command) and returns the Chinese message for the user,
    ending with the reference of the log entry."""
    reference = secrets.token_hex(4)
    message = _message_for(exc)
    LOGGER.error("failure %s in %s (user told: %s)\n%s", reference, where, message,
                 _log_text(exc))
    return f"{message}（错误编号 {reference}，详情见{log_place}）"
