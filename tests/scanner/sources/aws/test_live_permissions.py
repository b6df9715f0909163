"""A scan never stops for a permission the scanning role lacks, a region not enabled for the
account, or a service a region does not offer: each is a gap (the rules over it UNKNOWN), and a
denial names the IAM action to grant.  Faults are injected between the scanner and moto."""
from __future__ import annotations

from typing import Any, Iterator

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from conftest import scan_aws
from faultproxy import Fault, FaultProxy
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.model import Inventory, Status
from vendorguard.scanner.sources.aws import LiveAws
from vendorguard.scanner.sources.aws.live import Target, scan_live
from vendorguard.scanner.sources.aws.session import AccountSession, Tuning

FAST = Tuning(max_attempts=2, connect_timeout=2, read_timeout=5)


@pytest.fixture
def proxy(aws: Any) -> Iterator[FaultProxy]:
    aws("ec2").create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=False)
    aws("s3").create_bucket(Bucket="claims-exports")
    running = FaultProxy(aws.endpoint).start()
    yield running
    running.stop()


def read(endpoint: str, types: set[str], regions: list[str] | None = None, **target: Any) -> Inventory:
    """One account's inventory of `types` (no `regions`: every enabled one, as `--regions all`)."""
    [inventory], _ = scan_live(Target(endpoint_url=endpoint, regions=regions, **target), types,
                               source=LiveAws.name, tuning=FAST)
    return inventory


def gaps_in(inventory: Inventory, region: str | None) -> list[str]:
    return [g.reason for g in inventory.gaps if g.region == region]


def in_region(region: str) -> Any:
    """Requests signed for `region` (the credential scope of SigV4)."""
    return lambda request: f"/{region}/" in request.headers.get("authorization", "")


def test_without_describe_regions_the_scan_covers_every_region_botocore_knows(proxy: FaultProxy) -> None:
    proxy.faults = [Fault("ec2", "access_denied", operation="DescribeRegions"),
                    Fault("ec2", "not_enabled", match=in_region("ap-east-1"))]
    inventory = read(proxy.url, {"aws_ebs_volume"})
    assert all(f.fired for f in proxy.faults)
    assert inventory.metadata["regions"] == sorted(boto3.session.Session().get_available_regions("ec2", "aws"))
    [note] = inventory.notes
    assert "UnauthorizedOperation on ec2:DescribeRegions (IAM action ec2:DescribeRegions)" in note
    # the region that is not enabled is a gap; the others are read
    assert gaps_in(inventory, "ap-east-1") == [
        "AuthFailure on ec2:DescribeVolumes (is the region enabled for the account?)"]
    assert [g for g in inventory.gaps if g.region != "ap-east-1"] == []
    assert [r.region for r in inventory.resources if r.type == "aws_ebs_volume"] == ["us-east-1"]


def test_a_region_not_enabled_is_a_gap_and_its_rules_unknown(proxy: FaultProxy) -> None:
    proxy.faults = [Fault(service, "not_enabled", match=in_region("eu-west-1")) for service in ("ec2", "guardduty")]
    report = scan_aws(Target(endpoint_url=proxy.url, regions=["us-east-1", "eu-west-1"]), ["hipaa"], tuning=FAST)
    gd = {r.region: r for r in report.results if r.rule_id == "VG-GD-001"}
    assert gd["eu-west-1"].status is Status.UNKNOWN and "is the region enabled" in gd["eu-west-1"].reason
    assert gd["us-east-1"].status is Status.FAIL  # no detector: decided where the region answers
    volumes = {r.region: r.status for r in report.results if r.rule_id == "VG-EC2-001"}
    assert volumes == {"us-east-1": Status.FAIL, "eu-west-1": Status.UNKNOWN}


def test_a_service_a_region_does_not_offer_is_a_gap(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No endpoint for the service in the region: botocore cannot connect (its resolver names a host
    that does not exist) — as if `ec2` were not offered in eu-west-1."""
    aws("ec2").create_volume(AvailabilityZone="us-east-1a", Size=8)
    make = AccountSession.client

    def no_endpoint(request: Any, **_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://ec2.eu-west-1.amazonaws.com/")

    def client(self: AccountSession, service: str, region: str) -> Any:
        made = make(self, service, region)
        if (service, region) == ("ec2", "eu-west-1"):
            made.meta.events.register("before-send.ec2", no_endpoint, unique_id="no-endpoint")
        return made

    monkeypatch.setattr(AccountSession, "client", client)
    inventory = read(aws.endpoint, {"aws_ebs_volume"}, ["us-east-1", "eu-west-1"])
    [reason] = gaps_in(inventory, "eu-west-1")
    assert reason == ("EndpointConnectionError on ec2:DescribeVolumes: could not connect to "
                      "https://ec2.eu-west-1.amazonaws.com/ (ec2 may not be offered in this region)")
    assert [r.region for r in inventory.resources] == ["us-east-1"]


def test_a_malformed_region_is_refused_before_any_read(proxy: FaultProxy) -> None:
    """A region no partition's pattern matches is a typo (``eu_west_1``), said before a scan that
    would only report every one of its rules UNKNOWN; a region too new for botocore's list still
    matches its partition's pattern and is scanned."""
    with pytest.raises(InputError, match="'eu_west_1' is not an AWS region"):
        read(proxy.url, {"aws_ebs_volume"}, ["us-east-1", "eu_west_1"])
    assert not [r for r in proxy.seen if r.service == "ec2"]


def test_a_denial_names_the_iam_action_to_grant(proxy: FaultProxy) -> None:
    proxy.faults = [Fault("s3", "access_denied", match=lambda r: r.method == "GET" and r.path == "/")]
    inventory = read(proxy.url, {"aws_s3_bucket"}, ["us-east-1"])
    assert gaps_in(inventory, None) == ["AccessDenied on s3:ListBuckets (IAM action s3:ListAllMyBuckets)"]

    proxy.faults = [Fault("s3", "access_denied", match=lambda r: "policy" in r.query)]
    report = scan_aws(Target(endpoint_url=proxy.url, regions=["us-east-1"]), ["hipaa"], tuning=FAST)
    unknown = [r.reason for r in report.results if r.status is Status.UNKNOWN and r.resource_type == "aws_s3_bucket"]
    assert unknown and all("AccessDenied on s3:GetBucketPolicy (IAM action s3:GetBucketPolicy)" in r for r in unknown)


def test_an_organization_scan_names_the_organization_when_it_may(aws: Any, proxy: FaultProxy) -> None:
    organization = aws("organizations").create_organization(FeatureSet="ALL")["Organization"]["Id"]
    inventory = read(proxy.url, {"aws_ebs_volume"}, ["us-east-1"], org=True, role_name="VendorAudit")
    assert inventory.metadata["organization"] == organization

    proxy.faults = [Fault("organizations", "access_denied", operation="DescribeOrganization")]
    inventory = read(proxy.url, {"aws_ebs_volume"}, ["us-east-1"], org=True, role_name="VendorAudit")
    assert inventory.metadata["organization"] == ("not read: AccessDeniedException on organizations:DescribeOrganization "
                                                  "(IAM action organizations:DescribeOrganization)")
    assert [r.type for r in inventory.resources] == ["aws_ebs_volume"]
