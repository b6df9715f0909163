"""Collectors for API Gateway (REST and HTTP/WebSocket), Classic Load Balancers, Kinesis, Firehose,
SageMaker, the Glue Data Catalog, Athena and Transfer Family.

Each test seeds the moto server (the `aws` fixture) with a good and a bad resource and runs the
real scanner over HTTP; moto implements every call these collectors make.  What moto cannot be
made to answer — an HTTP API domain without its SecurityPolicy, a Firehose stream whose encryption
is still ENABLING, a workgroup read denied, more delivery streams than one page — is tested with
botocore's Stubber on the response shapes AWS documents, through the same engine.
"""
from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from conftest import results_for, run_engine, scan_moto
from vendorguard.scanner.model import UNKNOWN, Inventory, Status
from vendorguard.scanner.sources.aws.collector import Ctx
from vendorguard.scanner.sources.aws.collectors import apigateway, glue_athena, streams

ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's default account
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/2f4e6a8c-1b3d-4f5a-9c7e-0a1b2c3d4e5f"
P, F, U, NA = Status.PASS, Status.FAIL, Status.UNKNOWN, Status.NOT_APPLICABLE


def by_name(report: Any, rule_id: str, *, key: Any = None) -> dict[str, Status]:
    """One rule's verdicts keyed by the last part of each address (or by `key(address)`)."""
    return {(key or (lambda a: a.rsplit("/", 1)[-1]))(address): status
            for address, status in results_for(report, rule_id).items()}


# -- API Gateway -------------------------------------------------------------------------------------

