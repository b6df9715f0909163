"""The exit code and the reason a scan gives for it (`results.verdict`), case by case."""
from __future__ import annotations

from typing import Any

import pytest

from vendorguard.scanner.results import Verdict, verdict, worst


def result(status: str, severity: str, **extra: Any) -> dict[str, Any]:
    return {"rule_id": "VG-X-001", "address": "aws_s3_bucket.x", "status": status, "severity": severity, **extra}


def document(*results: dict[str, Any], **scan: Any) -> dict[str, Any]:
    return {"scan": scan, "results": list(results)}


NEW, EXISTING = {"baseline": "new"}, {"baseline": "existing"}
BASELINE = {"baseline": {"file": "old.json", "fixed": [], "new": 0}}


@pytest.mark.parametrize("doc, fail_on, fail_on_unknown, expected", [
    pytest.param(document(result("PASS", "high")), "low", False,
                 "exit 0: no FAIL at or above low", id="nothing fails"),
    pytest.param(document(result("FAIL", "low"), result("FAIL", "medium"), result("FAIL", "low"), result("PASS", "high")),
                 "high", False, "exit 0: no FAIL at or above high (3 below: 1 medium, 2 low)", id="fail below threshold"),
    pytest.param(document(result("FAIL", "high"), result("FAIL", "critical"), result("FAIL", "low")), "high", False,
                 "exit 1: 2 FAIL at or above high", id="fail at threshold"),
    pytest.param(document(result("FAIL", "high", **EXISTING), result("FAIL", "high", **EXISTING), **BASELINE),
                 "high", False, "exit 0: 2 FAIL at or above high, none of them new since the baseline",
                 id="only existing vs baseline"),
    pytest.param(document(result("FAIL", "high", **NEW), result("FAIL", "critical", **EXISTING),
                          result("FAIL", "low", **NEW), **BASELINE),
                 "high", False, "exit 1: 2 FAIL at or above high, 1 of them new since the baseline",
                 id="new vs baseline"),
    pytest.param(document(result("FAIL", "high", new=True), result("FAIL", "high", new=False)), "low", False,
                 "exit 1: 2 FAIL at or above low, 1 of them new since the vendor's previous kept scan",
                 id="new since the kept scan still fails on the old"),
    pytest.param(document(result("UNKNOWN", "high"), result("UNKNOWN", "critical"), result("UNKNOWN", "low")),
                 "high", True, "exit 1: no FAIL at or above high; 2 UNKNOWN at or above high and --fail-on-unknown",
                 id="unknown with --fail-on-unknown"),
    pytest.param(document(result("UNKNOWN", "low")), "high", True, "exit 0: no FAIL at or above high",
                 id="unknown below threshold with --fail-on-unknown"),
    pytest.param(document(result("UNKNOWN", "critical")), "low", False,
                 "exit 0: no FAIL at or above low; 1 UNKNOWN, not counted without --fail-on-unknown",
                 id="unknown without --fail-on-unknown"),
    pytest.param(document(result("WAIVED", "critical"), result("FAIL", "medium"),
                          waivers={"file": "w.yaml", "expired": [{"rule": "A"}], "stale": [{"rule": "B"}, {"rule": "C"}]}),
                 "high", False,
                 "exit 0: no FAIL at or above high (1 below: 1 medium); waivers to review: 1 expired, 2 stale",
                 id="waived never fails; expired and stale waivers named"),
])
def test_exit_code_and_its_reason(doc: dict[str, Any], fail_on: str, fail_on_unknown: bool, expected: str) -> None:
    decided = verdict(doc, fail_on, fail_on_unknown)
    assert str(decided) == expected
    assert decided.code == int(expected[5])


def test_several_scans_exit_with_the_worst_and_say_who() -> None:
    overall = worst([("acme", Verdict(1, "…")), ("globex", Verdict(0, "…")), ("acme", Verdict(1, "…")),
                     ("initech", Verdict(2, "role cannot be assumed"))])
    assert str(overall) == "exit 2: 4 scans: 1 could not be scanned ('initech'); 2 failed ('acme'); 1 passed ('globex')"
    assert worst([]) == Verdict(0, "nothing to scan")
    many = worst([(f"v{i}", Verdict(1, "")) for i in range(7)])
    assert str(many) == "exit 1: 7 scans: 7 failed ('v0', 'v1', 'v2', 'v3', 'v4' and 2 more)"
