"""Collectors for Glue security configurations, jobs, crawlers and development endpoints,
SageMaker domains and models, Transfer Family users, and REST APIs (endpoint types, resource
policies, web ACLs on stages).

Against the moto server where moto implements the calls (Glue GetSecurityConfigurations, GetJobs,
GetCrawlers and GetDevEndpoints; SageMaker ListDomains/DescribeDomain and ListModels/DescribeModel;
API Gateway GetRestApis and GetStages with a WAFv2 association): seed a good and a bad resource,
scan, and check the verdicts.  botocore's Stubber, with the response shapes AWS documents, where
moto cannot answer: Transfer's ListUsers (not implemented by moto), a REST API policy in the
backslash-escaped form API Gateway returns (moto returns it as stored), members AWS left out and
denied reads.
"""
from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from conftest import policy, results_for, run_engine, scan_moto
from vendorguard.scanner.functions import VendorguardFunctions
from vendorguard.scanner.model import UNKNOWN, Inventory, Status
from vendorguard.scanner.sources.aws.collector import CallFailed, Ctx
from vendorguard.scanner.sources.aws.collectors import apigateway, glue_athena, sagemaker, transfer

ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's default account
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/2f4e6a8c-1b3d-4f5a-9c7e-0a1b2c3d4e5f"
P, F, U, NA = Status.PASS, Status.FAIL, Status.UNKNOWN, Status.NOT_APPLICABLE


def by_name(report: Any, rule_id: str) -> dict[str, Status]:
    """One rule's verdicts keyed by the last part of each address."""
    return {address.rsplit("/", 1)[-1]: status for address, status in results_for(report, rule_id).items()}


def stubbed(service: str) -> tuple[Ctx, Stubber]:
    """A Ctx whose `service` client is a botocore Stubber (one worker: stubbed calls come in order)."""
    client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return Ctx(ACCOUNT, REGION, "aws", lambda s, r: client, workers=1, source="aws"), Stubber(client)


def verdicts(ctx: Ctx, rule_id: str) -> dict[str, Status]:
    inventory = Inventory(source="aws", origin=ACCOUNT, resources=ctx.resources, complete=True,
                          scopes={(ACCOUNT, REGION)})
    return {r.address.rsplit("/", 1)[-1]: r.status for r in run_engine(inventory, [rule_id])}


# -- Glue ---------------------------------------------------------------------------------------------

def test_glue_security_configurations_and_jobs(aws: Any) -> None:
    glue = aws("glue")
    glue.create_security_configuration(Name="sealed", EncryptionConfiguration={
        "S3Encryption": [{"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": KEY}],
        "CloudWatchEncryption": {"CloudWatchEncryptionMode": "SSE-KMS", "KmsKeyArn": KEY},
        "JobBookmarksEncryption": {"JobBookmarksEncryptionMode": "CSE-KMS", "KmsKeyArn": KEY}})
    glue.create_security_configuration(Name="plain", EncryptionConfiguration={
        "S3Encryption": [{"S3EncryptionMode": "SSE-S3"}],
        "CloudWatchEncryption": {"CloudWatchEncryptionMode": "DISABLED"},
        "JobBookmarksEncryption": {"JobBookmarksEncryptionMode": "DISABLED"}})
    command = {"Name": "glueetl", "ScriptLocation": "s3://glue-scripts/normalise.py"}
    glue.create_job(Name="normalise", Role=ROLE, Command=command, SecurityConfiguration="sealed")
    glue.create_job(Name="scratch", Role=ROLE, Command=command)
    targets = {"S3Targets": [{"Path": "s3://landing/claims/"}]}
    glue.create_crawler(Name="landing", Role=ROLE, DatabaseName="claims", Targets=targets,
                        CrawlerSecurityConfiguration="sealed")
    glue.create_crawler(Name="adhoc-crawl", Role=ROLE, DatabaseName="claims", Targets=targets)
    glue.create_dev_endpoint(EndpointName="sandbox", RoleArn=ROLE)
    report = scan_moto(aws)
    assert by_name(report, "VG-GLUE-003") == {"sealed": P, "plain": F}
    assert by_name(report, "VG-GLUE-004") == {"normalise": P, "scratch": F, "landing": P, "adhoc-crawl": F,
                                              "sandbox": F}


def test_a_glue_encryption_setting_aws_left_out_is_unknown_not_disabled() -> None:
    """Stubber: every member of EncryptionConfiguration is optional in AWS's shape."""
    ctx, stub = stubbed("glue")
    stub.add_response("get_security_configurations", {"SecurityConfigurations": [{"Name": "partial", "EncryptionConfiguration": {
        "S3Encryption": [], "CloudWatchEncryption": {"CloudWatchEncryptionMode": "SSE-KMS", "KmsKeyArn": KEY},
        "JobBookmarksEncryption": {"JobBookmarksEncryptionMode": "CSE-KMS", "KmsKeyArn": KEY}}}]})
    with stub:
        glue_athena.GlueSecurityConfigurations().collect(ctx)
    (config,) = ctx.resources
    assert config.attributes["encryption_configuration"][0]["s3_encryption"][0]["s3_encryption_mode"] is UNKNOWN
    assert "did not return S3EncryptionMode" in (config.unknown_reason or "")
    assert verdicts(ctx, "VG-GLUE-003") == {"partial": U}


