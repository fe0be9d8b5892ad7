"""The text search structures over the cases, and keeping them in step with the case table.

SQLite: two FTS5 tables keyed by the case id. `case_text` (trigram tokenizer) holds the case
number and summary and answers any substring of three characters or more; `case_bigrams`
(unicode61 tokenizer) holds each summary's distinct two-character pairs, one token each, and
answers two-character words, which the trigram index cannot. Both are derived data: `refresh`
rewrites the rows of given cases, `rebuild` all of them.

PostgreSQL: GIN indexes on the case table itself (pg_trgm on the summary and case number, and
one over the summary's character pairs), which the database keeps in step by itself.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import Connection, text

SQLITE_TABLES = ("case_text", "case_bigrams")
POSTGRES_INDEXES = ("ix_cases_summary_trgm", "ix_cases_case_no_trgm", "ix_cases_summary_bigrams")
CHUNK = 20_000


def is_search_object(name: str | None) -> bool:
    """True for the tables and indexes above (and FTS5's own shadow tables)."""
    return bool(name) and (name in POSTGRES_INDEXES
                           or any(name == t or name.startswith(f"{t}_") for t in SQLITE_TABLES))


def bigrams(summary: str | None) -> str:
    """The distinct two-character pairs of letters and digits in a summary, space-separated."""
    if not summary:
        return ""
    pairs = {summary[i:i + 2] for i in range(len(summary) - 1)}
    return " ".join(sorted(p for p in pairs if p.isalnum()))


def create(conn: Connection) -> None:
    """Creates the structures (empty on SQLite; PostgreSQL builds its indexes at once)."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("CREATE VIRTUAL TABLE case_text USING fts5(doc, tokenize = 'trigram')"))
        conn.execute(text("CREATE VIRTUAL TABLE case_bigrams USING fts5(doc, tokenize = 'unicode61')"))
        return
    ops = _trigram_ops(conn)
    conn.execute(text(f"CREATE INDEX ix_cases_summary_trgm ON cases USING gin (summary {ops})"))
    conn.execute(text(f"CREATE INDEX ix_cases_case_no_trgm ON cases USING gin (case_no {ops})"))
    conn.execute(text(
        "CREATE FUNCTION xf_bigrams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        "AS $$ SELECT COALESCE(array_agg(DISTINCT substr(t, i, 2)), '{}') "
        "FROM generate_series(1, length(t) - 1) AS i $$"))
    conn.execute(text("CREATE INDEX ix_cases_summary_bigrams ON cases USING gin (xf_bigrams(summary))"))


def drop(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for table in SQLITE_TABLES:
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        return
    for index in POSTGRES_INDEXES:
        conn.execute(text(f"DROP INDEX IF EXISTS {index}"))
    conn.execute(text("DROP FUNCTION IF EXISTS xf_bigrams(text)"))


def _trigram_ops(conn: Connection) -> str:
    """pg_trgm's GIN operator class, schema-qualified (the extension lives in one schema of the
    database); creates the extension when it is missing, or says how to."""
    found = conn.execute(text(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")).scalar()
    if found is None:
        try:
            with conn.begin_nested():
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"))
        except Exception as exc:  # noqa: BLE001 - any refusal gets the same advice
            raise RuntimeError(
                "PostgreSQL 缺少 pg_trgm 扩展（综合查询的全文检索需要它）：请由数据库管理员执行 "
                "CREATE EXTENSION pg_trgm;（Debian/Ubuntu 需安装 postgresql-contrib）后重试") from exc
        found = "public"
    return f"{found}.gin_trgm_ops"


def refresh(conn: Connection, case_ids: Iterable[int] | None = None) -> None:
    """Rewrites the search rows of the given cases (every case when None), inside the caller's
    transaction; ids of deleted cases just lose their rows. Nothing to do on PostgreSQL."""
    if conn.dialect.name != "sqlite":
        return
    if case_ids is None:
        for table in SQLITE_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
        _fill(conn, "1 = 1", {})
        return
    ids = sorted({int(i) for i in case_ids})
    if not ids:
        return
    # The ids as a temporary table: one statement per step, whatever their number.
    conn.execute(text("DROP TABLE IF EXISTS search_refresh"))
    conn.execute(text("CREATE TEMPORARY TABLE search_refresh (id INTEGER PRIMARY KEY)"))
    conn.exec_driver_sql("INSERT INTO search_refresh (id) VALUES (?)", [(i,) for i in ids])
    for table in SQLITE_TABLES:
        conn.execute(text(f"DELETE FROM {table} WHERE rowid IN (SELECT id FROM search_refresh)"))
    _fill(conn, "id IN (SELECT id FROM search_refresh)", {})
    conn.execute(text("DROP TABLE search_refresh"))


def rebuild(conn: Connection) -> None:
    refresh(conn, None)


def _fill(conn: Connection, where: str, params: dict) -> None:
    conn.execute(text(f"INSERT INTO case_text (rowid, doc) SELECT id, case_no || ' ' || "
                      f"COALESCE(summary, '') FROM cases WHERE {where}"), params)
    after = -1
    while True:  # in windows of ids: a million summaries need not sit in memory at once
        batch = conn.execute(text(f"SELECT id, summary FROM cases WHERE {where} AND id > :after "
                                  f"ORDER BY id LIMIT {CHUNK}"), {**params, "after": after}).fetchall()
        if not batch:
            return
        conn.exec_driver_sql("INSERT INTO case_bigrams (rowid, doc) VALUES (?, ?)",
                             [(case_id, bigrams(summary)) for case_id, summary in batch])
        after = batch[-1][0]
