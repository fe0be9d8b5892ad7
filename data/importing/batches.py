"""Every import is a batch written under one lock: who wrote which file when, which rows, and each
row as it was before, so that a batch can be undone as a whole while nothing later depends on it.
Demo cases belong to a demo batch; removing the demo removes those cases only.

Database failures during a write end as ImportRefused with a Chinese message; what the database
said is logged on the server without the row's values (no petitioner's name, phone or ID)."""
from __future__ import annotations

import hashlib
import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable, Iterable, Iterator

from sqlalchemy import Connection, Date, DateTime, Engine, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from data import rollups, schema, search_index
from data.database import write_setting
from data.importing.checks import ImportRefused

log = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = 120        # how long an import waits for another one to finish
IMPORT_CACHE_MB = 64           # SQLite page cache of the import's connection while it writes
                               # (a large file's index and rollup pages stay in memory)
ADVISORY_LOCK_KEY = 20_060_001  # PostgreSQL advisory lock held by the import writing
WAITING_MESSAGE = "另一项导入正在写入数据库，正在等待其完成……"
CHUNK = 500
# Undo order: rows a batch added are deleted children first; rows it changed are put back
# parents first.
CHILDREN_FIRST = ("evaluations", "key_cases", "cases", "units", "regions")
FAMILIES = {"cases": "case", "evaluations": "case", "key_cases": "case", "regions": "place",
            "units": "place"}
TABLES = {t.name: t for t in (schema.cases, schema.evaluations, schema.key_cases,
                              schema.regions, schema.units)}
KEYS = {"cases": "case_no", "evaluations": "case_no", "key_cases": "case_no", "regions": "code",
        "units": "code"}
KIND_NAMES = {"cases": "信访件清单", "evaluations": "满意度评价", "key-cases": "重点案件",
              "regions": "乡镇和村名单", "boundaries": "乡镇边界", "demo": "演示数据"}


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class Source:
    """Where a batch comes from: the file's name and SHA-256, and who imported it."""

    file_name: str
    file_sha256: str
    who: str = "cli"

    @classmethod
    def of(cls, file_name: str, content: bytes, who: str = "cli") -> "Source":
        return cls(file_name, sha256(content), who)


# ---- failures ---------------------------------------------------------------------------------

def _reason(exc: BaseException) -> str:
    """The database's own first line, without parameters or SQL (for the server log)."""
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    return f"{orig.__class__.__name__}: {first[:200]}"


def _is_read_only(exc: BaseException) -> bool:
    words = str(getattr(exc, "orig", None) or exc).lower()
    return "readonly" in words or "read-only" in words or "read only" in words


@contextmanager
def explained(action: str) -> Iterator[None]:
    """Turns a database failure into ImportRefused with a Chinese message, logged server side."""
    try:
        yield
    except ImportRefused:
        raise
    except (SQLAlchemyError, DBAPIError, OSError) as exc:
        log.error("%s failed: %s", action, _reason(exc))
        if isinstance(exc, IntegrityError) and action == "撤销导入":
            raise ImportRefused("不能撤销：之后写入的信访件或单位仍引用这一批导入的区划、单位或信访件，"
                                "未做任何改动。") from None
        if _is_read_only(exc):
            raise ImportRefused("数据库是只读的（文件或账号没有写权限），未写入任何数据。"
                                "请联系管理员检查数据库文件的权限。") from None
        raise ImportRefused(f"{action}失败，未写入任何数据（数据库报错，详情已记入服务器日志）。"
                            "请稍后重试；仍然失败时请联系管理员。") from None


# ---- the lock ---------------------------------------------------------------------------------

def _try_lock(conn: Connection) -> bool:
    if conn.dialect.name == "postgresql":
        return bool(conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                 {"k": ADVISORY_LOCK_KEY}).scalar())
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except DBAPIError as exc:
        words = str(exc.orig).lower()
        if "locked" in words or "busy" in words:
            return False
        raise
    return True


@contextmanager
def import_transaction(engine: Engine, on_wait: Callable[[str], None] | None = None
                       ) -> Iterator[Connection]:
    """A transaction that holds the import lock (PostgreSQL: an advisory lock; SQLite: BEGIN
    IMMEDIATE): one import writes at a time. A second one calls on_wait with a message, waits up
    to LOCK_WAIT_SECONDS, then is told to retry."""
    with engine.connect() as conn:
        cache = None
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
            conn.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_MB * 1024}")
        try:
            deadline = time.monotonic() + LOCK_WAIT_SECONDS
            told = False
            while not _try_lock(conn):
                if not told and on_wait is not None:
                    on_wait(WAITING_MESSAGE)
                told = True
                if time.monotonic() > deadline:
                    raise ImportRefused(f"另一项导入已写入超过 {LOCK_WAIT_SECONDS} 秒仍未完成，"
                                        "本次未写入任何数据，请稍后重试。")
                time.sleep(0.2)
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA busy_timeout = 30000")
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA busy_timeout = 5000")
                conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")  # frees the pages


