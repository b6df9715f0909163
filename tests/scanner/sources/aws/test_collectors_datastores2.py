"""More data-store collectors: DocumentDB and Neptune cluster parameter groups, Redshift Serverless
namespaces and workgroups, Secrets Manager resource policies, Kinesis video streams.

Against the moto server where moto implements the calls: RDS cluster parameter groups of the
docdb and neptune families (DescribeDBClusterParameters answers the parameters a group sets),
secrets with and without a resource policy (GetResourcePolicy), and Kinesis video streams
(ListStreams).  botocore's Stubber answers, with the response shapes AWS documents, where moto
does not: Redshift Serverless (moto has no redshift-serverless service), the AWS managed
``alias/aws/...`` keys (moto has none), members AWS left out, and read failures.
"""
from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from conftest import policy, results_for, scan_moto
from test_collectors_data import ACCOUNT, arn, key_metadata, resource, stubbed, verdicts
from vendorguard.scanner.model import UNKNOWN, Status
from vendorguard.scanner.sources.aws.collectors.neptune_docdb import (
    DocDbClusterInstances, DocDbClusterParameterGroups, DocDbClusters, DocDbClusterSnapshots, NeptuneClusterInstances, NeptuneClusters,
    NeptuneClusterSnapshots)
from vendorguard.scanner.sources.aws.collectors.rds import DbClusterSnapshots, DbInstances
from vendorguard.scanner.sources.aws.collectors.redshift import (
    RedshiftServerlessNamespaces, RedshiftServerlessWorkgroups)
from vendorguard.scanner.sources.aws.collectors.secrets import Secrets
from vendorguard.scanner.sources.aws.collectors.streams import KinesisVideoStreams

KEY = arn("kms", "key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0")
MANAGED = arn("kms", "key/aws-managed-0000")


def denied(stub: Stubber, method: str, **expected: Any) -> None:
    stub.add_client_error(method, "AccessDenied", "not allowed", 403, expected_params=expected or None)


def by_name(found: dict[tuple[str, str], Any], rule: str) -> dict[str, Status]:
    """One rule's verdicts, by the last part of each resource's ARN."""
    return {address.rsplit(":", 1)[1].rsplit("/", 1)[-1]: r.status
            for (rid, address), r in found.items() if rid == rule}


# -- DocumentDB and Neptune cluster parameter groups --------------------------------------------------

def test_docdb_and_neptune_cluster_parameter_groups_are_their_own_types(aws: Any) -> None:
    rds = aws("rds")
    groups = {"docs-audited": ("docdb5.0", [("audit_logs", "enabled"), ("tls", "tls1.2+")]),
              "docs-plain": ("docdb5.0", [("tls", "disabled")]),
              "graph-audited": ("neptune1.3", [("neptune_enable_audit_log", "1")]),
              "graph-plain": ("neptune1.3", []),
              "aurora-tls": ("aurora-mysql8.0", [("require_secure_transport", "ON")])}
    for name, (family, parameters) in groups.items():
        rds.create_db_cluster_parameter_group(DBClusterParameterGroupName=name, DBParameterGroupFamily=family,
                                              Description=name)
        if parameters:
            rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=name, Parameters=[
                {"ParameterName": k, "ParameterValue": v, "ApplyMethod": "pending-reboot"} for k, v in parameters])

    report = scan_moto(aws)
    address = {name: arn("rds", f"cluster-pg:{name}") for name in groups}
    assert results_for(report, "VG-DOC-005") == {address["docs-audited"]: Status.PASS,
                                                 address["docs-plain"]: Status.FAIL}
    assert results_for(report, "VG-DOC-006") == {address["docs-audited"]: Status.PASS,
                                                 address["docs-plain"]: Status.FAIL}
    assert results_for(report, "VG-NEP-005") == {address["graph-audited"]: Status.PASS,
                                                 address["graph-plain"]: Status.FAIL}
    # each group is emitted once, as its engine's type: RDS's rules judge only the Aurora group
    assert set(results_for(report, "VG-RDS-012")) == {address["aurora-tls"]}
    types = {r.address: r.type for inv in report.inventories for r in inv.resources if ":cluster-pg:" in r.address}
    assert types == {address["docs-audited"]: "aws_docdb_cluster_parameter_group",
                     address["docs-plain"]: "aws_docdb_cluster_parameter_group",
                     address["graph-audited"]: "aws_neptune_cluster_parameter_group",
                     address["graph-plain"]: "aws_neptune_cluster_parameter_group",
                     address["aurora-tls"]: "aws_rds_cluster_parameter_group"}
    # only the parameters the rules read are kept
    audited = resource(report, address["docs-audited"]).attributes["parameter"]
    assert sorted(p["name"] for p in audited) == ["audit_logs", "tls"]


