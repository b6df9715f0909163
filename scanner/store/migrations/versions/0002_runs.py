"""Distributed scans under way (runs) and their units' answers, so that a scan whose coordinator
died can be resumed by its id.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("vendor", sa.String(200), nullable=False),
        sa.Column("started", sa.String(32), nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("units", sa.Text, nullable=False),
        sa.Column("finished", sa.String(32)),
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id")),
    )
    op.create_table(
        "run_units",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("account", sa.String(40), primary_key=True),
        sa.Column("region", sa.String(40), primary_key=True),
        sa.Column("finished", sa.String(32), nullable=False),
        sa.Column("answer", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("run_units")
    op.drop_table("runs")
