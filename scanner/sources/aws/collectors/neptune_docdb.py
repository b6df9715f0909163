"""Amazon Neptune and Amazon DocumentDB clusters.

Both are DB clusters of the RDS API (engines ``neptune`` and ``docdb``), which lists them among
every other DB cluster.  They are read from the same DescribeDBClusters listing the RDS collector
uses (`Ctx.paginate` answers a second asker from memory, so the clusters are listed once), and
each engine's clusters become its own Terraform type; the RDS collector skips them
(`rds._OTHER_SERVICES`), so no cluster is emitted twice nor judged by another service's rules.
The two providers' resources name a few attributes differently (Neptune's ``kms_key_arn`` and
``enable_cloudwatch_logs_exports``, DocumentDB's ``kms_key_id`` and
``enabled_cloudwatch_logs_exports``): each collector declares its names.
"""
from __future__ import annotations

from typing import Any, ClassVar

from ..collector import Collector, Ctx, named, tags


class _EngineClusters(Collector):
    """The DB clusters of one engine, as that engine's Terraform type."""

    service = "rds"
    operations = (("rds", "DescribeDBClusters"),)
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
        ctx.emit(self.types[0], arn, {
            "cluster_identifier": name,
            "arn": arn,
            "engine": cluster.get("Engine"),
            "engine_version": cluster.get("EngineVersion"),
            "storage_encrypted": cluster.get("StorageEncrypted"),
            self.key_name: cluster.get("KmsKeyId"),
            "backup_retention_period": cluster.get("BackupRetentionPeriod"),
            "deletion_protection": cluster.get("DeletionProtection"),
            self.logs_name: cluster.get("EnabledCloudwatchLogsExports") or [],
            self.group_name: cluster.get("DBClusterParameterGroup"),
            "cluster_members": [m.get("DBInstanceIdentifier") for m in cluster.get("DBClusterMembers") or []],
            "tags": tags(cluster.get("TagList")),
        })


class NeptuneClusters(_EngineClusters):
    types = ("aws_neptune_cluster",)
    engine = "neptune"
    key_name, logs_name, group_name = "kms_key_arn", "enable_cloudwatch_logs_exports", "neptune_cluster_parameter_group_name"


class DocDbClusters(_EngineClusters):
    types = ("aws_docdb_cluster",)
    engine = "docdb"
    key_name, logs_name, group_name = "kms_key_id", "enabled_cloudwatch_logs_exports", "db_cluster_parameter_group_name"
