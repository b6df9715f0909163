"""Collectors for load balancers, CloudFront, Lambda, CloudTrail, Config, Security Hub, Macie,
Inspector, CloudWatch, SNS, SQS and EventBridge.

Most tests seed a moto server (the `aws` fixture) with a good and a bad resource and run the real
scanner over HTTP.  What moto does not do — Macie's "not enabled" AccessDeniedException, SNS
subscriptions pending confirmation, Security Hub's GetEnabledStandards, organization shadow
trails, Inspector's failedAccounts, denied per-resource reads — is tested with botocore's Stubber
on the response shapes AWS documents, through the same scan loop (`scan_accounts`) and engine.
"""
from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from conftest import lambda_zip, policy, results_for, run_engine, scan_moto, trust
from vendorguard.scanner.model import UNKNOWN, Inventory, Status
from vendorguard.scanner.sources.aws import LiveAws
from vendorguard.scanner.sources.aws.collector import Ctx
from vendorguard.scanner.sources.aws.collectors import (awslambda, cloudtrail, elbv2, messaging,
                                                        posture)
from vendorguard.scanner.sources.aws.live import scan_accounts

ACCOUNT = "123456789012"  # moto's default account
E1, W1 = "us-east-1", "eu-west-1"


def scoped(rule_type: str, region: str | None) -> str:
    return f"{ACCOUNT}/{region or '(global)'}/{rule_type}"


def resources_of(report, rtype: str) -> dict[str, Any]:
    return {r.address: r for inv in report.inventories for r in inv.resources if r.type == rtype}


# -- load balancers -------------------------------------------------------------------------------