# -- SageMaker ----------------------------------------------------------------------------------------

def test_sagemaker_domains_and_models(aws: Any) -> None:
    sm = aws("sagemaker")
    settings = {"ExecutionRole": ROLE}
    closed = sm.create_domain(DomainName="studio", AuthMode="IAM", DefaultUserSettings=settings,
                              SubnetIds=["subnet-0a1b2c3d"], VpcId="vpc-0a1b2c3d", AppNetworkAccessType="VpcOnly",
                              KmsKeyId=KEY)["DomainArn"].rsplit("/", 1)[-1]
    open_ = sm.create_domain(DomainName="sandbox", AuthMode="IAM", DefaultUserSettings=settings,
                             SubnetIds=["subnet-0a1b2c3d"], VpcId="vpc-0a1b2c3d",
                             AppNetworkAccessType="PublicInternetOnly")["DomainArn"].rsplit("/", 1)[-1]
    container = {"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/denials:latest"}
    sm.create_model(ModelName="in-vpc", ExecutionRoleArn=ROLE, PrimaryContainer=container,
                    VpcConfig={"SecurityGroupIds": ["sg-0a1b2c3d"], "Subnets": ["subnet-0a1b2c3d"]})
    sm.create_model(ModelName="loose", ExecutionRoleArn=ROLE, PrimaryContainer=container)
    report = scan_moto(aws)
    assert by_name(report, "VG-SGM-005") == {closed: P, open_: F}
    assert by_name(report, "VG-SGM-006") == {closed: P, open_: F}
    assert by_name(report, "VG-SGM-007") == {"in-vpc": P, "loose": F}


def test_a_denied_domain_read_is_unknown_and_an_isolated_model_passes() -> None:
    """Stubber: moto cannot deny one Describe, and stores every model without network isolation."""
    ctx, stub = stubbed("sagemaker")
    stub.add_response("list_domains", {"Domains": [{"DomainId": "d-0a1b2c3d4e5f", "DomainName": "studio"}]})
    stub.add_client_error("describe_domain", "AccessDeniedException", http_status_code=400,
                          expected_params={"DomainId": "d-0a1b2c3d4e5f"})
    with stub:
        sagemaker.SageMakerDomains().collect(ctx)
    (domain,) = ctx.resources
    assert domain.attributes["app_network_access_type"] is UNKNOWN
    assert "AccessDeniedException on sagemaker:DescribeDomain" in (domain.unknown_reason or "")
    assert verdicts(ctx, "VG-SGM-005") == {"d-0a1b2c3d4e5f": U}

    ctx, stub = stubbed("sagemaker")
    stub.add_response("list_models", {"Models": [{"ModelName": "isolated", "ModelArn": "arn:aws:sagemaker:us-east-1:"
                                                  f"{ACCOUNT}:model/isolated", "CreationTime": 0}]})
    stub.add_response("describe_model", {"ModelName": "isolated", "ModelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:"
                                         "model/isolated", "CreationTime": 0, "EnableNetworkIsolation": True},
                      {"ModelName": "isolated"})
    with stub:
        sagemaker.SageMakerModels().collect(ctx)
    assert verdicts(ctx, "VG-SGM-007") == {"isolated": P}


# -- Transfer Family users ----------------------------------------------------------------------------

def _user(name: str, **extra: Any) -> dict[str, Any]:
    return {"Arn": f"arn:aws:transfer:{REGION}:{ACCOUNT}:user/s-0a1b2c3d4e5f60718/{name}", "UserName": name,
            "Role": ROLE, **extra}


def test_transfer_users_confined_to_logical_home_directories() -> None:
    """Stubber: moto does not implement ListUsers.  An absent HomeDirectoryType is UNKNOWN."""
    ctx, stub = stubbed("transfer")
    stub.add_response("list_servers", {"Servers": [{"Arn": f"arn:aws:transfer:{REGION}:{ACCOUNT}:server/s-0a1b2c3d4e5f60718",
                                                    "ServerId": "s-0a1b2c3d4e5f60718"}]})
    stub.add_response("list_users", {"ServerId": "s-0a1b2c3d4e5f60718", "Users": [
        _user("clearinghouse-a", HomeDirectoryType="LOGICAL"),
        _user("clearinghouse-b", HomeDirectoryType="PATH", HomeDirectory="/sftp-bucket"),
        _user("clearinghouse-c")]}, {"ServerId": "s-0a1b2c3d4e5f60718"})
    with stub:
        transfer.TransferUsers().collect(ctx)
    assert verdicts(ctx, "VG-TRF-004") == {"clearinghouse-a": P, "clearinghouse-b": F, "clearinghouse-c": U}


