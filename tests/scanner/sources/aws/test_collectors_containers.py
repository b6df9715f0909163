"""Collectors for ECS task definitions, services and clusters, EKS node groups and the ECR registry's
scanning configuration; the `containers` function; and the redaction of container environment values.

moto implements every call these collectors make; each service is seeded on the moto server (the
`aws` fixture) with a good and a bad resource and scanned by the real scanner over HTTP.  botocore's
Stubber stands in only where moto cannot fail on demand: denied reads (DescribeTaskDefinition,
ListServices, ListNodegroups, GetRegistryScanningConfiguration, GetRegistryPolicy) and
DescribeServices' ``failures``.

Environment variable values are planted in a Terraform plan, a Pulumi stack export and a moto task
definition, and searched for in every output format: the names reach the rules, the values never
leave ingestion.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from botocore import xform_name

from conftest import results_for, scan_moto
from pulumibuilder import build_export
from planbuilder import build_plan
from test_collectors_services import ACCOUNT, DENIED, E1, _network, collect, stubbed, verdicts
from vendorguard.scanner.catalog import select
from vendorguard.scanner.functions import VendorguardFunctions
from vendorguard.scanner.inputs import parse_json
from vendorguard.scanner.model import REDACTED, UNKNOWN, Status
from vendorguard.scanner.pipeline import evaluate, now
from vendorguard.scanner.redact import redact
from vendorguard.scanner.reports import FORMATS, render
from vendorguard.scanner.sources.aws import LiveAws
from vendorguard.scanner.sources.aws.collector import Ctx
from vendorguard.scanner.sources.aws.collectors import ecr, ecs, eks
from vendorguard.scanner.sources.pulumi import read_pulumi
from vendorguard.scanner.sources.tfplan import read_plan

IMAGE = f"{ACCOUNT}.dkr.ecr.{E1}.amazonaws.com/claims-api:1.4.2"
LOGS = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/claims", "awslogs-region": E1,
                                            "awslogs-stream-prefix": "claims"}}
#: Values that must never appear in anything a scan produces.
PLANTED = {"DB_PASSWORD": "vgS3cr3t-db-password-7f3a9c", "LOG_LEVEL": "vgS3cr3t-innocuous-name-41d2"}

ECS_TASK_RULES = ("VG-ECS-001", "VG-ECS-002", "VG-ECS-003", "VG-ECS-004", "VG-ECS-005", "VG-ECS-008",
                  "VG-ECS-010")


def _containers(**extra: Any) -> list[dict[str, Any]]:
    return [{"name": "claims-api", "image": IMAGE, "essential": True, "memory": 512, **extra}]


def everything(report: Any) -> str:
    """Every attribute, evidence value and reason a report holds, and every format it renders to."""
    document = json.loads(json.dumps(report.to_document(), default=str))
    return (json.dumps([[r.attributes for r in inv.resources] for inv in report.inventories], default=str)
            + json.dumps(document) + "".join(render(document, fmt) for fmt in FORMATS))


# == the `containers` function ========================================================================

@pytest.mark.parametrize("value,expected", [
    ('[{"name": "a", "privileged": true}]', [{"name": "a", "privileged": True}]),
    ([{"name": "a"}], [{"name": "a"}]),
    ("[]", []),
    (REDACTED, UNKNOWN),          # withheld: not "no containers"
    ("not json", UNKNOWN),        # unreadable: not "no containers"
    ('{"name": "a"}', UNKNOWN),   # not a list of containers
    ('["a"]', UNKNOWN),
    (None, UNKNOWN),              # container_definitions is required: absent was not read
])
def test_containers_reads_definitions_and_never_calls_the_unreadable_empty(value: Any, expected: Any) -> None:
    assert VendorguardFunctions()._func_containers(value) == expected


def test_containers_nested_too_deeply_cannot_be_evaluated() -> None:
    with pytest.raises(ValueError, match="too deeply"):
        VendorguardFunctions()._func_containers("[" * 100_000 + "]" * 100_000)


# == redaction ========================================================================================

def test_only_the_secret_parts_of_container_definitions_are_withheld() -> None:
    definitions = json.dumps(_containers(
        privileged=True, environment=[{"name": "DB_PASSWORD", "value": "hunter2"}],
        secrets=[{"name": "API_KEY", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:k"}],
        command=["--password=hunter3"], logConfiguration={"logDriver": "splunk", "options": {"splunk-token": "t0k"}}))
    attributes = {"container_definitions": definitions}
    withheld = redact("aws_ecs_task_definition", attributes)
    [container] = json.loads(attributes["container_definitions"])
    assert container["environment"] == [{"name": "DB_PASSWORD", "value": REDACTED}]
    assert container["command"] == [REDACTED]
    assert container["logConfiguration"] == {"logDriver": "splunk", "options": {"splunk-token": REDACTED}}
    assert container["privileged"] is True and container["secrets"][0]["valueFrom"].endswith(":secret:k")
    assert "container_definitions.0.environment.0.value" in withheld
    assert not {"hunter2", "hunter3", "t0k"} & set(json.dumps(attributes).replace('"', " ").split())


@pytest.mark.parametrize("text", ["not json", '{"environment": [{"name": "A", "value": "s3cr3t"}]}', "[" * 5000])
def test_container_definitions_that_cannot_be_read_are_withheld_whole(text: str) -> None:
    attributes = {"container_definitions": text}
    assert redact("aws_ecs_task_definition", attributes) == {"container_definitions"}
    assert attributes["container_definitions"] == REDACTED


def _planted_definitions() -> str:
    return json.dumps(_containers(logConfiguration=LOGS, environment=[
        {"name": name, "value": value} for name, value in PLANTED.items()]))


def _assert_names_judged_values_hidden(report: Any, address: str) -> None:
    text = everything(report)
    leaked = [name for name, value in PLANTED.items() if value in text or value[6:18] in text]
    assert not leaked, f"environment values of {leaked} leaked"
    assert results_for(report, "VG-ECS-003")[address] is Status.FAIL  # judged on the name DB_PASSWORD
    assert "DB_PASSWORD" in text


def test_no_environment_value_from_a_plan_or_a_stack_reaches_any_output() -> None:
    resource = {"type": "aws_ecs_task_definition", "name": "claims", "unknown": [], "sensitive": [],
                "values": {"family": "claims", "network_mode": "awsvpc",
                           "container_definitions": _planted_definitions()}}
    _, selection = select(["hipaa", "vendor-article"])
    plan = build_plan([resource], account_id=ACCOUNT)
    report = evaluate([read_plan("ecs.tfplan.json", parse_json("ecs.tfplan.json", json.dumps(plan).encode()))],
                      selection, now())
    _assert_names_judged_values_hidden(report, "aws_ecs_task_definition.claims")
    export = build_export([resource], account_id=ACCOUNT)
    inventory = read_pulumi("stack.json", parse_json("stack.json", json.dumps(export).encode()))
    report = evaluate([inventory], selection, now())
    [address] = [r.address for r in inventory.resources if r.type == "aws_ecs_task_definition"]
    _assert_names_judged_values_hidden(report, address)


# == moto =============================================================================================

def test_ecs_task_definitions(aws: Any) -> None:
    client = aws("ecs")
    good = client.register_task_definition(
        family="claims-api", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        volumes=[{"name": "claims-files", "efsVolumeConfiguration": {"fileSystemId": "fs-0a1b2c3d",
                                                                     "transitEncryption": "ENABLED"}}],
        containerDefinitions=_containers(
            readonlyRootFilesystem=True, logConfiguration=LOGS,
            environment=[{"name": "LOG_LEVEL", "value": PLANTED["LOG_LEVEL"]}],
            secrets=[{"name": "DB_PASSWORD",
                      "valueFrom": f"arn:aws:secretsmanager:{E1}:{ACCOUNT}:secret:claims/db-AbCdEf"}]),
    )["taskDefinition"]["taskDefinitionArn"]
    # an older revision of the same family: only the latest is read
    client.register_task_definition(family="node-agent", networkMode="host", containerDefinitions=_containers())
    bad = client.register_task_definition(
        family="node-agent", networkMode="host", pidMode="host",
        volumes=[{"name": "exports", "efsVolumeConfiguration": {"fileSystemId": "fs-0b1c2d3e"}}],
        containerDefinitions=_containers(privileged=True, environment=[
            {"name": "DB_PASSWORD", "value": PLANTED["DB_PASSWORD"]}]),
    )["taskDefinition"]["taskDefinitionArn"]
    report = scan_moto(aws, packs=["hipaa"])
    assert bad.endswith(":2")
    for rule in ECS_TASK_RULES:
        assert results_for(report, rule) == {good: Status.PASS, bad: Status.FAIL}, rule
    text = everything(report)
    assert not [v for v in PLANTED.values() if v in text], "an environment value left the collector"
    assert "DB_PASSWORD" in text and "LOG_LEVEL" in text


def test_ecs_services_and_clusters(aws: Any) -> None:
    vpc, subnets = _network(aws)
    group = aws("ec2").create_security_group(GroupName="claims-api", Description="api", VpcId=vpc)["GroupId"]
    client = aws("ecs")
    watched = client.create_cluster(clusterName="claims", settings=[
        {"name": "containerInsights", "value": "enabled"}])["cluster"]["clusterArn"]
    dark = client.create_cluster(clusterName="scratch", configuration={
        "executeCommandConfiguration": {"logging": "NONE"}})["cluster"]["clusterArn"]
    client.register_task_definition(family="claims-api", networkMode="awsvpc", containerDefinitions=_containers())
    services = {}
    for name, public in (("private-api", "DISABLED"), ("public-api", "ENABLED")):
        services[name] = client.create_service(
            cluster="claims", serviceName=name, taskDefinition="claims-api", desiredCount=1, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group],
                                                          "assignPublicIp": public}})["service"]["serviceArn"]
    network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group], "assignPublicIp": "ENABLED"}}
    # an EXTERNAL deployment: the service has no network configuration, its task set a public one
    canary = client.create_service(cluster="claims", serviceName="canary", taskDefinition="claims-api",
                                   desiredCount=1, deploymentController={"type": "EXTERNAL"})["service"]["serviceArn"]
    task_set = client.create_task_set(cluster="claims", service="canary", taskDefinition="claims-api",
                                      launchType="FARGATE", networkConfiguration=network)["taskSet"]["taskSetArn"]
    report = scan_moto(aws, packs=["hipaa"])
    assert results_for(report, "VG-ECS-006") == {
        services["private-api"]: Status.PASS, services["public-api"]: Status.FAIL,
        canary: Status.PASS, task_set: Status.FAIL}
    for rule in ("VG-ECS-007", "VG-ECS-009"):
        assert results_for(report, rule) == {watched: Status.PASS, dark: Status.FAIL}, rule


def test_eks_node_groups(aws: Any) -> None:
    client = aws("eks")
    role = f"arn:aws:iam::{ACCOUNT}:role/eks"
    client.create_cluster(name="claims", roleArn=role, resourcesVpcConfig={"subnetIds": ["subnet-0a1b2c3d"]})
    arns = {}
    for name, access in (("bastion-only", {"ec2SshKey": "ops", "sourceSecurityGroups": ["sg-0123456789abcdef0"]}),
                         ("open-ssh", {"ec2SshKey": "ops"})):
        created = client.create_nodegroup(clusterName="claims", nodegroupName=name, nodeRole=role,
                                          subnets=["subnet-0a1b2c3d"], remoteAccess=access)
        arns[name] = created["nodegroup"]["nodegroupArn"]
    report = scan_moto(aws, packs=["hipaa"])
    assert results_for(report, "VG-EKS-005") == {arns["bastion-only"]: Status.PASS, arns["open-ssh"]: Status.FAIL}


@pytest.mark.parametrize("configure,expected", [
    (None, Status.FAIL),  # every registry starts BASIC with no rules: scans only on request
    ({"scanType": "ENHANCED", "rules": [{"scanFrequency": "CONTINUOUS_SCAN",
                                         "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]},
     Status.PASS),
    ({"scanType": "ENHANCED", "rules": [{"scanFrequency": "SCAN_ON_PUSH",
                                         "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}]}]},
     Status.FAIL),
])
def test_ecr_registry_scanning(aws: Any, configure: dict[str, Any] | None, expected: Status) -> None:
    if configure:
        aws("ecr").put_registry_scanning_configuration(**configure)
    report = scan_moto(aws, packs=["hipaa"])
    assert set(results_for(report, "VG-ECR-005").values()) == {expected}


def test_ecr_registry_policy(aws: Any) -> None:
    client = aws("ecr")
    report = scan_moto(aws, packs=["hipaa"])
    assert results_for(report, "VG-ECR-006") == {}  # no policy: nothing granted, nothing to judge
    client.put_registry_policy(policyText=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "AnyoneReplicates", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["ecr:ReplicateImage"], "Resource": f"arn:aws:ecr:{E1}:{ACCOUNT}:repository/*"}]}))
    report = scan_moto(aws, packs=["hipaa"])
    assert results_for(report, "VG-ECR-006") == {f"arn:aws:ecr:{E1}:{ACCOUNT}:registry-policy": Status.FAIL}


# == Stubber: denied reads and partial answers ========================================================

def test_a_denied_task_definition_is_unknown() -> None:
    client, stub = stubbed("ecs")
    stub.add_response("list_task_definition_families", {"families": ["claims-api"]}, {"status": "ACTIVE"})
    stub.add_client_error("describe_task_definition", **DENIED)
    with stub:
        ctx = collect(ecs.EcsTaskDefinitions, {"ecs": client})
    [resource] = ctx.resources
    assert "AccessDeniedException on ecs:DescribeTaskDefinition" in resource.unknown_reason
    assert set(verdicts(ctx, *ECS_TASK_RULES).values()) == {Status.UNKNOWN}


def _collect_serially(collector: type, client: Any) -> Ctx:
    """One worker: the Stubber's queued answers come in the order the clusters are listed."""
    ctx = Ctx(ACCOUNT, E1, "aws", lambda service, _region: client, workers=1, source=LiveAws.name)
    collector().collect(ctx)
    return ctx


