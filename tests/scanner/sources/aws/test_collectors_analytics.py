"""The analytics and file-system collectors: Redshift, Neptune, DocumentDB, MSK, EMR and FSx.

Against the moto server where moto implements the calls: seed a good and a bad resource, scan,
and check the verdicts of the rules over them.  botocore's Stubber answers, with the response shapes
AWS documents, where moto does not: a Redshift parameter group's own values (moto's
DescribeClusterParameters answers every group with the engine defaults), DocumentDB clusters
(moto's RDS refuses the docdb engine), EMR's ListSecurityConfigurations (not implemented) and a
block public access configuration that is off (moto stores False as True), the AWS managed ``alias/aws/...`` keys (moto has
none), and read failures.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.stub import Stubber

from conftest import results_for, scan_moto
from test_collectors_data import ACCOUNT, arn, key_metadata, resource, stubbed, verdicts
from vendorguard.scanner.model import UNKNOWN, Status
from vendorguard.scanner.sources.aws.collectors.emr import EmrBlockPublicAccess, EmrSecurityConfigurations
from vendorguard.scanner.sources.aws.collectors.fsx import FsxFileSystems
from vendorguard.scanner.sources.aws.collectors.neptune_docdb import DocDbClusters
from vendorguard.scanner.sources.aws.collectors.rds import DbClusters
from vendorguard.scanner.sources.aws.collectors.redshift import RedshiftClusters, RedshiftParameterGroups

KEY = arn("kms", "key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0")
MANAGED = arn("kms", "key/aws-managed-0000")


def denied(stub: Stubber, method: str, **expected: Any) -> None:
    stub.add_client_error(method, "AccessDenied", "not allowed", 403, expected_params=expected or None)


# -- Redshift ---------------------------------------------------------------------------------------

def test_redshift_clusters_and_parameter_groups(aws: Any) -> None:
    redshift = aws("redshift")
    redshift.create_cluster_parameter_group(ParameterGroupName="dw-params", ParameterGroupFamily="redshift-1.0",
                                            Description="claims warehouse")
    redshift.create_cluster(ClusterIdentifier="claims-dw", NodeType="ra3.xlplus", MasterUsername="admin",
                            MasterUserPassword="Correct-horse-1", NumberOfNodes=2, Encrypted=True, KmsKeyId=KEY,
                            PubliclyAccessible=False, ClusterParameterGroupName="dw-params")
    redshift.enable_logging(ClusterIdentifier="claims-dw", LogDestinationType="cloudwatch",
                            LogExports=["connectionlog", "userlog", "useractivitylog"])
    redshift.create_cluster(ClusterIdentifier="scratch-dw", NodeType="ra3.xlplus", MasterUsername="admin",
                            MasterUserPassword="Correct-horse-1", ClusterType="single-node", Encrypted=False,
                            PubliclyAccessible=True)

    report = scan_moto(aws)
    good, bad = arn("redshift", "cluster:claims-dw"), arn("redshift", "cluster:scratch-dw")
    for rule in ("VG-RS-001", "VG-RS-002", "VG-RS-003", "VG-RS-004"):
        assert results_for(report, rule) == {good: Status.PASS, bad: Status.FAIL}, rule
    cluster = resource(report, good)
    assert cluster.attributes["logging"][0]["log_exports"] == ["connectionlog", "userlog", "useractivitylog"]
    assert cluster.attributes["cluster_parameter_group_name"] == "dw-params"
    # moto answers a group's parameters with the engine defaults, as AWS does for a new group
    group = resource(report, arn("redshift", "parametergroup:dw-params"))
    assert group.attributes["parameter"] == [{"name": "require_ssl", "value": "false"}]
    assert results_for(report, "VG-RS-005")[group.address] is Status.FAIL


def _cluster(name: str, **overrides: Any) -> dict[str, Any]:
    return {"ClusterIdentifier": name, "NodeType": "ra3.xlplus", "Encrypted": True, "PubliclyAccessible": False,
            "KmsKeyId": KEY, **overrides}


def test_redshift_aws_managed_key_and_unreadable_logging() -> None:
    """The AWS managed key is no customer key; a denied logging read leaves logging UNKNOWN."""
    ctx, stubs = stubbed("redshift", "kms")
    stubs["redshift"].add_response("describe_clusters", {"Clusters": [_cluster("managed-key", KmsKeyId=MANAGED)]})
    denied(stubs["redshift"], "describe_logging_status", ClusterIdentifier="managed-key")
    stubs["kms"].add_response("describe_key", {"KeyMetadata": key_metadata("aws-managed-0000", KeyManager="AWS")},
                              {"KeyId": "alias/aws/redshift"})
    RedshiftClusters().collect(ctx)
    [cluster] = ctx.resources
    assert cluster.attributes["kms_key_id"] == "" and cluster.attributes["logging"] is UNKNOWN
    found = verdicts(ctx, "VG-RS-002", "VG-RS-004")
    assert found[("VG-RS-002", cluster.address)].status is Status.FAIL
    logging = found[("VG-RS-004", cluster.address)]
    assert logging.status is Status.UNKNOWN and "redshift:DescribeLoggingStatus" in logging.reason


def test_redshift_require_ssl_is_read_from_the_group_and_a_denied_read_is_unknown() -> None:
    ctx, stubs = stubbed("redshift")
    stub = stubs["redshift"]
    stub.add_response("describe_cluster_parameter_groups", {"ParameterGroups": [
        {"ParameterGroupName": name, "ParameterGroupFamily": "redshift-1.0", "Description": name}
        for name in ("tls", "plain", "unread")]})
    for name, value in (("tls", "true"), ("plain", "false")):
        stub.add_response("describe_cluster_parameters", {"Parameters": [
            {"ParameterName": "require_ssl", "ParameterValue": value, "Source": "user"},
            {"ParameterName": "enable_user_activity_logging", "ParameterValue": "true", "Source": "user"}]},
            {"ParameterGroupName": name})
    denied(stub, "describe_cluster_parameters", ParameterGroupName="unread")
    RedshiftParameterGroups().collect(ctx)
    found = {r.address.rsplit(":", 1)[1]: r for r in verdicts(ctx, "VG-RS-005").values()}
    assert {name: r.status for name, r in found.items()} == {
        "tls": Status.PASS, "plain": Status.FAIL, "unread": Status.UNKNOWN}
    assert "redshift:DescribeClusterParameters" in found["unread"].reason
    tls = next(r for r in ctx.resources if r.attributes["name"] == "tls")
    assert tls.attributes["parameter"] == [{"name": "require_ssl", "value": "true"}]  # only what the rule reads


# -- Neptune and DocumentDB ---------------------------------------------------------------------------

def test_neptune_clusters_are_their_own_type_and_not_rds_clusters(aws: Any) -> None:
    rds = aws("rds")
    rds.create_db_cluster(DBClusterIdentifier="graph-good", Engine="neptune", StorageEncrypted=True,
                          BackupRetentionPeriod=14, DeletionProtection=True, EnableCloudwatchLogsExports=["audit"])
    rds.create_db_cluster(DBClusterIdentifier="graph-bad", Engine="neptune", BackupRetentionPeriod=1)
    rds.create_db_cluster(DBClusterIdentifier="aurora", Engine="aurora-postgresql", StorageEncrypted=True,
                          BackupRetentionPeriod=10, DeletionProtection=True, MasterUsername="admin",
                          MasterUserPassword="correct-horse")

    report = scan_moto(aws)
    good, bad, aurora = (arn("rds", f"cluster:{name}") for name in ("graph-good", "graph-bad", "aurora"))
    for rule in ("VG-NEP-001", "VG-NEP-002", "VG-NEP-003", "VG-NEP-004"):
        assert results_for(report, rule) == {good: Status.PASS, bad: Status.FAIL}, rule
    # RDS's cluster rules judge only the RDS cluster, and each cluster is emitted once, as its type
    assert results_for(report, "VG-RDS-002") == {aurora: Status.PASS}
    types = {r.address: r.type for inv in report.inventories for r in inv.resources if ":cluster:" in r.address}
    assert types == {good: "aws_neptune_cluster", bad: "aws_neptune_cluster", aurora: "aws_rds_cluster"}
    assert resource(report, good).attributes["enable_cloudwatch_logs_exports"] == ["audit"]


def _db_cluster(name: str, engine: str, **overrides: Any) -> dict[str, Any]:
    return {"DBClusterIdentifier": name, "DBClusterArn": arn("rds", f"cluster:{name}"), "Engine": engine,
            "StorageEncrypted": True, "BackupRetentionPeriod": 7, "DeletionProtection": True,
            "EnabledCloudwatchLogsExports": ["audit", "profiler"], **overrides}


def test_docdb_clusters_share_the_rds_listing_and_are_only_docdb_clusters() -> None:
    """moto's RDS does not take the docdb engine: the listing AWS answers is stubbed, once for both
    collectors (a second DescribeDBClusters would find no stubbed answer)."""
    ctx, stubs = stubbed("rds")
    stubs["rds"].add_response("describe_db_clusters", {"DBClusters": [
        _db_cluster("docs-good", "docdb"),
        _db_cluster("docs-bad", "docdb", StorageEncrypted=False, BackupRetentionPeriod=1, DeletionProtection=False,
                    EnabledCloudwatchLogsExports=["profiler"]),
        _db_cluster("aurora", "aurora-postgresql", EnabledCloudwatchLogsExports=["postgresql"])]})
    DocDbClusters().collect(ctx)
    DbClusters().collect(ctx)
    stubs["rds"].assert_no_pending_responses()
    assert {r.address.rsplit(":", 1)[1]: r.type for r in ctx.resources} == {
        "docs-good": "aws_docdb_cluster", "docs-bad": "aws_docdb_cluster", "aurora": "aws_rds_cluster"}
    rules = [f"VG-DOC-00{n}" for n in range(1, 5)]
    found = {(rule, address.rsplit(":", 1)[1]): r.status for (rule, address), r in verdicts(ctx, *rules).items()}
    assert found == {(rule, name): status for rule in rules
                     for name, status in (("docs-good", Status.PASS), ("docs-bad", Status.FAIL))}


# -- MSK ----------------------------------------------------------------------------------------------

def _msk(kafka: Any, name: str, **settings: Any) -> str:
    nodes = {"InstanceType": "kafka.m7g.large", "ClientSubnets": ["subnet-0a1b2c3d", "subnet-1a2b3c4d"],
             "SecurityGroups": ["sg-0a1b2c3d"], **settings.pop("nodes", {})}
    return kafka.create_cluster(ClusterName=name, KafkaVersion="3.6.0", NumberOfBrokerNodes=2,
                                BrokerNodeGroupInfo=nodes, **settings)["ClusterArn"]


def test_msk_clusters(aws: Any) -> None:
    kafka = aws("kafka")
    good = _msk(kafka, "claims-events",
                nodes={"ConnectivityInfo": {"PublicAccess": {"Type": "DISABLED"}}},
                EncryptionInfo={"EncryptionAtRest": {"DataVolumeKMSKeyId": KEY},
                                "EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": True}},
                LoggingInfo={"BrokerLogs": {"CloudWatchLogs": {"Enabled": True, "LogGroup": "/msk/claims"}}})
    bad = _msk(kafka, "legacy-events",
               nodes={"ConnectivityInfo": {"PublicAccess": {"Type": "SERVICE_PROVIDED_EIPS"}}},
               EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS_PLAINTEXT", "InCluster": False}},
               LoggingInfo={"BrokerLogs": {"S3": {"Enabled": False}}})
    quiet = _msk(kafka, "quiet-events")  # moto states no encryption, logging nor public access

    report = scan_moto(aws)
    for rule in ("VG-MSK-001", "VG-MSK-002", "VG-MSK-003", "VG-MSK-004"):
        found = results_for(report, rule)
        assert (found[good], found[bad]) == (Status.PASS, Status.FAIL), rule
    # what AWS did not state is not known: never a PASS on it
    quiet_results = {rule: results_for(report, rule)[quiet] for rule in ("VG-MSK-001", "VG-MSK-004")}
    assert quiet_results == {"VG-MSK-001": Status.UNKNOWN, "VG-MSK-004": Status.UNKNOWN}
    assert results_for(report, "VG-MSK-003")[quiet] is Status.FAIL


# -- EMR ----------------------------------------------------------------------------------------------

def test_emr_clusters_and_block_public_access(aws: Any) -> None:
    emr = aws("emr")
    instances = {"MasterInstanceType": "m5.xlarge", "SlaveInstanceType": "m5.xlarge", "InstanceCount": 3,
                 "KeepJobFlowAliveWhenNoSteps": True}
    emr.create_security_configuration(Name="encrypted", SecurityConfiguration=json.dumps(
        {"EncryptionConfiguration": {"EnableAtRestEncryption": True, "EnableInTransitEncryption": True}}))
    secured = emr.run_job_flow(Name="claims-etl", ReleaseLabel="emr-7.2.0", Instances=instances,
                               SecurityConfiguration="encrypted", JobFlowRole="EMR_EC2_DefaultRole",
                               ServiceRole="EMR_DefaultRole")["JobFlowId"]
    plain = emr.run_job_flow(Name="adhoc", ReleaseLabel="emr-7.2.0", Instances=instances,
                             JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole")["JobFlowId"]
    ended = emr.run_job_flow(Name="ended", ReleaseLabel="emr-7.2.0", Instances=instances,
                             JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole")["JobFlowId"]
    emr.terminate_job_flows(JobFlowIds=[ended])
    emr.put_block_public_access_configuration(BlockPublicAccessConfiguration={
        "BlockPublicSecurityGroupRules": True, "PermittedPublicSecurityGroupRuleRanges": [{"MinRange": 22,
                                                                                            "MaxRange": 22}]})

    report = scan_moto(aws)
    found = {a.rsplit("/", 1)[1]: s for a, s in results_for(report, "VG-EMR-001").items()}
    assert found == {secured: Status.PASS, plain: Status.FAIL}  # a terminated cluster is not read
    [(address, bpa)] = results_for(report, "VG-EMR-004").items()
    assert bpa is Status.PASS
    assert resource(report, address).attributes["permitted_public_security_group_rule_range"] == [
        {"min_range": 22, "max_range": 22}]


@pytest.mark.parametrize("answer,expected", [
    ({"BlockPublicSecurityGroupRules": False}, Status.FAIL),  # moto stores False as True
    (None, Status.UNKNOWN),                                   # denied
])
def test_emr_block_public_access_off_or_unread(answer: dict[str, Any] | None, expected: Status) -> None:
    ctx, stubs = stubbed("emr")
    if answer is None:
        denied(stubs["emr"], "get_block_public_access_configuration")
    else:
        stubs["emr"].add_response("get_block_public_access_configuration", {
            "BlockPublicAccessConfiguration": answer, "BlockPublicAccessConfigurationMetadata": {
                "CreationDateTime": datetime(2024, 5, 1, tzinfo=timezone.utc),
                "CreatedByArn": f"arn:aws:iam::{ACCOUNT}:root"}})
    EmrBlockPublicAccess().collect(ctx)
    [result] = verdicts(ctx, "VG-EMR-004").values()
    assert result.status is expected
    assert expected is not Status.UNKNOWN or result.reason


def test_emr_security_configurations() -> None:
    """moto does not implement ListSecurityConfigurations."""
    ctx, stubs = stubbed("emr")
    stub = stubs["emr"]
    documents = {
        "encrypted": {"EncryptionConfiguration": {
            "EnableAtRestEncryption": True, "EnableInTransitEncryption": True,
            "AtRestEncryptionConfiguration": {"LocalDiskEncryptionConfiguration": {
                "EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": KEY, "EnableEbsEncryption": True}}}},
        "s3-only": {"EncryptionConfiguration": {
            "EnableAtRestEncryption": True, "EnableInTransitEncryption": False,
            "AtRestEncryptionConfiguration": {"S3EncryptionConfiguration": {"EncryptionMode": "SSE-S3"}}}},
    }
    stub.add_response("list_security_configurations", {"SecurityConfigurations": [
        {"Name": name} for name in (*documents, "unread")]})
    for name, document in documents.items():
        stub.add_response("describe_security_configuration",
                          {"Name": name, "SecurityConfiguration": json.dumps(document)}, {"Name": name})
    denied(stub, "describe_security_configuration", Name="unread")
    EmrSecurityConfigurations().collect(ctx)
    found = verdicts(ctx, "VG-EMR-002", "VG-EMR-003")
    by_name = {(rule, address.rsplit("/", 1)[1]): r.status for (rule, address), r in found.items()}
    assert by_name == {
        ("VG-EMR-002", "encrypted"): Status.PASS, ("VG-EMR-003", "encrypted"): Status.PASS,
        ("VG-EMR-002", "s3-only"): Status.FAIL, ("VG-EMR-003", "s3-only"): Status.FAIL,
        ("VG-EMR-002", "unread"): Status.UNKNOWN, ("VG-EMR-003", "unread"): Status.UNKNOWN}


# -- FSx ----------------------------------------------------------------------------------------------

def test_fsx_file_systems(aws: Any) -> None:
    fsx = aws("fsx")
    subnets = ["subnet-0a1b2c3d"]
    windows = fsx.create_file_system(
        FileSystemType="WINDOWS", StorageCapacity=300, SubnetIds=subnets, KmsKeyId=KEY,
        WindowsConfiguration={"ThroughputCapacity": 32, "AutomaticBackupRetentionDays": 7,
                              "DeploymentType": "MULTI_AZ_1"})["FileSystem"]["FileSystemId"]
    scratch = fsx.create_file_system(
        FileSystemType="LUSTRE", StorageCapacity=1200, SubnetIds=subnets,
        LustreConfiguration={"DeploymentType": "SCRATCH_2"})["FileSystem"]["FileSystemId"]
    zfs = fsx.create_file_system(
        FileSystemType="OPENZFS", StorageCapacity=64, SubnetIds=subnets,
        OpenZFSConfiguration={"DeploymentType": "SINGLE_AZ_2", "ThroughputCapacity": 64,
                              "AutomaticBackupRetentionDays": 0})["FileSystem"]["FileSystemId"]

    report = scan_moto(aws)
    fs = lambda fs_id: arn("fsx", f"file-system/{fs_id}")  # noqa: E731
    assert resource(report, fs(windows)).type == "aws_fsx_windows_file_system"
    assert resource(report, fs(zfs)).type == "aws_fsx_openzfs_file_system"
    assert results_for(report, "VG-FSX-001") == {fs(windows): Status.PASS}
    assert results_for(report, "VG-FSX-002") == {fs(scratch): Status.NOT_APPLICABLE}
    assert results_for(report, "VG-FSX-004") == {fs(zfs): Status.FAIL}
    assert results_for(report, "VG-FSX-005") == {fs(windows): Status.PASS, fs(scratch): Status.NOT_APPLICABLE,
                                                 fs(zfs): Status.FAIL}


@pytest.mark.parametrize("answer,expected", [
    ("managed", Status.FAIL),   # the AWS managed aws/fsx key is no customer managed key
    ("denied", Status.UNKNOWN),  # whether it is cannot be told
])
def test_fsx_aws_managed_key(answer: str, expected: Status) -> None:
    ctx, stubs = stubbed("fsx", "kms")
    stubs["fsx"].add_response("describe_file_systems", {"FileSystems": [{
        "FileSystemId": "fs-0a1b2c3d4e5f60718", "FileSystemType": "ONTAP", "KmsKeyId": MANAGED,
        "ResourceARN": arn("fsx", "file-system/fs-0a1b2c3d4e5f60718"),
        "OntapConfiguration": {"AutomaticBackupRetentionDays": 30, "DeploymentType": "MULTI_AZ_1"}}]})
    if answer == "managed":
        stubs["kms"].add_response("describe_key", {"KeyMetadata": key_metadata("aws-managed-0000", KeyManager="AWS")},
                                  {"KeyId": "alias/aws/fsx"})
    else:
        denied(stubs["kms"], "describe_key", KeyId="alias/aws/fsx")
    FsxFileSystems().collect(ctx)
    [(_, result)] = verdicts(ctx, "VG-FSX-003").items()
    assert result.status is expected
    assert verdicts(ctx, "VG-FSX-005")[("VG-FSX-005", result.address)].status is Status.PASS
