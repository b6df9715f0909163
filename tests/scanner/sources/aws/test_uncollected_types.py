"""A live scan names the types present in the account that it did not read (issue 14).

What exists is counted by AWS Config's GetDiscoveredResourceCounts, one call per account and region,
declared in `session.SESSION_CALLS` (so the guard lets it through and `vendorguard iam-policy`
grants it); policies/types.yaml's `config` ties Config's types to ours, and `coverage.not_read`
turns each type counted but not read into a ``not_evaluated`` entry.  A denied, failed or empty
count is an entry too — never silence, never a crash.

moto does not implement GetDiscoveredResourceCounts (its server answers 500, "has not been
implemented": the first test pins that), so the answers are botocore's Stubber (validated against
the Config model's own shapes) or, in a scan of the moto server, a canned answer in the
operation's wire format injected at botocore's ``before-send`` — after the read-only guard has
let the call through.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from conftest import scan_moto, vendorguard
from faultproxy import Fault, FaultProxy
from vendorguard.scanner import coverage
from vendorguard.scanner.inputs import results_schema
from vendorguard.scanner.model import Census
from vendorguard.scanner.reports import render
from vendorguard.scanner.sources.aws.census import discovered_counts, take_census
from vendorguard.scanner.sources.aws.session import AccountSession
from vendorguard.scanner.types import parse

ACCOUNT = "123456789012"
COUNT_CALL = ("config", "GetDiscoveredResourceCounts")


def config_client() -> Any:
    return boto3.client("config", region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))


class _OneClient:
    """The part of an `AccountSession` a census uses: its account id, and a client."""

    def __init__(self, client: Any) -> None:
        self.account = ACCOUNT
        self._client = client

    def client(self, service: str, region: str) -> Any:
        assert (service, region) == ("config", "us-east-1")
        return self._client


def census_of(stub: Any) -> Census:
    client = config_client()
    with Stubber(client) as stubber:
        stub(stubber)
        taken = take_census(_OneClient(client), "us-east-1", frozenset({"aws_s3_bucket"}))  # type: ignore[arg-type]
        stubber.assert_no_pending_responses()
    return taken


# -- the call ----------------------------------------------------------------------------------------
def test_moto_does_not_implement_the_call(aws: Any) -> None:
    client = boto3.client("config", region_name="us-east-1", endpoint_url=aws.endpoint,
                          config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as info:
        client.get_discovered_resource_counts()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_every_page_is_counted_and_types_with_none_are_left_out() -> None:
    def stub(stubber: Stubber) -> None:
        stubber.add_response("get_discovered_resource_counts", {
            "totalDiscoveredResources": 9, "nextToken": "page-2",
            "resourceCounts": [{"resourceType": "AWS::S3::Bucket", "count": 3},
                               {"resourceType": "AWS::EKS::Cluster", "count": 0}]}, {})
        stubber.add_response("get_discovered_resource_counts", {
            "totalDiscoveredResources": 9,
            "resourceCounts": [{"resourceType": "AWS::CloudFormation::Stack", "count": 6}]}, {"nextToken": "page-2"})

    taken = census_of(stub)
    assert taken == Census(ACCOUNT, "us-east-1", {"AWS::S3::Bucket": 3, "AWS::CloudFormation::Stack": 6},
                           frozenset({"aws_s3_bucket"}))


def test_a_denied_count_is_a_problem_naming_the_iam_action() -> None:
    taken = census_of(lambda s: s.add_client_error("get_discovered_resource_counts", "AccessDeniedException",
                                                   "not authorized", 400))
    assert taken.counts == {}
    assert taken.problem == ("AccessDeniedException on config:GetDiscoveredResourceCounts "
                             "(IAM action config:GetDiscoveredResourceCounts)")


def test_an_item_without_its_count_fails_the_census_instead_of_counting_none() -> None:
    taken = census_of(lambda s: s.add_response("get_discovered_resource_counts", {
        "resourceCounts": [{"resourceType": "AWS::S3::Bucket"}]}, {}))
    assert taken.problem == "config:GetDiscoveredResourceCounts returned an item without count"


def test_a_token_that_repeats_ends_the_count_as_a_problem() -> None:
    page = {"resourceCounts": [{"resourceType": "AWS::S3::Bucket", "count": 1}], "nextToken": "again"}

    def stub(stubber: Stubber) -> None:
        stubber.add_response("get_discovered_resource_counts", page, {})
        stubber.add_response("get_discovered_resource_counts", page, {"nextToken": "again"})

    assert "PaginationError on config:GetDiscoveredResourceCounts" in (census_of(stub).problem or "")


def test_discovered_counts_sums_a_type_listed_on_two_pages() -> None:
    client = config_client()
    with Stubber(client) as stubber:
        stubber.add_response("get_discovered_resource_counts", {
            "resourceCounts": [{"resourceType": "AWS::SQS::Queue", "count": 2}], "nextToken": "t"}, {})
        stubber.add_response("get_discovered_resource_counts", {
            "resourceCounts": [{"resourceType": "AWS::SQS::Queue", "count": 1}]}, {"nextToken": "t"})
        assert discovered_counts(client) == {"AWS::SQS::Queue": 3}


# -- the entries -------------------------------------------------------------------------------------
#: A small types table: a type with a collector, a split child read with its parent, one no collector reads.
TABLE = parse({"types": {
    "aws_s3_bucket": {"kind": ["stores-data"], "collector": "S3Buckets", "config": ["AWS::S3::Bucket"]},
    "aws_flow_log": {"kind": ["security-control"], "config": ["AWS::EC2::FlowLog"],
                     "fold": {"parents": ["aws_vpc"], "link": "vpc_id", "parent_keys": ["id"], "into": "flow_log",
                              "mode": "append"}},
    "aws_vpc": {"kind": ["network-path"], "collector": "Vpcs", "config": ["AWS::EC2::VPC"]},
    "aws_eks_cluster": {"kind": ["stores-data"], "config": ["AWS::EKS::Cluster"]},
}})


@pytest.fixture
def small_table(monkeypatch: pytest.MonkeyPatch) -> None:
    mapping: dict[str, tuple[str, ...]] = {}
    for terraform, info in TABLE.records.items():
        for name in info.config:
            mapping[name] = (*mapping.get(name, ()), terraform)
    monkeypatch.setattr(coverage, "config_types", lambda: mapping)
    monkeypatch.setattr(coverage, "type_info", TABLE.records.get)


def test_each_type_counted_but_not_read_is_an_entry_saying_why(small_table: None) -> None:
    counts = {"AWS::S3::Bucket": 4, "AWS::EC2::VPC": 2, "AWS::EC2::FlowLog": 1, "AWS::EKS::Cluster": 3,
              "AWS::CloudFormation::Stack": 7}
    entries = coverage.not_read(Census(ACCOUNT, "eu-west-1", counts, frozenset({"aws_s3_bucket"})))
    assert {e["address"]: (e["resource_type"], e["count"], e["reason"]) for e in entries} == {
        f"{ACCOUNT}/eu-west-1/AWS::CloudFormation::Stack": (
            "AWS::CloudFormation::Stack", 7, "present in the account (7, per AWS Config): no Terraform type maps "
                                             "to it (policies/types.yaml), so no collector reads it"),
        f"{ACCOUNT}/eu-west-1/AWS::EC2::FlowLog": (
            "AWS::EC2::FlowLog", 1, "present in the account (1, per AWS Config): not read, as no selected rule "
                                    "reads aws_flow_log"),
        f"{ACCOUNT}/eu-west-1/AWS::EC2::VPC": (
            "AWS::EC2::VPC", 2, "present in the account (2, per AWS Config): not read, as no selected rule reads aws_vpc"),
        f"{ACCOUNT}/eu-west-1/AWS::EKS::Cluster": (
            "AWS::EKS::Cluster", 3, "present in the account (3, per AWS Config): no collector reads aws_eks_cluster"),
    }
    # a type the scan read has its resources judged (or listed) one by one: no count entry
    assert not coverage.not_read(Census(ACCOUNT, "eu-west-1", {"AWS::S3::Bucket": 4}, frozenset({"aws_s3_bucket"})))


def test_a_count_not_had_or_empty_is_an_entry_too() -> None:
    denied = coverage.not_read(Census(ACCOUNT, "us-east-1", {}, frozenset(), problem="AccessDeniedException on x"))
    empty = coverage.not_read(Census(ACCOUNT, "us-east-2", {}, frozenset()))
    assert denied == [{"address": f"{ACCOUNT}/us-east-1/AWS::*", "resource_type": "AWS::*",
                       "reason": "could not list the types present: AccessDeniedException on x: " + coverage.UNCOUNTED}]
    assert empty[0]["reason"].startswith("AWS Config counts no resource here (it is not recording")


# -- a live scan ---------------------------------------------------------------------------------------
def _counts_answer(counts: dict[str, int]) -> Any:
    """`before-send` for GetDiscoveredResourceCounts: `counts` in the operation's JSON wire format."""
    body = json.dumps({"totalDiscoveredResources": sum(counts.values()),
                       "resourceCounts": [{"resourceType": k, "count": v} for k, v in counts.items()]}).encode()

    class _Raw:
        def stream(self, **_: Any) -> Iterator[bytes]:
            yield body

    def answer(request: Any, **_: Any) -> AWSResponse | None:
        if request.headers.get("X-Amz-Target", b"").endswith(b"GetDiscoveredResourceCounts"):
            return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, _Raw())
        return None

    return answer


