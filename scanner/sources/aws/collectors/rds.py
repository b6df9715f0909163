"""RDS and Aurora: DB instances (standalone, and the members of clusters), clusters, manual DB and
cluster snapshots (with whether they are public), and DB / cluster parameter groups (with the
transport-security parameters the rules read).

The RDS API also answers for Amazon DocumentDB and Neptune (engines ``docdb`` and ``neptune``);
those are other Terraform types (``aws_docdb_cluster``, ``aws_neptune_cluster``, …) and are not
emitted here.
"""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads, tags

#: Engines and parameter-group families served by the RDS API that belong to other services.
_OTHER_SERVICES = ("docdb", "neptune")

#: The parameters the rules read (VG-RDS-011, VG-RDS-012): only these are fetched.
TLS_PARAMETERS = ("rds.force_ssl", "require_secure_transport")


def _is_rds(engine_or_family: Any) -> bool:
    return not str(engine_or_family or "").startswith(_OTHER_SERVICES)


def _shared(attributes: Any) -> Any:
    """The accounts a snapshot's ``restore`` attribute shares it with (``all`` = public)."""
    if attributes is UNKNOWN:
        return UNKNOWN
    values: list[str] = []
    for attribute in attributes:
        if attribute.get("AttributeName") == "restore":
            values.extend(attribute.get("AttributeValues") or [])
    return sorted(values)


