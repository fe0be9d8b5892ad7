"""Covering indexes for the large-data paths: the open-case index also holds the deadline and the
registration day (overdue lists read it without touching the cases), the registration-day index
also holds the petitioner key (repeat petitioners), a second one the position (the map's density
for the current month), and the case events are indexed by case, kind
and day (督办 counts per overdue case).

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from data.rollups import analyze

    op.drop_index("ix_cases_open", "cases")
    op.create_index("ix_cases_open", "cases", ["closed_on", "due_on", "extended_due_on", "received_on"])
    op.drop_index("ix_cases_received_on", "cases")
    op.create_index("ix_cases_received_petitioner", "cases", ["received_on", "petitioner_key"])
    op.create_index("ix_cases_received_position", "cases", ["received_on", "lon", "lat"])
    op.drop_index("ix_case_events_case_no", "case_events")
    op.create_index("ix_case_events_case_kind_day", "case_events", ["case_no", "kind", "happened_on"])
    analyze(op.get_bind())  # planner statistics for the new indexes


def downgrade() -> None:
    op.drop_index("ix_case_events_case_kind_day", "case_events")
    op.create_index("ix_case_events_case_no", "case_events", ["case_no"])
    op.drop_index("ix_cases_received_position", "cases")
    op.drop_index("ix_cases_received_petitioner", "cases")
    op.create_index("ix_cases_received_on", "cases", ["received_on"])
    op.drop_index("ix_cases_open", "cases")
    op.create_index("ix_cases_open", "cases", ["closed_on", "due_on"])