def test_a_docdb_group_whose_parameters_cannot_be_read_is_unknown() -> None:
    ctx, stubs = stubbed("rds")
    stub = stubs["rds"]
    stub.add_response("describe_db_cluster_parameter_groups", {"DBClusterParameterGroups": [
        {"DBClusterParameterGroupName": "default.docdb5.0", "DBParameterGroupFamily": "docdb5.0",
         "Description": "default"},
        {"DBClusterParameterGroupName": "unread", "DBParameterGroupFamily": "docdb5.0", "Description": "x"}]})
    # the default group answers its engine defaults: tls on, audit off
    stub.add_response("describe_db_cluster_parameters", {"Parameters": [
        {"ParameterName": "tls", "ParameterValue": "enabled", "Source": "system"},
        {"ParameterName": "audit_logs", "ParameterValue": "disabled", "Source": "system"}]},
        {"DBClusterParameterGroupName": "default.docdb5.0",
         "Filters": [{"Name": "parameter-name", "Values": ["tls", "audit_logs"]}]})
    denied(stub, "describe_db_cluster_parameters", DBClusterParameterGroupName="unread",
           Filters=[{"Name": "parameter-name", "Values": ["tls", "audit_logs"]}])
    DocDbClusterParameterGroups().collect(ctx)
    found = verdicts(ctx, "VG-DOC-005", "VG-DOC-006")
    assert by_name(found, "VG-DOC-005") == {"default.docdb5.0": Status.PASS, "unread": Status.UNKNOWN}
    assert by_name(found, "VG-DOC-006") == {"default.docdb5.0": Status.FAIL, "unread": Status.UNKNOWN}
    unread = next(r for (rule, address), r in found.items() if address.endswith(":unread"))
    assert "rds:DescribeDBClusterParameters" in unread.reason


def _cluster(name: str, engine: str, group: str, key: str | None = KEY) -> dict[str, Any]:
    cluster = {"DBClusterIdentifier": name, "DBClusterArn": arn("rds", f"cluster:{name}"), "Engine": engine,
               "StorageEncrypted": True, "DBClusterParameterGroup": group, "KmsKeyId": key}
    return {k: v for k, v in cluster.items() if v is not None}


def test_docdb_and_neptune_clusters_name_their_group_and_their_key() -> None:
    """moto's RDS refuses the docdb engine: the listing is stubbed, once for both collectors.  A
    cluster on a default group cannot audit; the AWS managed aws/rds key is no customer key."""
    ctx, stubs = stubbed("rds", "kms")
    stubs["rds"].add_response("describe_db_clusters", {"DBClusters": [
        _cluster("docs-good", "docdb", "docs-audited"),
        _cluster("docs-default", "docdb", "default.docdb5.0", key=MANAGED),
        _cluster("graph-good", "neptune", "graph-audited"),
        _cluster("graph-default", "neptune", "default.neptune1.3", key=MANAGED)]})
    stubs["kms"].add_response("describe_key", {"KeyMetadata": key_metadata("aws-managed-0000", KeyManager="AWS")},
                              {"KeyId": "alias/aws/rds"})
    DocDbClusters().collect(ctx)
    NeptuneClusters().collect(ctx)
    stubs["rds"].assert_no_pending_responses()
    found = verdicts(ctx, "VG-DOC-007", "VG-DOC-008", "VG-NEP-006", "VG-NEP-007")
    for rule in ("VG-DOC-007", "VG-DOC-008"):
        assert by_name(found, rule) == {"docs-good": Status.PASS, "docs-default": Status.FAIL}, rule
    for rule in ("VG-NEP-006", "VG-NEP-007"):
        assert by_name(found, rule) == {"graph-good": Status.PASS, "graph-default": Status.FAIL}, rule
    managed = next(r for r in ctx.resources if r.attributes["cluster_identifier"] == "graph-default")
    assert managed.attributes["kms_key_arn"] == ""


