"""The schema: migrations are idempotent and give exactly the tables the code declares."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from data.database import migrate
from data.search_index import is_search_object
from data.schema import metadata

TABLES = {"regions", "units", "cases", "key_cases", "evaluations", "case_events", "settings"}


def test_migrate_twice_matches_metadata(empty_engine):
    migrate(empty_engine)  # the fixture migrated once already
    assert TABLES <= set(inspect(empty_engine).get_table_names())
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    # The text search structures are made by their own module, not declared as tables.
    assert [d for d in diff if not is_search_object(getattr(d[1], "name", None))] == []


def test_case_indexes_exist(empty_engine):
    names = {ix["name"] for ix in inspect(empty_engine).get_indexes("cases")}
    assert {"ix_cases_received_on", "ix_cases_county_received", "ix_cases_township_received"} <= names
