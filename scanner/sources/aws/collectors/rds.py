"""RDS and Aurora: DB instances (standalone, and the members of clusters), clusters, manual DB and
cluster snapshots (with whether they are public), and DB / cluster parameter groups (with the
transport-security parameters the rules read).

The RDS API also answers for Amazon DocumentDB and Neptune (engines ``docdb`` and ``neptune``);
those are other Terraform types (``aws_docdb_cluster``, ``aws_neptune_cluster``, …) and are not
emitted here.
"""
from __future__ import annotations

from typing import Any, ClassVar

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads, named, tags

#: Engines and parameter-group families served by the RDS API that belong to other services.
_OTHER_SERVICES = ("docdb", "neptune")

#: The parameters the rules read (VG-RDS-011, VG-RDS-012): only these are fetched.
TLS_PARAMETERS = ("rds.force_ssl", "require_secure_transport")


def _is_rds(engine_or_family: Any) -> bool:
    return not str(engine_or_family or "").startswith(_OTHER_SERVICES)


def _shared(reads: Reads, attributes: Any, operation: str) -> Any:
    """The accounts a snapshot's ``restore`` attribute shares it with (``all`` = public).  AWS
    always lists ``restore`` for a manual snapshot (with no values when it is not shared): without
    it, whom the snapshot is shared with is not known."""
    if attributes is UNKNOWN:
        return UNKNOWN
    restore = [a for a in attributes if a.get("AttributeName") == "restore"]
    if not restore:
        reads.reasons.append(f"rds:{operation} did not return the restore attribute")
        return UNKNOWN
    return sorted(v for attribute in restore for v in attribute.get("AttributeValues") or [])


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
            name = named(db, "DBInstanceIdentifier", "rds", "DescribeDBInstances")
            arn = db.get("DBInstanceArn") or ctx.arn("rds", f"db:{name}")
            groups = [g.get("DBParameterGroupName") for g in db.get("DBParameterGroups") or []]
            # DescribeDBInstances always states these two; left out, they are not known (a
            # database whose exposure is not known must not pass "not publicly accessible").
            reads = ctx.reads("rds")
            common = {
                "identifier": name,
                "arn": arn,
                "engine": db.get("Engine"),
                "engine_version": db.get("EngineVersion"),
                "instance_class": db.get("DBInstanceClass"),
                "storage_encrypted": db.get("StorageEncrypted"),
                "kms_key_id": db.get("KmsKeyId"),
                "publicly_accessible": reads.member(db, "PubliclyAccessible", "DescribeDBInstances"),
                "auto_minor_version_upgrade": reads.member(db, "AutoMinorVersionUpgrade", "DescribeDBInstances"),
                "ca_cert_identifier": db.get("CACertificateIdentifier"),
                "tags": tags(db.get("TagList")),
            }
            if db.get("DBClusterIdentifier"):
                ctx.emit("aws_rds_cluster_instance", arn, {
                    **common,
                    "cluster_identifier": db["DBClusterIdentifier"],
                    "db_parameter_group_name": groups[0] if groups else None,
                }, reads)
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
            }, reads)


