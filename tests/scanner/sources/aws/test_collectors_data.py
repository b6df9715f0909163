"""The data-store collectors (RDS, KMS, DynamoDB, EFS, ElastiCache, OpenSearch, Backup).

Against the moto server where moto implements the calls: seed a good and a bad resource, scan,
and check the verdicts of the rules over them.  Where moto does not (Backup selections, AWS
managed KMS keys, AWS managed backup keys, read failures), botocore's Stubber answers with the
response shapes AWS documents, and the collector runs on a `Ctx` whose clients are the stubbed ones.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from conftest import policy, results_for, run_engine, scan_moto
from vendorguard.scanner.model import UNKNOWN, Inventory, Status
from vendorguard.scanner.sources.aws import LiveAws
from vendorguard.scanner.sources.aws.collector import Ctx
from vendorguard.scanner.sources.aws.collectors.backup import Plans, Vaults
from vendorguard.scanner.sources.aws.collectors.dynamodb import Tables
from vendorguard.scanner.sources.aws.collectors.kms import Keys
from vendorguard.scanner.sources.aws.collectors.opensearch import Domains
from vendorguard.scanner.sources.aws.collectors.rds import DbClusters, DbParameterGroups
from vendorguard.scanner.sources.aws.session import Tuning

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
ARN = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"


def arn(service: str, resource: str) -> str:
    return ARN.format(service, resource)


def resource(report, address: str):
    return next(r for inv in report.inventories for r in inv.resources if r.address == address)


def allow_all(principal: Any) -> dict[str, Any]:
    """A statement that lets `principal` do anything (a key or domain policy's one statement)."""
    return {"Effect": "Allow", "Principal": principal, "Action": "*", "Resource": "*"}


# -- RDS ------------------------------------------------------------------------------------------

def test_rds_instances_clusters_snapshots_and_parameter_groups(aws: Any) -> None:
    rds = aws("rds")
    rds.create_db_parameter_group(DBParameterGroupName="pg-tls", DBParameterGroupFamily="postgres14", Description="tls")
    rds.modify_db_parameter_group(DBParameterGroupName="pg-tls", Parameters=[
        {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "pending-reboot"},
        {"ParameterName": "log_connections", "ParameterValue": "1", "ApplyMethod": "immediate"}])
    rds.create_db_parameter_group(DBParameterGroupName="pg-plain", DBParameterGroupFamily="postgres14", Description="x")
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="cpg-tls",
                                          DBParameterGroupFamily="aurora-mysql8.0", Description="tls")
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName="cpg-tls", Parameters=[
        {"ParameterName": "require_secure_transport", "ParameterValue": "ON", "ApplyMethod": "immediate"}])
    rds.create_db_cluster_parameter_group(DBClusterParameterGroupName="cpg-plain",
                                          DBParameterGroupFamily="aurora-mysql8.0", Description="x")
    rds.create_db_instance(
        DBInstanceIdentifier="claims", Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
        MasterUsername="admin", MasterUserPassword="correct-horse", StorageEncrypted=True, BackupRetentionPeriod=14,
        MultiAZ=True, DeletionProtection=True, EnableIAMDatabaseAuthentication=True, PubliclyAccessible=False,
        EnableCloudwatchLogsExports=["postgresql"], AutoMinorVersionUpgrade=True, DBParameterGroupName="pg-tls")
    rds.create_db_instance(
        DBInstanceIdentifier="legacy", Engine="mysql", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
        MasterUsername="admin", MasterUserPassword="correct-horse", PubliclyAccessible=True,
        AutoMinorVersionUpgrade=False, BackupRetentionPeriod=1)
    rds.create_db_instance_read_replica(DBInstanceIdentifier="legacy-replica", SourceDBInstanceIdentifier="legacy")
    rds.create_db_cluster(DBClusterIdentifier="aurora", Engine="aurora-postgresql", MasterUsername="admin",
                          MasterUserPassword="correct-horse", StorageEncrypted=True, BackupRetentionPeriod=10,
                          DeletionProtection=True, EnableCloudwatchLogsExports=["postgresql"])
    rds.create_db_cluster(DBClusterIdentifier="scratch", Engine="aurora-mysql", MasterUsername="admin",
                          MasterUserPassword="correct-horse", BackupRetentionPeriod=1)
    rds.create_db_instance(DBInstanceIdentifier="aurora-1", DBClusterIdentifier="aurora", Engine="aurora-postgresql",
                           DBInstanceClass="db.r6g.large", PubliclyAccessible=True)
    rds.create_db_snapshot(DBSnapshotIdentifier="claims-private", DBInstanceIdentifier="claims")
    rds.create_db_snapshot(DBSnapshotIdentifier="claims-public", DBInstanceIdentifier="claims")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="claims-public", AttributeName="restore", ValuesToAdd=["all"])
    rds.create_db_snapshot(DBSnapshotIdentifier="claims-shared", DBInstanceIdentifier="claims")
    rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="claims-shared", AttributeName="restore",
                                     ValuesToAdd=["444455556666"])
    rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="aurora-public", DBClusterIdentifier="aurora")
    rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="aurora-public", AttributeName="restore",
                                             ValuesToAdd=["all"])
    rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="aurora-private", DBClusterIdentifier="aurora")

    report = scan_moto(aws)
    claims, legacy, replica = arn("rds", "db:claims"), arn("rds", "db:legacy"), arn("rds", "db:legacy-replica")
    member = arn("rds", "db:aurora-1")
    aurora, scratch = arn("rds", "cluster:aurora"), arn("rds", "cluster:scratch")

    assert resource(report, member).type == "aws_rds_cluster_instance"
    assert resource(report, claims).type == "aws_db_instance"
    for rule in ("VG-RDS-001", "VG-RDS-007", "VG-RDS-010"):
        assert results_for(report, rule) == {claims: Status.PASS, legacy: Status.FAIL, replica: Status.FAIL}, rule
    for rule in ("VG-RDS-004", "VG-RDS-006"):  # replicas inherit backups and AZ placement
        assert results_for(report, rule) == {claims: Status.PASS, legacy: Status.FAIL,
                                             replica: Status.NOT_APPLICABLE}, rule
    for rule in ("VG-RDS-003", "VG-RDS-009"):
        found = results_for(report, rule)
        assert found[claims] is Status.PASS and found[legacy] is Status.FAIL, rule
    assert results_for(report, "VG-RDS-003")[member] is Status.FAIL  # a public Aurora member
    assert results_for(report, "VG-RDS-009")[member] is Status.PASS
    for rule in ("VG-RDS-002", "VG-RDS-005", "VG-RDS-008"):
        assert results_for(report, rule) == {aurora: Status.PASS, scratch: Status.FAIL}, rule
    assert results_for(report, "VG-RDS-014") == {claims: Status.PASS, legacy: Status.FAIL, replica: Status.FAIL,
                                                 aurora: Status.PASS, scratch: Status.FAIL}

    snapshots = results_for(report, "VG-RDS-013")
    assert snapshots == {arn("rds", "snapshot:claims-private"): Status.PASS,
                         arn("rds", "snapshot:claims-public"): Status.FAIL,
                         arn("rds", "snapshot:claims-shared"): Status.PASS,
                         arn("rds", "cluster-snapshot:aurora-private"): Status.PASS,
                         arn("rds", "cluster-snapshot:aurora-public"): Status.FAIL}
    shared = resource(report, arn("rds", "snapshot:claims-shared"))
    assert shared.attributes["shared_accounts"] == ["444455556666"] and shared.attributes["public"] is False
    assert resource(report, arn("rds", "cluster-snapshot:aurora-public")).type == "aws_db_cluster_snapshot"

    # moto, like RDS, also lists the default groups the instances above use
    groups = {a: st for a, st in results_for(report, "VG-RDS-011").items() if ":pg:default." not in a}
    assert groups == {arn("rds", "pg:pg-tls"): Status.PASS,
                      arn("rds", "pg:pg-plain"): Status.FAIL,
                      arn("rds", "cluster-pg:cpg-tls"): Status.NOT_APPLICABLE,
                      arn("rds", "cluster-pg:cpg-plain"): Status.NOT_APPLICABLE}
    groups = {a: st for a, st in results_for(report, "VG-RDS-012").items() if ":pg:default." not in a}
    assert groups == {arn("rds", "pg:pg-tls"): Status.NOT_APPLICABLE,
                      arn("rds", "pg:pg-plain"): Status.NOT_APPLICABLE,
                      arn("rds", "cluster-pg:cpg-tls"): Status.PASS,
                      arn("rds", "cluster-pg:cpg-plain"): Status.FAIL}
    # only the parameters the rules read are kept
    assert resource(report, arn("rds", "pg:pg-tls")).attributes["parameter"] == [
        {"name": "rds.force_ssl", "value": "1", "apply_method": "pending-reboot"}]
    group = resource(report, arn("rds", "cluster-pg:cpg-tls"))
    assert group.type == "aws_rds_cluster_parameter_group" and group.attributes["family"] == "aurora-mysql8.0"


