"""Recording a scan: one transaction writes the scan, its results, and its findings' life cycle.

A *finding* is a failing result (FAIL, or WAIVED: accepted, not fixed) identified by (vendor,
rule, account, region, resource address or ARN).  Against the vendor's earlier scans:

- first seen: the scan that first failed it (kept when it reopens); last seen: the latest that did;
- fixed: a later scan that covers it shows PASS / NOT_APPLICABLE, or no longer has the resource;
  an UNKNOWN never fixes anything (fail closed: not seen is not fixed), and a scan that does not
  cover it (another input, a rule not selected, a region not scanned or unreadable) leaves it as is;
- reopened: failing again after it was fixed;
- new: failing now and not failing in the vendor's previous scan of the same source.
"""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from .tables import findings, results, scans, vendors

FAILING = ("FAIL", "WAIVED")
CLEARED = ("PASS", "NOT_APPLICABLE")

Key = tuple[str, str, str, str]


def key_of(result: dict[str, Any]) -> Key:
    """A finding's identity within a vendor: (rule, account, region, address)."""
    return (result["rule_id"], result.get("account") or "", result.get("region") or "", result["address"])


def origin_of(result: dict[str, Any]) -> str:
    """The input a result came from: its file, or its account for a live scan."""
    return result.get("file") or result.get("account") or ""


def scan_source(document: dict[str, Any]) -> str:
    return ",".join(sorted({i["source"] for i in document["scan"]["inputs"]})) or "none"


def default_vendor(document: dict[str, Any]) -> str:
    """A scan's vendor when none is named: the account a live scan read, else the input's file name."""
    inputs = document["scan"]["inputs"]
    if not inputs:
        return "unnamed"
    origin = inputs[0]["origin"]
    return origin if inputs[0]["source"] == "aws" else origin.replace("\\", "/").rsplit("/", 1)[-1]


def pack(document: dict[str, Any]) -> bytes:
    return gzip.compress(json.dumps(document, sort_keys=True, separators=(",", ":")).encode(), 6)


def unpack(blob: bytes) -> dict[str, Any]:
    return json.loads(gzip.decompress(blob))


