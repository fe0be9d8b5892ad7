"""Case search: the petitioner's name, phone and ID number indexed for exact lookups; the text
search structures of data/search_index.py (FTS5 tables on SQLite, pg_trgm and character-pair GIN
indexes on PostgreSQL), filled from the cases already there.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from data import search_index

    op.create_index("ix_cases_petitioner_phone", "cases", ["petitioner_phone"])
    op.create_index("ix_cases_petitioner_id_no", "cases", ["petitioner_id_no"])
    op.create_index("ix_cases_petitioner_name", "cases", ["petitioner_name"])
    conn = op.get_bind()
    search_index.create(conn)
    search_index.rebuild(conn)


def downgrade() -> None:
    from data import search_index

    search_index.drop(op.get_bind())
    op.drop_index("ix_cases_petitioner_name", "cases")
    op.drop_index("ix_cases_petitioner_id_no", "cases")
    op.drop_index("ix_cases_petitioner_phone", "cases")
