"""Fault injection between the scanner and the moto server: throttling, 5xx, AccessDenied, resets,
timeouts, a listing failing on page two.  For every fault the scan finishes, nothing that was not
read is reported PASS, and the report names what could not be read."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from conftest import scan_aws, show_figures, trust
from faultproxy import Fault, FaultProxy
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.model import Status
from vendorguard.scanner.sources.aws.live import Target
from vendorguard.scanner.sources.aws.session import Tuning

FAST = Tuning(max_attempts=2, connect_timeout=2, read_timeout=1)
# Retries enough to ride out a loaded machine; few enough that operations moto does not
# implement (it answers 500) do not dominate the run.
STEADY = Tuning(max_attempts=2, read_timeout=20)

#: (label, service, operation, match, rules over the data) — listings and per-resource reads
#: across the query, EC2, REST-XML and REST-JSON protocols.
EC2_RULES = ["VG-EC2-001", "VG-EC2-004", "VG-EC2-005", "VG-EC2-006", "VG-EC2-007"]
S3_RULES = ["VG-S3-001", "VG-S3-003", "VG-S3-004", "VG-S3-006", "VG-S3-008", "VG-S3-009"]
IAM_RULES = ["VG-TPA-001", "VG-TPA-002", "VG-IAM-001", "VG-IAM-006"]
OPERATIONS = [
    ("ec2:DescribeSecurityGroups", "ec2", "DescribeSecurityGroups", None, EC2_RULES),
    ("ec2:DescribeVolumes", "ec2", "DescribeVolumes", None, EC2_RULES),
    ("s3:ListBuckets", "s3", None, lambda r: r.method == "GET" and r.path == "/", S3_RULES),
    ("s3:GetBucketEncryption", "s3", None, lambda r: "encryption" in r.query, S3_RULES),
    ("s3:GetBucketPolicy", "s3", None, lambda r: "policy" in r.query, S3_RULES),
    ("iam:GetAccountAuthorizationDetails", "iam", "GetAccountAuthorizationDetails", None, IAM_RULES),
    ("iam:ListMFADevices", "iam", "ListMFADevices", None, IAM_RULES),
    ("guardduty:ListDetectors", "guardduty", None, lambda r: r.method == "GET" and r.path == "/detector",
     ["VG-GD-001"]),
]
PAGINATED = {"ec2:DescribeSecurityGroups", "ec2:DescribeVolumes", "iam:GetAccountAuthorizationDetails",
             "guardduty:ListDetectors"}
KINDS = ["throttle", "http500", "http503", "access_denied", "reset", "slow", "page2"]


def seed_bad_account(aws: Any) -> None:
    """Resources that FAIL their rules when read: a PASS under a fault can only come from not reading."""
    ec2 = aws("ec2")
    group = ec2.create_security_group(GroupName="bastion", Description="ssh")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)
    aws("s3").create_bucket(Bucket="claims-exports")
    iam = aws("iam")
    iam.create_role(RoleName="partner", AssumeRolePolicyDocument=trust({"AWS": "arn:aws:iam::444455556666:root"}))
    iam.create_user(UserName="biller")
    iam.create_login_profile(UserName="biller", Password="Xy-12345678!")


@pytest.fixture
def proxy(aws: Any) -> Iterator[FaultProxy]:
    seed_bad_account(aws)
    running = FaultProxy(aws.endpoint).start()
    yield running
    running.stop()


def verdicts(report: Any) -> dict[tuple[str, str], Status]:
    return {(r.rule_id, r.address): r.status for r in report.results}


def unreadable(report: Any) -> list[str]:
    """Everything the report says could not be read: gaps, and resources' unknown reasons."""
    said = [g.reason for inv in report.inventories for g in inv.gaps]
    said += [r.reason for r in report.results if r.status is Status.UNKNOWN]
    return said


