"""The first schema: vendors, scans, findings, results.

Revision ID: 0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vendors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created", sa.String(32), nullable=False),
    )
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("vendor_id", sa.Integer, sa.ForeignKey("vendors.id"), nullable=False),
        sa.Column("started", sa.String(32), nullable=False),
        sa.Column("finished", sa.String(32), nullable=False),
        sa.Column("recorded", sa.String(32), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("document", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_scans_vendor_started", "scans", ["vendor_id", "started"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("vendor_id", sa.Integer, sa.ForeignKey("vendors.id"), nullable=False),
        sa.Column("rule_id", sa.String(80), nullable=False),
        sa.Column("account", sa.String(40), nullable=False),
        sa.Column("region", sa.String(40), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("resource_type", sa.String(120), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("first_seen", sa.String(32), nullable=False),
        sa.Column("first_scan_id", sa.Integer, sa.ForeignKey("scans.id"), nullable=False),
        sa.Column("last_seen", sa.String(32), nullable=False),
        sa.Column("last_scan_id", sa.Integer, sa.ForeignKey("scans.id"), nullable=False),
        sa.Column("fixed_at", sa.String(32)),
        sa.Column("fixed_scan_id", sa.Integer, sa.ForeignKey("scans.id")),
        sa.Column("reopened_at", sa.String(32)),
        sa.Column("reopen_count", sa.Integer, nullable=False),
        sa.Column("waiver", sa.Text),
        sa.UniqueConstraint("vendor_id", "rule_id", "account", "region", "address", name="uq_findings_identity"),
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id"), nullable=False),
        sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id")),
        sa.Column("rule_id", sa.String(80), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("domain", sa.String(40), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("account", sa.String(40), nullable=False),
        sa.Column("region", sa.String(40), nullable=False),
        sa.Column("controls", sa.Text, nullable=False),
        sa.Column("first_seen", sa.String(32)),
        sa.Column("new", sa.Boolean, nullable=False),
    )
    op.create_index("ix_results_scan", "results", ["scan_id"])


def downgrade() -> None:
    for table in ("results", "findings", "scans", "vendors"):
        op.drop_table(table)
