"""The calls a scan makes outside its collectors (identity, organizations, region discovery, and
botocore's own HeadBucket after an S3 region redirect): one declaration, `session.SESSION_CALLS`,
from which the read-only guard's allow-list, the scanning role's policy and the auditor's policy
are all derived — so a call the guard lets through is a call some printed policy grants."""
from __future__ import annotations

from typing import Any, Iterator

from botocore.awsrequest import AWSResponse

from vendorguard.scanner.sources.aws.iam_policy import DENIED, auditor_policy, iam_action, scanning_policy
from vendorguard.scanner.sources.aws.live import declared_operations, needed_collectors
from vendorguard.scanner.sources.aws.session import SESSION_CALLS, AwsAccess, Guard, Identity


def allowed(policy: dict[str, Any]) -> set[str]:
    return {a for s in policy["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}


def test_the_guard_allows_every_declared_call_and_each_is_granted_to_whoever_makes_it() -> None:
    guard = Guard(set())
    scanning = allowed(scanning_policy(declared_operations()))
    auditor = allowed(auditor_policy(["arn:aws:iam::*:role/audit"], org=True))
    for call in SESSION_CALLS:
        assert (call.service, call.operation) in guard.allowed
        action = iam_action(call.service, call.operation)
        if (call.service, call.operation) == ("sts", "GetCallerIdentity"):
            assert action not in scanning | auditor  # AWS: needs no permission, cannot be denied
            continue
        assert (action in scanning) is (Identity.SCANNING_ROLE in call.by), call
        assert (action in auditor) is (Identity.AUDITOR in call.by), call


def test_the_scanning_policy_grants_region_discovery_and_the_redirect_but_no_data_read() -> None:
    everything = allowed(scanning_policy(declared_operations()))
    assert {"ec2:DescribeRegions", "s3:ListBucket", "config:GetDiscoveredResourceCounts"} <= everything
    assert not everything & set(DENIED)
    assert not everything & {"sts:AssumeRole", "organizations:ListAccounts", "organizations:DescribeOrganization"}
    # HeadBucket comes only from an S3 client: a policy for rules that read no bucket does not grant it
    volumes_only = allowed(scanning_policy(declared_operations(needed_collectors({"aws_ebs_volume"}))))
    # ...and AWS Config's count of what exists, whatever the rules: the types not read are named
    assert volumes_only == {"ec2:DescribeRegions", "ec2:DescribeVolumes", "config:GetDiscoveredResourceCounts"}


def test_the_auditor_assumes_the_role_and_lists_the_organization_only_for_org() -> None:
    roles = ["arn:aws:iam::111122223333:role/audit"]
    assert auditor_policy(roles, org=False)["Statement"] == [
        {"Sid": "VendorguardAssumeScanningRole", "Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": roles}]
    with_org = auditor_policy(["arn:aws:iam::*:role/audit"], org=True)["Statement"]
    assert with_org[1]["Action"] == ["organizations:DescribeOrganization", "organizations:ListAccounts"]


class _Body:
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield b""


def test_botocore_s3_region_redirect_sends_head_bucket_through_the_guard(aws: Any) -> None:
    """botocore's S3RegionRedirectorv2: a 301 naming no region makes it HEAD the bucket itself,
    through the same client — the guard must let that read through (and count it)."""
    aws("s3").create_bucket(Bucket="claims-exports")
    guard = Guard(declared_operations())
    s3 = AwsAccess(guard, endpoint_url=aws.endpoint).caller().client("s3", "us-east-1")
    sent: list[str] = []

    def moved_without_saying_where(request: Any, **_: Any) -> AWSResponse | None:
        sent.append(request.method)
        return AWSResponse(request.url, 301, {}, _Body()) if len(sent) == 1 else None

    s3.meta.events.register("before-send.s3", moved_without_saying_where)
    assert s3.get_bucket_versioning(Bucket="claims-exports")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert sent == ["GET", "HEAD", "GET"]
    assert guard.calls[("s3", "HeadBucket")] == 1
