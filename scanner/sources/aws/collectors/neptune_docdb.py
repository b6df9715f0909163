"""Amazon Neptune and Amazon DocumentDB clusters.

Both are DB clusters of the RDS API (engines ``neptune`` and ``docdb``), which lists them among
every other DB cluster.  They are read from the same DescribeDBClusters listing the RDS collector
uses (`Ctx.paginate` answers a second asker from memory, so the clusters are listed once), and
each engine's clusters become its own Terraform type; the RDS collector skips them
(`rds._OTHER_SERVICES`), so no cluster is emitted twice nor judged by another service's rules.
The two providers' resources name a few attributes differently (Neptune's ``kms_key_arn`` and
``enable_cloudwatch_logs_exports``, DocumentDB's ``kms_key_id`` and
``enabled_cloudwatch_logs_exports``): each collector declares its names.

Both engines' instances are read from the DescribeDBInstances listing in the same way, and their manual cluster snapshots from the RDS
collector's DescribeDBClusterSnapshots listing.  The cluster parameter groups of both are RDS cluster
parameter groups (families ``docdb…`` and ``neptune…``), read as the RDS collector reads its own
(`rds._ParameterGroups`) but keeping the parameters the rules over each engine read: DocumentDB's
``tls`` and ``audit_logs``, Neptune's ``neptune_enable_audit_log``.  The live value is the
effective one, engine default included.
"""
from __future__ import annotations

from typing import Any, ClassVar

from ..collector import Collector, Ctx, Reads, named, tags
from .kms import customer_key
from .rds import DbClusterSnapshots, _ParameterGroups


class _EngineClusters(Collector):
    """The DB clusters of one engine, as that engine's Terraform type."""

    service = "rds"
    operations = (("rds", "DescribeDBClusters"), ("kms", "DescribeKey"))
    engine: ClassVar[str]
    #: Terraform's names for the key, the exported logs and the cluster parameter group.
    key_name: ClassVar[str]
    logs_name: ClassVar[str]
    group_name: ClassVar[str]

    def collect(self, ctx: Ctx) -> None:
        for cluster in ctx.paginate("rds", "DescribeDBClusters", "DBClusters"):
            if cluster.get("Engine") == self.engine:
                self._cluster(ctx, cluster)

    def _cluster(self, ctx: Ctx, cluster: dict[str, Any]) -> None:
        name = named(cluster, "DBClusterIdentifier", "rds", "DescribeDBClusters")
        arn = cluster.get("DBClusterArn") or ctx.arn("rds", f"cluster:{name}")
        reads = Reads(None, "rds")
        ctx.emit(self.types[0], arn, {
            "cluster_identifier": name,
            "arn": arn,
            "engine": cluster.get("Engine"),
            "engine_version": cluster.get("EngineVersion"),
            "storage_encrypted": cluster.get("StorageEncrypted"),
            # "" for the AWS managed aws/rds key an encrypted cluster gets when none was chosen.
            self.key_name: customer_key(ctx, cluster.get("KmsKeyId"), "alias/aws/rds", reads.reasons),
            "backup_retention_period": cluster.get("BackupRetentionPeriod"),
            "deletion_protection": cluster.get("DeletionProtection"),
            self.logs_name: cluster.get("EnabledCloudwatchLogsExports") or [],
            self.group_name: cluster.get("DBClusterParameterGroup"),
            "cluster_members": [m.get("DBInstanceIdentifier") for m in cluster.get("DBClusterMembers") or []],
            "tags": tags(cluster.get("TagList")),
        }, reads)


class NeptuneClusters(_EngineClusters):
    types = ("aws_neptune_cluster",)
    engine = "neptune"
    key_name, logs_name, group_name = "kms_key_arn", "enable_cloudwatch_logs_exports", "neptune_cluster_parameter_group_name"


class DocDbClusters(_EngineClusters):
    types = ("aws_docdb_cluster",)
    engine = "docdb"
    key_name, logs_name, group_name = "kms_key_id", "enabled_cloudwatch_logs_exports", "db_cluster_parameter_group_name"


class _EngineInstances(Collector):
    """The DB instances of one engine, from the DescribeDBInstances listing the RDS collector uses
    (which skips them), as that engine's Terraform type: whether each is publicly accessible and
    takes minor engine upgrades."""

    engine: ClassVar[str]
    service = "rds"
    operations = (("rds", "DescribeDBInstances"),)

    def collect(self, ctx: Ctx) -> None:
        for db in ctx.paginate("rds", "DescribeDBInstances", "DBInstances"):
            if db.get("Engine") == self.engine:
                self._instance(ctx, db)

    def _instance(self, ctx: Ctx, db: dict[str, Any]) -> None:
        name = named(db, "DBInstanceIdentifier", "rds", "DescribeDBInstances")
        arn = db.get("DBInstanceArn") or ctx.arn("rds", f"db:{name}")
        reads = Reads(None, "rds")
        ctx.emit(self.types[0], arn, {
            "identifier": name, "arn": arn, "cluster_identifier": db.get("DBClusterIdentifier"),
            "instance_class": db.get("DBInstanceClass"), "engine": db.get("Engine"),
            # DescribeDBInstances always states both: left out, they are not known.
            "publicly_accessible": reads.member(db, "PubliclyAccessible", "DescribeDBInstances"),
            "auto_minor_version_upgrade": reads.member(db, "AutoMinorVersionUpgrade", "DescribeDBInstances"),
            "tags": tags(db.get("TagList")),
        }, reads)


class NeptuneClusterInstances(_EngineInstances):
    types = ("aws_neptune_cluster_instance",)
    engine = "neptune"


class DocDbClusterInstances(_EngineInstances):
    """DocumentDB's instances: AWS Config counts them as DB instances, so a scan that skipped them
    would leave resources it was told exist unread."""

    types = ("aws_docdb_cluster_instance",)
    engine = "docdb"


class _EngineClusterParameterGroups(_ParameterGroups):
    """The cluster parameter groups of one engine, as that engine's Terraform type."""

    operations = (("rds", "DescribeDBClusterParameterGroups"), ("rds", "DescribeDBClusterParameters"))
    api, arn_kind = "DBCluster", "cluster-pg"
    engine: ClassVar[str]

    @classmethod
    def mine(cls, family: Any) -> bool:
        return str(family or "").startswith(cls.engine)


class DocDbClusterParameterGroups(_EngineClusterParameterGroups):
    types = ("aws_docdb_cluster_parameter_group",)
    engine = "docdb"
    parameters = ("tls", "audit_logs")  # VG-DOC-005, VG-DOC-006


class NeptuneClusterParameterGroups(_EngineClusterParameterGroups):
    types = ("aws_neptune_cluster_parameter_group",)
    engine = "neptune"
    parameters = ("neptune_enable_audit_log",)  # VG-NEP-005


class DocDbClusterSnapshots(DbClusterSnapshots):
    """DocumentDB's manual cluster snapshots, read as RDS's are (with whom each is shared)."""

    types = ("aws_docdb_cluster_snapshot",)

    @classmethod
    def mine(cls, engine: Any) -> bool:
        return engine == "docdb"


class NeptuneClusterSnapshots(DbClusterSnapshots):
    """Neptune's manual cluster snapshots, read as RDS's are (with whom each is shared)."""

    types = ("aws_neptune_cluster_snapshot",)

    @classmethod
    def mine(cls, engine: Any) -> bool:
        return engine == "neptune"
