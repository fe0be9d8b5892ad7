"""Failures are explained in Chinese, never shown raw: a database lost mid-session (PostgreSQL
behind a proxy the test cuts and restores, its connections killed), a read-only SQLite file, and a
database error carrying a petitioner's details, on pages and in the command line."""
from __future__ import annotations

import logging
import re
import socket
import subprocess
import sys
import threading
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from data import schema
from data.database import PROJECT_DIR, make_engine, migrate
from data.failures import CONNECTION_LOST, READ_ONLY, explain
from tests.conftest import POSTGRES_REQUIRED, POSTGRES_URL
from tests.fixture_cases import load_fixture
from tests.signin import add_test_accounts, signed_in_app, titles

PERSON = {"petitioner_name": "欧阳秘密", "petitioner_phone": "13912345678",
          "petitioner_id_no": "530302199001011234"}
RAW = re.compile(r"Traceback|psycopg|sqlite3|SELECT|INSERT|OperationalError|File \"")


class Proxy:
    """A TCP proxy to PostgreSQL that the test can cut (every connection and the listener) and
    restore on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone does not
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.sockets.clear()


def shown(at: AppTest) -> str:
    """The page's texts, the figure cards (one HTML element per row) with them."""
    return "\n".join([e.value for kind in ("markdown", "caption", "error", "warning", "info",
                                           "title", "subheader") for e in getattr(at, kind)]
                     + [e.proto.body for e in at.get("html")])


def headline(at: AppTest) -> str:
    """The 信访总量 card's value."""
    match = re.search(r"信访总量</div><div[^>]*>([^<]*)<", shown(at))
    return match.group(1) if match else ""


def fresh_run(at: AppTest) -> None:
    """A rerun that must ask the database (what a changed filter does): cached results dropped."""
    from ui.database import clear_cached_queries

    clear_cached_queries()
    at.run()


@pytest.fixture()
def postgres_database(postgres_problem):
    """A database of its own (the app's URL cannot carry a schema), with the fixture loaded."""
    if postgres_problem:
        if POSTGRES_REQUIRED:
            pytest.fail(postgres_problem)
        pytest.skip(postgres_problem)
    name = f"outage_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(POSTGRES_URL).set(database=name)
    engine = make_engine(url.render_as_string(hide_password=False))
    migrate(engine)
    load_fixture(engine)
    add_test_accounts(engine)
    engine.dispose()
    yield url, admin, name
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def test_postgres_lost_mid_session_explained_and_recovered(postgres_database, monkeypatch):
    url, admin, name = postgres_database
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    app_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", app_url)
    at = signed_in_app(**{"from": "2025-01", "to": "2025-03"})
    assert not at.exception and headline(at) == "12 件"

    # The server kills every connection of the app (as a restart does): the next page just works.
    with admin.connect() as conn:
        killed = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name}).scalar()
    assert killed >= 1
    fresh_run(at)
    assert not at.exception and not at.error and headline(at) == "12 件"

    # The network to the database is cut: a Chinese message, no stack trace, no SQL.
    proxy.cut()
    fresh_run(at)
    assert not at.exception
    assert [e.value for e in at.error] and CONNECTION_LOST[:12] in at.error[0].value
    assert not RAW.search(shown(at)), shown(at)
    fresh_run(at)  # still down: still the message
    assert CONNECTION_LOST[:12] in at.error[0].value

    # It comes back: the same session recovers without a restart.
    proxy.start()
    fresh_run(at)
    assert not at.exception and not at.error and headline(at) == "12 件"
    at.switch_page("pages/dispatch.py").run()
    assert not at.exception and not at.error and titles(at)[0] == "月度调度"
    proxy.cut()


@pytest.fixture()
def office_db(tmp_path):
    path = tmp_path / "office.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    load_fixture(engine)
    add_test_accounts(engine)
    engine.dispose()
    return path


def test_read_only_sqlite_pages_read_and_writes_explained(office_db, monkeypatch):
    # Signing in is written down (audit log), so the office signs in before the file turns
    # read-only (e.g. the disk is remounted read-only during a repair).
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{office_db}")
    at = signed_in_app(**{"from": "2025-01", "to": "2025-03"})
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///file:{office_db}?mode=ro&uri=true")
    at.run()
    assert not at.exception and not at.error and headline(at) == "12 件"
    for page in ("pages/situation_map.py", "pages/satisfaction.py", "pages/ranking.py",
                 "pages/alerts.py", "pages/dispatch.py"):
        at.switch_page(page).run()
        assert not at.exception and not at.error, (page, [e.value for e in at.error])
    written = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "cli.py"), "rollup", "--url",
         f"sqlite:///file:{office_db}?mode=ro&uri=true"],
        capture_output=True, text=True, cwd=PROJECT_DIR, timeout=300)
    assert written.returncode == 2 and READ_ONLY[:12] in written.stderr
    assert not RAW.search(written.stderr + written.stdout)


def _failing_write(engine):
    """A real database error whose statement carries a petitioner's details."""
    with engine.begin() as conn:
        conn.execute(schema.cases.insert(), {"case_no": "A1", "received_on": None, **PERSON})


def test_database_error_with_personal_data_never_shown_or_logged(fixture_engine, caplog):
    with pytest.raises(Exception) as raised:
        _failing_write(fixture_engine)
    with caplog.at_level(logging.ERROR, logger="xinfang"):
        message = explain(raised.value, "test")
    logged = caplog.text
    assert "错误编号" in message and "未写入" in message
    for value in PERSON.values():
        assert value not in message and value not in logged
    reference = re.search(r"错误编号 (\w+)", message).group(1)
    assert reference in logged and "INSERT INTO cases" in logged


def test_page_failure_shows_chinese_message_not_the_error(office_db, monkeypatch):
    import queries.overview

    def broken(engine, filters):
        _failing_write(engine)

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{office_db}")
    monkeypatch.setattr(queries.overview, "headline_figures", broken)
    at = signed_in_app()
    assert not at.exception
    assert at.error and "数据库拒绝了要写入的数据" in at.error[0].value
    everything = shown(at)
    assert not RAW.search(everything)
    for value in PERSON.values():
        assert value not in everything


def test_cli_failure_shows_chinese_message_not_the_error(fixture_engine, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    import cli
    import data.rollups

    monkeypatch.setattr(cli, "_engine", lambda url: fixture_engine)
    monkeypatch.setattr(cli, "LOG_PATH", tmp_path / "cli-errors.log")
    monkeypatch.setattr(data.rollups, "rebuild_all", _failing_write)
    result = CliRunner().invoke(cli.app, ["rollup"])
    assert result.exit_code == 2
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "错误：数据库拒绝了要写入的数据" in output and str(tmp_path) in output
    assert not RAW.search(output)
    logged = (tmp_path / "cli-errors.log").read_text(encoding="utf-8")
    assert "IntegrityError" in logged
    for value in PERSON.values():
        assert value not in output and value not in logged


def test_streamlit_shows_no_error_details():
    import tomllib

    config = tomllib.loads((PROJECT_DIR / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