def test_a_denied_user_listing_is_a_gap_not_an_empty_server() -> None:
    ctx, stub = stubbed("transfer")
    stub.add_response("list_servers", {"Servers": [{"Arn": f"arn:aws:transfer:{REGION}:{ACCOUNT}:server/s-0a1b2c3d4e5f60719",
                                                    "ServerId": "s-0a1b2c3d4e5f60719"}]})
    stub.add_client_error("list_users", "AccessDeniedException", http_status_code=400,
                          expected_params={"ServerId": "s-0a1b2c3d4e5f60719"})
    with stub, pytest.raises(CallFailed) as failed:
        transfer.TransferUsers().collect(ctx)
    assert "AccessDeniedException on transfer:ListUsers" in failed.value.reason
    assert ctx.resources == []


# -- API Gateway: web ACLs on stages, private APIs' resource policies --------------------------------

def _invoke(condition: dict[str, Any] | None = None, effect: str = "Allow") -> dict[str, Any]:
    statement = {"Effect": effect, "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
    return {**statement, "Condition": condition} if condition else statement


FENCE = {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}


def test_rest_api_web_acls_and_private_api_policies(aws: Any) -> None:
    api = aws("apigateway")
    private = {"types": ["PRIVATE"], "vpcEndpointIds": ["vpce-0a1b2c3d"]}
    fenced = api.create_rest_api(name="fenced", endpointConfiguration=private,
                                 policy=policy(_invoke(), _invoke(FENCE, "Deny")))["id"]
    open_ = api.create_rest_api(name="open", endpointConfiguration=private, policy=policy(_invoke()))["id"]
    public = api.create_rest_api(name="public", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = next(r["id"] for r in api.get_resources(restApiId=public)["items"] if r["path"] == "/")
    api.put_method(restApiId=public, resourceId=root, httpMethod="GET", authorizationType="AWS_IAM")
    api.put_integration(restApiId=public, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = api.create_deployment(restApiId=public)["id"]
    for stage in ("prod", "dev"):
        api.create_stage(restApiId=public, stageName=stage, deploymentId=deployment)
    acl = aws("wafv2").create_web_acl(
        Name="claims-api", Scope="REGIONAL", DefaultAction={"Allow": {}}, Rules=[],
        VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "api"},
    )["Summary"]["ARN"]
    aws("wafv2").associate_web_acl(WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:{REGION}::/restapis/{public}/stages/prod")
    report = scan_moto(aws)
    assert by_name(report, "VG-APIGW-008") == {"prod": P, "dev": F}
    assert by_name(report, "VG-APIGW-009") == {fenced: P, open_: F, public: NA}


def test_an_escaped_policy_is_read_and_an_api_without_endpoint_types_is_unknown() -> None:
    """Stubber: API Gateway returns a policy with its quotes backslash-escaped (moto returns it as
    stored), and its shape makes endpointConfiguration optional."""
    escaped = policy(_invoke(), _invoke(FENCE, "Deny")).replace('"', '\\"')
    ctx, stub = stubbed("apigateway")
    stub.add_response("get_rest_apis", {"items": [
        {"id": "a1", "name": "fenced", "endpointConfiguration": {"types": ["PRIVATE"]}, "policy": escaped},
        {"id": "a2", "name": "unsaid", "policy": escaped}]})
    with stub:
        apigateway.RestApis().collect(ctx)
    first, second = ctx.resources
    assert json.loads(first.attributes["policy"])["Statement"][1]["Effect"] == "Deny"
    assert second.attributes["endpoint_configuration"][0]["types"] is UNKNOWN
    assert verdicts(ctx, "VG-APIGW-009") == {"a1": P, "a2": U}


# -- the domain function ------------------------------------------------------------------------------

@pytest.mark.parametrize("document,expected", [
    (policy(_invoke(), _invoke(FENCE, "Deny")), []),  # AWS's pattern: a Deny fences the Allow
    (policy(_invoke({"StringEquals": {"aws:SourceVpc": "vpc-1"}})), []),
    (policy({**_invoke(), "Sid": "Everyone"}), ["Everyone"]),
    # another account's endpoints are still any VPC's: a principal-account key is no fence
    (policy(_invoke({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}})), ["statement 0"]),
    (policy({**_invoke(), "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}), []),
    # the operator decides: a Deny of one endpoint lets every other in; an Allow from "not this
    # endpoint" admits all the rest
    (policy(_invoke(), _invoke({"StringEquals": {"aws:SourceVpce": "vpce-bad"}}, "Deny")), ["statement 0"]),
    (policy(_invoke({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}})), ["statement 0"]),
    (policy(_invoke({"ForAnyValue:StringNotLikeIfExists": {"aws:SourceVpc": "vpc-*"}}, "Deny"), _invoke()), []),
])
def test_vpc_unfenced_grants(document: str, expected: list[str]) -> None:
    assert VendorguardFunctions()._func_vpc_unfenced_grants(document) == expected