def test_neptune_instances_are_their_own_type_and_not_rds_instances(aws: Any) -> None:
    rds = aws("rds")
    rds.create_db_cluster(DBClusterIdentifier="graph", Engine="neptune", StorageEncrypted=True)
    for name, public in (("graph-private", False), ("graph-public", True)):
        rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.r6g.large", Engine="neptune",
                               DBClusterIdentifier="graph", PubliclyAccessible=public)
    report = scan_moto(aws)
    private, public = (arn("rds", f"db:{name}") for name in ("graph-private", "graph-public"))
    assert results_for(report, "VG-NEP-008") == {private: Status.PASS, public: Status.FAIL}
    # RDS's instance rules do not judge them
    assert not {private, public} & set(results_for(report, "VG-RDS-003"))


def test_a_neptune_instance_whose_exposure_aws_left_out_is_unknown() -> None:
    ctx, stubs = stubbed("rds")
    stubs["rds"].add_response("describe_db_instances", {"DBInstances": [
        {"DBInstanceIdentifier": "graph-1", "Engine": "neptune", "DBInstanceClass": "db.r6g.large"}]})
    NeptuneClusterInstances().collect(ctx)
    [found] = verdicts(ctx, "VG-NEP-008").values()
    assert found.status is Status.UNKNOWN and "did not return PubliclyAccessible" in found.reason


def test_docdb_neptune_and_rds_instances_share_one_listing_and_each_is_its_own_type() -> None:
    """moto's RDS refuses the docdb engine: the listing is stubbed, once for the three collectors.
    A DocumentDB instance is read (AWS Config counts it), judged on minor upgrades like Neptune's;
    one whose answer leaves the setting out is UNKNOWN, never a PASS."""
    ctx, stubs = stubbed("rds")
    instances = {"docs-1": ("docdb", True), "docs-2": ("docdb", False), "docs-3": ("docdb", None),
                 "graph-1": ("neptune", False), "claims-pg": ("postgres", True)}
    stubs["rds"].add_response("describe_db_instances", {"DBInstances": [
        {"DBInstanceIdentifier": name, "Engine": engine, "DBInstanceClass": "db.r6g.large", "PubliclyAccessible": False,
         "DBInstanceArn": arn("rds", f"db:{name}"),
         **({} if upgrades is None else {"AutoMinorVersionUpgrade": upgrades})}
        for name, (engine, upgrades) in instances.items()]})
    for collector in (DocDbClusterInstances, NeptuneClusterInstances, DbInstances):
        collector().collect(ctx)
    stubs["rds"].assert_no_pending_responses()
    assert {r.address.rsplit(":", 1)[1]: r.type for r in ctx.resources} == {
        "docs-1": "aws_docdb_cluster_instance", "docs-2": "aws_docdb_cluster_instance",
        "docs-3": "aws_docdb_cluster_instance", "graph-1": "aws_neptune_cluster_instance",
        "claims-pg": "aws_db_instance"}
    assert by_name(verdicts(ctx, "VG-NEP-009"), "VG-NEP-009") == {
        "docs-1": Status.PASS, "docs-2": Status.FAIL, "docs-3": Status.UNKNOWN, "graph-1": Status.FAIL}