# ---- batches ----------------------------------------------------------------------------------

def now() -> datetime:
    return datetime.now().replace(microsecond=0)


def open_batch(conn: Connection, kind: str, source: Source, is_demo: bool = False) -> int:
    return conn.execute(schema.import_batches.insert().values(
        kind=kind, file_name=source.file_name[:255], file_sha256=source.file_sha256,
        row_count=0, created_at=now(), created_by=(source.who or "cli")[:64],
        is_demo=is_demo).returning(schema.import_batches.c.id)).scalar_one()


def close_batch(conn: Connection, batch_id: int, rows: int) -> None:
    conn.execute(schema.import_batches.update().where(schema.import_batches.c.id == batch_id)
                 .values(row_count=rows))


@contextmanager
def batch(engine: Engine, kind: str, source: Source,
          on_wait: Callable[[str], None] | None = None) -> Iterator[tuple[Connection, int]]:
    """The import transaction with a new batch: (connection, batch id). All or nothing."""
    with explained("导入"):
        with import_transaction(engine, on_wait) as conn:
            yield conn, open_batch(conn, kind, source)


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def remember(conn: Connection, batch_id: int, table_name: str, keys: Iterable[str],
             absent: Callable[[str], bool] = lambda key: False) -> None:
    """Keeps the rows with these keys as they are now (or that they are absent), before the
    batch writes them. `absent`: true for keys known to have no row (not looked up)."""
    table, key = TABLES[table_name], KEYS[table_name]
    keys = list(dict.fromkeys(k for k in keys if k))
    present = [k for k in keys if not absent(k)]
    before: dict[str, str] = {}
    for start in range(0, len(present), CHUNK):
        for row in conn.execute(select(table).where(table.c[key].in_(present[start:start + CHUNK]))
                                ).mappings():
            before[row[key]] = json.dumps({c: _plain(v) for c, v in row.items()},
                                          ensure_ascii=False)
    rows = [{"batch_id": batch_id, "table_name": table_name, "row_key": k, "before": before.get(k)}
            for k in keys]
    insert_rows(conn, schema.batch_changes, rows)


WRITE_CHUNK = 5_000  # rows per insert statement (SQLite)


def insert_rows(conn: Connection, table, rows: list[dict]) -> None:
    """Inserts the rows, those with the same columns together: on PostgreSQL in one COPY each (half
    the time of multi-row INSERTs for a year's import, the driver sending rows, not a statement to
    parse); elsewhere in parts of WRITE_CHUNK rows, so that the driver's copy of the parameters
    stays small. Inside the caller's transaction."""
    alike: dict[tuple, list[dict]] = {}
    for row in rows:
        alike.setdefault(tuple(row), []).append(row)
    for columns, group in alike.items():
        if conn.dialect.name == "postgresql":
            _copy_rows(conn, table, columns, group)
        else:
            for start in range(0, len(group), WRITE_CHUNK):
                conn.execute(table.insert(), group[start:start + WRITE_CHUNK])


def _copy_rows(conn: Connection, table, columns: tuple, rows: list[dict]) -> None:
    # COPY knows only the database's defaults: the table's own (as an INSERT would add them) are
    # given for the columns the rows leave out.
    defaults = {c.name: c.default.arg for c in table.columns if c.name not in columns
                and c.default is not None and c.default.is_scalar}
    columns = (*columns, *defaults)
    rows = [{**row, **defaults} for row in rows] if defaults else rows
    names = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)
    statement = f"COPY {table.name} ({names}) FROM STDIN"
    try:
        with conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
    except conn.dialect.dbapi.Error as exc:  # as SQLAlchemy reports a failed statement
        raise DBAPIError.instance(statement, None, exc, conn.dialect.dbapi.Error) from None