def _network(aws: Any) -> tuple[str, list[str]]:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
               ["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    return vpc, subnets


def test_load_balancers_and_listeners(aws: Any) -> None:
    vpc, subnets = _network(aws)
    elb = aws("elbv2")
    good = elb.create_load_balancer(Name="portal", Subnets=subnets, Type="application")["LoadBalancers"][0]
    bad = elb.create_load_balancer(Name="legacy", Subnets=subnets, Type="application")["LoadBalancers"][0]
    elb.modify_load_balancer_attributes(LoadBalancerArn=good["LoadBalancerArn"], Attributes=[
        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        {"Key": "access_logs.s3.enabled", "Value": "true"},
        {"Key": "access_logs.s3.bucket", "Value": "alb-logs"},
        {"Key": "deletion_protection.enabled", "Value": "true"}])
    group = elb.create_target_group(Name="app", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]
    cert = aws("acm").request_certificate(DomainName="portal.example.com")["CertificateArn"]
    forward = [{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}]
    redirect = elb.create_listener(LoadBalancerArn=good["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    modern = elb.create_listener(LoadBalancerArn=good["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                 SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                                 Certificates=[{"CertificateArn": cert}], DefaultActions=forward)
    plain = elb.create_listener(LoadBalancerArn=bad["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                DefaultActions=forward)
    old_tls = elb.create_listener(LoadBalancerArn=bad["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                  SslPolicy="ELBSecurityPolicy-2016-08",
                                  Certificates=[{"CertificateArn": cert}], DefaultActions=forward)
    report = scan_moto(aws)
    g, b = good["LoadBalancerArn"], bad["LoadBalancerArn"]
    for rule in ("VG-ELB-003", "VG-ELB-004", "VG-ELB-005"):
        assert results_for(report, rule) == {g: Status.PASS, b: Status.FAIL}, rule
    ids = {name: listener["Listeners"][0]["ListenerArn"]
           for name, listener in (("redirect", redirect), ("modern", modern), ("plain", plain), ("old", old_tls))}
    assert results_for(report, "VG-ELB-001") == {ids["redirect"]: Status.PASS, ids["modern"]: Status.PASS,
                                                 ids["plain"]: Status.FAIL, ids["old"]: Status.PASS}
    assert results_for(report, "VG-ELB-002") == {ids["redirect"]: Status.NOT_APPLICABLE,
                                                 ids["modern"]: Status.PASS,
                                                 ids["plain"]: Status.NOT_APPLICABLE, ids["old"]: Status.FAIL}
    lb = resources_of(report, "aws_lb")[g].attributes
    assert lb["access_logs"] == [{"enabled": True, "bucket": "alb-logs", "prefix": None}]
    assert lb["load_balancer_type"] == "application" and lb["internal"] is False
    listener = resources_of(report, "aws_lb_listener")[ids["redirect"]].attributes
    assert listener["default_action"][0]["type"] == "redirect"
    assert listener["default_action"][0]["redirect"][0]["protocol"] == "HTTPS"


# -- CloudFront -----------------------------------------------------------------------------------

def _distribution(cf: Any, ref: str, policy_name: str, certificate: dict[str, Any],
                  ordered: list[dict[str, Any]] | None = None) -> str:
    origin = {"Id": "site", "DomainName": "site.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
    behavior = {"TargetOriginId": "site", "ViewerProtocolPolicy": policy_name, "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "TrustedSigners": {"Enabled": False, "Quantity": 0}}
    config: dict[str, Any] = {"CallerReference": ref, "Comment": ref, "Enabled": True,
                              "Origins": {"Quantity": 1, "Items": [origin]},
                              "DefaultCacheBehavior": behavior, "ViewerCertificate": certificate}
    if ordered:
        config["CacheBehaviors"] = {"Quantity": len(ordered), "Items": [
            {**behavior, "PathPattern": o["path"], "ViewerProtocolPolicy": o["policy"]} for o in ordered]}
    return cf.create_distribution(DistributionConfig=config)["Distribution"]["ARN"]


def test_cloudfront_distributions(aws: Any) -> None:
    cf = aws("cloudfront")
    cert = aws("acm").request_certificate(DomainName="portal.example.com")["CertificateArn"]
    good = _distribution(cf, "good", "redirect-to-https", {
        "ACMCertificateArn": cert, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021",
        "CloudFrontDefaultCertificate": False})  # moto assumes True unless told
    bad = _distribution(cf, "bad", "allow-all", {"CloudFrontDefaultCertificate": True})
    mixed = _distribution(cf, "mixed", "https-only", {
        "ACMCertificateArn": cert, "SSLSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1_2016",
        "CloudFrontDefaultCertificate": False},
        ordered=[{"path": "/static/*", "policy": "allow-all"}])
    report = scan_moto(aws)
    assert results_for(report, "VG-CF-001") == {good: Status.PASS, bad: Status.FAIL, mixed: Status.FAIL}
    assert results_for(report, "VG-CF-002") == {good: Status.PASS, bad: Status.FAIL, mixed: Status.FAIL}
    attrs = resources_of(report, "aws_cloudfront_distribution")[mixed].attributes
    assert attrs["ordered_cache_behavior"][0]["path_pattern"] == "/static/*"
    assert attrs["viewer_certificate"][0]["cloudfront_default_certificate"] is False


# -- Lambda ---------------------------------------------------------------------------------------

def _role(aws: Any) -> str:
    return aws("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=trust(
        {"Service": "lambda.amazonaws.com"}))["Role"]["Arn"]


def test_lambda_functions_and_permissions(aws: Any) -> None:
    lam, role = aws("lambda"), _role(aws)

    def function(name: str, runtime: str, **extra: Any) -> str:
        return lam.create_function(FunctionName=name, Runtime=runtime, Role=role, Handler="index.handler",
                                   Code={"ZipFile": lambda_zip()}, **extra)["FunctionArn"]

    current = function("ingest", "python3.12", Environment={"Variables": {"DB_PASSWORD": "hunter2-secret"}})
    stale = function("legacy", "python3.8")
    lam.add_permission(FunctionName="ingest", StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::claims-inbox", SourceAccount=ACCOUNT)
    lam.add_permission(FunctionName="legacy", StatementId="anyone", Action="lambda:InvokeFunction", Principal="*")
    lam.add_permission(FunctionName="legacy", StatementId="org", Action="lambda:InvokeFunction", Principal="*",
                       PrincipalOrgID="o-abc123defg")
    report = scan_moto(aws)
    assert results_for(report, "VG-LMB-001") == {current: Status.PASS, stale: Status.FAIL}
    assert results_for(report, "VG-TPA-004") == {f"{current}/permission/s3": Status.PASS,
                                                 f"{stale}/permission/anyone": Status.FAIL,
                                                 f"{stale}/permission/org": Status.PASS}
    permission = resources_of(report, "aws_lambda_permission")[f"{current}/permission/s3"].attributes
    assert permission["principal"] == "s3.amazonaws.com" and permission["source_account"] == ACCOUNT
    assert permission["source_arn"] == "arn:aws:s3:::claims-inbox"
    # Environment variable values never enter a resource.
    assert "hunter2-secret" not in repr([r.attributes for inv in report.inventories for r in inv.resources])


def test_a_function_without_a_policy_has_no_permissions(aws: Any) -> None:
    aws("lambda").create_function(FunctionName="quiet", Runtime="python3.12", Role=_role(aws),
                                  Handler="index.handler", Code={"ZipFile": lambda_zip()})
    report = scan_moto(aws)
    assert results_for(report, "VG-TPA-004") == {}
    assert not [r for r in report.results if r.rule_id == "VG-TPA-004" and r.status is Status.UNKNOWN]


# -- CloudTrail -----------------------------------------------------------------------------------

def test_cloudtrail_trails(aws: Any) -> None:
    aws("s3").create_bucket(Bucket="trail-logs")
    ct = aws("cloudtrail")
    logs_group = f"arn:aws:logs:{E1}:{ACCOUNT}:log-group:trail:*"
    main = ct.create_trail(Name="org-audit", S3BucketName="trail-logs", IsMultiRegionTrail=True,
                           IncludeGlobalServiceEvents=True, EnableLogFileValidation=True,
                           KmsKeyId=f"arn:aws:kms:{E1}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                           CloudWatchLogsLogGroupArn=logs_group,
                           CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/trail")["TrailARN"]
    ct.start_logging(Name="org-audit")
    local = aws("cloudtrail", W1).create_trail(Name="eu-only", S3BucketName="trail-logs")["TrailARN"]
    report = scan_moto(aws, regions=f"{E1},{W1}")
    assert results_for(report, "VG-CT-001") == {scoped("aws_cloudtrail", None): Status.PASS}
    # The multi-region trail is listed once, in its home region.
    for rule in ("VG-CT-002", "VG-CT-003", "VG-CT-004"):
        assert results_for(report, rule) == {main: Status.PASS, local: Status.FAIL}, rule
    assert resources_of(report, "aws_cloudtrail")[main].region == E1
    assert resources_of(report, "aws_cloudtrail")[main].attributes["enable_logging"] is True

    ct.stop_logging(Name="org-audit")
    stopped = scan_moto(aws, regions=f"{E1},{W1}")
    assert results_for(stopped, "VG-CT-001") == {scoped("aws_cloudtrail", None): Status.FAIL}


def test_no_trail_fails_the_account(aws: Any) -> None:
    assert results_for(scan_moto(aws), "VG-CT-001") == {scoped("aws_cloudtrail", None): Status.FAIL}


# -- AWS Config -----------------------------------------------------------------------------------

def _recorder(aws: Any, region: str, start: bool, all_supported: bool = True) -> None:
    config = aws("config", region)
    group: dict[str, Any] = {"allSupported": all_supported, "includeGlobalResourceTypes": all_supported}
    if not all_supported:
        group["resourceTypes"] = ["AWS::S3::Bucket"]
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config", "recordingGroup": group})
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config-history"})
    if start:
        config.start_configuration_recorder(ConfigurationRecorderName="default")


def test_config_recorders_per_region(aws: Any) -> None:
    aws("s3").create_bucket(Bucket="config-history")
    _recorder(aws, E1, start=True)
    _recorder(aws, W1, start=False)
    _recorder(aws, "eu-central-1", start=True, all_supported=False)
    report = scan_moto(aws, regions=f"{E1},{W1},eu-central-1,us-west-2")
    assert results_for(report, "VG-CFG-001") == {
        scoped("aws_config_configuration_recorder", E1): Status.PASS,
        scoped("aws_config_configuration_recorder", W1): Status.FAIL,  # stopped
        scoped("aws_config_configuration_recorder", "eu-central-1"): Status.FAIL,  # some types only
        scoped("aws_config_configuration_recorder", "us-west-2"): Status.FAIL,  # none
    }
    recorder = next(r for r in resources_of(report, "aws_config_configuration_recorder").values() if r.region == E1)
    assert recorder.attributes["recorder_status"] == [{"is_enabled": True, "last_status": recorder.attributes[
        "recorder_status"][0]["last_status"]}]
    assert recorder.attributes["recording_group"][0]["all_supported"] is True
    assert recorder.attributes["recording_group"][0]["include_global_resource_types"] is True


# -- Security Hub, Macie, Inspector ---------------------------------------------------------------

def test_posture_services_per_region(aws: Any) -> None:
    aws("securityhub", E1).enable_security_hub(EnableDefaultStandards=True)
    aws("macie2", W1).disable_macie()  # moto starts with Macie enabled everywhere
    aws("macie2", "eu-central-1").disable_macie()
    aws("macie2", "eu-central-1").enable_macie(status="PAUSED")
    aws("inspector2", E1).enable(accountIds=[ACCOUNT], resourceTypes=["EC2", "ECR", "LAMBDA"])
    aws("inspector2", W1).enable(accountIds=[ACCOUNT], resourceTypes=["LAMBDA"])
    report = scan_moto(aws, regions=f"{E1},{W1},eu-central-1")
    assert results_for(report, "VG-SH-001") == {scoped("aws_securityhub_account", E1): Status.PASS,
                                                scoped("aws_securityhub_account", W1): Status.FAIL,
                                                scoped("aws_securityhub_account", "eu-central-1"): Status.FAIL}
    assert results_for(report, "VG-MAC-001") == {scoped("aws_macie2_account", E1): Status.PASS,
                                                 scoped("aws_macie2_account", W1): Status.FAIL,
                                                 scoped("aws_macie2_account", "eu-central-1"): Status.FAIL}
    assert results_for(report, "VG-INS-001") == {scoped("aws_inspector2_enabler", E1): Status.PASS,
                                                 scoped("aws_inspector2_enabler", W1): Status.FAIL,
                                                 scoped("aws_inspector2_enabler", "eu-central-1"): Status.FAIL}
    enablers = {r.region: r.attributes for r in resources_of(report, "aws_inspector2_enabler").values()}
    assert enablers == {E1: {"id": f"{ACCOUNT}-{E1}", "account_ids": [ACCOUNT], "status": "ENABLED",
                             "resource_types": ["EC2", "ECR", "LAMBDA"]},
                        W1: {"id": f"{ACCOUNT}-{W1}", "account_ids": [ACCOUNT], "status": "ENABLED",
                             "resource_types": ["LAMBDA"]}}
    assert {r.region for r in resources_of(report, "aws_securityhub_account").values()} == {E1}
    assert {r.region for r in resources_of(report, "aws_macie2_account").values()} == {E1, "eu-central-1"}


# -- CloudWatch -----------------------------------------------------------------------------------

def test_log_groups_and_alarms(aws: Any) -> None:
    logs = aws("logs")
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName="/app/claims", kmsKeyId=key)
    logs.put_retention_policy(logGroupName="/app/claims", retentionInDays=400)
    logs.create_log_group(logGroupName="/app/debug")
    logs.put_retention_policy(logGroupName="/app/debug", retentionInDays=30)
    logs.create_log_group(logGroupName="/app/forever")
    cw = aws("cloudwatch")
    topic = aws("sns").create_topic(Name="alerts")["TopicArn"]
    alarm = {"MetricName": "Errors", "Namespace": "AWS/Lambda", "Statistic": "Sum", "Period": 60,
             "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold"}
    cw.put_metric_alarm(AlarmName="paged", AlarmActions=[topic], **alarm)
    cw.put_metric_alarm(AlarmName="silent", **alarm)
    cw.put_metric_alarm(AlarmName="muted", AlarmActions=[topic], ActionsEnabled=False, **alarm)
    report = scan_moto(aws)
    group = f"arn:aws:logs:{E1}:{ACCOUNT}:log-group:"
    assert results_for(report, "VG-LOG-001") == {f"{group}/app/claims": Status.PASS, f"{group}/app/debug": Status.FAIL,
                                                 f"{group}/app/forever": Status.FAIL}
    assert results_for(report, "VG-LOG-002") == {f"{group}/app/claims": Status.PASS, f"{group}/app/debug": Status.FAIL,
                                                 f"{group}/app/forever": Status.PASS}
    alarms = f"arn:aws:cloudwatch:{E1}:{ACCOUNT}:alarm:"
    assert results_for(report, "VG-IR-001") == {f"{alarms}paged": Status.PASS, f"{alarms}silent": Status.FAIL,
                                                f"{alarms}muted": Status.FAIL}


# -- SNS and SQS ----------------------------------------------------------------------------------

OPEN = {"Sid": "open", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}


def test_topics_and_queues(aws: Any) -> None:
    sns, sqs = aws("sns"), aws("sqs")
    key = aws("kms").create_key()["KeyMetadata"]["KeyId"]
    inbox = sqs.create_queue(QueueName="claims-inbox", Attributes={"KmsMasterKeyId": key})["QueueUrl"]
    sqs.create_queue(QueueName="scratch", Attributes={
        "SqsManagedSseEnabled": "false", "Policy": policy(OPEN)})
    sqs.create_queue(QueueName="managed", Attributes={"SqsManagedSseEnabled": "true"})
    alerts = sns.create_topic(Name="alerts", Attributes={"KmsMasterKeyId": key})["TopicArn"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=alerts, Protocol="sqs", Endpoint=inbox_arn)
    sns.subscribe(TopicArn=alerts, Protocol="https",
                  Endpoint="https://events.pagerduty.example/integration/SECRETKEY123/enqueue")
    loose = sns.create_topic(Name="loose")["TopicArn"]
    sns.set_topic_attributes(TopicArn=loose, AttributeName="Policy", AttributeValue=policy(OPEN))
    aws("sns", W1).create_topic(Name="eu-alerts")
    report = scan_moto(aws, regions=f"{E1},{W1}")
    queue = f"arn:aws:sqs:{E1}:{ACCOUNT}:"
    eu_topic = f"arn:aws:sns:{W1}:{ACCOUNT}:eu-alerts"
    assert results_for(report, "VG-SQS-001") == {f"{queue}claims-inbox": Status.PASS, f"{queue}scratch": Status.FAIL,
                                                 f"{queue}managed": Status.PASS}
    assert results_for(report, "VG-SNS-001") == {alerts: Status.PASS, loose: Status.FAIL, eu_topic: Status.FAIL}
    tpa = results_for(report, "VG-TPA-003")
    assert {a: tpa[a] for a in (alerts, loose, f"{queue}claims-inbox", f"{queue}scratch")} == {
        alerts: Status.PASS, loose: Status.FAIL, f"{queue}claims-inbox": Status.PASS, f"{queue}scratch": Status.FAIL}
    assert results_for(report, "VG-IR-002") == {scoped("aws_sns_topic", E1): Status.PASS,
                                                scoped("aws_sns_topic", W1): Status.FAIL}
    topic = resources_of(report, "aws_sns_topic")[alerts].attributes
    assert {"protocol": "sqs", "endpoint": inbox_arn} in [
        {k: s[k] for k in ("protocol", "endpoint")} for s in topic["subscription"]]
    # A webhook's path (where paging tools put their integration key) is not kept.
    assert "SECRETKEY123" not in json.dumps(topic["subscription"])
    attrs = resources_of(report, "aws_sqs_queue")[f"{queue}claims-inbox"].attributes
    assert attrs["url"] == inbox and attrs["kms_master_key_id"] == key


# -- EventBridge ----------------------------------------------------------------------------------

def _rule(events: Any, name: str, source: str, target: str | None, state: str = "ENABLED") -> None:
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [source]}), State=state)
    if target:
        events.put_targets(Rule=name, Targets=[{"Id": "page", "Arn": target}])


def test_event_rules_route_findings_per_region(aws: Any) -> None:
    east, west = aws("events", E1), aws("events", W1)
    topic = f"arn:aws:sns:{E1}:{ACCOUNT}:alerts"
    _rule(east, "guardduty", "aws.guardduty", topic)
    _rule(east, "securityhub", "aws.securityhub", topic, state="DISABLED")
    east.put_rule(Name="nightly", ScheduleExpression="rate(1 day)")
    _rule(west, "guardduty", "aws.guardduty", None)
    report = scan_moto(aws, regions=f"{E1},{W1}")
    assert results_for(report, "VG-IR-003") == {scoped("aws_cloudwatch_event_rule", E1): Status.PASS,
                                                scoped("aws_cloudwatch_event_rule", W1): Status.FAIL}
    assert results_for(report, "VG-IR-004") == {scoped("aws_cloudwatch_event_rule", E1): Status.FAIL,
                                                scoped("aws_cloudwatch_event_rule", W1): Status.FAIL}
    rule = resources_of(report, "aws_cloudwatch_event_rule")[f"arn:aws:events:{E1}:{ACCOUNT}:rule/guardduty"]
    assert rule.attributes["target"] == [{"arn": topic, "target_id": "page"}]
    assert rule.attributes["state"] == "ENABLED"



# == What moto does not do: botocore's Stubber, on the response shapes AWS documents ===============

def stubbed(service: str, region: str = E1) -> tuple[Any, Stubber]:
    client = boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def collect(collector: type, clients: dict[str, Any], region: str = E1) -> Ctx:
    """Run one collector on stubbed clients, as the scan would (`Ctx.client_for` is all it uses)."""
    ctx = Ctx(ACCOUNT, region, "aws", lambda service, _region: clients[service], source=LiveAws.name)
    collector().collect(ctx)
    return ctx


def verdicts(ctx: Ctx, *rule_ids: str) -> dict[tuple[str, str], Status]:
    inventory = Inventory(source="aws", origin=ACCOUNT, resources=ctx.resources, complete=True,
                          scopes={(ACCOUNT, ctx.region)})
    return {(r.rule_id, r.address): r.status for r in run_engine(inventory, list(rule_ids))}


def _no_census(service: str) -> Any:
    """The Config census these stubbed scans do not exercise (test_uncollected_types does): its
    call is denied, which the scan reports as a census problem and goes on."""
    from botocore.exceptions import ClientError

    assert service == "config", service

    def denied(**_: Any) -> Any:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "stub"}}, "GetDiscoveredResourceCounts")

    return SimpleNamespace(get_discovered_resource_counts=denied)


def scan_stubbed(clients: dict[str, Any], *rule_ids: str) -> dict[tuple[str, str], Any]:
    """The scan loop itself (gaps included) over stubbed clients, then the engine."""
    from vendorguard.scanner.catalog import select

    catalog, _ = select([])
    types = {t for r in rule_ids for t in catalog.rules[r].resource_types}
    account = SimpleNamespace(account=ACCOUNT, partition="aws", identity="stub",
                              client=lambda service, _region: clients.get(service) or _no_census(service))
    [inventory] = scan_accounts([account], [E1], types, source=LiveAws.name, home=E1)  # type: ignore[list-item]
    return {(r.rule_id, r.address): r for r in run_engine(inventory, list(rule_ids))}


DENIED = {"service_error_code": "AccessDeniedException", "http_status_code": 403,
          "service_message": f"User: arn:aws:sts::{ACCOUNT}:assumed-role/audit/vg is not authorized"}


# -- Macie: "not enabled" is absence; a real AccessDenied is a gap ----------------------------------

def test_macie_not_enabled_is_absence(aws: Any) -> None:
    client, stub = stubbed("macie2")
    stub.add_client_error("get_macie_session", service_error_code="AccessDeniedException",
                          service_message="Macie is not enabled.", http_status_code=403)
    with stub:
        ctx = collect(posture.Macie, {"macie2": client})
    assert ctx.resources == []
    assert verdicts(ctx, "VG-MAC-001") == {("VG-MAC-001", scoped("aws_macie2_account", E1)): Status.FAIL}


def test_macie_access_denied_is_a_gap() -> None:
    client, stub = stubbed("macie2")
    stub.add_client_error("get_macie_session", **DENIED)
    with stub, pytest.raises(ClientError):
        collect(posture.Macie, {"macie2": client})

    client, stub = stubbed("macie2")
    stub.add_client_error("get_macie_session", **DENIED)
    with stub:
        found = scan_stubbed({"macie2": client}, "VG-MAC-001")
    result = found[("VG-MAC-001", scoped("aws_macie2_account", E1))]
    assert result.status is Status.UNKNOWN
    assert "AccessDeniedException on macie2:GetMacieSession" in result.reason


def test_macie_paused_fails_and_enabled_passes() -> None:
    for status, verdict in (("PAUSED", Status.FAIL), ("ENABLED", Status.PASS)):
        client, stub = stubbed("macie2")
        stub.add_response("get_macie_session", {"status": status, "findingPublishingFrequency": "FIFTEEN_MINUTES"})
        with stub:
            ctx = collect(posture.Macie, {"macie2": client})
        assert ctx.resources[0].attributes["status"] == status
        assert verdicts(ctx, "VG-MAC-001") == {("VG-MAC-001", scoped("aws_macie2_account", E1)): verdict}


# -- Security Hub ---------------------------------------------------------------------------------

HUB = f"arn:aws:securityhub:{E1}:{ACCOUNT}:hub/default"


def test_security_hub_with_standards() -> None:
    # GetEnabledStandards: moto 5.2 does not implement it.
    client, stub = stubbed("securityhub")
    stub.add_response("describe_hub", {"HubArn": HUB, "SubscribedAt": "2024-01-01T00:00:00Z",
                                       "AutoEnableControls": True, "ControlFindingGenerator": "SECURITY_CONTROL"})
    stub.add_response("get_enabled_standards", {"StandardsSubscriptions": [{
        "StandardsSubscriptionArn": f"arn:aws:securityhub:{E1}:{ACCOUNT}:subscription/aws-foundational/v/1.0.0",
        "StandardsArn": f"arn:aws:securityhub:{E1}::standards/aws-foundational-security-best-practices/v/1.0.0",
        "StandardsInput": {}, "StandardsStatus": "READY"}]})
    with stub:
        ctx = collect(posture.SecurityHub, {"securityhub": client})
    [hub] = ctx.resources
    assert hub.address == HUB and hub.attributes["enable_default_standards"] is True
    assert verdicts(ctx, "VG-SH-001") == {("VG-SH-001", scoped("aws_securityhub_account", E1)): Status.PASS}


def test_security_hub_not_subscribed_is_absence_and_denied_is_a_gap() -> None:
    client, stub = stubbed("securityhub")
    stub.add_client_error("describe_hub", service_error_code="InvalidAccessException", http_status_code=401,
                          service_message=f"Account {ACCOUNT} is not subscribed to AWS Security Hub")
    with stub:
        ctx = collect(posture.SecurityHub, {"securityhub": client})
    assert verdicts(ctx, "VG-SH-001") == {("VG-SH-001", scoped("aws_securityhub_account", E1)): Status.FAIL}

    client, stub = stubbed("securityhub")
    stub.add_client_error("describe_hub", **DENIED)
    with stub:
        found = scan_stubbed({"securityhub": client}, "VG-SH-001")
    assert found[("VG-SH-001", scoped("aws_securityhub_account", E1))].status is Status.UNKNOWN


# -- Inspector ------------------------------------------------------------------------------------

def test_inspector_failed_account_is_a_gap() -> None:
    client, stub = stubbed("inspector2")
    stub.add_response("batch_get_account_status", {"accounts": [], "failedAccounts": [
        {"accountId": ACCOUNT, "errorCode": "ACCESS_DENIED", "errorMessage": "not authorized"}]},
        {"accountIds": [ACCOUNT]})
    with stub:
        found = scan_stubbed({"inspector2": client}, "VG-INS-001")
    result = found[("VG-INS-001", scoped("aws_inspector2_enabler", E1))]
    assert result.status is Status.UNKNOWN and "ACCESS_DENIED" in result.reason


def test_inspector_enabled_types() -> None:
    client, stub = stubbed("inspector2")
    state = lambda s: {"status": s, "errorCode": "ALREADY_ENABLED", "errorMessage": "-"}  # noqa: E731
    stub.add_response("batch_get_account_status", {"accounts": [{
        "accountId": ACCOUNT, "state": state("ENABLED"),
        "resourceState": {"ec2": state("ENABLED"), "ecr": state("DISABLED"), "lambda": state("ENABLED")}}],
        "failedAccounts": []})
    with stub:
        ctx = collect(posture.Inspector, {"inspector2": client})
    assert ctx.resources[0].attributes["resource_types"] == ["EC2", "LAMBDA"]
    assert verdicts(ctx, "VG-INS-001") == {("VG-INS-001", scoped("aws_inspector2_enabler", E1)): Status.FAIL}


# -- SNS: a subscription pending confirmation reaches no one -----------------------------------------

TOPIC = f"arn:aws:sns:{E1}:{ACCOUNT}:alerts"


def _topic_stub(*pages: list[dict[str, Any]]) -> tuple[Any, Stubber]:
    client, stub = stubbed("sns")
    stub.add_response("list_topics", {"Topics": [{"TopicArn": TOPIC}]})
    stub.add_response("get_topic_attributes", {"Attributes": {"TopicArn": TOPIC, "KmsMasterKeyId": "alias/sns"}},
                      {"TopicArn": TOPIC})
    for index, subscriptions in enumerate(pages):
        response: dict[str, Any] = {"Subscriptions": subscriptions}
        params: dict[str, Any] = {"TopicArn": TOPIC}
        if index + 1 < len(pages):
            response["NextToken"] = f"page-{index + 1}"
        if index:
            params["NextToken"] = f"page-{index}"
        stub.add_response("list_subscriptions_by_topic", response, params)
    return client, stub


def _subscription(arn: str, protocol: str = "email", endpoint: str = "oncall@example.com") -> dict[str, Any]:
    return {"SubscriptionArn": arn, "Owner": ACCOUNT, "Protocol": protocol, "Endpoint": endpoint, "TopicArn": TOPIC}


def test_pending_subscriptions_do_not_count() -> None:
    # moto confirms every subscription at once; AWS returns "PendingConfirmation" until the
    # address owner confirms.
    client, stub = _topic_stub([_subscription("PendingConfirmation")], [])
    with stub:
        ctx = collect(messaging.Topics, {"sns": client})
    assert ctx.resources[0].attributes["subscription"] == []
    assert verdicts(ctx, "VG-IR-002")[("VG-IR-002", scoped("aws_sns_topic", E1))] is Status.FAIL

    client, stub = _topic_stub([_subscription("PendingConfirmation")], [_subscription(f"{TOPIC}:1a2b")])
    with stub:
        ctx = collect(messaging.Topics, {"sns": client})
    assert ctx.resources[0].attributes["subscription"] == [
        {"protocol": "email", "endpoint": "oncall@example.com", "arn": f"{TOPIC}:1a2b"}]
    assert verdicts(ctx, "VG-IR-002")[("VG-IR-002", scoped("aws_sns_topic", E1))] is Status.PASS


def test_unreadable_subscriptions_are_unknown() -> None:
    client, stub = stubbed("sns")
    stub.add_response("list_topics", {"Topics": [{"TopicArn": TOPIC}]})
    stub.add_response("get_topic_attributes", {"Attributes": {"TopicArn": TOPIC}})
    stub.add_client_error("list_subscriptions_by_topic", service_error_code="AuthorizationError",
                          http_status_code=403, service_message="not authorized")
    with stub:
        ctx = collect(messaging.Topics, {"sns": client})
    [topic] = ctx.resources
    assert topic.attributes["subscription"] is UNKNOWN and topic.attributes["kms_master_key_id"] is None
    assert "AuthorizationError on sns:ListSubscriptionsByTopic" in topic.unknown_reason
    found = verdicts(ctx, "VG-IR-002", "VG-SNS-001")
    assert found[("VG-IR-002", scoped("aws_sns_topic", E1))] is Status.UNKNOWN
    assert found[("VG-SNS-001", TOPIC)] is Status.FAIL  # what was read still decides


# -- Per-resource reads that fail leave UNKNOWN, never a passing default -----------------------------

LB = f"arn:aws:elasticloadbalancing:{E1}:{ACCOUNT}:loadbalancer/app/portal/50dc6c495c0c9188"


def _balancers(stub: Stubber) -> None:
    stub.add_response("describe_load_balancers", {"LoadBalancers": [{
        "LoadBalancerArn": LB, "LoadBalancerName": "portal", "Scheme": "internet-facing", "Type": "application",
        "VpcId": "vpc-1", "AvailabilityZones": [{"ZoneName": "us-east-1a", "SubnetId": "subnet-1"}]}]})


def test_denied_balancer_attributes_are_unknown() -> None:
    client, stub = stubbed("elbv2")
    _balancers(stub)
    stub.add_client_error("describe_load_balancer_attributes", **DENIED)
    with stub:
        ctx = collect(elbv2.LoadBalancers, {"elbv2": client})
    [lb] = ctx.resources
    assert lb.attributes["access_logs"] is UNKNOWN and lb.attributes["enable_deletion_protection"] is UNKNOWN
    assert verdicts(ctx, "VG-ELB-003", "VG-ELB-004", "VG-ELB-005") == {
        (rule, LB): Status.UNKNOWN for rule in ("VG-ELB-003", "VG-ELB-004", "VG-ELB-005")}


def test_denied_listener_listing_is_a_gap_for_listeners_only() -> None:
    client, stub = stubbed("elbv2")
    _balancers(stub)
    stub.add_client_error("describe_listeners", **DENIED)
    with stub:
        found = scan_stubbed({"elbv2": client}, "VG-ELB-001")
    result = found[("VG-ELB-001", scoped("aws_lb_listener", E1))]
    assert result.status is Status.UNKNOWN and "DescribeListeners" in result.reason
    assert {r.status for r in found.values()} == {Status.UNKNOWN}


def test_network_load_balancer_listeners() -> None:
    client, stub = stubbed("elbv2")
    _balancers(stub)
    listener = LB.replace(":loadbalancer/", ":listener/") + "/f2f7dc8efc522ab2"
    stub.add_response("describe_listeners", {"Listeners": [{
        "ListenerArn": listener, "LoadBalancerArn": LB, "Port": 443, "Protocol": "TLS",
        "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "Certificates": [{"CertificateArn": "arn:aws:acm:x"}],
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": "arn:aws:tg", "Order": 1}]}]},
        {"LoadBalancerArn": LB})
    with stub:
        ctx = collect(elbv2.Listeners, {"elbv2": client})
    [resource] = ctx.resources
    assert resource.attributes["default_action"][0]["target_group_arn"] == "arn:aws:tg"
    assert verdicts(ctx, "VG-ELB-001", "VG-ELB-002") == {("VG-ELB-001", listener): Status.PASS,
                                                         ("VG-ELB-002", listener): Status.PASS}


FUNCTION = f"arn:aws:lambda:{E1}:{ACCOUNT}:function:ingest"


def _function(stub: Stubber) -> None:
    stub.add_response("list_functions", {"Functions": [{
        "FunctionName": "ingest", "FunctionArn": FUNCTION, "Runtime": "python3.12", "PackageType": "Zip",
        "Environment": {"Variables": {"API_TOKEN": "s3cr3t-value"}}}]})


def test_denied_function_policy_is_unknown() -> None:
    client, stub = stubbed("lambda")
    _function(stub)
    stub.add_client_error("get_policy", **DENIED)
    with stub:
        ctx = collect(awslambda.Permissions, {"lambda": client})
    [permission] = ctx.resources
    assert permission.attributes["principal"] is UNKNOWN
    assert verdicts(ctx, "VG-TPA-004") == {("VG-TPA-004", f"{FUNCTION}/permissions"): Status.UNKNOWN}


def test_function_policy_statements_as_permissions() -> None:
    client, stub = stubbed("lambda")
    _function(stub)
    stub.add_response("get_policy", {"Policy": policy(
        {"Sid": "partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
         "Action": "lambda:InvokeFunction", "Resource": FUNCTION},
        {"Sid": "anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "lambda:InvokeFunction",
         "Resource": FUNCTION},
        {"Sid": "url", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunctionUrl",
         "Resource": FUNCTION, "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}},
        {"Sid": "events", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
         "Action": "lambda:InvokeFunction", "Resource": FUNCTION,
         "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:events:{E1}:{ACCOUNT}:rule/nightly"}}}),
        "RevisionId": "1"})
    with stub:
        ctx = collect(awslambda.Permissions, {"lambda": client})
    found = {r.address.rsplit("/", 1)[-1]: r.attributes for r in ctx.resources}
    assert found["partner"]["principal"] == "444455556666"
    assert found["url"]["function_url_auth_type"] == "NONE"
    assert found["events"]["source_arn"] == f"arn:aws:events:{E1}:{ACCOUNT}:rule/nightly"
    assert {a.rsplit("/", 1)[-1]: s for (_, a), s in verdicts(ctx, "VG-TPA-004").items()} == {
        "partner": Status.PASS, "anyone": Status.FAIL, "url": Status.FAIL, "events": Status.PASS}


def test_function_environment_is_never_emitted() -> None:
    client, stub = stubbed("lambda")
    _function(stub)
    with stub:
        ctx = collect(awslambda.Functions, {"lambda": client})
    [fn] = ctx.resources
    assert "s3cr3t-value" not in repr(fn.attributes) and "environment" not in fn.attributes
    assert verdicts(ctx, "VG-LMB-001") == {("VG-LMB-001", FUNCTION): Status.PASS}


def test_denied_queue_attributes_are_unknown() -> None:
    client, stub = stubbed("sqs")
    url = f"https://sqs.{E1}.amazonaws.com/{ACCOUNT}/claims"
    stub.add_response("list_queues", {"QueueUrls": [url]}, {"MaxResults": 1000})
    stub.add_client_error("get_queue_attributes", service_error_code="AccessDenied", http_status_code=403,
                          service_message="denied")
    with stub:
        ctx = collect(messaging.Queues, {"sqs": client})
    arn = f"arn:aws:sqs:{E1}:{ACCOUNT}:claims"
    assert verdicts(ctx, "VG-SQS-001", "VG-TPA-003") == {("VG-SQS-001", arn): Status.UNKNOWN,
                                                        ("VG-TPA-003", arn): Status.UNKNOWN}


def test_unreadable_targets_are_unknown() -> None:
    client, stub = stubbed("events")
    stub.add_response("list_rules", {"Rules": [{
        "Name": "guardduty", "Arn": f"arn:aws:events:{E1}:{ACCOUNT}:rule/guardduty", "State": "ENABLED",
        "EventPattern": json.dumps({"source": ["aws.guardduty"]}), "EventBusName": "default"}]})
    stub.add_client_error("list_targets_by_rule", **DENIED)
    with stub:
        ctx = collect(messaging.EventRules, {"events": client})
    assert verdicts(ctx, "VG-IR-003") == {("VG-IR-003", scoped("aws_cloudwatch_event_rule", E1)): Status.UNKNOWN}


# -- CloudTrail: organization trails, seen by members as shadows ------------------------------------

def _trail(arn: str, home: str, **extra: Any) -> dict[str, Any]:
    return {"Name": arn.rsplit("/", 1)[-1], "TrailARN": arn, "HomeRegion": home, "S3BucketName": "trail",
            "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": True, "LogFileValidationEnabled": True,
            **extra}


def test_organization_trail_counts_in_member_accounts_once() -> None:
    org = "arn:aws:cloudtrail:us-east-1:999988887777:trail/org-audit"
    elsewhere = f"arn:aws:cloudtrail:{W1}:{ACCOUNT}:trail/eu-main"
    client, stub = stubbed("cloudtrail")
    stub.add_response("describe_trails", {"trailList": [
        _trail(org, E1, IsOrganizationTrail=True, KmsKeyId="arn:aws:kms:us-east-1:999988887777:key/k"),
        _trail(elsewhere, W1)]}, {"includeShadowTrails": True})
    stub.add_response("get_trail_status", {"IsLogging": True}, {"Name": org})
    with stub:
        ctx = collect(cloudtrail.Trails, {"cloudtrail": client})
    assert [r.address for r in ctx.resources] == [org]  # eu-main belongs to its home region's scan
    assert ctx.resources[0].attributes["is_organization_trail"] is True
    inventory = Inventory(source="aws", origin=ACCOUNT, resources=ctx.resources, complete=True,
                          scopes={(ACCOUNT, E1)})
    [result] = run_engine(inventory, ["VG-CT-001"])
    assert result.status is Status.PASS


def test_unreadable_trail_status_is_unknown() -> None:
    arn = f"arn:aws:cloudtrail:{E1}:{ACCOUNT}:trail/main"
    client, stub = stubbed("cloudtrail")
    stub.add_response("describe_trails", {"trailList": [_trail(arn, E1)]})
    stub.add_client_error("get_trail_status", **DENIED)
    with stub:
        ctx = collect(cloudtrail.Trails, {"cloudtrail": client})
    assert ctx.resources[0].attributes["enable_logging"] is UNKNOWN
    inventory = Inventory(source="aws", origin=ACCOUNT, resources=ctx.resources, complete=True,
                          scopes={(ACCOUNT, E1)})
    assert [r.status for r in run_engine(inventory, ["VG-CT-001"])] == [Status.UNKNOWN]