def test_docdb_and_neptune_snapshots_share_the_rds_listing_and_are_their_own_types() -> None:
    """moto's RDS refuses the docdb engine: the listing is stubbed, once for the three collectors;
    each engine's snapshots become its type, judged by VG-RDS-013 (public or not)."""
    ctx, stubs = stubbed("rds")
    stub = stubs["rds"]
    snapshots = {"docs-shared": "docdb", "graph-private": "neptune", "aurora-private": "aurora-postgresql"}
    stub.add_response("describe_db_cluster_snapshots", {"DBClusterSnapshots": [
        {"DBClusterSnapshotIdentifier": name, "DBClusterIdentifier": name.split("-")[0], "Engine": engine,
         "SnapshotType": "manual", "StorageEncrypted": True,
         "DBClusterSnapshotArn": arn("rds", f"cluster-snapshot:{name}")} for name, engine in snapshots.items()]},
        {"SnapshotType": "manual"})
    for name in snapshots:
        stub.add_response("describe_db_cluster_snapshot_attributes", {"DBClusterSnapshotAttributesResult": {
            "DBClusterSnapshotIdentifier": name, "DBClusterSnapshotAttributes": [
                {"AttributeName": "restore", "AttributeValues": ["all"] if name == "docs-shared" else []}]}},
            {"DBClusterSnapshotIdentifier": name})
    for collector in (DocDbClusterSnapshots, NeptuneClusterSnapshots, DbClusterSnapshots):
        collector().collect(ctx)
    stub.assert_no_pending_responses()
    assert {r.address.rsplit(":", 1)[1]: r.type for r in ctx.resources} == {
        "docs-shared": "aws_docdb_cluster_snapshot", "graph-private": "aws_neptune_cluster_snapshot",
        "aurora-private": "aws_db_cluster_snapshot"}
    assert by_name(verdicts(ctx, "VG-RDS-013"), "VG-RDS-013") == {
        "docs-shared": Status.FAIL, "graph-private": Status.PASS, "aurora-private": Status.PASS}


# -- Redshift Serverless (moto has no redshift-serverless: Stubber) -----------------------------------

def _namespace(name: str, **overrides: Any) -> dict[str, Any]:
    return {"namespaceName": name, "namespaceArn": arn("redshift-serverless", f"namespace/{name}-id"),
            "namespaceId": f"{name}-id", "dbName": "claims", "kmsKeyId": KEY,
            "logExports": ["connectionlog", "userlog", "useractivitylog"], **overrides}


def test_redshift_serverless_namespaces() -> None:
    ctx, stubs = stubbed("redshift-serverless", "kms")
    stubs["redshift-serverless"].add_response("list_namespaces", {"namespaces": [
        _namespace("good"),
        _namespace("owned", kmsKeyId="AWS_OWNED_KMS_KEY", logExports=["connectionlog"]),
        _namespace("managed", kmsKeyId=MANAGED, logExports=[])]})
    stubs["kms"].add_response("describe_key", {"KeyMetadata": key_metadata("aws-managed-0000", KeyManager="AWS")},
                              {"KeyId": "alias/aws/redshift"})
    RedshiftServerlessNamespaces().collect(ctx)
    found = verdicts(ctx, "VG-RS-006", "VG-RS-007")
    assert by_name(found, "VG-RS-006") == {"good-id": Status.PASS, "owned-id": Status.FAIL, "managed-id": Status.FAIL}
    assert by_name(found, "VG-RS-007") == {"good-id": Status.PASS, "owned-id": Status.FAIL, "managed-id": Status.FAIL}
    managed = next(r for r in ctx.resources if r.attributes["namespace_name"] == "managed")
    assert managed.attributes["kms_key_id"] == ""  # the AWS managed key is no customer key


def _workgroup(name: str, **overrides: Any) -> dict[str, Any]:
    workgroup = {"workgroupName": name, "workgroupArn": arn("redshift-serverless", f"workgroup/{name}"),
                 "namespaceName": "claims-dw", "publiclyAccessible": False, "enhancedVpcRouting": True,
                 "configParameters": [{"parameterKey": "require_ssl", "parameterValue": "true"},
                                      {"parameterKey": "enable_user_activity_logging", "parameterValue": "true"}]}
    workgroup.update(overrides)
    return {k: v for k, v in workgroup.items() if v is not None}


def test_redshift_serverless_workgroups_and_members_aws_left_out() -> None:
    ctx, stubs = stubbed("redshift-serverless")
    stubs["redshift-serverless"].add_response("list_workgroups", {"workgroups": [
        _workgroup("good"),
        _workgroup("open", publiclyAccessible=True, enhancedVpcRouting=False,
                   configParameters=[{"parameterKey": "require_ssl", "parameterValue": "false"}]),
        _workgroup("unsaid", publiclyAccessible=None, enhancedVpcRouting=None, configParameters=None)]})
    RedshiftServerlessWorkgroups().collect(ctx)
    found = verdicts(ctx, "VG-RS-008", "VG-RS-009", "VG-RS-010")
    for rule in ("VG-RS-008", "VG-RS-009", "VG-RS-010"):
        assert by_name(found, rule) == {"good": Status.PASS, "open": Status.FAIL, "unsaid": Status.UNKNOWN}, rule
    unsaid = next(r for (rule, address), r in found.items() if address.endswith("/unsaid") and rule == "VG-RS-008")
    assert "did not return publiclyAccessible" in unsaid.reason


