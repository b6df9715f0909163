"""The store's tables (SQLAlchemy Core): vendors, their scans, each scan's results, and findings.

A *scan* keeps its whole results document (gzip-compressed JSON: exactly what the JSON report
holds, withheld values withheld) so that any report can be rendered again from the store.  The
*results* table repeats the columns queries need (history, diff, trend, the portfolio) so that
they run in SQL or in one pass, without decompressing every document.  A *finding* is one failing
(vendor, rule, account, region, resource) across scans: its life cycle — first seen, last seen,
fixed, reopened — lives there.

A *run* is a distributed scan under way (`runs.py`): what its coordinator needs to plan it again,
and each unit's answer as a worker wrote it, so that a scan whose coordinator died can be resumed
by its id; once the scan is recorded, its run is closed (its answers dropped: the scan holds them).

Key columns never hold NULL (an absent account or region is ``""``): SQL treats NULLs as distinct
in a unique constraint, which would let the same finding be inserted twice.
"""
from __future__ import annotations

from sqlalchemy import (Boolean, Column, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text,
                        UniqueConstraint)

metadata = MetaData()

vendors = Table(
    "vendors", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created", String(32), nullable=False),
)

scans = Table(
    "scans", metadata,
    Column("id", Integer, primary_key=True),
    Column("vendor_id", Integer, ForeignKey("vendors.id"), nullable=False),
    Column("started", String(32), nullable=False),
    Column("finished", String(32), nullable=False),
    Column("recorded", String(32), nullable=False),
    Column("source", String(40), nullable=False),
    Column("origin", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("document", LargeBinary, nullable=False),
    Index("ix_scans_vendor_started", "vendor_id", "started"),
)

findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True),
    Column("vendor_id", Integer, ForeignKey("vendors.id"), nullable=False),
    Column("rule_id", String(80), nullable=False),
    Column("account", String(40), nullable=False),
    Column("region", String(40), nullable=False),
    Column("address", Text, nullable=False),
    Column("source", String(40), nullable=False),
    Column("origin", Text, nullable=False),
    Column("resource_type", String(120), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("state", String(8), nullable=False),  # open | fixed
    Column("first_seen", String(32), nullable=False),
    Column("first_scan_id", Integer, ForeignKey("scans.id"), nullable=False),
    Column("last_seen", String(32), nullable=False),
    Column("last_scan_id", Integer, ForeignKey("scans.id"), nullable=False),
    Column("fixed_at", String(32)),
    Column("fixed_scan_id", Integer, ForeignKey("scans.id")),
    Column("reopened_at", String(32)),
    Column("reopen_count", Integer, nullable=False, default=0),
    Column("waiver", Text),
    UniqueConstraint("vendor_id", "rule_id", "account", "region", "address", name="uq_findings_identity"),
)

results = Table(
    "results", metadata,
    Column("id", Integer, primary_key=True),
    Column("scan_id", Integer, ForeignKey("scans.id"), nullable=False),
    Column("finding_id", Integer, ForeignKey("findings.id")),
    Column("rule_id", String(80), nullable=False),
    Column("status", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("domain", String(40), nullable=False),
    Column("address", Text, nullable=False),
    Column("account", String(40), nullable=False),
    Column("region", String(40), nullable=False),
    Column("controls", Text, nullable=False),
    Column("first_seen", String(32)),
    Column("new", Boolean, nullable=False, default=False),
    Index("ix_results_scan", "scan_id"),
)

runs = Table(
    "runs", metadata,
    Column("id", String(64), primary_key=True),  # the scan's id: its units' task ids are made of it
    Column("vendor", String(200), nullable=False),  # "" for `scan aws` (its store name is decided on recording)
    Column("started", String(32), nullable=False),
    Column("request", Text, nullable=False),  # JSON: target (by reference, no secret), packs, output options
    Column("units", Text, nullable=False),  # JSON: the units as planned, to check a resume plans the same
    Column("finished", String(32)),
    Column("scan_id", Integer, ForeignKey("scans.id")),
)

run_units = Table(
    "run_units", metadata,
    Column("run_id", String(64), ForeignKey("runs.id"), primary_key=True),
    Column("account", String(40), primary_key=True),
    Column("region", String(40), primary_key=True),
    Column("finished", String(32), nullable=False),
    Column("answer", LargeBinary, nullable=False),  # gzip JSON: what the worker answered (redacted resources)
)
