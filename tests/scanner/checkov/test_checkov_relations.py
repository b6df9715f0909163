"""checkov's verdict only where its check is ours (issue 14, item 4).

A rule's ``references.checkov`` holds the checks equivalent to it (their verdict is the rule's);
``references.checkov_related`` the checks that test something near it (cross-references, never a
verdict).  The four verdicts HCL scans used to borrow run here for real on
``tests/fixtures/hcl/borrowed``; the plan half of the log-bucket case runs ``scan plan
--with-checkov`` on the same shape.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import FIXTURES, ROOT, scan_source
from planbuilder import build_plan
from vendorguard.scanner.catalog import load_catalog
from vendorguard.scanner.checkov import mapping
from vendorguard.scanner.model import Status
from test_checkov import checkov_path, one  # noqa: F401  (checkov_path is a fixture)

BORROWED = FIXTURES / "hcl" / "borrowed"


def related(result: Any) -> dict[str, str]:
    return {c["check_id"]: c["status"] for c in result.evidence.get("checkov_related", [])}


@pytest.fixture(scope="module")
def hcl(checkov_path: str) -> Any:
    return scan_source("terraform-hcl", [os.path.relpath(BORROWED)], [], checkov=checkov_path)


def _note(report: Any) -> str:
    return " ".join(report.inventories[0].notes)


# -- the data: equivalent and related, each decided once ----------------------------------------
def test_no_check_is_both_equivalent_and_related_and_every_related_one_says_why() -> None:
    catalog, _ = load_catalog()
    pairs = set()
    for rule in catalog.rules.values():
        equivalent = set((rule.references or {}).get("checkov") or ())
        near = set((rule.references or {}).get("checkov_related") or ())
        assert not equivalent & near, rule.id
        pairs |= {(rule.id, check) for check in near}
    listed = yaml.safe_load((ROOT / "bench" / "checkov_deliberate.yaml").read_text())["related"]
    reasons = {(e["rule"], e["check"]): e["reason"] for e in listed}
    assert len(reasons) == len(listed) and set(reasons) == pairs
    assert all(len(reason.strip()) >= 20 for reason in reasons.values())
    # A related check is never the subject of a listed disagreement: it is not a second opinion.
    deliberate = yaml.safe_load((ROOT / "bench" / "checkov_deliberate.yaml").read_text())["deliberate"]
    assert not {(e["rule"], e["check"]) for e in deliberate} & pairs


# -- the four cases, in HCL -----------------------------------------------------------------------
def test_an_enabled_detector_passes_guardduty_on_the_equivalent_check(hcl: Any) -> None:
    detector = one(hcl.results, "VG-GD-001", "aws_guardduty_detector.main")
    assert detector.status is Status.PASS  # was FAIL, borrowed from CKV2_AWS_3
    assert detector.evidence["checkov"]["check_id"] == "CKV_AWS_238"
    assert related(detector) == {"CKV2_AWS_3": "FAIL"}  # the organization configuration, beside it
    assert "CKV2_AWS_3" not in {c["check_id"] for c in detector.evidence["checkov"]["checks"]}


@pytest.mark.parametrize("rule_id", ["VG-RDS-011", "VG-RDS-012"])
def test_an_instance_without_a_parameter_group_is_unknown_for_the_tls_rules(hcl: Any, rule_id: str) -> None:
    result = one(hcl.results, rule_id, "aws_db_instance.plain")
    assert result.status is Status.UNKNOWN  # was PASS, borrowed from CKV2_AWS_69
    assert result.reason.startswith(mapping.NO_EQUIVALENT)
    assert related(result) == {"CKV2_AWS_69": "PASS"}
    assert rule_id in _note(hcl)


def test_a_log_bucket_without_access_logging_is_unknown_in_hcl(hcl: Any) -> None:
    logs = one(hcl.results, "VG-S3-005", "aws_s3_bucket.logs")
    assert logs.status is Status.UNKNOWN  # was PASS: CKV_AWS_18 exempts the logging target
    assert logs.reason.startswith(mapping.NO_EQUIVALENT)
    assert related(logs) == {"CKV_AWS_18": "PASS"}
    assert "VG-S3-005" in _note(hcl)


def test_a_backup_plan_checkov_reports_nothing_on_is_named_in_the_note(hcl: Any) -> None:
    note = _note(hcl)
    assert "cannot show" in note
    assert "aws_backup_plan.daily" in note
    catalog, _ = load_catalog()
    for rule in catalog.rules.values():
        if "aws_backup_plan" in rule.resource_types:
            assert rule.id in note


def test_no_hcl_result_is_borrowed_from_a_related_check(hcl: Any) -> None:
    catalog, _ = load_catalog()
    for result in hcl.results:
        rule = catalog.rules[result.rule_id]
        equivalent = set(rule.references.get("checkov") or ())
        if result.status is Status.UNKNOWN:
            continue
        assert result.evidence["checkov"]["check_id"] in equivalent, (result.rule_id, result.address)
        assert {c["check_id"] for c in result.evidence["checkov"]["checks"]} <= equivalent


def test_every_resource_of_a_covered_type_has_a_result_or_is_in_the_note(hcl: Any) -> None:
    catalog, _ = load_catalog()
    note = _note(hcl)
    judged = {r.address for r in hcl.results}
    for resource in hcl.inventories[0].resources:
        if any(resource.type in rule.resource_types for rule in catalog.rules.values()):
            assert resource.address in judged or resource.address in note, resource.address


# -- the log bucket in a plan: ours decides, the related check is evidence -------------------------
def test_a_log_bucket_without_access_logging_fails_in_a_plan(checkov_path: str, tmp_path: Path) -> None:
    plan = build_plan([
        {"type": "aws_s3_bucket", "name": "data", "values": {"bucket": "vendorguard-borrowed-data"}},
        {"type": "aws_s3_bucket", "name": "logs", "values": {"bucket": "vendorguard-borrowed-logs"}},
        {"type": "aws_s3_bucket_logging", "name": "data",
         "values": {"bucket": "${aws_s3_bucket.data.id}", "target_bucket": "${aws_s3_bucket.logs.id}",
                    "target_prefix": "data/"}},
    ], account_id="111122223333")
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=1))
    report = scan_source("terraform-plan", [str(path)], [], with_checkov=True, checkov=checkov_path)
    logs = one(report.results, "VG-S3-005", "aws_s3_bucket.logs")
    assert logs.status is Status.FAIL
    assert "disagrees" not in logs.reason and "checkov" not in logs.evidence
    # checkov passes the logging target here too: beside our FAIL, marked as related.
    assert related(logs) == {"CKV_AWS_18": "PASS"}
    assert all(c["relation"].startswith("related") for c in logs.evidence["checkov_related"])
    data = one(report.results, "VG-S3-005", "aws_s3_bucket.data")
    assert data.status is Status.PASS and "disagrees" not in data.reason
