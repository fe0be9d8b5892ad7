"""Petitioners with several cases (rollup_petitioners), so that the repeat-petitioner warning
reads only their cases, through an index by petitioner and day; the registration-day index goes
back to the day alone; an index by township, category and day for the cases behind a cluster.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from data.rollups import analyze

    op.create_table(
        "rollup_petitioners",
        sa.Column("petitioner_key", sa.String(64), primary_key=True),
        sa.Column("case_count", sa.Integer, nullable=False),
    )
    op.create_index("ix_rollup_petitioners_count", "rollup_petitioners",
                    ["case_count", "petitioner_key"])
    op.drop_index("ix_cases_petitioner_key", "cases")
    op.create_index("ix_cases_petitioner_received", "cases", ["petitioner_key", "received_on"])
    op.drop_index("ix_cases_received_petitioner", "cases")
    op.create_index("ix_cases_received_on", "cases", ["received_on"])
    op.create_index("ix_cases_township_category", "cases",
                    ["township_code", "category", "received_on", "case_no"])
    from data.rollups import fill_petitioners

    fill_petitioners(op.get_bind())
    analyze(op.get_bind())  # planner statistics for the new indexes


def downgrade() -> None:
    op.drop_index("ix_cases_township_category", "cases")
    op.drop_index("ix_cases_received_on", "cases")
    op.create_index("ix_cases_received_petitioner", "cases", ["received_on", "petitioner_key"])
    op.drop_index("ix_cases_petitioner_received", "cases")
    op.create_index("ix_cases_petitioner_key", "cases", ["petitioner_key"])
    op.drop_index("ix_rollup_petitioners_count", "rollup_petitioners")
    op.drop_table("rollup_petitioners")
