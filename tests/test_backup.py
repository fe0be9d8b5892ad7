"""cli.py backup / restore: a round trip gives back every case, rollup and setting; bad files and
overwrites are refused in Chinese; PostgreSQL is pointed to pg_dump."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text

from data.database import PROJECT_DIR, make_engine, migrate, write_setting
from tests.conftest import POSTGRES_URL
from tests.fixture_cases import load_fixture

TABLES = ("regions", "units", "cases", "key_cases", "evaluations", "case_events", "settings",
          "rollup_monthly", "rollup_daily", "rollup_grid", "rollup_arrivals", "rollup_petitioners")


def cli(*args):
    return subprocess.run([sys.executable, str(PROJECT_DIR / "cli.py"), *args], capture_output=True,
                          text=True, cwd=PROJECT_DIR, timeout=300)


def contents(path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}
    finally:
        conn.close()


@pytest.fixture()
def office_db(tmp_path):
    path = tmp_path / "office.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    load_fixture(engine)
    engine.dispose()
    return path


def test_round_trip_gives_back_every_row(office_db, tmp_path):
    before = contents(office_db)
    assert len(before["cases"]) == 14 and before["rollup_monthly"] and before["settings"]
    out = tmp_path / "backups" / "office-backup.db"
    made = cli("backup", "--url", f"sqlite:///{office_db}", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert "已备份到" in made.stdout and "信访件 14 件" in made.stdout

    engine = make_engine(f"sqlite:///{office_db}")  # the office keeps working, then loses it
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM evaluations"))
        conn.execute(text("DELETE FROM rollup_monthly"))
        write_setting(conn, "as_of", "2030-01-01")
    engine.dispose()
    assert contents(office_db) != before

    refused = cli("restore", str(out), "--url", f"sqlite:///{office_db}")
    assert refused.returncode == 2 and "--force" in refused.stderr and "已存在" in refused.stderr
    assert contents(office_db) != before  # nothing touched

    restored = cli("restore", str(out), "--url", f"sqlite:///{office_db}", "--force")
    assert restored.returncode == 0, restored.stderr
    assert contents(office_db) == before
    kept = [p for p in office_db.parent.iterdir() if "before-restore" in p.name]
    assert len(kept) == 1 and contents(kept[0])["settings"] != before["settings"]

    fresh = tmp_path / "new" / "xinfang.db"  # restore onto a new machine: no --force needed
    assert cli("restore", str(out), "--url", f"sqlite:///{fresh}").returncode == 0
    assert contents(fresh) == before


def test_backup_is_consistent_while_the_app_writes(office_db, tmp_path):
    """Writes running during the backup: the copy is a sound database with whole transactions."""
    from data.backup import backup, check_backup

    stop = threading.Event()

    def writer():
        conn = sqlite3.connect(office_db, timeout=30)
        i = 0
        while not stop.is_set():
            with conn:  # one transaction: a pair of rows that must travel together
                conn.execute("INSERT INTO settings(key, value) VALUES (?, 'a')", (f"w{i}a",))
                conn.execute("INSERT INTO settings(key, value) VALUES (?, 'b')", (f"w{i}b",))
            i += 1
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        copies = [backup(f"sqlite:///{office_db}", tmp_path / f"copy{n}.db") for n in range(5)]
    finally:
        stop.set()
        thread.join()
    for facts in copies:
        assert check_backup(facts.path).case_count == 14
        keys = {k for (k,) in sqlite3.connect(facts.path).execute(
            "SELECT key FROM settings WHERE key LIKE 'w%'")}
        assert {k[:-1] for k in keys if k.endswith("a")} == {k[:-1] for k in keys if k.endswith("b")}


def test_bad_backups_are_refused(tmp_path, office_db):
    target = tmp_path / "target.db"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    result = cli("restore", str(junk), "--url", f"sqlite:///{target}")
    assert result.returncode == 2 and "不是 SQLite 数据库文件" in result.stderr

    other = tmp_path / "other.db"  # a SQLite file of some other program
    sqlite3.connect(other).execute("CREATE TABLE things (x)").connection.commit()
    result = cli("restore", str(other), "--url", f"sqlite:///{target}")
    assert result.returncode == 2 and "不是本系统的备份" in result.stderr

    newer = tmp_path / "newer.db"  # from a later version of the program
    assert cli("backup", "--url", f"sqlite:///{office_db}", "--out", str(newer)).returncode == 0
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    result = cli("restore", str(newer), "--url", f"sqlite:///{target}")
    assert result.returncode == 2 and "9999" in result.stderr and "版本" in result.stderr

    broken = tmp_path / "broken.db"  # a cut-off copy
    data = (tmp_path / "newer.db").read_bytes()
    broken.write_bytes(data[: len(data) // 3])
    result = cli("restore", str(broken), "--url", f"sqlite:///{target}")
    assert result.returncode == 2 and ("损坏" in result.stderr or "无法作为" in result.stderr)
    for result_text in (result.stderr,):
        assert "Traceback" not in result_text
    assert not target.exists()  # nothing was written by any refusal

    missing = cli("backup", "--url", f"sqlite:///{tmp_path / 'nothing.db'}", "--out",
                  str(tmp_path / "b.db"))
    assert missing.returncode == 2 and "数据库文件不存在" in missing.stderr
    assert not (tmp_path / "nothing.db").exists()


def test_postgresql_is_pointed_to_pg_dump(tmp_path, postgres_problem):
    if postgres_problem:
        pytest.skip(postgres_problem)
    for args in (("backup", "--out", str(tmp_path / "p.db")), ("restore", str(tmp_path / "p.db"))):
        result = cli(*args, "--url", POSTGRES_URL)
        assert result.returncode == 2 and "pg_dump" in result.stderr, result.stderr