@pytest.fixture
def config_counts(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """AWS Config's answer in the scans of this test (every config client the scanner makes)."""
    counts: dict[str, int] = {}
    made = AccountSession.client

    def client(self: AccountSession, service: str, region: str) -> Any:
        built = made(self, service, region)
        if service == "config":
            built.meta.events.register("before-send.config", _counts_answer(counts), unique_id="census-answer")
        return built

    monkeypatch.setattr(AccountSession, "client", client)
    return counts


def validate(document: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator(results_schema()).validate(document)


def test_a_live_scan_names_what_config_counts_and_no_collector_read(aws: Any, config_counts: dict[str, int]) -> None:
    aws("s3").create_bucket(Bucket="claims-exports")
    config_counts.update({"AWS::S3::Bucket": 1, "AWS::CloudFormation::Stack": 2, "AWS::SSM::Document": 0})
    report = scan_moto(aws, "us-east-1,eu-west-1")
    document = json.loads(json.dumps(report.to_document()))
    validate(document)
    counted = {e["address"]: e for e in document["not_evaluated"] if e["address"].startswith(f"{ACCOUNT}/")}
    assert set(counted) == {f"{ACCOUNT}/{region}/AWS::CloudFormation::Stack" for region in ("us-east-1", "eu-west-1")}
    assert {e["count"] for e in counted.values()} == {2}
    assert "claims-exports" in {r.address.rsplit(":", 1)[-1] for r in report.results}  # read, judged: not listed
    assert document["summary"]["not_evaluated"] == len(document["not_evaluated"])
    assert "AWS::CloudFormation::Stack" in render(document, "markdown")
    assert "AWS::CloudFormation::Stack" in render(document, "html")
    assert "no Terraform type maps to it" in render(document, "table")


def test_a_one_rule_scan_names_the_types_it_did_not_read_because_no_rule_asked(
        aws: Any, config_counts: dict[str, int], tmp_path: Any) -> None:
    config_counts.update({"AWS::S3::Bucket": 1, "AWS::KMS::Key": 2})
    pack = tmp_path / "one.yaml"
    pack.write_text(json.dumps({"pack": {"id": "one", "title": "One rule", "version": "1",
                                         "controls": [{"id": "c", "title": "one", "rules": ["VG-KMS-001"]}]}}))
    report = scan_moto(aws, packs=[str(pack)])
    assert {e["resource_type"]: e["reason"] for e in report.not_evaluated} == {
        "AWS::S3::Bucket": "present in the account (1, per AWS Config): not read, as no selected rule reads aws_s3_bucket"}


def test_when_moto_cannot_count_the_scan_says_so_and_goes_on(aws: Any) -> None:
    aws("ec2").create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=False)
    report = scan_moto(aws)
    [entry] = [e for e in report.not_evaluated if e["resource_type"] == "AWS::*"]
    assert entry["address"] == f"{ACCOUNT}/us-east-1/AWS::*"
    assert entry["reason"].startswith("could not list the types present: 500 on config:GetDiscoveredResourceCounts")
    assert any(r.rule_id == "VG-EC2-001" for r in report.results)  # the scan itself went on


def test_a_denied_count_is_named_in_the_report_and_the_scan_goes_on(aws: Any) -> None:
    aws("ec2").create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=False)
    proxy = FaultProxy(aws.endpoint).start()
    try:
        proxy.faults = [Fault("config", "access_denied", operation="GetDiscoveredResourceCounts")]
        report = scan_moto(type("Moto", (), {"endpoint": proxy.url})(), "us-east-1,eu-west-1")
    finally:
        proxy.stop()
    assert proxy.faults[0].fired == 2
    denied = {e["address"]: e["reason"] for e in report.not_evaluated if e["resource_type"] == "AWS::*"}
    assert denied == {f"{ACCOUNT}/{r}/AWS::*": "could not list the types present: AccessDeniedException on "
                      "config:GetDiscoveredResourceCounts (IAM action config:GetDiscoveredResourceCounts): "
                      + coverage.UNCOUNTED for r in ("us-east-1", "eu-west-1")}
    assert "could not list the types present" in render(json.loads(json.dumps(report.to_document())), "table")
    assert any(r.rule_id == "VG-EC2-001" for r in report.results)


def test_the_scanning_role_policy_grants_the_count() -> None:
    shown = vendorguard("iam-policy")
    assert shown.returncode == 0, shown.stderr
    assert "config:GetDiscoveredResourceCounts" in json.loads(shown.stdout)["Statement"][0]["Action"]
