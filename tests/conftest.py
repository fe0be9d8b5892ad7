"""Databases for the tests: a SQLite file and a real PostgreSQL, each test in a fresh schema."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from data.database import make_engine, migrate

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
POSTGRES_REQUIRED = os.environ.get("REQUIRE_POSTGRES") == "1"


def _postgres_available() -> str | None:
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means: no server here
        return f"{exc.__class__.__name__}: {exc}".splitlines()[0]


@pytest.fixture(scope="session")
def postgres_problem():
    return _postgres_available()


def _new_engine(backend: str, tmp_path, postgres_problem):
    """A migrated, empty database of the backend and a function that drops it."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        migrate(engine)
        return engine, engine.dispose
    if postgres_problem:
        message = f"PostgreSQL not reachable at TEST_DATABASE_URL ({postgres_problem})"
        if POSTGRES_REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_engine(POSTGRES_URL).url
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    migrate(engine)

    def drop():
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    return engine, drop


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path, postgres_problem):
    engine, drop = _new_engine(request.param, tmp_path, postgres_problem)
    yield engine
    drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def fixture_engine(request, tmp_path, postgres_problem):
    """The hand-computed fixture of tests/fixture_cases.py on each backend."""
    from tests.fixture_cases import load_fixture

    engine, drop = _new_engine(request.param, tmp_path, postgres_problem)
    load_fixture(engine)
    yield engine
    drop()


@pytest.fixture()
def app_db(tmp_path, monkeypatch):
    """The hand-computed fixture in a SQLite file with the test accounts, as the app's database."""
    from tests.fixture_cases import load_fixture
    from tests.signin import add_test_accounts

    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_fixture(engine)
    add_test_accounts(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    yield engine
    engine.dispose()