def test_rest_api_stages_methods_settings_and_domains(aws: Any) -> None:
    api = aws("apigateway")
    rest = api.create_rest_api(name="claims")["id"]
    root = next(r["id"] for r in api.get_resources(restApiId=rest)["items"] if r["path"] == "/")
    claims = api.create_resource(restApiId=rest, parentId=root, pathPart="claims")["id"]
    for verb, auth in (("GET", "AWS_IAM"), ("POST", "NONE"), ("OPTIONS", "NONE")):
        api.put_method(restApiId=rest, resourceId=claims, httpMethod=verb, authorizationType=auth)
        api.put_integration(restApiId=rest, resourceId=claims, httpMethod=verb, type="MOCK")
    deployment = api.create_deployment(restApiId=rest)["id"]
    api.create_stage(restApiId=rest, stageName="prod", deploymentId=deployment)
    api.create_stage(restApiId=rest, stageName="dev", deploymentId=deployment)
    api.update_stage(restApiId=rest, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn",
         "value": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:api-access"},
        {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/dataEncrypted", "value": "true"},
        {"op": "replace", "path": "/*/*/logging/dataTrace", "value": "false"}])
    api.update_stage(restApiId=rest, stageName="dev", patchOperations=[
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/dataEncrypted", "value": "false"},
        {"op": "replace", "path": "/*/*/logging/dataTrace", "value": "true"}])
    api.create_domain_name(domainName="api.example.com", securityPolicy="TLS_1_2",
                           regionalCertificateArn=f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/good")
    api.create_domain_name(domainName="old.example.com", securityPolicy="TLS_1_0",
                           regionalCertificateArn=f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/old")
    report = scan_moto(aws)
    stage = f"arn:aws:apigateway:{REGION}::/restapis/{rest}/stages"
    assert results_for(report, "VG-APIGW-001") == {f"{stage}/prod": P, f"{stage}/dev": F}
    settings = {f"{stage}/prod/settings/*/*": P, f"{stage}/dev/settings/*/*": F}
    assert results_for(report, "VG-APIGW-006") == settings
    assert results_for(report, "VG-APIGW-007") == settings
    assert by_name(report, "VG-APIGW-004") == {"GET": P, "POST": F, "OPTIONS": NA}
    assert by_name(report, "VG-APIGW-002") == {"api.example.com": P, "old.example.com": F}


def test_http_and_websocket_api_stages_routes_and_domains(aws: Any) -> None:
    v2 = aws("apigatewayv2")
    http = v2.create_api(Name="portal", ProtocolType="HTTP")["ApiId"]
    ws = v2.create_api(Name="notify", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
    routes = {key: v2.create_route(ApiId=api, RouteKey=key, AuthorizationType=auth)["RouteId"]
              for api, key, auth in ((http, "GET /claims", "JWT"), (http, "POST /claims", "NONE"),
                                     (http, "OPTIONS /claims", "NONE"), (http, "$default", "NONE"),
                                     (ws, "$connect", "NONE"), (ws, "sendmessage", "NONE"))}
    v2.create_stage(ApiId=http, StageName="$default", AccessLogSettings={
        "DestinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:portal", "Format": "$context.requestId"})
    v2.create_stage(ApiId=ws, StageName="prod")
    v2.create_domain_name(DomainName="portal.example.com", DomainNameConfigurations=[
        {"CertificateArn": f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/p", "EndpointType": "REGIONAL",
         "SecurityPolicy": "TLS_1_2"}])
    v2.create_domain_name(DomainName="legacy.example.com", DomainNameConfigurations=[
        {"CertificateArn": f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/l", "EndpointType": "REGIONAL",
         "SecurityPolicy": "TLS_1_0"}])
    report = scan_moto(aws)
    names = {route_id: key for key, route_id in routes.items()}
    assert by_name(report, "VG-APIGW-005", key=lambda a: names[a.rsplit("/", 1)[-1]]) == {
        "GET /claims": P, "POST /claims": F, "OPTIONS /claims": NA, "$default": NA,
        "$connect": F, "sendmessage": NA}
    assert results_for(report, "VG-APIGW-001") == {
        f"arn:aws:apigateway:{REGION}::/apis/{http}/stages/$default": P,
        f"arn:aws:apigateway:{REGION}::/apis/{ws}/stages/prod": F}
    assert by_name(report, "VG-APIGW-003") == {"portal.example.com": P, "legacy.example.com": F}


def stubbed(service: str) -> tuple[Ctx, Stubber]:
    """A Ctx whose `service` client is a botocore Stubber (no network)."""
    import boto3

    client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    ctx = Ctx(ACCOUNT, REGION, "aws", lambda s, r: client, source="aws")
    return ctx, stub


def verdicts(ctx: Ctx, *rule_ids: str) -> dict[tuple[str, str], Status]:
    inventory = Inventory(source="aws", origin=ACCOUNT, resources=ctx.resources, complete=True,
                          scopes={(ACCOUNT, REGION)})
    return {(r.rule_id, r.address.rsplit("/", 1)[-1]): r.status for r in run_engine(inventory, list(rule_ids))}


def test_http_api_domain_without_a_security_policy_is_unknown() -> None:
    """Stubber: moto always fills SecurityPolicy in; AWS's shape makes it optional."""
    ctx, stub = stubbed("apigatewayv2")
    stub.add_response("get_domain_names", {"Items": [
        {"DomainName": "portal.example.com", "DomainNameConfigurations": [{"EndpointType": "REGIONAL"}]}]})
    with stub:
        apigateway.HttpApiDomainNames().collect(ctx)
    (resource,) = ctx.resources
    assert resource.attributes["domain_name_configuration"][0]["security_policy"] is UNKNOWN
    assert "did not return SecurityPolicy" in (resource.unknown_reason or "")
    assert verdicts(ctx, "VG-APIGW-003") == {("VG-APIGW-003", "portal.example.com"): U}


# -- Classic Load Balancers --------------------------------------------------------------------------

def test_classic_load_balancers_listeners_logs_and_tls_policies(aws: Any) -> None:
    elb = aws("elb")
    cert = aws("acm").request_certificate(DomainName="portal.example.com")["CertificateArn"]
    https = {"Protocol": "HTTPS", "LoadBalancerPort": 443, "InstanceProtocol": "HTTPS", "InstancePort": 8443,
             "SSLCertificateId": cert}
    elb.create_load_balancer(LoadBalancerName="portal", Listeners=[https], AvailabilityZones=["us-east-1a"])
    elb.create_load_balancer(LoadBalancerName="legacy", AvailabilityZones=["us-east-1a"], Listeners=[
        https, {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 8080}])
    elb.modify_load_balancer_attributes(LoadBalancerName="portal", LoadBalancerAttributes={
        "AccessLog": {"Enabled": True, "S3BucketName": "elb-logs", "EmitInterval": 60}})
    for lb, reference in (("portal", "ELBSecurityPolicy-TLS-1-2-2017-01"), ("legacy", "ELBSecurityPolicy-2016-08")):
        elb.create_load_balancer_policy(LoadBalancerName=lb, PolicyName=f"{lb}-tls",
                                        PolicyTypeName="SSLNegotiationPolicyType", PolicyAttributes=[
                                            {"AttributeName": "Reference-Security-Policy", "AttributeValue": reference}])
        elb.set_load_balancer_policies_of_listener(LoadBalancerName=lb, LoadBalancerPort=443,
                                                   PolicyNames=[f"{lb}-tls"])
    report = scan_moto(aws)
    for rule in ("VG-ELB-006", "VG-ELB-007"):
        assert by_name(report, rule) == {"portal": P, "legacy": F}, rule
    assert by_name(report, "VG-ELB-008") == {"portal-tls": P, "legacy-tls": F}


# -- Kinesis and Firehose ----------------------------------------------------------------------------

def test_kinesis_streams_and_firehose_delivery_streams(aws: Any) -> None:
    kinesis = aws("kinesis")
    for name in ("claims", "audit"):
        kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.start_stream_encryption(StreamName="claims", EncryptionType="KMS", KeyId=KEY)
    firehose = aws("firehose")
    s3 = {"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::log-archive"}
    for name in ("cmk", "owned", "plain", "unsaid"):
        firehose.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3)
    firehose.start_delivery_stream_encryption(DeliveryStreamName="cmk", DeliveryStreamEncryptionConfigurationInput={
        "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": KEY})
    for name in ("owned", "plain"):
        firehose.start_delivery_stream_encryption(DeliveryStreamName=name, DeliveryStreamEncryptionConfigurationInput={
            "KeyType": "AWS_OWNED_CMK"})
    firehose.stop_delivery_stream_encryption(DeliveryStreamName="plain")
    report = scan_moto(aws)
    assert by_name(report, "VG-KIN-001") == {"claims": P, "audit": F}
    # "unsaid": moto leaves DeliveryStreamEncryptionConfiguration out (AWS always returns it): UNKNOWN
    assert by_name(report, "VG-FH-001") == {"cmk": P, "owned": P, "plain": F, "unsaid": U}
    assert by_name(report, "VG-FH-002") == {"cmk": P, "owned": F, "plain": F, "unsaid": U}


def _stream_description(name: str, status: str, kind: str = "DirectPut") -> dict[str, Any]:
    return {"DeliveryStreamDescription": {
        "DeliveryStreamName": name, "DeliveryStreamARN": f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/{name}",
        "DeliveryStreamStatus": "ACTIVE", "DeliveryStreamType": kind, "VersionId": "1", "Destinations": [],
        "HasMoreDestinations": False,
        "DeliveryStreamEncryptionConfiguration": {"KeyType": "AWS_OWNED_CMK", "Status": status}}}


def test_firehose_pages_by_name_and_reads_encryption_status() -> None:
    """Stubber: ListDeliveryStreams has no paginator (HasMoreDeliveryStreams and "start after this
    name"); ENABLING is not yet encrypted; a stream fed by Kinesis is not judged on its own SSE."""
    ctx, stub = stubbed("firehose")
    stub.add_response("list_delivery_streams", {"DeliveryStreamNames": ["a"], "HasMoreDeliveryStreams": True},
                      {"Limit": 10000})
    stub.add_response("list_delivery_streams", {"DeliveryStreamNames": ["b", "c"], "HasMoreDeliveryStreams": False},
                      {"Limit": 10000, "ExclusiveStartDeliveryStreamName": "a"})
    for name, status, kind in (("a", "ENABLED", "DirectPut"), ("b", "ENABLING", "DirectPut"),
                               ("c", "DISABLED", "KinesisStreamAsSource")):
        stub.add_response("describe_delivery_stream", _stream_description(name, status, kind),
                          {"DeliveryStreamName": name})
    with stub:
        streams.DeliveryStreams().collect(ctx)
    stub.assert_no_pending_responses()
    assert verdicts(ctx, "VG-FH-001") == {("VG-FH-001", "a"): P, ("VG-FH-001", "b"): F, ("VG-FH-001", "c"): NA}


# -- SageMaker ----------------------------------------------------------------------------------------

def test_sagemaker_notebooks_and_endpoint_configurations(aws: Any) -> None:
    sm = aws("sagemaker")
    sm.create_notebook_instance(NotebookInstanceName="locked", InstanceType="ml.t3.medium", RoleArn=ROLE,
                                KmsKeyId=KEY, DirectInternetAccess="Disabled", RootAccess="Disabled",
                                SubnetId="subnet-0a1b2c3d", SecurityGroupIds=["sg-0a1b2c3d"])
    sm.create_notebook_instance(NotebookInstanceName="open", InstanceType="ml.t3.medium", RoleArn=ROLE,
                                DirectInternetAccess="Enabled", RootAccess="Enabled")
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/denials:latest"})
    variant = [{"VariantName": "primary", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}]
    sm.create_endpoint_config(EndpointConfigName="keyed", ProductionVariants=variant, KmsKeyId=KEY)
    sm.create_endpoint_config(EndpointConfigName="plain", ProductionVariants=variant)
    report = scan_moto(aws)
    for rule in ("VG-SGM-001", "VG-SGM-002", "VG-SGM-003"):
        assert by_name(report, rule) == {"locked": P, "open": F}, rule
    assert by_name(report, "VG-SGM-004") == {"keyed": P, "plain": F}


# -- Glue Data Catalog and Athena ---------------------------------------------------------------------

@pytest.mark.parametrize("mode,encrypted,expect", [("SSE-KMS", True, (P, P)), ("DISABLED", False, (F, F))])
def test_glue_data_catalog_encryption(aws: Any, mode: str, encrypted: bool, expect: tuple[Status, Status]) -> None:
    at_rest: dict[str, Any] = {"CatalogEncryptionMode": mode, **({"SseAwsKmsKeyId": KEY} if encrypted else {})}
    passwords: dict[str, Any] = {"ReturnConnectionPasswordEncrypted": encrypted,
                                 **({"AwsKmsKeyId": KEY} if encrypted else {})}
    aws("glue").put_data_catalog_encryption_settings(DataCatalogEncryptionSettings={
        "EncryptionAtRest": at_rest, "ConnectionPasswordEncryption": passwords})
    report = scan_moto(aws)
    def catalog(address: str) -> str:  # arn:aws:glue:us-east-1:123456789012:catalog
        return address.rsplit(":", 1)[-1]

    assert (by_name(report, "VG-GLUE-001", key=catalog), by_name(report, "VG-GLUE-002", key=catalog)) == (
        {"catalog": expect[0]}, {"catalog": expect[1]})


def test_athena_workgroups(aws: Any) -> None:
    athena = aws("athena")
    athena.create_work_group(Name="analysts", Configuration={
        "EnforceWorkGroupConfiguration": True,
        "ResultConfiguration": {"OutputLocation": "s3://athena-results/analysts/",
                                "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": KEY}}})
    athena.create_work_group(Name="adhoc", Configuration={
        "EnforceWorkGroupConfiguration": False,
        "ResultConfiguration": {"OutputLocation": "s3://athena-results/adhoc/"}})
    report = scan_moto(aws)
    for rule in ("VG-ATH-001", "VG-ATH-002"):
        verdict = by_name(report, rule)
        assert {k: verdict[k] for k in ("analysts", "adhoc")} == {"analysts": P, "adhoc": F}, rule


def test_athena_workgroups_page_by_token_and_a_denied_read_is_unknown() -> None:
    """Stubber: ListWorkGroups pages by NextToken without a botocore paginator; a denied
    GetWorkGroup leaves the workgroup UNKNOWN, naming the call."""
    ctx, stub = stubbed("athena")
    stub.add_response("list_work_groups", {"WorkGroups": [{"Name": "a"}], "NextToken": "t2"}, {"MaxResults": 50})
    stub.add_response("list_work_groups", {"WorkGroups": [{"Name": "b"}]}, {"MaxResults": 50, "NextToken": "t2"})
    stub.add_response("get_work_group", {"WorkGroup": {"Name": "a", "Configuration": {
        "EnforceWorkGroupConfiguration": True}}}, {"WorkGroup": "a"})
    stub.add_client_error("get_work_group", "AccessDeniedException", expected_params={"WorkGroup": "b"})
    with stub:
        glue_athena.Workgroups().collect(ctx)
    stub.assert_no_pending_responses()
    assert verdicts(ctx, "VG-ATH-002") == {("VG-ATH-002", "a"): P, ("VG-ATH-002", "b"): U}
    denied = next(r for r in ctx.resources if r.attributes["name"] == "b")
    assert "AccessDeniedException on athena:GetWorkGroup" in (denied.unknown_reason or "")


# -- Transfer Family ---------------------------------------------------------------------------------

def test_transfer_servers(aws: Any) -> None:
    transfer = aws("transfer")
    good = transfer.create_server(Protocols=["SFTP"], SecurityPolicyName="TransferSecurityPolicy-2024-01",
                                  EndpointType="VPC", IdentityProviderType="SERVICE_MANAGED",
                                  EndpointDetails={"VpcId": "vpc-0a1b2c3d", "SubnetIds": ["subnet-0a1b2c3d"]})["ServerId"]
    bad = transfer.create_server(Protocols=["SFTP", "FTP"], SecurityPolicyName="TransferSecurityPolicy-2018-11",
                                 EndpointType="PUBLIC", IdentityProviderType="SERVICE_MANAGED")["ServerId"]
    report = scan_moto(aws)
    for rule in ("VG-TRF-001", "VG-TRF-002", "VG-TRF-003"):
        assert by_name(report, rule) == {good: P, bad: F}, rule
