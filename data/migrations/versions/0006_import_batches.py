"""Import batches: every import (and the demo) is a batch with its file, SHA-256, rows, time and
who; rows carry the batch that wrote them, and each row's state before the batch is kept, so that a
batch can be undone and only the demo's cases are removed as demo data. A database whose cases are
all demo (the data_source setting says so) gets one demo batch holding them; cases of any other
database stay unmarked, that is real.

Revision ID: 0006
Revises: 0005
"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MARKED = ("cases", "evaluations", "key_cases", "case_events")


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("is_demo", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("undone_at", sa.DateTime),
    )
    op.create_table(
        "batch_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.id"), nullable=False),
        sa.Column("table_name", sa.String(32), nullable=False),
        sa.Column("row_key", sa.String(64), nullable=False),
        sa.Column("before", sa.Text),
    )
    op.create_index("ix_batch_changes_batch", "batch_changes", ["batch_id", "table_name"])
    op.create_index("ix_batch_changes_key", "batch_changes", ["row_key", "batch_id"])
    for table in MARKED:
        op.add_column(table, sa.Column("batch_id", sa.Integer))
    op.create_index("ix_cases_batch", "cases", ["batch_id"])
    conn = op.get_bind()
    source = conn.execute(sa.text("SELECT value FROM settings WHERE key = 'data_source'")).scalar()
    cases = conn.execute(sa.text("SELECT COUNT(*) FROM cases")).scalar()
    if source == "demo" and cases:
        # Every import so far set data_source to 'real': with 'demo', no case was imported.
        batch = conn.execute(sa.text(
            "INSERT INTO import_batches (kind, file_name, file_sha256, row_count, created_at, "
            "created_by, is_demo) VALUES ('demo', '演示数据', '', :rows, :now, 'demo', :yes) "
            "RETURNING id"), {"rows": cases, "now": datetime.now().replace(microsecond=0),
                              "yes": True}).scalar()
        for table in MARKED:
            conn.execute(sa.text(f"UPDATE {table} SET batch_id = :b"), {"b": batch})


def downgrade() -> None:
    op.drop_index("ix_cases_batch", "cases")
    for table in MARKED:
        op.execute(f"ALTER TABLE {table} DROP COLUMN batch_id")
    op.drop_index("ix_batch_changes_key", "batch_changes")
    op.drop_index("ix_batch_changes_batch", "batch_changes")
    op.drop_table("batch_changes")
    op.drop_table("import_batches")
