"""Initial case database.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_code", sa.String(12)),
        sa.Column("lon", sa.Float),
        sa.Column("lat", sa.Float),
        sa.Column("population", sa.Integer),
        sa.Column("boundary", sa.Text),
        sa.Column("boundary_schematic", sa.Boolean, nullable=False),
    )
    op.create_index("ix_regions_parent_code", "regions", ["parent_code"])
    op.create_table(
        "units",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("region_code", sa.String(12), sa.ForeignKey("regions.code"), nullable=False),
    )
    op.create_index("ix_units_region_code", "units", ["region_code"])
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_no", sa.String(40), nullable=False, unique=True),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("person_count", sa.Integer, nullable=False),
        sa.Column("is_collective", sa.Boolean, nullable=False),
        sa.Column("escalation", sa.String(8), nullable=False),
        sa.Column("is_repeat", sa.Boolean, nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("subcategory", sa.String(64)),
        sa.Column("purpose", sa.String(16)),
        sa.Column("county_code", sa.String(12), sa.ForeignKey("regions.code")),
        sa.Column("township_code", sa.String(12), sa.ForeignKey("regions.code")),
        sa.Column("village_code", sa.String(12)),
        sa.Column("lon", sa.Float),
        sa.Column("lat", sa.Float),
        sa.Column("summary", sa.Text),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id")),
        sa.Column("dispatched_on", sa.Date),
        sa.Column("accepted_on", sa.Date),
        sa.Column("due_on", sa.Date),
        sa.Column("extended_due_on", sa.Date),
        sa.Column("closed_on", sa.Date),
        sa.Column("resolved_on", sa.Date),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("list_type", sa.String(16)),
        sa.Column("petitioner_name", sa.String(64)),
        sa.Column("petitioner_phone", sa.String(32)),
        sa.Column("petitioner_id_no", sa.String(32)),
        sa.Column("petitioner_key", sa.String(64)),
    )
    op.create_index("ix_cases_received_on", "cases", ["received_on"])
    op.create_index("ix_cases_county_received", "cases", ["county_code", "received_on"])
    op.create_index("ix_cases_township_received", "cases", ["township_code", "received_on"])
    op.create_index("ix_cases_unit", "cases", ["unit_id"])
    op.create_index("ix_cases_open", "cases", ["closed_on", "due_on"])
    op.create_index("ix_cases_petitioner_key", "cases", ["petitioner_key"])
    op.create_table(
        "key_cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_no", sa.String(40), sa.ForeignKey("cases.case_no"), nullable=False,
                  unique=True),
        sa.Column("listed_on", sa.Date, nullable=False),
        sa.Column("leader", sa.String(64), nullable=False),
        sa.Column("requirements", sa.Text),
        sa.Column("resolve_by", sa.Date, nullable=False),
        sa.Column("progress_pct", sa.Integer, nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("cleared_on", sa.Date),
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_no", sa.String(40), sa.ForeignKey("cases.case_no"), nullable=False,
                  unique=True),
        sa.Column("evaluated_on", sa.Date, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("result", sa.String(8), nullable=False),
    )
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_no", sa.String(40), sa.ForeignKey("cases.case_no"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("happened_on", sa.Date, nullable=False),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_case_events_case_no", "case_events", ["case_no"])
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("settings", "case_events", "evaluations", "key_cases", "cases", "units", "regions"):
        op.drop_table(name)