class DbClusters(Collector):
    types = ("aws_rds_cluster",)
    service = "rds"
    operations = (("rds", "DescribeDBClusters"),)

    def collect(self, ctx: Ctx) -> None:
        for cluster in ctx.paginate("rds", "DescribeDBClusters", "DBClusters"):
            if not _is_rds(cluster.get("Engine")):
                continue
            name = named(cluster, "DBClusterIdentifier", "rds", "DescribeDBClusters")
            arn = cluster.get("DBClusterArn") or ctx.arn("rds", f"cluster:{name}")
            ctx.emit("aws_rds_cluster", arn, {
                "cluster_identifier": name,
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


class _Snapshots(Collector):
    """Manual snapshots (automated ones cannot be shared); ``public`` when ``restore`` has ``all``.
    Instance and cluster snapshots are read alike, through the API's ``DB``/``DBCluster`` names."""

    service = "rds"
    api: ClassVar[str]  # the API's name for the kind: DescribeDBSnapshots, DescribeDBClusterSnapshots
    prefix: ClassVar[str]  # Terraform's: db_snapshot_identifier, db_cluster_snapshot_identifier
    arn_kind: ClassVar[str]
    parent: ClassVar[tuple[str, str]]  # (attribute, API key) of what the snapshot is of
    encrypted: ClassVar[tuple[str, str]]

    def collect(self, ctx: Ctx) -> None:
        snapshots = ctx.paginate("rds", f"Describe{self.api}Snapshots", f"{self.api}Snapshots", SnapshotType="manual")
        ctx.each([s for s in snapshots if self.mine(s.get("Engine"))], lambda s: self._snapshot(ctx, s))

    @classmethod
    def mine(cls, engine: Any) -> bool:
        """Whether a snapshot of this engine is this collector's type (DocumentDB's and Neptune's
        cluster snapshots are listed by the same call)."""
        return _is_rds(engine)

    def _snapshot(self, ctx: Ctx, snap: dict[str, Any]) -> None:
        api = self.api
        name = named(snap, f"{api}SnapshotIdentifier", "rds", f"Describe{api}Snapshots")
        reads = ctx.reads("rds")
        operation = f"Describe{api}SnapshotAttributes"
        shared = _shared(reads, reads.get(
            operation, lambda r: r.get(f"{api}SnapshotAttributesResult", {}).get(f"{api}SnapshotAttributes") or [],
            **{f"{api}SnapshotIdentifier": name}), operation)
        arn = snap.get(f"{api}SnapshotArn") or ctx.arn("rds", f"{self.arn_kind}:{name}")
        ctx.emit(self.types[0], arn, {
            f"{self.prefix}_snapshot_identifier": name,
            f"{self.prefix}_snapshot_arn": arn,
            self.parent[0]: snap.get(self.parent[1]),
            "engine": snap.get("Engine"),
            "snapshot_type": snap.get("SnapshotType"),
            self.encrypted[0]: snap.get(self.encrypted[1]),
            "kms_key_id": snap.get("KmsKeyId"),
            "shared_accounts": shared,
            "public": shared if shared is UNKNOWN else "all" in shared,
            "tags": tags(snap.get("TagList")),
        }, reads)


class DbSnapshots(_Snapshots):
    types = ("aws_db_snapshot",)
    operations = (("rds", "DescribeDBSnapshots"), ("rds", "DescribeDBSnapshotAttributes"))
    api, prefix, arn_kind = "DB", "db", "snapshot"
    parent = ("db_instance_identifier", "DBInstanceIdentifier")
    encrypted = ("encrypted", "Encrypted")


class DbClusterSnapshots(_Snapshots):
    types = ("aws_db_cluster_snapshot",)
    operations = (("rds", "DescribeDBClusterSnapshots"), ("rds", "DescribeDBClusterSnapshotAttributes"))
    api, prefix, arn_kind = "DBCluster", "db_cluster", "cluster-snapshot"
    parent = ("db_cluster_identifier", "DBClusterIdentifier")
    encrypted = ("storage_encrypted", "StorageEncrypted")


def group_parameters(reads: Reads, operation: str, names: tuple[str, ...] = TLS_PARAMETERS, **params: Any) -> Any:
    """The group's parameters named in `names` (by default the transport-security ones), as
    Terraform ``parameter`` blocks.

    The ``parameter-name`` filter returns only the named parameters (a group has hundreds), so
    one page is the rule, though every page is followed; the names are also checked here, since a
    filter an endpoint ignored must not let other parameters through.  Engine defaults come back
    too, with the group's effective value — in a live account that value is what the database
    enforces (``rds.force_ssl`` defaults to 1 from PostgreSQL 15), even though Terraform's
    ``parameter`` lists only the ones set explicitly.  UNKNOWN when the read fails.
    """
    return reads.paginate(
        operation, "Parameters",
        lambda found: [{"name": p["ParameterName"], "value": p.get("ParameterValue"),
                        "apply_method": p.get("ApplyMethod")}
                       for p in found if p.get("ParameterName") in names],
        Filters=[{"Name": "parameter-name", "Values": list(names)}], **params)


class _ParameterGroups(Collector):
    """Parameter groups with the parameters the rules read; instance and cluster groups are read
    alike, through the API's ``DB``/``DBCluster`` names."""

    service = "rds"
    api: ClassVar[str]
    arn_kind: ClassVar[str]
    #: The parameters the rules over this type read: only these are fetched.
    parameters: ClassVar[tuple[str, ...]] = TLS_PARAMETERS

    def collect(self, ctx: Ctx) -> None:
        groups = ctx.paginate("rds", f"Describe{self.api}ParameterGroups", f"{self.api}ParameterGroups")
        ctx.each([g for g in groups if self.mine(g.get("DBParameterGroupFamily"))], lambda g: self._group(ctx, g))

    @classmethod
    def mine(cls, family: Any) -> bool:
        """Whether a group of this family is this collector's type (DocumentDB's and Neptune's
        groups are listed by the same call)."""
        return _is_rds(family)

    def _group(self, ctx: Ctx, group: dict[str, Any]) -> None:
        name = named(group, f"{self.api}ParameterGroupName", "rds", f"Describe{self.api}ParameterGroups")
        reads = ctx.reads("rds")
        arn = group.get(f"{self.api}ParameterGroupArn") or ctx.arn("rds", f"{self.arn_kind}:{name}")
        ctx.emit(self.types[0], arn, {
            "name": name, "arn": arn, "family": group.get("DBParameterGroupFamily"),
            "description": group.get("Description"),
            "parameter": group_parameters(reads, f"Describe{self.api}Parameters", self.parameters,
                                          **{f"{self.api}ParameterGroupName": name}),
        }, reads)


class DbParameterGroups(_ParameterGroups):
    types = ("aws_db_parameter_group",)
    operations = (("rds", "DescribeDBParameterGroups"), ("rds", "DescribeDBParameters"))
    api, arn_kind = "DB", "pg"


class DbClusterParameterGroups(_ParameterGroups):
    types = ("aws_rds_cluster_parameter_group",)
    operations = (("rds", "DescribeDBClusterParameterGroups"), ("rds", "DescribeDBClusterParameters"))
    api, arn_kind = "DBCluster", "cluster-pg"
