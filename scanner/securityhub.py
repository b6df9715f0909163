"""The import of findings into AWS Security Hub: the library side of
``vendorguard export securityhub RESULTS.json``.

A renderer only turns a results document into text; this writes to an AWS account, so it lives
apart from them.  `export_securityhub` builds the ASFF findings from a saved results document
(`reports.asff.build_findings`, the same findings ``--format asff`` writes) and imports them with
`import_findings`.  Security Hub accepts a finding only in the region its ProductArn names, so
findings are grouped by that region and each group goes to that region's hub.

Writing to Security Hub is the user's explicit command, so `import_findings` takes a plain boto3
client: it does not go through the scanner's read-only guard, which exists for scanning.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .errors import InputError
from .reports.asff import DEFAULT_REGION, build_findings

BATCH_SIZE = 100  # BatchImportFindings takes at most 100 findings per call


@dataclass
class ImportResult:
    """What `import_findings` / `export_securityhub` did: counts, the failures Security Hub named,
    and (for `export_securityhub`) the notes on results that were not exported."""

    success: int = 0
    failed: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, other: "ImportResult") -> None:
        self.success += other.success
        self.failed += other.failed
        self.failures.extend(other.failures)
        self.notes.extend(other.notes)


def import_findings(findings: Iterable[dict[str, Any]], client: Any, batch_size: int = BATCH_SIZE) -> ImportResult:
    """``BatchImportFindings`` in batches of at most 100.  A batch that Security Hub refuses as a
    whole (access denied, hub not enabled, throttled past retries) counts all its findings as
    failed with the error code, and the next batch is still tried.  What no batch could get past —
    no credentials, no endpoint, findings that are not ASFF — raises `InputError` (one line, exit
    code 2 in the CLI)."""
    batch_size = max(1, min(batch_size, BATCH_SIZE))
    findings = list(findings)
    outcome = ImportResult()
    for start in range(0, len(findings), batch_size):
        batch = findings[start:start + batch_size]
        try:
            response = client.batch_import_findings(Findings=batch)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = error.get("Code", "ClientError"), error.get("Message", str(exc))
            outcome.failed += len(batch)
            outcome.failures += [{"Id": f.get("Id", ""), "ErrorCode": code, "ErrorMessage": message} for f in batch]
            continue
        except BotoCoreError as exc:
            raise InputError("Security Hub", f"BatchImportFindings: {exc}") from None
        outcome.success += int(response.get("SuccessCount", 0))
        outcome.failed += int(response.get("FailedCount", 0))
        outcome.failures += [{"Id": f.get("Id", ""), "ErrorCode": f.get("ErrorCode", ""),
                              "ErrorMessage": f.get("ErrorMessage", "")}
                             for f in response.get("FailedFindings") or []]
    return outcome


def export_securityhub(document: dict[str, Any] | list[dict[str, Any]], account: str | None = None,
                       region: str | None = None, include_unknown: bool = True, include_resolved: bool = True,
                       client_for: Callable[[str], Any] | None = None) -> ImportResult:
    """Import a results document's findings (or an already built ASFF list) into Security Hub.

    Findings are grouped by the region of their ProductArn and each group goes to that region's
    Security Hub.  `client_for(region)` makes the client; by default a plain
    ``boto3.client("securityhub", region_name=region)`` (standard credential chain, and
    ``AWS_ENDPOINT_URL`` is honoured).  PASS and WAIVED results are sent as archived by default,
    so findings fixed or waived since the last export are closed."""
    if isinstance(document, list):
        findings, notes = document, []
    else:
        findings, notes = build_findings(document, account=account, region=region,
                                         include_unknown=include_unknown, include_resolved=include_resolved)
    if client_for is None:
        def client_for(name: str) -> Any:
            return boto3.client("securityhub", region_name=name)

    by_region: dict[str, list[dict[str, Any]]] = {}
    for item in findings:
        by_region.setdefault(str(item["ProductArn"]).split(":")[3] or DEFAULT_REGION, []).append(item)
    outcome = ImportResult(notes=list(notes))
    for name in sorted(by_region):
        outcome.add(import_findings(by_region[name], client_for(name)))
    return outcome
