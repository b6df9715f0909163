"""The Terraform twin of the reference stack (infra_templates/terraform/hipaa_baseline), checked by
checkov for real (from `.venv-checkov`, through scanner/checkov.py): 0 failed checks among the
checkov ids vendorguard's rules cite, and every deliberate exception an inline
``#checkov:skip=<id>:<reason>``."""
from __future__ import annotations

import re
from typing import Any

import pytest

from vendorguard.scanner.checkov import mapping, merge, runner
from vendorguard.scanner.catalog import select
from conftest import ROOT
from vendorguard.scanner.model import Status

TWIN = ROOT / "infra_templates" / "terraform" / "hipaa_baseline"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"

#: The deliberate exceptions: check id → resource.
EXCEPTIONS = {
    ("CKV_AWS_145", "aws_s3_bucket.logs"),   # ALB and S3 access logs need an SSE-S3 bucket
    ("CKV2_AWS_3", "aws_guardduty_detector.this"),  # organization-wide GuardDuty is not one account's
}


def referenced_checks() -> list[str]:
    _, selection = select([])
    return sorted({c for rule in selection.rules for key in ("checkov", "checkov_related")
                   for c in rule.references.get(key, [])})


@pytest.fixture(scope="module")
def checkov_run() -> Any:
    assert CHECKOV.is_file(), f"{CHECKOV} is missing: run `make install` (or `make -f checkov.mk checkov`)"
    return runner.run_checkov(TWIN, "terraform", checkov=str(CHECKOV), checks=referenced_checks())


def test_no_failed_check_among_those_our_rules_cite(checkov_run: Any) -> None:
    failed = [(c.check_id, c.address, c.file, c.lines) for c in checkov_run.checks if c.status is Status.FAIL]
    assert failed == []


def test_checkov_really_checked_the_stack(checkov_run: Any) -> None:
    ran = {c.check_id for c in checkov_run.checks}
    must = {
        "CKV_AWS_7", "CKV_AWS_19", "CKV_AWS_21", "CKV_AWS_18", "CKV2_AWS_6", "CKV_AWS_16", "CKV_AWS_17",
        "CKV_AWS_157", "CKV_AWS_161", "CKV2_AWS_69", "CKV_AWS_293", "CKV_AWS_133", "CKV2_AWS_11",
        "CKV2_AWS_12", "CKV_AWS_130", "CKV_AWS_2", "CKV2_AWS_20", "CKV_AWS_103", "CKV_AWS_91",
        "CKV_AWS_131", "CKV_AWS_150", "CKV_AWS_67", "CKV_AWS_36", "CKV_AWS_35", "CKV2_AWS_10",
        "CKV_AWS_158", "CKV_AWS_338", "CKV2_AWS_45", "CKV2_AWS_48", "CKV_AWS_166", "CKV_AWS_26",
        "CKV_AWS_106", "CKV_AWS_238", "CKV_AWS_9", "CKV_AWS_62", "CKV_AWS_60", "CKV_AWS_33",
    }
    assert must <= ran, sorted(must - ran)
    assert sum(c.status is Status.PASS for c in checkov_run.checks) >= 100


def test_every_exception_is_an_inline_skip_with_a_reason(checkov_run: Any) -> None:
    skipped = {(c.check_id, c.address): c for c in checkov_run.checks if c.status is Status.WAIVED}
    assert set(skipped) == EXCEPTIONS
    for check in skipped.values():
        assert check.skip_comment and len(check.skip_comment) > 20, check
    # …and each is written where the resource is, as `#checkov:skip=<id>:<reason>`.
    text = "\n".join(p.read_text() for p in TWIN.glob("*.tf"))
    for check_id, _ in EXCEPTIONS:
        assert re.search(rf"#checkov:skip={check_id}:\S.+", text), check_id


def test_the_twin_builds_the_same_kinds_of_resources() -> None:
    """Every Terraform type the Pulumi program's resources map to is declared by the twin."""
    pytest.importorskip("pulumi")
    from vendorguard.scanner.provision.mocks import mock_export
    from vendorguard.scanner.sources.pulumi import terraform_type

    document = mock_export("hipaa-baseline")
    pulumi_types = {terraform_type(r["type"]) for r in document["deployment"]["resources"]} - {None}
    # Folded children count too: they are resources of their own in both.
    declared = set(re.findall(r'^resource "([a-z0-9_]+)"', "\n".join(p.read_text() for p in TWIN.glob("*.tf")),
                              re.MULTILINE))
    assert pulumi_types <= declared, sorted(pulumi_types - declared)