class DbInstances(Collector):
    """Instances outside a cluster are ``aws_db_instance``; members of an Aurora (or Multi-AZ DB)
    cluster are ``aws_rds_cluster_instance``, as Terraform manages them."""

    types = ("aws_db_instance", "aws_rds_cluster_instance")
    service = "rds"
    operations = (("rds", "DescribeDBInstances"),)

    def collect(self, ctx: Ctx) -> None:
        for db in ctx.paginate("rds", "DescribeDBInstances", "DBInstances"):
            if not _is_rds(db.get("Engine")):
                continue
            arn = db.get("DBInstanceArn") or ctx.arn("rds", f"db:{db['DBInstanceIdentifier']}")
            groups = [g.get("DBParameterGroupName") for g in db.get("DBParameterGroups") or []]
            common = {
                "identifier": db["DBInstanceIdentifier"],
                "arn": arn,
                "engine": db.get("Engine"),
                "engine_version": db.get("EngineVersion"),
                "instance_class": db.get("DBInstanceClass"),
                "storage_encrypted": db.get("StorageEncrypted"),
                "kms_key_id": db.get("KmsKeyId"),
                "publicly_accessible": db.get("PubliclyAccessible"),
                "auto_minor_version_upgrade": db.get("AutoMinorVersionUpgrade"),
                "ca_cert_identifier": db.get("CACertificateIdentifier"),
                "tags": tags(db.get("TagList")),
            }
            if db.get("DBClusterIdentifier"):
                ctx.emit("aws_rds_cluster_instance", arn, {
                    **common,
                    "cluster_identifier": db["DBClusterIdentifier"],
                    "db_parameter_group_name": groups[0] if groups else None,
                })
                continue
            ctx.emit("aws_db_instance", arn, {
                **common,
                "multi_az": db.get("MultiAZ"),
                "backup_retention_period": db.get("BackupRetentionPeriod"),
                "deletion_protection": db.get("DeletionProtection"),
                "iam_database_authentication_enabled": db.get("IAMDatabaseAuthenticationEnabled"),
                "enabled_cloudwatch_logs_exports": db.get("EnabledCloudwatchLogsExports") or [],
                "replicate_source_db": (db.get("ReadReplicaSourceDBInstanceIdentifier")
                                        or db.get("ReadReplicaSourceDBClusterIdentifier")),
                "parameter_group_name": groups[0] if groups else None,
                "db_subnet_group_name": (db.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
            })


class DbClusters(Collector):
    types = ("aws_rds_cluster",)
    service = "rds"
    operations = (("rds", "DescribeDBClusters"),)

    def collect(self, ctx: Ctx) -> None:
        for cluster in ctx.paginate("rds", "DescribeDBClusters", "DBClusters"):
            if not _is_rds(cluster.get("Engine")):
                continue
            arn = cluster.get("DBClusterArn") or ctx.arn("rds", f"cluster:{cluster['DBClusterIdentifier']}")
            ctx.emit("aws_rds_cluster", arn, {
                "cluster_identifier": cluster["DBClusterIdentifier"],
                "arn": arn,
                "engine": cluster.get("Engine"),
                "engine_version": cluster.get("EngineVersion"),
                "engine_mode": cluster.get("EngineMode"),
                "storage_encrypted": cluster.get("StorageEncrypted"),
                "kms_key_id": cluster.get("KmsKeyId"),
                "backup_retention_period": cluster.get("BackupRetentionPeriod"),
                "deletion_protection": cluster.get("DeletionProtection"),
                "iam_database_authentication_enabled": cluster.get("IAMDatabaseAuthenticationEnabled"),
                "enabled_cloudwatch_logs_exports": cluster.get("EnabledCloudwatchLogsExports") or [],
                "db_cluster_parameter_group_name": cluster.get("DBClusterParameterGroup"),
                "cluster_members": [m.get("DBInstanceIdentifier") for m in cluster.get("DBClusterMembers") or []],
                "tags": tags(cluster.get("TagList")),
            })


class DbSnapshots(Collector):
    """Manual DB snapshots (automated ones cannot be shared); ``public`` when ``restore`` has ``all``."""

    types = ("aws_db_snapshot",)
    service = "rds"
    operations = (("rds", "DescribeDBSnapshots"), ("rds", "DescribeDBSnapshotAttributes"))

    def collect(self, ctx: Ctx) -> None:
        snapshots = ctx.paginate("rds", "DescribeDBSnapshots", "DBSnapshots", SnapshotType="manual")
        ctx.each([s for s in snapshots if _is_rds(s.get("Engine"))], lambda s: self._snapshot(ctx, s))

    def _snapshot(self, ctx: Ctx, snap: dict[str, Any]) -> None:
        name = snap["DBSnapshotIdentifier"]
        reads = ctx.reads("rds")
        shared = _shared(reads.get(
            "DescribeDBSnapshotAttributes",
            lambda r: r.get("DBSnapshotAttributesResult", {}).get("DBSnapshotAttributes") or [],
            DBSnapshotIdentifier=name))
        arn = snap.get("DBSnapshotArn") or ctx.arn("rds", f"snapshot:{name}")
        ctx.emit("aws_db_snapshot", arn, {
            "db_snapshot_identifier": name,
            "db_snapshot_arn": arn,
            "db_instance_identifier": snap.get("DBInstanceIdentifier"),
            "engine": snap.get("Engine"),
            "snapshot_type": snap.get("SnapshotType"),
            "encrypted": snap.get("Encrypted"),
            "kms_key_id": snap.get("KmsKeyId"),
            "shared_accounts": shared,
            "public": shared if shared is UNKNOWN else "all" in shared,
            "tags": tags(snap.get("TagList")),
        }, reads)


class DbClusterSnapshots(Collector):
    types = ("aws_db_cluster_snapshot",)
    service = "rds"
    operations = (("rds", "DescribeDBClusterSnapshots"), ("rds", "DescribeDBClusterSnapshotAttributes"))

    def collect(self, ctx: Ctx) -> None:
        snapshots = ctx.paginate("rds", "DescribeDBClusterSnapshots", "DBClusterSnapshots", SnapshotType="manual")
        ctx.each([s for s in snapshots if _is_rds(s.get("Engine"))], lambda s: self._snapshot(ctx, s))

    def _snapshot(self, ctx: Ctx, snap: dict[str, Any]) -> None:
        name = snap["DBClusterSnapshotIdentifier"]
        reads = ctx.reads("rds")
        shared = _shared(reads.get(
            "DescribeDBClusterSnapshotAttributes",
            lambda r: r.get("DBClusterSnapshotAttributesResult", {}).get("DBClusterSnapshotAttributes") or [],
            DBClusterSnapshotIdentifier=name))
        arn = snap.get("DBClusterSnapshotArn") or ctx.arn("rds", f"cluster-snapshot:{name}")
        ctx.emit("aws_db_cluster_snapshot", arn, {
            "db_cluster_snapshot_identifier": name,
            "db_cluster_snapshot_arn": arn,
            "db_cluster_identifier": snap.get("DBClusterIdentifier"),
            "engine": snap.get("Engine"),
            "snapshot_type": snap.get("SnapshotType"),
            "storage_encrypted": snap.get("StorageEncrypted"),
            "kms_key_id": snap.get("KmsKeyId"),
            "shared_accounts": shared,
            "public": shared if shared is UNKNOWN else "all" in shared,
            "tags": tags(snap.get("TagList")),
        }, reads)


def tls_parameters(reads: Reads, operation: str, **params: Any) -> Any:
    """The group's transport-security parameters, as Terraform ``parameter`` blocks.

    One call per group: the ``parameter-name`` filter returns only the named parameters (a group
    has hundreds), so a second page is never expected; the names are also checked here, since a
    filter an endpoint ignored must not let other parameters through.  Engine defaults come back
    too, with the group's effective value — in a live account that value is what the database
    enforces (``rds.force_ssl`` defaults to 1 from PostgreSQL 15), even though Terraform's
    ``parameter`` lists only the ones set explicitly.  UNKNOWN when the read fails.
    """
    found: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        page = reads.get(operation, lambda r: r,
                         Filters=[{"Name": "parameter-name", "Values": list(TLS_PARAMETERS)}],
                         **params, **({"Marker": marker} if marker else {}))
        if page is UNKNOWN:
            return UNKNOWN
        found.extend({"name": p["ParameterName"], "value": p.get("ParameterValue"),
                      "apply_method": p.get("ApplyMethod")}
                     for p in page.get("Parameters") or [] if p.get("ParameterName") in TLS_PARAMETERS)
        marker = page.get("Marker")
        if not marker:
            return found


class DbParameterGroups(Collector):
    types = ("aws_db_parameter_group",)
    service = "rds"
    operations = (("rds", "DescribeDBParameterGroups"), ("rds", "DescribeDBParameters"))

    def collect(self, ctx: Ctx) -> None:
        groups = ctx.paginate("rds", "DescribeDBParameterGroups", "DBParameterGroups")
        ctx.each([g for g in groups if _is_rds(g.get("DBParameterGroupFamily"))], lambda g: self._group(ctx, g))

    def _group(self, ctx: Ctx, group: dict[str, Any]) -> None:
        name = group["DBParameterGroupName"]
        reads = ctx.reads("rds")
        arn = group.get("DBParameterGroupArn") or ctx.arn("rds", f"pg:{name}")
        ctx.emit("aws_db_parameter_group", arn, {
            "name": name, "arn": arn, "family": group.get("DBParameterGroupFamily"),
            "description": group.get("Description"),
            "parameter": tls_parameters(reads, "DescribeDBParameters", DBParameterGroupName=name),
        }, reads)


class DbClusterParameterGroups(Collector):
    types = ("aws_rds_cluster_parameter_group",)
    service = "rds"
    operations = (("rds", "DescribeDBClusterParameterGroups"), ("rds", "DescribeDBClusterParameters"))

    def collect(self, ctx: Ctx) -> None:
        groups = ctx.paginate("rds", "DescribeDBClusterParameterGroups", "DBClusterParameterGroups")
        ctx.each([g for g in groups if _is_rds(g.get("DBParameterGroupFamily"))], lambda g: self._group(ctx, g))

    def _group(self, ctx: Ctx, group: dict[str, Any]) -> None:
        name = group["DBClusterParameterGroupName"]
        reads = ctx.reads("rds")
        arn = group.get("DBClusterParameterGroupArn") or ctx.arn("rds", f"cluster-pg:{name}")
        ctx.emit("aws_rds_cluster_parameter_group", arn, {
            "name": name, "arn": arn, "family": group.get("DBParameterGroupFamily"),
            "description": group.get("Description"),
            "parameter": tls_parameters(reads, "DescribeDBClusterParameters", DBClusterParameterGroupName=name),
        }, reads)