def rules_pack(tmp_path: Path, rule_ids: list[str]) -> str:
    """A pack of just these rules, so each faulty scan runs only the collectors they need."""
    path = tmp_path / f"pack-{abs(hash(tuple(rule_ids)))}.yaml"
    path.write_text(yaml.safe_dump({"pack": {"id": "faults", "title": "faults", "version": "1", "controls": [
        {"id": "all", "title": "all", "rules": rule_ids}]}}))
    return str(path)


def test_faults_never_produce_a_false_pass(proxy: FaultProxy, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    target = Target(endpoint_url=proxy.url, regions=["us-east-1"])
    tried, false_passes = 0, []
    for label, service, operation, match, rule_ids in OPERATIONS:
        pack = [rules_pack(tmp_path, rule_ids)]
        proxy.faults = []
        baseline = verdicts(scan_aws(target, pack, tuning=FAST))
        assert Status.FAIL in baseline.values(), label
        for kind in KINDS:
            if kind == "page2" and label not in PAGINATED:
                continue
            proxy.faults = [Fault(service, kind, operation=operation, match=match, slow_seconds=1.3)]
            report = scan_aws(target, pack, tuning=FAST)       # the scan finishes
            tried += 1
            assert proxy.faults[0].fired, f"{label} {kind}: the fault never fired"
            got = verdicts(report)
            false_passes += [(label, kind, key) for key, status in got.items()
                             if status is Status.PASS and baseline.get(key) is not Status.PASS]
            # what was not read is named, with the call and the error
            assert any(operation_name(label) in reason for reason in unreadable(report)), (label, kind)
    proxy.faults = []
    show_figures(request, [f"faults x operations tried: {tried}; false PASS: {len(false_passes)}"])
    assert not false_passes


def operation_name(label: str) -> str:
    return label.split(":")[1]


def test_throttling_that_recovers_changes_nothing(proxy: FaultProxy) -> None:
    target = Target(endpoint_url=proxy.url, regions=["us-east-1"])
    baseline = verdicts(scan_aws(target, [], tuning=STEADY))
    proxy.faults = [Fault("ec2", "throttle", operation="DescribeSecurityGroups", times=1),
                    Fault("iam", "throttle", operation="GetAccountAuthorizationDetails", times=1)]
    assert verdicts(scan_aws(target, [], tuning=STEADY)) == baseline
    assert all(f.fired == 1 for f in proxy.faults)


def test_aws_max_attempts_is_honoured(proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The SDKs' own AWS_MAX_ATTEMPTS sets how often a call is tried: at 3, two 500s then an answer
    decide the rules; at 1, the first 500 leaves them UNKNOWN naming the call.  A value that is no
    number is the user's mistake, said in one line."""
    pack = [rules_pack(tmp_path, ["VG-EC2-001"])]
    target = Target(endpoint_url=proxy.url, regions=["us-east-1"])
    for attempts, decided in (("3", True), ("1", False)):
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", attempts)
        proxy.faults = [Fault("ec2", "http500", operation="DescribeVolumes", times=2)]
        statuses = set(verdicts(scan_aws(target, pack)).values())
        assert (Status.UNKNOWN not in statuses) is decided, (attempts, statuses)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "many")
    with pytest.raises(InputError, match="AWS_MAX_ATTEMPTS"):
        scan_aws(target, pack)


def test_every_call_that_reached_the_server_was_a_read(proxy: FaultProxy, request: pytest.FixtureRequest) -> None:
    scan_aws(Target(endpoint_url=proxy.url, regions=["us-east-1", "eu-west-1"]), [], tuning=STEADY)
    operations = {(r.service, r.resolve()) for r in proxy.seen}
    unresolved = {(r.service, r.method, r.path) for r in proxy.seen if r.resolve() is None}
    assert not unresolved, unresolved
    writes = {op for op in operations if not op[1].startswith(("Describe", "List", "Get", "BatchGet"))}
    assert not writes, writes
    show_figures(request, [f"read-only: {len(proxy.seen)} requests, {len(operations)} distinct operations, all reads"])