def test_services_a_cluster_lists_or_describes_not_are_unknown() -> None:
    cluster = f"arn:aws:ecs:{E1}:{ACCOUNT}:cluster/claims"
    listed = [f"arn:aws:ecs:{E1}:{ACCOUNT}:service/claims/{n}" for n in ("api", "gone")]
    client, stub = stubbed("ecs")
    stub.add_response("list_clusters", {"clusterArns": [cluster, cluster + "-denied"]})
    stub.add_response("list_services", {"serviceArns": listed}, {"cluster": cluster})
    stub.add_response("describe_services", {
        "services": [{"serviceArn": listed[0], "serviceName": "api", "networkConfiguration": {
            "awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "DISABLED"}}}],
        "failures": [{"arn": listed[1], "reason": "MISSING"}]},
        {"cluster": cluster, "services": listed, "include": ["TAGS"]})
    stub.add_client_error("list_services", expected_params={"cluster": cluster + "-denied"}, **DENIED)
    with stub:
        ctx = _collect_serially(ecs.EcsServices, client)
    found = verdicts(ctx, "VG-ECS-006")
    assert found == {("VG-ECS-006", listed[0]): Status.PASS, ("VG-ECS-006", listed[1]): Status.UNKNOWN,
                     ("VG-ECS-006", f"{cluster}-denied/services"): Status.UNKNOWN}
    reasons = {r.address: r.unknown_reason for r in ctx.resources}
    assert reasons[listed[1]] == f"ecs:DescribeServices did not describe {listed[1]} (MISSING)"
    assert "AccessDeniedException on ecs:ListServices" in reasons[f"{cluster}-denied/services"]


def test_denied_node_group_listing_leaves_one_unknown_resource_standing_for_them() -> None:
    client, stub = stubbed("eks")
    stub.add_response("list_clusters", {"clusters": ["claims"]})
    stub.add_client_error("list_nodegroups", **DENIED)
    with stub:
        ctx = collect(eks.EksNodeGroups, {"eks": client})
    [resource] = ctx.resources
    assert resource.address == f"arn:aws:eks:{E1}:{ACCOUNT}:nodegroup/claims/*"
    assert "AccessDeniedException on eks:ListNodegroups" in resource.unknown_reason
    assert set(verdicts(ctx, "VG-EKS-005").values()) == {Status.UNKNOWN}


@pytest.mark.parametrize("collector,operation,rule", [
    (ecr.EcrRegistryScanning, "GetRegistryScanningConfiguration", "VG-ECR-005"),
    (ecr.EcrRegistryPolicy, "GetRegistryPolicy", "VG-ECR-006"),
])
def test_a_denied_registry_read_is_unknown(collector: type, operation: str, rule: str) -> None:
    client, stub = stubbed("ecr")
    stub.add_client_error(xform_name(operation), **DENIED)
    with stub:
        ctx = collect(collector, {"ecr": client})
    [resource] = ctx.resources
    assert f"AccessDeniedException on ecr:{operation}" in resource.unknown_reason
    assert set(verdicts(ctx, rule).values()) == {Status.UNKNOWN}
