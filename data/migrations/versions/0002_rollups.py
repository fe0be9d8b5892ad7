"""Rollup tables of the cases' figures as dated steps (data/rollups.py); an index for the newest
dissatisfied evaluations.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MEASURES = (
    "case_count", "person_count", "collective_count", "collective_person_count",
    "to_city_count", "to_city_person_count", "to_province_count", "to_province_person_count",
    "to_beijing_count", "to_beijing_person_count", "repeat_num", "open_count", "overdue_count",
    "closed_events", "closed_late_events", "resolved_events", "dispatched_events",
    "handling_days_sum", "handling_count", "timely_accept_num", "timely_accept_den",
    "ontime_close_num", "ontime_close_den", "participation_num", "participation_den",
    "satisfaction_num", "satisfaction_den", "satisfaction_strict_num",
)


def upgrade() -> None:
    for name, step in (("rollup_daily", "step_day"), ("rollup_monthly", "step_month")):
        op.create_table(
            name,
            sa.Column("cube", sa.String(1), primary_key=True),
            sa.Column(step, sa.Date, primary_key=True),
            sa.Column("received_month", sa.Date, primary_key=True),
            sa.Column("county_code", sa.String(12), primary_key=True),
            sa.Column("member", sa.String(64), primary_key=True),
            *[sa.Column(m, sa.Integer, nullable=False) for m in MEASURES],
            sqlite_with_rowid=False,
        )
    op.create_table(
        "rollup_grid",
        sa.Column("received_month", sa.Date, primary_key=True),
        sa.Column("county_code", sa.String(12), primary_key=True),
        sa.Column("township_code", sa.String(12), primary_key=True),
        sa.Column("lon_cell", sa.Integer, primary_key=True),
        sa.Column("lat_cell", sa.Integer, primary_key=True),
        sa.Column("case_count", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    for name, day in (("rollup_arrivals", "received_on"), ("rollup_arrivals_monthly", "month")):
        op.create_table(
            name,
            sa.Column(day, sa.Date, primary_key=True),
            sa.Column("county_code", sa.String(12), primary_key=True),
            sa.Column("township_code", sa.String(12), primary_key=True),
            sa.Column("category", sa.String(32), primary_key=True),
            *[sa.Column(m, sa.Integer, nullable=False) for m in (
                "case_count", "collective_count", "to_city_count", "to_province_count",
                "to_beijing_count")],
            sqlite_with_rowid=False,
        )
    op.create_index("ix_evaluations_result_day", "evaluations", ["result", "evaluated_on"])
    # Existing databases: the rollups of the cases already there are computed by 0010, in the
    # form the code has from then on.


def downgrade() -> None:
    op.drop_index("ix_evaluations_result_day", "evaluations")
    op.drop_table("rollup_arrivals_monthly")
    op.drop_table("rollup_arrivals")
    op.drop_table("rollup_grid")
    op.drop_table("rollup_monthly")
    op.drop_table("rollup_daily")