# -- KMS ------------------------------------------------------------------------------------------

def test_kms_customer_keys_rotation_and_policy(aws: Any) -> None:
    kms = aws("kms")
    rotating = kms.create_key(Description="claims")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=rotating["KeyId"])
    still = kms.create_key(Description="exports", Policy=policy(allow_all("*")))["KeyMetadata"]
    signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    doomed = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)

    report = scan_moto(aws)
    rotation = results_for(report, "VG-KMS-001")
    assert rotation[rotating["Arn"]] is Status.PASS
    assert rotation[still["Arn"]] is Status.FAIL
    assert rotation[signing["Arn"]] is Status.NOT_APPLICABLE
    assert doomed["Arn"] not in rotation
    open_policy = results_for(report, "VG-TPA-003")
    assert open_policy[still["Arn"]] is Status.FAIL
    assert open_policy[rotating["Arn"]] is Status.PASS  # the default key policy names the account
    key = resource(report, rotating["Arn"])
    assert key.type == "aws_kms_key" and key.attributes["customer_master_key_spec"] == "SYMMETRIC_DEFAULT"
    assert json.loads(key.attributes["policy"])["Statement"]  # the policy as JSON text


def stubbed(*services: str, workers: int = 1) -> tuple[Ctx, dict[str, Stubber]]:
    """A Ctx whose clients are Stubber-backed (one worker, so stubbed calls come in order)."""
    clients = {s: boto3.client(s, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
               for s in services}
    stubs = {s: Stubber(c) for s, c in clients.items()}
    for stub in stubs.values():
        stub.activate()
    return Ctx(ACCOUNT, REGION, "aws", lambda service, region: clients[service], workers=workers,
               source=LiveAws.name), stubs


def verdicts(ctx: Ctx, *rule_ids: str) -> dict[tuple[str, str], Any]:
    inventory = Inventory(source="aws", origin=ACCOUNT, resources=ctx.resources, complete=True,
                          scopes={(ACCOUNT, REGION)})
    return {(r.rule_id, r.address): r for r in run_engine(inventory, list(rule_ids))}


def key_metadata(key_id: str, **overrides: Any) -> dict[str, Any]:
    meta = {"AWSAccountId": ACCOUNT, "KeyId": key_id, "Arn": arn("kms", f"key/{key_id}"), "Enabled": True,
            "KeyUsage": "ENCRYPT_DECRYPT", "KeyState": "Enabled", "Origin": "AWS_KMS", "KeyManager": "CUSTOMER",
            "KeySpec": "SYMMETRIC_DEFAULT", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT", "Description": ""}
    meta.update(overrides)
    return meta


def test_kms_rotation_read_denied_is_unknown_with_the_error_code() -> None:
    ctx, stubs = stubbed("kms")
    kms = stubs["kms"]
    ids = ["aws-managed", "customer", "pending"]
    kms.add_response("list_keys", {"Keys": [{"KeyId": i, "KeyArn": arn("kms", f"key/{i}")} for i in ids],
                                   "Truncated": False})
    kms.add_response("describe_key", {"KeyMetadata": key_metadata("aws-managed", KeyManager="AWS")},
                     {"KeyId": "aws-managed"})
    kms.add_response("describe_key", {"KeyMetadata": key_metadata("customer")}, {"KeyId": "customer"})
    kms.add_response("get_key_policy", {"Policy": policy(allow_all({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))},
                     {"KeyId": "customer", "PolicyName": "default"})
    kms.add_client_error("get_key_rotation_status", "AccessDeniedException", "not authorized",
                         expected_params={"KeyId": "customer"})
    kms.add_response("describe_key", {"KeyMetadata": key_metadata("pending", KeyState="PendingDeletion")},
                     {"KeyId": "pending"})
    Keys().collect(ctx)
    kms.assert_no_pending_responses()

    assert [r.address for r in ctx.resources] == [arn("kms", "key/customer")]  # AWS managed, pending: skipped
    key = ctx.resources[0]
    assert key.attributes["enable_key_rotation"] is UNKNOWN
    assert "enable_key_rotation" in key.unknown
    result = verdicts(ctx, "VG-KMS-001", "VG-TPA-003")
    rotation = result[("VG-KMS-001", key.address)]
    assert rotation.status is Status.UNKNOWN
    assert "AccessDeniedException on kms:GetKeyRotationStatus" in rotation.reason
    assert result[("VG-TPA-003", key.address)].status is Status.PASS  # the policy was read


def test_kms_describe_denied_keeps_the_key_unknown() -> None:
    ctx, stubs = stubbed("kms")
    stubs["kms"].add_response("list_keys", {"Keys": [{"KeyId": "k", "KeyArn": arn("kms", "key/k")}]})
    stubs["kms"].add_client_error("describe_key", "AccessDeniedException", "no")
    Keys().collect(ctx)
    [key] = ctx.resources
    assert key.unknown_reason == "AccessDeniedException on kms:DescribeKey (IAM action kms:DescribeKey)"
    result = verdicts(ctx, "VG-KMS-001", "VG-TPA-003")
    for rule in ("VG-KMS-001", "VG-TPA-003"):
        assert result[(rule, key.address)].status is Status.UNKNOWN
    assert "AccessDeniedException on kms:DescribeKey" in result[("VG-TPA-003", key.address)].reason


def test_kms_custom_key_store_and_imported_keys() -> None:
    ctx, stubs = stubbed("kms")
    kms = stubs["kms"]
    kms.add_response("list_keys", {"Keys": [{"KeyId": "hsm"}, {"KeyId": "imported"}]})
    kms.add_response("describe_key", {"KeyMetadata": key_metadata("hsm", Origin="AWS_CLOUDHSM",
                                                                  CustomKeyStoreId="cks-1")})
    kms.add_response("get_key_policy", {"Policy": "{}"})
    kms.add_client_error("get_key_rotation_status", "UnsupportedOperationException", "custom key store")
    kms.add_response("describe_key", {"KeyMetadata": key_metadata("imported", Origin="EXTERNAL")})
    kms.add_response("get_key_policy", {"Policy": "{}"})
    Keys().collect(ctx)
    kms.assert_no_pending_responses()
    hsm, imported = ctx.resources
    assert hsm.type == "aws_kms_key" and hsm.attributes["enable_key_rotation"] is False
    assert hsm.attributes["custom_key_store_id"] == "cks-1" and hsm.unknown_reason is None
    assert imported.type == "aws_kms_external_key"


# -- DynamoDB -------------------------------------------------------------------------------------

def _table(ddb: Any, name: str, **extra: Any) -> None:
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", **extra)


def test_dynamodb_encryption_and_point_in_time_recovery(aws: Any) -> None:
    ddb, kms = aws("dynamodb"), aws("kms")
    cmk = kms.create_key(Description="claims")["KeyMetadata"]["Arn"]
    _table(ddb, "claims", SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": cmk})
    ddb.update_continuous_backups(TableName="claims",
                                  PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    _table(ddb, "sessions", SSESpecification={"Enabled": True, "SSEType": "KMS"})  # AWS managed key
    _table(ddb, "cache")  # AWS owned key

    report = scan_moto(aws)
    claims, sessions, cache = (arn("dynamodb", f"table/{n}") for n in ("claims", "sessions", "cache"))
    assert results_for(report, "VG-DDB-001") == {claims: Status.PASS, sessions: Status.FAIL, cache: Status.FAIL}
    assert results_for(report, "VG-DDB-002") == {claims: Status.PASS, sessions: Status.FAIL, cache: Status.FAIL}
    assert resource(report, claims).attributes["server_side_encryption"] == [{"enabled": True, "kms_key_arn": cmk}]
    assert resource(report, sessions).attributes["server_side_encryption"] == [{"enabled": True, "kms_key_arn": ""}]
    assert resource(report, cache).attributes["server_side_encryption"] == []
    assert resource(report, claims).attributes["point_in_time_recovery"][0]["enabled"] is True


def test_dynamodb_managed_key_lookup_denied_is_unknown() -> None:
    ctx, stubs = stubbed("dynamodb", "kms")
    key = arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab")
    stubs["dynamodb"].add_response("list_tables", {"TableNames": ["claims"]})
    stubs["dynamodb"].add_response("describe_table", {"Table": {
        "TableName": "claims", "TableArn": arn("dynamodb", "table/claims"),
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key}}})
    stubs["dynamodb"].add_response("describe_continuous_backups", {"ContinuousBackupsDescription": {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED", "RecoveryPeriodInDays": 35}}})
    stubs["kms"].add_client_error("describe_key", "AccessDeniedException", "no",
                                  expected_params={"KeyId": "alias/aws/dynamodb"})
    Tables().collect(ctx)
    result = verdicts(ctx, "VG-DDB-001", "VG-DDB-002")
    encrypted = result[("VG-DDB-001", arn("dynamodb", "table/claims"))]
    assert encrypted.status is Status.UNKNOWN and "AccessDeniedException on kms:DescribeKey" in encrypted.reason
    assert result[("VG-DDB-002", arn("dynamodb", "table/claims"))].status is Status.PASS


# -- EFS, ElastiCache -----------------------------------------------------------------------------

def test_efs_encryption(aws: Any) -> None:
    efs = aws("efs")
    sealed = efs.create_file_system(CreationToken="scans", Encrypted=True)["FileSystemId"]
    plain = efs.create_file_system(CreationToken="exports")["FileSystemId"]
    found = results_for(scan_moto(aws), "VG-EFS-001")
    assert found == {arn("elasticfilesystem", f"file-system/{sealed}"): Status.PASS,
                     arn("elasticfilesystem", f"file-system/{plain}"): Status.FAIL}


def test_elasticache_replication_groups(aws: Any) -> None:
    cache = aws("elasticache")
    cache.create_replication_group(ReplicationGroupId="sessions", ReplicationGroupDescription="phi sessions",
                                   Engine="redis", CacheNodeType="cache.t3.micro", AtRestEncryptionEnabled=True,
                                   TransitEncryptionEnabled=True, SnapshotRetentionLimit=7)
    cache.create_replication_group(ReplicationGroupId="scratch", ReplicationGroupDescription="scratch",
                                   Engine="redis", CacheNodeType="cache.t3.micro")
    report = scan_moto(aws)
    good, bad = arn("elasticache", "replicationgroup:sessions"), arn("elasticache", "replicationgroup:scratch")
    for rule in ("VG-EC-001", "VG-EC-002", "VG-EC-003"):
        assert results_for(report, rule) == {good: Status.PASS, bad: Status.FAIL}, rule


# -- OpenSearch -----------------------------------------------------------------------------------

def test_opensearch_domains(aws: Any) -> None:
    search = aws("opensearch")
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    search.create_domain(DomainName="claims", EncryptionAtRestOptions={"Enabled": True},
                         NodeToNodeEncryptionOptions={"Enabled": True},
                         DomainEndpointOptions={"EnforceHTTPS": True,
                                                "TLSSecurityPolicy": "Policy-Min-TLS-1-2-2019-07"},
                         AccessPolicies=policy(allow_all({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})))
    search.create_domain(DomainName="legacy", AccessPolicies=policy(allow_all("*")))
    search.create_domain(DomainName="private", VPCOptions={"SubnetIds": [subnet]},
                         AccessPolicies=policy(allow_all("*")))
    search.create_domain(DomainName="elastic", EngineVersion="Elasticsearch_7.10")

    report = scan_moto(aws)
    claims, legacy, private, elastic = (arn("es", f"domain/{n}") for n in ("claims", "legacy", "private", "elastic"))
    for rule in ("VG-OS-001", "VG-OS-002", "VG-OS-003"):
        assert results_for(report, rule) == {claims: Status.PASS, legacy: Status.FAIL, private: Status.FAIL,
                                             elastic: Status.FAIL}, rule
    # open to any principal is acceptable only inside a VPC
    assert results_for(report, "VG-OS-004") == {claims: Status.PASS, legacy: Status.FAIL, private: Status.PASS,
                                                elastic: Status.PASS}
    assert resource(report, claims).type == "aws_opensearch_domain"
    old = resource(report, elastic)
    assert old.type == "aws_elasticsearch_domain" and old.attributes["elasticsearch_version"] == "7.10"
    assert resource(report, private).attributes["vpc_options"][0]["subnet_ids"] == [subnet]
    assert isinstance(resource(report, legacy).attributes["access_policies"], str)


def _domain_status(name: str) -> dict[str, Any]:
    return {"DomainId": f"{ACCOUNT}/{name}", "DomainName": name, "ARN": arn("es", f"domain/{name}"),
            "ClusterConfig": {}, "EncryptionAtRestOptions": {"Enabled": True},
            "NodeToNodeEncryptionOptions": {"Enabled": True},
            "DomainEndpointOptions": {"EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"}}


def test_opensearch_described_five_at_a_time_and_a_failed_batch_is_unknown() -> None:
    ctx, stubs = stubbed("opensearch")
    search = stubs["opensearch"]
    names = [f"domain-{i}" for i in range(7)]
    search.add_response("list_domain_names", {"DomainNames": [{"DomainName": n, "EngineType": "OpenSearch"}
                                                              for n in names]})
    search.add_response("describe_domains", {"DomainStatusList": [_domain_status(n) for n in names[:5]]},
                        {"DomainNames": names[:5]})
    search.add_client_error("describe_domains", "ThrottlingException", "slow down",
                            expected_params={"DomainNames": names[5:]})
    Domains().collect(ctx)
    search.assert_no_pending_responses()
    result = verdicts(ctx, "VG-OS-001", "VG-OS-003")
    for name in names[:5]:
        assert result[("VG-OS-001", arn("es", f"domain/{name}"))].status is Status.PASS
        assert result[("VG-OS-003", arn("es", f"domain/{name}"))].status is Status.PASS
    for name in names[5:]:
        unread = result[("VG-OS-001", arn("es", f"domain/{name}"))]
        assert unread.status is Status.UNKNOWN and "ThrottlingException on opensearch:DescribeDomains" in unread.reason


# -- Backup ---------------------------------------------------------------------------------------

def _plan(backup: Any, name: str, delete_after: int | None) -> str:
    rule: dict[str, Any] = {"RuleName": "daily", "TargetBackupVaultName": "phi",
                            "ScheduleExpression": "cron(0 5 * * ? *)"}
    if delete_after is not None:
        rule["Lifecycle"] = {"DeleteAfterDays": delete_after}
    return backup.create_backup_plan(BackupPlan={"BackupPlanName": name, "Rules": [rule]})["BackupPlanArn"]


def test_backup_plans_and_vaults(aws: Any) -> None:
    backup, kms = aws("backup"), aws("kms")
    cmk = kms.create_key(Description="backup")["KeyMetadata"]["Arn"]
    backup.create_backup_vault(BackupVaultName="phi", EncryptionKeyArn=cmk)
    backup.create_backup_vault(BackupVaultName="scratch")
    long_kept = _plan(backup, "phi-daily", 35)
    short_kept = _plan(backup, "scratch-daily", 7)
    forever = _plan(backup, "archive", None)

    # moto 5.2 does not implement ListBackupSelections (it answers 500): no retries, so the
    # selection is UNKNOWN at once.
    report = scan_moto(aws, tuning=Tuning(max_attempts=1))
    assert results_for(report, "VG-BAK-002") == {long_kept: Status.PASS, short_kept: Status.FAIL,
                                                 forever: Status.PASS}
    assert results_for(report, "VG-BAK-003") == {arn("backup", "backup-vault:phi"): Status.PASS,
                                                 arn("backup", "backup-vault:scratch"): Status.FAIL}
    plan = resource(report, long_kept)
    assert plan.attributes["rule"][0]["lifecycle"] == [
        {"cold_storage_after": None, "delete_after": 35, "opt_in_to_archive_for_supported_resources": None}]
    assert resource(report, forever).attributes["rule"][0]["lifecycle"] == []
    assert plan.attributes["selection"] is UNKNOWN and "ListBackupSelections" in plan.unknown_reason
    existence = results_for(report, "VG-BAK-001")
    assert existence == {f"{ACCOUNT}/{REGION}/aws_backup_plan": Status.UNKNOWN}


PLAN_ID = "8a7c2bde-0f7b-4c58-9a5b-0d9c1e2f3a4b"
EMPTY_PLAN_ID = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"


def _listed_plan(plan_id: str, name: str) -> dict[str, Any]:
    return {"BackupPlanArn": arn("backup", f"backup-plan:{plan_id}"), "BackupPlanId": plan_id,
            "BackupPlanName": name, "VersionId": "v1", "CreationDate": datetime(2024, 1, 1, tzinfo=timezone.utc)}


def _got_plan(name: str) -> dict[str, Any]:
    return {"BackupPlan": {"BackupPlanName": name, "Rules": [{
        "RuleName": "daily", "TargetBackupVaultName": "phi", "ScheduleExpression": "cron(0 5 * * ? *)",
        "StartWindowMinutes": 60, "CompletionWindowMinutes": 180,
        "Lifecycle": {"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 365},
        "CopyActions": [{"DestinationBackupVaultArn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr",
                         "Lifecycle": {"DeleteAfterDays": 90}}],
        "RuleId": "rule-1"}]}}


def test_backup_selections_are_shaped_as_terraform_folds_them() -> None:
    ctx, stubs = stubbed("backup")
    backup = stubs["backup"]
    backup.add_response("list_backup_plans", {"BackupPlansList": [_listed_plan(PLAN_ID, "phi-daily"),
                                                                  _listed_plan(EMPTY_PLAN_ID, "unused")]})
    # first plan: two selections, one of them unreadable
    backup.add_response("get_backup_plan", _got_plan("phi-daily"), {"BackupPlanId": PLAN_ID})
    backup.add_response("list_backup_selections", {"BackupSelectionsList": [
        {"SelectionId": "sel-tagged", "SelectionName": "phi-tagged", "BackupPlanId": PLAN_ID,
         "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/backup"}], "NextToken": "page-2"},
        {"BackupPlanId": PLAN_ID})
    backup.add_response("list_backup_selections", {"BackupSelectionsList": [
        {"SelectionId": "sel-hidden", "SelectionName": "hidden", "BackupPlanId": PLAN_ID}]},
        {"BackupPlanId": PLAN_ID, "NextToken": "page-2"})
    backup.add_response("get_backup_selection", {"BackupSelection": {
        "SelectionName": "phi-tagged", "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/backup",
        "Resources": [arn("rds", "db:claims")],
        "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "DataClassification",
                        "ConditionValue": "PHI"}]}, "SelectionId": "sel-tagged", "BackupPlanId": PLAN_ID},
        {"BackupPlanId": PLAN_ID, "SelectionId": "sel-tagged"})
    backup.add_client_error("get_backup_selection", "AccessDeniedException", "no",
                            expected_params={"BackupPlanId": PLAN_ID, "SelectionId": "sel-hidden"})
    # second plan: rules, but nothing selected
    backup.add_response("get_backup_plan", _got_plan("unused"), {"BackupPlanId": EMPTY_PLAN_ID})
    backup.add_response("list_backup_selections", {"BackupSelectionsList": []}, {"BackupPlanId": EMPTY_PLAN_ID})
    Plans().collect(ctx)
    backup.assert_no_pending_responses()

    plan, unused = ctx.resources
    assert plan.type == "aws_backup_plan" and plan.attributes["name"] == "phi-daily"
    assert plan.attributes["rule"] == [{
        "rule_name": "daily", "target_vault_name": "phi", "schedule": "cron(0 5 * * ? *)",
        "schedule_expression_timezone": None, "start_window": 60, "completion_window": 180,
        "enable_continuous_backup": False,
        "lifecycle": [{"cold_storage_after": 30, "delete_after": 365,
                       "opt_in_to_archive_for_supported_resources": None}],
        "copy_action": [{"destination_vault_arn": "arn:aws:backup:us-west-2:123456789012:backup-vault:dr",
                         "lifecycle": [{"cold_storage_after": None, "delete_after": 90,
                                        "opt_in_to_archive_for_supported_resources": None}]}],
        "recovery_point_tags": {}}]
    assert plan.attributes["selection"] == [
        {"name": "phi-tagged", "resources": [arn("rds", "db:claims")],
         "selection_tag": [{"type": "STRINGEQUALS", "key": "DataClassification", "value": "PHI"}]},
        {"name": "hidden", "resources": UNKNOWN, "selection_tag": UNKNOWN}]
    assert "AccessDeniedException on backup:GetBackupSelection" in plan.unknown_reason
    assert unused.attributes["selection"] == []

    def existence(resources: list) -> Any:
        inventory = Inventory(source="aws", origin=ACCOUNT, resources=resources, complete=True,
                              scopes={(ACCOUNT, REGION)})
        return [r for r in run_engine(inventory, ["VG-BAK-001"])]

    [with_selection] = existence(ctx.resources)
    assert with_selection.status is Status.PASS and plan.address in with_selection.reason
    [without] = existence([unused])
    assert without.status is Status.FAIL


def test_backup_selections_unreadable_leave_the_plan_unknown() -> None:
    ctx, stubs = stubbed("backup")
    backup = stubs["backup"]
    backup.add_response("list_backup_plans", {"BackupPlansList": [_listed_plan(PLAN_ID, "phi-daily")]})
    backup.add_response("get_backup_plan", _got_plan("phi-daily"))
    backup.add_client_error("list_backup_selections", "AccessDeniedException", "no")
    Plans().collect(ctx)
    [result] = verdicts(ctx, "VG-BAK-001").values()
    assert result.status is Status.UNKNOWN
    assert "AccessDeniedException on backup:ListBackupSelections" in result.reason


def test_backup_vault_with_the_aws_managed_key_fails() -> None:
    ctx, stubs = stubbed("backup", "kms")
    managed = arn("kms", "key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    cmk = arn("kms", "key/11111111-2222-3333-4444-555555555555")
    stubs["backup"].add_response("list_backup_vaults", {"BackupVaultList": [
        {"BackupVaultName": "Default", "BackupVaultArn": arn("backup", "backup-vault:Default"),
         "EncryptionKeyArn": managed, "VaultType": "BACKUP_VAULT"},
        {"BackupVaultName": "phi", "BackupVaultArn": arn("backup", "backup-vault:phi"),
         "EncryptionKeyArn": cmk, "VaultType": "BACKUP_VAULT"},
        {"BackupVaultName": "airgap", "BackupVaultArn": arn("backup", "backup-vault:airgap"),
         "VaultType": "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"}]})
    stubs["kms"].add_response("describe_key", {"KeyMetadata": key_metadata(managed.rsplit("/", 1)[1],
                                                                           KeyManager="AWS")},
                              {"KeyId": "alias/aws/backup"})
    Vaults().collect(ctx)
    stubs["kms"].assert_no_pending_responses()
    result = verdicts(ctx, "VG-BAK-003")
    assert {address: r.status for (_, address), r in result.items()} == {
        arn("backup", "backup-vault:Default"): Status.FAIL, arn("backup", "backup-vault:phi"): Status.PASS}
    assert ctx.resources[0].attributes["kms_key_arn"] == arn("kms", "alias/aws/backup")


# -- parameter groups: one filtered call per group ------------------------------------------------

def test_parameter_groups_read_only_the_rule_parameters_in_one_call() -> None:
    ctx, stubs = stubbed("rds")
    rds = stubs["rds"]
    rds.add_response("describe_db_parameter_groups", {"DBParameterGroups": [
        {"DBParameterGroupName": "default.postgres16", "DBParameterGroupFamily": "postgres16",
         "Description": "default", "DBParameterGroupArn": arn("rds", "pg:default.postgres16")},
        {"DBParameterGroupName": "graph", "DBParameterGroupFamily": "neptune1",
         "Description": "not RDS", "DBParameterGroupArn": arn("rds", "pg:graph")}]})
    rds.add_response("describe_db_parameters", {"Parameters": [
        {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "Source": "engine-default",
         "ApplyMethod": "pending-reboot"}]},
        {"DBParameterGroupName": "default.postgres16",
         "Filters": [{"Name": "parameter-name", "Values": ["rds.force_ssl", "require_secure_transport"]}]})
    DbParameterGroups().collect(ctx)
    rds.assert_no_pending_responses()
    [group] = ctx.resources  # the Neptune group is another service's
    assert group.attributes["parameter"] == [{"name": "rds.force_ssl", "value": "1", "apply_method": "pending-reboot"}]
    assert verdicts(ctx, "VG-RDS-011")[("VG-RDS-011", group.address)].status is Status.PASS


def test_parameters_unreadable_are_unknown_and_other_engines_are_skipped() -> None:
    ctx, stubs = stubbed("rds")
    stubs["rds"].add_response("describe_db_clusters", {"DBClusters": [
        {"DBClusterIdentifier": "docs", "Engine": "docdb", "DBClusterArn": arn("rds", "cluster:docs"),
         "StorageEncrypted": False},
        {"DBClusterIdentifier": "claims", "Engine": "aurora-postgresql", "DBClusterArn": arn("rds", "cluster:claims"),
         "StorageEncrypted": True, "BackupRetentionPeriod": 7, "DeletionProtection": True}]})
    DbClusters().collect(ctx)
    assert [r.address for r in ctx.resources] == [arn("rds", "cluster:claims")]

    ctx, stubs = stubbed("rds")
    stubs["rds"].add_response("describe_db_parameter_groups", {"DBParameterGroups": [
        {"DBParameterGroupName": "claims", "DBParameterGroupFamily": "postgres14", "Description": "x",
         "DBParameterGroupArn": arn("rds", "pg:claims")}]})
    stubs["rds"].add_client_error("describe_db_parameters", "AccessDenied", "no")
    DbParameterGroups().collect(ctx)
    result = verdicts(ctx, "VG-RDS-011")[("VG-RDS-011", arn("rds", "pg:claims"))]
    assert result.status is Status.UNKNOWN and "AccessDenied on rds:DescribeDBParameters" in result.reason


@pytest.mark.parametrize("collector", [Keys, Tables, Domains, Plans, Vaults, DbClusters, DbParameterGroups])
def test_declared_operations_are_configuration_reads(collector: Any) -> None:
    from vendorguard.scanner.sources.aws.session import is_configuration_read

    assert all(is_configuration_read(op) for _, op in collector.operations)
