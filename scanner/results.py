"""A scan's outcome as plain data: results, summary, scan metadata, and the exit code policy (`verdict`).

Every renderer works from `ScanReport.to_document()` (the shape of
`policies/schemas/results.schema.json`), so a saved JSON report can be re-rendered later.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping

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
    """Counts by status, by failed severity and by domain, in one pass over the results."""
    pairs = Counter((r.domain, r.status) for r in results)
    failed = Counter(r.severity for r in results if r.status is Status.FAIL)
    by_domain: dict[str, dict[str, int]] = {}
    for domain in dict.fromkeys([*DOMAINS, *(d for d, _ in pairs)]):  # "unmapped" checkov ids too
        counts = {s.value: pairs.get((domain, s), 0) for s in Status}
        if any(counts.values()):
            by_domain[domain] = counts
    return {
        "total": len(results),
        "by_status": {s.value: sum(n for (_, status), n in pairs.items() if status is s) for s in Status},
        "failed_by_severity": {s: failed.get(s, 0) for s in SEVERITIES},
        "by_domain": by_domain,
    }


def is_new(result: Mapping[str, Any]) -> bool:
    """New against the baseline (``--baseline``) or since the vendor's previous kept scan (``--store``)."""
    return result.get("baseline") == "new" or bool(result.get("new"))


@dataclass(frozen=True, slots=True)
class Verdict:
    """A scan's exit code and, in a few words, why: a CI log must say what failed the build."""

    code: int
    reason: str

    def __str__(self) -> str:
        return f"exit {self.code}: {self.reason}"


def verdict(document: Mapping[str, Any], fail_on: str, fail_on_unknown: bool = False) -> Verdict:
    """1 when a FAIL at or above `fail_on` (only new ones, against a baseline) — or, with
    `fail_on_unknown`, any UNKNOWN at or above it — else 0.  WAIVED never fails a build.

    Worked out from the results document (not `Result`s) because a kept scan's document is where
    "new since the previous scan" is recorded, and a re-rendered report has only the document."""
    threshold = severity_rank(fail_on)
    results = document["results"]
    scan = document.get("scan") or {}
    fails = [r for r in results if r["status"] == Status.FAIL.value]
    failing = [r for r in fails if severity_rank(r["severity"]) <= threshold]
    blocking = [r for r in failing if r.get("baseline") != "existing"]
    unknown = [r for r in results if r["status"] == Status.UNKNOWN.value]
    undecided = [r for r in unknown if severity_rank(r["severity"]) <= threshold]
    code = int(bool(blocking) or (fail_on_unknown and bool(undecided)))

    parts = []
    if failing:
        part = f"{len(failing)} FAIL at or above {fail_on}"
        new = sum(is_new(r) for r in failing)
        if scan.get("baseline") is not None or any(r.get("baseline") for r in failing):
            part += f", {new or 'none'} of them new since the baseline"
        elif any("new" in r for r in failing):
            part += f", {new or 'none'} of them new since the vendor's previous kept scan"
        parts.append(part)
    else:
        below = Counter(r["severity"] for r in fails)
        parts.append(f"no FAIL at or above {fail_on}" + (
            f" ({len(fails)} below: {', '.join(f'{below[s]} {s}' for s in SEVERITIES if below[s])})" if fails else ""))
    if fail_on_unknown and undecided:
        parts.append(f"{len(undecided)} UNKNOWN at or above {fail_on} and --fail-on-unknown")
    elif unknown and not fail_on_unknown:
        parts.append(f"{len(unknown)} UNKNOWN, not counted without --fail-on-unknown")
    waivers = scan.get("waivers") or {}
    review = [f"{len(waivers[k])} {k}" for k in ("expired", "stale") if waivers.get(k)]
    if review:
        parts.append(f"waivers to review: {', '.join(review)}")
    return Verdict(code, "; ".join(parts))


def worst(verdicts: list[tuple[str, Verdict]]) -> Verdict:
    """The verdict of several scans (`scan vendors`: one per vendor and source): the worst code,
    and who had which (exit 2 for a scan that could not run)."""
    by_code: dict[int, list[str]] = {}
    for name, each in verdicts:
        by_code.setdefault(each.code, []).append(name)
    words = {2: "could not be scanned", 1: "failed", 0: "passed"}
    parts = []
    for code in sorted(by_code, reverse=True):
        names = list(dict.fromkeys(by_code[code]))
        shown = ", ".join(repr(n) for n in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        parts.append(f"{len(by_code[code])} {words.get(code, f'exit {code}')} ({shown})")
    scans = f"{len(verdicts)} scan{'s' if len(verdicts) != 1 else ''}"
    return Verdict(max(by_code, default=0), f"{scans}: {'; '.join(parts)}" if parts else "nothing to scan")