def record(conn: Connection, document: dict[str, Any], vendor: str) -> dict[str, Any]:
    """Write `document` as a scan of `vendor`; returns the stored document."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    vendor_id = _vendor(conn, vendor, now)
    source = scan_source(document)
    previous = conn.execute(
        select(scans.c.id).where(scans.c.vendor_id == vendor_id, scans.c.source == source)
        .order_by(scans.c.started.desc(), scans.c.id.desc()).limit(1)).scalar()
    was_failing = _failing_keys(conn, previous) if previous is not None else set()
    scan = document["scan"]
    started = scan["started"]
    summary = json.dumps(document["summary"], sort_keys=True)
    scan_id = conn.execute(scans.insert().values(
        vendor_id=vendor_id, started=started, finished=scan["finished"], recorded=now, source=source,
        origin=", ".join(i["origin"] for i in scan["inputs"]), summary=summary, document=b"")).inserted_primary_key[0]

    known = {(row.rule_id, row.account, row.region, row.address): row
             for row in conn.execute(select(findings).where(findings.c.vendor_id == vendor_id))}
    changes = _Changes(vendor_id, scan_id, started)
    for result in document["results"]:
        changes.add(result, known.get(key_of(result)))
    changes.fixed += _absent(document, [f for k, f in known.items() if k not in changes.seen])
    opened = changes.write(conn)

    stored = dict(document, scan={**scan, "id": scan_id, "vendor": vendor})
    stored["results"] = out = []
    rows = []
    for result in document["results"]:
        key = key_of(result)
        finding = known.get(key)
        finding_id = finding.id if finding is not None else opened.get(key)
        first_seen = finding.first_seen if finding is not None else (started if finding_id else None)
        new = result["status"] in FAILING and key not in was_failing
        out.append({**result, "first_seen": first_seen, "new": new})
        rows.append({"scan_id": scan_id, "finding_id": finding_id, "rule_id": result["rule_id"],
                     "status": result["status"], "severity": result["severity"], "domain": result["domain"],
                     "address": result["address"], "account": key[1], "region": key[2],
                     "controls": json.dumps(result.get("controls") or []), "first_seen": first_seen, "new": new})
    for start in range(0, len(rows), BATCH):
        conn.execute(results.insert(), rows[start:start + BATCH])
    conn.execute(update(scans).where(scans.c.id == scan_id).values(document=pack(stored)))
    return stored


#: Rows per bulk statement: a parameter list per statement stays small.
BATCH = 1000


@dataclass
class _Changes:
    """What one scan does to its vendor's findings — opens, keeps, reopens, fixes — gathered
    result by result, then written in a few bulk statements (one per kind of change, not one per
    finding: a 20,000-result scan is kept in seconds, not minutes)."""

    vendor_id: int
    scan_id: int
    started: str
    seen: set[Key] = field(default_factory=set)
    opened: dict[Key, dict[str, Any]] = field(default_factory=dict)
    kept: list[dict[str, Any]] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    fixed: list[int] = field(default_factory=list)

    def add(self, result: dict[str, Any], finding: Any) -> None:
        key = key_of(result)
        self.seen.add(key)
        status = result["status"]
        if status in FAILING:
            waiver = json.dumps(result["waiver"], sort_keys=True) if result.get("waiver") else None
            if finding is None:
                self.opened.setdefault(key, {
                    "vendor_id": self.vendor_id, "rule_id": key[0], "account": key[1], "region": key[2],
                    "address": key[3], "source": result["source"], "origin": origin_of(result),
                    "resource_type": result["resource_type"], "severity": result["severity"],
                    "title": result["title"], "state": "open", "first_seen": self.started,
                    "first_scan_id": self.scan_id, "last_seen": self.started, "last_scan_id": self.scan_id,
                    "reopen_count": 0, "waiver": waiver})
                return
            self.kept.append({"b_id": finding.id, "b_waiver": waiver, "b_severity": result["severity"],
                              "b_title": result["title"]})
            if finding.state == "fixed":
                self.reopened.append(finding.id)
        elif finding is not None and status in CLEARED and finding.state == "open":
            self.fixed.append(finding.id)

    def write(self, conn: Connection) -> dict[Key, int]:
        """Apply the changes; the ids of the findings opened."""
        opened = list(self.opened.values())
        for start in range(0, len(opened), BATCH):
            conn.execute(findings.insert(), opened[start:start + BATCH])
        if self.kept:
            conn.execute(update(findings).where(findings.c.id == bindparam("b_id")).values(
                last_seen=self.started, last_scan_id=self.scan_id, waiver=bindparam("b_waiver"),
                severity=bindparam("b_severity"), title=bindparam("b_title")), self.kept)
        self._by_id(conn, self.reopened, state="open", reopened_at=self.started,
                    reopen_count=findings.c.reopen_count + 1, fixed_at=None, fixed_scan_id=None)
        self._by_id(conn, self.fixed, state="fixed", fixed_at=self.started, fixed_scan_id=self.scan_id)
        if not opened:
            return {}
        rows = conn.execute(select(findings.c.id, findings.c.rule_id, findings.c.account, findings.c.region,
                                   findings.c.address)
                            .where(findings.c.vendor_id == self.vendor_id, findings.c.first_scan_id == self.scan_id))
        return {(r.rule_id, r.account, r.region, r.address): r.id for r in rows}

    @staticmethod
    def _by_id(conn: Connection, ids: list[int], **values: Any) -> None:
        for start in range(0, len(ids), BATCH):
            conn.execute(update(findings).where(findings.c.id.in_(ids[start:start + BATCH])).values(**values))


def _vendor(conn: Connection, name: str, now: str) -> int:
    """The vendor's id, created if new, its row locked (PostgreSQL) until the transaction ends."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    conn.execute(insert(vendors).values(name=name, created=now).on_conflict_do_nothing(index_elements=["name"]))
    query = select(vendors.c.id).where(vendors.c.name == name)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).scalar_one()


def _failing_keys(conn: Connection, scan_id: int) -> set[Key]:
    rows = conn.execute(select(results.c.rule_id, results.c.account, results.c.region, results.c.address)
                        .where(results.c.scan_id == scan_id, results.c.status.in_(FAILING)))
    return {tuple(row) for row in rows}  # type: ignore[misc]


def _absent(document: dict[str, Any], absent: Iterable[Any]) -> list[int]:
    """Open findings this scan covers but no longer has: the resource is gone, so is the finding."""
    covered = _coverage(document)
    return [f.id for f in absent if f.state == "open" and covered(f)]


def _coverage(document: dict[str, Any]) -> Any:
    """Whether the scan looked where a finding lives: the same input (file, or account), a
    selected rule, a scanned region, and no unreadable gap over the finding's type there."""
    rules = {r["id"] for r in document["rules"]}
    inputs: dict[tuple[str, str], dict[str, Any]] = {(i["source"], i["origin"]): i for i in document["scan"]["inputs"]}

    def covers(finding: Any) -> bool:
        given = inputs.get((finding.source, finding.origin))
        if given is None or finding.rule_id not in rules:
            return False
        regions = (given.get("metadata") or {}).get("regions")
        if finding.source == "aws" and finding.region and regions is not None and finding.region not in regions:
            return False
        return not any(g["resource_type"] == finding.resource_type and (g.get("region") in (None, finding.region or None))
                       for g in given["unreadable"])

    return covers
