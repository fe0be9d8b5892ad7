"""Issued circulars and reports (issued_documents): the file as sent, its scheme and figures.

Revision ID: 0007
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("region_code", sa.String(12)),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("doc_number", sa.String(64), nullable=False, unique=True),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("scheme_json", sa.Text),
        sa.Column("figures_json", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime, nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_issued_documents_kind_period", "issued_documents", ["kind", "period"])


def downgrade() -> None:
    op.drop_index("ix_issued_documents_kind_period", "issued_documents")
    op.drop_table("issued_documents")