def _typed(table, values: dict) -> dict:
    out = {}
    for name, value in values.items():
        column = table.c[name]
        if isinstance(value, str) and isinstance(column.type, DateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(column.type, Date):
            value = date.fromisoformat(value[:10])
        out[name] = value
    return out


@dataclass(frozen=True)
class BatchRow:
    id: int
    kind: str
    file_name: str
    file_sha256: str
    row_count: int
    created_at: datetime
    created_by: str
    is_demo: bool
    undone_at: datetime | None


def list_batches(engine: Engine, limit: int = 50) -> list[BatchRow]:
    """The newest batches first."""
    b = schema.import_batches
    with explained("读取导入记录"), engine.connect() as conn:
        rows = conn.execute(select(b).order_by(b.c.id.desc()).limit(limit)).fetchall()
    return [BatchRow(r.id, r.kind, r.file_name, r.file_sha256, r.row_count,
                     _as_datetime(r.created_at), r.created_by, bool(r.is_demo),
                     _as_datetime(r.undone_at)) for r in rows]


def _as_datetime(value):
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


@dataclass(frozen=True)
class UndoResult:
    batch_id: int
    kind: str
    removed: int    # rows the batch had added, deleted
    restored: int   # rows the batch had changed, put back


def undo_batch(engine: Engine, batch_id: int,
               on_wait: Callable[[str], None] | None = None) -> UndoResult:
    """Puts every row the batch wrote back as it was, in one transaction; refused (Chinese
    message) when a later batch wrote the same cases or places, or the batch is the demo's."""
    b, changes = schema.import_batches, schema.batch_changes
    with explained("撤销导入"), import_transaction(engine, on_wait) as conn:
        found = conn.execute(select(b).where(b.c.id == batch_id)).first()
        if found is None:
            raise ImportRefused(f"没有编号为 {batch_id} 的导入批次")
        if found.is_demo:
            raise ImportRefused("演示数据不能撤销，请用“清除演示数据”")
        if found.undone_at is not None:
            raise ImportRefused(f"第 {batch_id} 批导入已于 {found.undone_at} 撤销过")
        own = conn.execute(select(changes.c.table_name, changes.c.row_key, changes.c.before)
                           .where(changes.c.batch_id == batch_id)).fetchall()
        for family in sorted({FAMILIES[r.table_name] for r in own}):
            tables = [t for t, f in FAMILIES.items() if f == family]
            later = conn.execute(
                select(func.min(changes.c.batch_id)).select_from(
                    changes.join(b, b.c.id == changes.c.batch_id))
                .where(changes.c.batch_id > batch_id, b.c.undone_at.is_(None),
                       changes.c.table_name.in_(tables),
                       changes.c.row_key.in_(select(changes.c.row_key).where(
                           changes.c.batch_id == batch_id, changes.c.table_name.in_(tables))))
            ).scalar()
            if later is not None:
                what = "信访件" if family == "case" else "区划或单位"
                raise ImportRefused(f"不能撤销第 {batch_id} 批：之后的第 {later} 批导入又写入了其中的"
                                    f"{what}。请先撤销第 {later} 批（及其后依赖它的批次）。")
        case_keys = sorted({r.row_key for r in own if FAMILIES[r.table_name] == "case"})
        months, petitioners = _case_facts(conn, case_keys)
        ids_before = case_ids(conn, case_keys)
        removed = restored = 0
        for name in CHILDREN_FIRST:
            table, key = TABLES[name], KEYS[name]
            added = [r.row_key for r in own if r.table_name == name and r.before is None]
            for start in range(0, len(added), CHUNK):
                removed += conn.execute(table.delete().where(
                    table.c[key].in_(added[start:start + CHUNK]))).rowcount
        for name in reversed(CHILDREN_FIRST):
            table, key = TABLES[name], KEYS[name]
            for r in own:
                if r.table_name != name or r.before is None:
                    continue
                values = _typed(table, json.loads(r.before))
                exists = conn.execute(select(table.c[key]).where(table.c[key] == r.row_key)).first()
                if exists:
                    conn.execute(table.update().where(table.c[key] == r.row_key).values(
                        **{c: v for c, v in values.items() if c not in ("id", key)}))
                else:
                    conn.execute(table.insert().values(**values))
                restored += 1
        if case_keys:
            after_months, after_keys = _case_facts(conn, case_keys)
            _recompute(conn, months | after_months, petitioners | after_keys, removed)
            search_index.refresh(conn, sorted(set(ids_before) | set(case_ids(conn, case_keys))))
        if found.kind in ("regions", "boundaries") and conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('units', 'id'), "
                              "COALESCE((SELECT MAX(id) FROM units), 1))"))
        conn.execute(b.update().where(b.c.id == batch_id).values(undone_at=now()))
    return UndoResult(batch_id, found.kind, removed, restored)