# -- Secrets Manager resource policies ------------------------------------------------------------------

def test_secret_resource_policies(aws: Any) -> None:
    sm = aws("secretsmanager")
    secrets = {name: sm.create_secret(Name=name, SecretString="not read")["ARN"]
               for name in ("private", "public", "none")}
    sm.put_resource_policy(SecretId="private", ResourcePolicy=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/claims-worker"},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
    sm.put_resource_policy(SecretId="public", ResourcePolicy=policy(
        {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))

    report = scan_moto(aws)
    assert results_for(report, "VG-SEC-003") == {
        secrets["private"]: Status.PASS, secrets["public"]: Status.FAIL, secrets["none"]: Status.PASS}
    assert resource(report, secrets["none"]).attributes["policy"] is None


def test_a_secret_policy_that_cannot_be_read_is_unknown() -> None:
    ctx, stubs = stubbed("secretsmanager")
    secret = arn("secretsmanager", "secret:claims/db-AbCdEf")
    stubs["secretsmanager"].add_response("list_secrets", {"SecretList": [
        {"ARN": secret, "Name": "claims/db", "RotationEnabled": True}]})
    denied(stubs["secretsmanager"], "get_resource_policy", SecretId=secret)
    Secrets().collect(ctx)
    [found] = verdicts(ctx, "VG-SEC-003").values()
    assert found.status is Status.UNKNOWN and "secretsmanager:GetResourcePolicy" in found.reason
    # the other facts of the secret are still read
    assert verdicts(ctx, "VG-SEC-002")[("VG-SEC-002", secret)].status is Status.PASS


# -- Kinesis video streams ------------------------------------------------------------------------------

def test_kinesis_video_streams(aws: Any) -> None:
    video = aws("kinesisvideo")
    good = video.create_stream(StreamName="telehealth", KmsKeyId=KEY, DataRetentionInHours=24)["StreamARN"]
    bad = video.create_stream(StreamName="lobby-camera", DataRetentionInHours=24)["StreamARN"]
    report = scan_moto(aws)
    assert results_for(report, "VG-KVS-001") == {good: Status.PASS, bad: Status.FAIL}
    assert resource(report, good).attributes["data_retention_in_hours"] == 24


@pytest.mark.parametrize("key,answer,expected", [
    (MANAGED, {"KeyMetadata": key_metadata("aws-managed-0000", KeyManager="AWS")}, Status.FAIL),
    (KEY, None, Status.UNKNOWN),
])
def test_kinesis_video_aws_managed_key(key: str, answer: dict[str, Any] | None, expected: Status) -> None:
    """The AWS managed alias/aws/kinesisvideo is no customer key; when which key it is cannot be
    looked up, the verdict is UNKNOWN, never a PASS."""
    ctx, stubs = stubbed("kinesisvideo", "kms")
    stream = arn("kinesisvideo", "stream/telehealth/1700000000000")
    stubs["kinesisvideo"].add_response("list_streams", {"StreamInfoList": [
        {"StreamName": "telehealth", "StreamARN": stream, "KmsKeyId": key, "Status": "ACTIVE",
         "DataRetentionInHours": 24}]})
    if answer:
        stubs["kms"].add_response("describe_key", answer, {"KeyId": "alias/aws/kinesisvideo"})
    else:
        denied(stubs["kms"], "describe_key", KeyId="alias/aws/kinesisvideo")
    KinesisVideoStreams().collect(ctx)
    [found] = verdicts(ctx, "VG-KVS-001").values()
    assert found.status is expected
    if expected is Status.UNKNOWN:
        assert ctx.resources[0].attributes["kms_key_id"] is UNKNOWN and "kms:DescribeKey" in found.reason
