"""A scan's outcome as plain data: results, summary, scan metadata, and the exit code policy.

Every renderer works from `ScanReport.to_document()` (the shape of
`policies/schemas/results.schema.json`), so a saved JSON report can be re-rendered later.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .catalog import Pack, Rule
from .model import DOMAINS, SEVERITIES, Inventory, Result, Status, severity_rank
from .source import Source

SCHEMA_VERSION = 1


@dataclass(slots=True)
class ScanReport:
    results: list[Result]
    inventories: list[Inventory]
    packs: list[Pack]
    rules: list[Rule]
    started: str
    finished: str
    tool_version: str
    extra: dict[str, Any] = field(default_factory=dict)
    #: Resources no selected rule evaluated: address, resource_type, reason (`coverage`).
    not_evaluated: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {**summarize(self.results), "not_evaluated": len(self.not_evaluated)}

    def to_document(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "vendorguard", "version": self.tool_version},
            "scan": {
                "started": self.started,
                "finished": self.finished,
                "packs": [
                    {"id": p.id, "title": p.title, "version": p.version, "digest": p.digest,
                     "controls": [{"id": c.id, "title": c.title, "rules": list(c.rules)} for c in p.controls]}
                    for p in self.packs
                ],
                "inputs": [
                    {
                        "source": inv.source,
                        "title": _title(inv.source),
                        "origin": inv.origin,
                        "resources": len(inv.resources),
                        "unreadable": [
                            {"resource_type": g.resource_type, "account": g.account,
                             "region": g.region, "reason": g.reason} for g in inv.gaps
                        ],
                        "notes": inv.notes,
                        "metadata": inv.metadata,
                    }
                    for inv in self.inventories
                ],
                **self.extra,
            },
            "summary": self.summary(),
            "rules": [
                {"id": r.id, "title": r.title, "severity": r.severity, "domain": r.domain,
                 "resource_types": list(r.resource_types), "scope": r.scope, "condition": r.condition_text,
                 "rationale": r.rationale, "remediation": r.remediation, "references": r.references}
                for r in self.rules
            ],
            "not_evaluated": [dict(entry) for entry in self.not_evaluated],
            "results": [r.to_dict() for r in self.results],
        }


def _title(source: str) -> str:
    """How reports name an input of this source (the registered source's own words)."""
    registered = Source.registry.get(source)
    return registered.title if registered is not None else source


def summarize(results: list[Result]) -> dict[str, Any]:
    by_status = Counter(r.status.value for r in results)
    failed = Counter(r.severity for r in results if r.status is Status.FAIL)
    by_domain: dict[str, dict[str, int]] = {}
    for domain in dict.fromkeys([*DOMAINS, *(r.domain for r in results)]):  # "unmapped" checkov ids too
        counts = Counter(r.status.value for r in results if r.domain == domain)
        if counts:
            by_domain[domain] = {s.value: counts.get(s.value, 0) for s in Status}
    return {
        "total": len(results),
        "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
        "failed_by_severity": {s: failed.get(s, 0) for s in SEVERITIES},
        "by_domain": by_domain,
    }


def exit_code(results: list[Result], fail_on: str, fail_on_unknown: bool = False) -> int:
    """1 when a FAIL at or above `fail_on` (only new ones, against a baseline) — or, with
    `fail_on_unknown`, any UNKNOWN at or above it — else 0.  WAIVED never fails a build."""
    threshold = severity_rank(fail_on)

    def counts(r: Result) -> bool:
        if severity_rank(r.severity) > threshold:
            return False
        if r.status is Status.FAIL:
            return r.baseline != "existing"
        return fail_on_unknown and r.status is Status.UNKNOWN

    return int(any(counts(r) for r in results))
