"""Backup and restore of the SQLite case database with SQLite's online backup API.

A backup is one self-contained SQLite file copied page by page in a single step, so it is a
consistent picture of the database even while the dashboard reads and writes it. A restore first
checks that the file is a sound backup of this program's schema, keeps a copy of the database it
replaces, then copies the backup in and brings its schema up to date. PostgreSQL is backed up with
its own tools (pg_dump / pg_restore, see README).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from data.database import MIGRATIONS_DIR, DatabaseError, make_engine, migrate

SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every revision of the schema has: a backup without them is not one of ours.
CORE_TABLES = ("regions", "units", "cases", "key_cases", "evaluations", "case_events", "settings",
               "alembic_version")
POSTGRES_HINT = ("PostgreSQL 数据库请用 PostgreSQL 自带的 pg_dump 备份、pg_restore 恢复"
                 "（命令见 README“备份与恢复”）。")


@dataclass(frozen=True)
class BackupFacts:
    path: Path
    revision: str
    case_count: int
    size_bytes: int


def sqlite_path(url: str) -> Path:
    """The file of a sqlite:/// URL; a Chinese error for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise DatabaseError(POSTGRES_HINT if parsed.get_backend_name() == "postgresql"
                            else f"只能备份和恢复 SQLite 数据库文件，不支持 {parsed.get_backend_name()}。")
    if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
        raise DatabaseError("备份和恢复需要一个 SQLite 数据库文件的地址，例如 sqlite:///data/xinfang.db。")
    return Path(parsed.database)


def _known_revisions() -> list[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return [s.revision for s in ScriptDirectory.from_config(config).walk_revisions()]


def _open_existing(path: Path, read_only: bool) -> sqlite3.Connection:
    mode = "ro" if read_only else "rw"  # never creates an empty file where none was
    return sqlite3.connect(f"file:{path.resolve()}?mode={mode}", uri=True)


def check_backup(path: Path) -> BackupFacts:
    """What the backup holds; a Chinese error when it is not a sound backup of this schema."""
    if not path.is_file():
        raise DatabaseError(f"备份文件不存在：{path}")
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise DatabaseError(f"{path} 不是 SQLite 数据库文件，不能作为备份恢复。")
    try:
        conn = _open_existing(path, read_only=True)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise DatabaseError(f"备份文件 {path} 已损坏（完整性检查未通过），不能恢复。")
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = [t for t in CORE_TABLES if t not in tables]
            if missing:
                raise DatabaseError(f"{path} 不是本系统的备份：缺少数据表 {'、'.join(missing)}。")
            versions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
            case_count = conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} 无法作为 SQLite 数据库读取（{exc.__class__.__name__}），"
                            "不是有效的备份。") from exc
    if len(versions) != 1:
        raise DatabaseError(f"{path} 的数据库结构版本记录不完整，不能恢复。")
    if versions[0] not in _known_revisions():
        raise DatabaseError(f"{path} 的数据库结构版本 {versions[0]} 不是本程序认识的版本"
                            "（可能来自更新的版本），请用相同或更新版本的程序恢复。")
    return BackupFacts(path, versions[0], case_count, path.stat().st_size)


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    # pages=-1: the whole database in one step, under one read lock: a consistent snapshot.
    source.backup(target, pages=-1)


def backup(url: str, out: Path) -> BackupFacts:
    """Copies the SQLite database of `url` to `out` (written whole, then renamed into place)."""
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise DatabaseError(f"数据库文件不存在：{source_path}")
    if out.resolve() == source_path.resolve():
        raise DatabaseError("备份文件不能与数据库文件相同。")
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    part.unlink(missing_ok=True)
    source = _open_existing(source_path, read_only=False)
    target = sqlite3.connect(part)
    try:
        _copy(source, target)
        target.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
    finally:
        target.close()
        source.close()
    try:
        facts = check_backup(part)
    except DatabaseError:
        part.unlink(missing_ok=True)
        raise
    part.replace(out)
    return BackupFacts(out, facts.revision, facts.case_count, out.stat().st_size)


def restore(backup_file: Path, url: str, force: bool) -> tuple[BackupFacts, Path | None]:
    """Replaces the database of `url` with the backup; returns the backup's facts and where the
    replaced database was kept (None when there was none). Refuses to replace without `force`."""
    target_path = sqlite_path(url)
    facts = check_backup(backup_file)
    if target_path.resolve() == backup_file.resolve():
        raise DatabaseError("备份文件就是当前数据库文件，无需恢复。")
    kept = None
    if target_path.exists() and target_path.stat().st_size > 0:
        if not force:
            raise DatabaseError(
                f"数据库文件 {target_path} 已存在，恢复会用备份替换其中的全部数据。"
                "确认要替换时加 --force（替换前会另存一份当前数据库）。")
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = target_path.with_name(f"{target_path.stem}.before-restore-{stamp}{target_path.suffix}")
        backup(f"sqlite:///{target_path}", kept)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = _open_existing(backup_file, read_only=True)
    target = sqlite3.connect(target_path)
    try:
        _copy(source, target)
    finally:
        target.close()
        source.close()
    engine = make_engine(f"sqlite:///{target_path}")
    try:
        migrate(engine)  # an older backup is brought to this program's schema
    finally:
        engine.dispose()
    return facts, kept