def _recompute(conn: Connection, months: set[date], keys: set[str], removed: int) -> int:
    """Rollups after cases were removed or put back: cleared when no case is left, rebuilt when
    what was removed outweighs what is left (so the tables equal a rebuild), else refreshed for
    the months and petitioners concerned. Returns the cases left."""
    left = conn.execute(select(func.count()).select_from(schema.cases)).scalar()
    if left == 0:
        for table in (schema.rollup_daily, schema.rollup_monthly, schema.rollup_grid,
                      schema.rollup_arrivals, schema.rollup_arrivals_monthly,
                      schema.rollup_petitioners):
            conn.execute(table.delete())
    elif removed >= left:
        rollups.rebuild_steps(conn)
        rollups.fill_petitioners(conn)
    elif months or keys:
        rollups.refresh(conn, months)
        rollups.recount_petitioners(conn, keys)
    return left


def case_ids(conn: Connection, case_nos: list[str]) -> list[int]:
    """The ids of these cases as they are now."""
    ids: list[int] = []
    for start in range(0, len(case_nos), CHUNK):
        ids.extend(r[0] for r in conn.execute(select(schema.cases.c.id).where(
            schema.cases.c.case_no.in_(case_nos[start:start + CHUNK]))))
    return ids


def _case_facts(conn: Connection, case_nos: list[str]) -> tuple[set[date], set[str]]:
    """The registration months and petitioner keys of these cases as they are now."""
    months, keys = set(), set()
    c = schema.cases
    for start in range(0, len(case_nos), CHUNK):
        for received, key in conn.execute(select(c.c.received_on, c.c.petitioner_key).where(
                c.c.case_no.in_(case_nos[start:start + CHUNK]))):
            months.add(rollups.as_date(received).replace(day=1))
            if key:
                keys.add(key)
    return months, keys


# ---- demo data --------------------------------------------------------------------------------

def _demo_batches():
    return select(schema.import_batches.c.id).where(schema.import_batches.c.is_demo.is_(True))


def has_demo_cases(engine: Engine) -> bool:
    """Whether any case belongs to the demo (one index lookup, not a count of a large table;
    read from the database, never from a cache)."""
    with explained("读取演示数据"), engine.connect() as conn:
        return conn.execute(select(schema.cases.c.id).where(
            schema.cases.c.batch_id.in_(_demo_batches())).limit(1)).first() is not None


def demo_case_count(engine: Engine) -> int:
    """How many cases belong to the demo (read from the database, never from a cache)."""
    with explained("读取演示数据"), engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.cases).where(
            schema.cases.c.batch_id.in_(_demo_batches()))).scalar() or 0


def remove_demo_cases(engine: Engine, on_wait: Callable[[str], None] | None = None) -> int:
    """Deletes the demo's cases with their key cases, evaluations and events, in one step, under
    the import lock; cases imported by the office are kept, and the rollups recomputed for the
    months the demo touched. Places and units stay (real names and codes)."""
    c = schema.cases
    with explained("清除演示数据"), import_transaction(engine, on_wait) as conn:
        demo = select(c.c.case_no).where(c.c.batch_id.in_(_demo_batches()))
        days, keys = set(), set()
        for received, key in conn.execute(select(c.c.received_on, c.c.petitioner_key)
                                          .where(c.c.batch_id.in_(_demo_batches()))
                                          .distinct()):
            days.add(rollups.as_date(received).replace(day=1))
            if key:
                keys.add(key)
        ids = [r[0] for r in conn.execute(select(c.c.id).where(c.c.batch_id.in_(_demo_batches())))]
        for table in (schema.case_events, schema.evaluations, schema.key_cases):
            conn.execute(table.delete().where(table.c.case_no.in_(demo)))
        removed = conn.execute(c.delete().where(c.c.batch_id.in_(_demo_batches()))).rowcount
        left = _recompute(conn, days, keys, removed)
        if removed >= left:
            search_index.rebuild(conn)
        else:
            search_index.refresh(conn, ids)
        conn.execute(schema.settings.delete().where(schema.settings.c.key.in_(
            [schema.AS_OF_KEY, "demo_profile", "demo_seed", "planted_clusters"])))
        write_setting(conn, schema.DEMO_BANNER_KEY, "real" if left else "empty")
        conn.execute(schema.import_batches.update().where(
            schema.import_batches.c.is_demo.is_(True), schema.import_batches.c.undone_at.is_(None)
        ).values(undone_at=now()))
    return removed
