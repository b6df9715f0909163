"""Redshift provisioned clusters, with their audit logging, and cluster parameter groups, with the
transport-security parameter the rules read (``require_ssl``); and Redshift Serverless namespaces
(key, exported logs) and workgroups (exposure, routing, configuration parameters), each listing
returning every item whole, so there is no per-item call.

A cluster's logging status is its own call (DescribeLoggingStatus), shaped as the ``logging`` block
the provider had inline until v6 (and that an ``aws_redshift_logging`` folds into).  Parameters
are read per group, as RDS's are (`rds.group_parameters`): the live value of ``require_ssl`` is what
the cluster enforces, whether set explicitly or left at the engine default.
"""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads, named, tags
from .kms import customer_key

#: The parameters the rules read (VG-RS-005): only these are kept.
TLS_PARAMETERS = ("require_ssl",)


def _logging(reads: Reads, status: Any) -> Any:
    """DescribeLoggingStatus as Terraform's ``logging`` block."""
    if status is UNKNOWN:
        return UNKNOWN
    return [{
        "enable": reads.member(status, "LoggingEnabled", "DescribeLoggingStatus"),
        "bucket_name": status.get("BucketName"),
        "s3_key_prefix": status.get("S3KeyPrefix"),
        "log_destination_type": status.get("LogDestinationType"),
        "log_exports": status.get("LogExports") or [],
    }]


class RedshiftClusters(Collector):
    types = ("aws_redshift_cluster",)
    service = "redshift"
    operations = (("redshift", "DescribeClusters"), ("redshift", "DescribeLoggingStatus"), ("kms", "DescribeKey"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(ctx.paginate("redshift", "DescribeClusters", "Clusters"), lambda c: self._cluster(ctx, c))

    @staticmethod
    def _cluster(ctx: Ctx, cluster: dict[str, Any]) -> None:
        name = named(cluster, "ClusterIdentifier", "redshift", "DescribeClusters")
        reads = ctx.reads("redshift")
        status = reads.get("DescribeLoggingStatus", lambda r: r, ClusterIdentifier=name)
        arn = ctx.arn("redshift", f"cluster:{name}")  # DescribeClusters names no cluster ARN
        groups = [g.get("ParameterGroupName") for g in cluster.get("ClusterParameterGroups") or []]
        ctx.emit("aws_redshift_cluster", arn, {
            "cluster_identifier": name,
            "arn": arn,
            "node_type": cluster.get("NodeType"),
            "number_of_nodes": cluster.get("NumberOfNodes"),
            "database_name": cluster.get("DBName"),
            "encrypted": reads.member(cluster, "Encrypted", "DescribeClusters"),
            "kms_key_id": customer_key(ctx, cluster.get("KmsKeyId"), "alias/aws/redshift", reads.reasons),
            "publicly_accessible": reads.member(cluster, "PubliclyAccessible", "DescribeClusters"),
            "enhanced_vpc_routing": cluster.get("EnhancedVpcRouting"),
            "automated_snapshot_retention_period": cluster.get("AutomatedSnapshotRetentionPeriod"),
            "allow_version_upgrade": cluster.get("AllowVersionUpgrade"),
            "cluster_parameter_group_name": groups[0] if groups else None,
            "cluster_subnet_group_name": cluster.get("ClusterSubnetGroupName"),
            "vpc_security_group_ids": [g.get("VpcSecurityGroupId") for g in cluster.get("VpcSecurityGroups") or []],
            "logging": _logging(reads, status),
            "tags": tags(cluster.get("Tags")),
        }, reads)


class RedshiftParameterGroups(Collector):
    types = ("aws_redshift_parameter_group",)
    service = "redshift"
    operations = (("redshift", "DescribeClusterParameterGroups"), ("redshift", "DescribeClusterParameters"))

    def collect(self, ctx: Ctx) -> None:
        groups = ctx.paginate("redshift", "DescribeClusterParameterGroups", "ParameterGroups")
        ctx.each(groups, lambda g: self._group(ctx, g))

    @staticmethod
    def _group(ctx: Ctx, group: dict[str, Any]) -> None:
        name = named(group, "ParameterGroupName", "redshift", "DescribeClusterParameterGroups")
        reads = ctx.reads("redshift")
        # DescribeClusterParameters takes no name filter; the group's few dozen parameters come in a page or two.
        parameters = reads.paginate(
            "DescribeClusterParameters", "Parameters",
            lambda found: [{"name": p["ParameterName"], "value": p.get("ParameterValue")}
                           for p in found if p.get("ParameterName") in TLS_PARAMETERS],
            ParameterGroupName=name)
        arn = ctx.arn("redshift", f"parametergroup:{name}")
        ctx.emit("aws_redshift_parameter_group", arn, {
            "name": name, "arn": arn, "family": group.get("ParameterGroupFamily"),
            "description": group.get("Description"), "parameter": parameters,
            "tags": tags(group.get("Tags")),
        }, reads)


class RedshiftServerlessNamespaces(Collector):
    types = ("aws_redshiftserverless_namespace",)
    service = "redshift-serverless"
    operations = (("redshift-serverless", "ListNamespaces"), ("kms", "DescribeKey"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(ctx.paginate("redshift-serverless", "ListNamespaces", "namespaces"), lambda n: self._namespace(ctx, n))

    @staticmethod
    def _namespace(ctx: Ctx, namespace: dict[str, Any]) -> None:
        name = named(namespace, "namespaceName", "redshift-serverless", "ListNamespaces")
        arn = namespace.get("namespaceArn") or ctx.arn("redshift-serverless", f"namespace/{name}")
        reads = Reads(None, "redshift-serverless")
        ctx.emit("aws_redshiftserverless_namespace", arn, {
            "namespace_name": name, "arn": arn, "namespace_id": namespace.get("namespaceId"),
            "db_name": namespace.get("dbName"),
            # AWS_OWNED_KMS_KEY when none was chosen, as the provider shows it.
            "kms_key_id": customer_key(ctx, namespace.get("kmsKeyId"), "alias/aws/redshift", reads.reasons),
            "log_exports": namespace.get("logExports") or [],
            "iam_roles": namespace.get("iamRoles") or [],
        }, reads)


class RedshiftServerlessWorkgroups(Collector):
    types = ("aws_redshiftserverless_workgroup",)
    service = "redshift-serverless"
    operations = (("redshift-serverless", "ListWorkgroups"),)

    def collect(self, ctx: Ctx) -> None:
        for workgroup in ctx.paginate("redshift-serverless", "ListWorkgroups", "workgroups"):
            self._workgroup(ctx, workgroup)

    @staticmethod
    def _workgroup(ctx: Ctx, workgroup: dict[str, Any]) -> None:
        operation = "ListWorkgroups"
        name = named(workgroup, "workgroupName", "redshift-serverless", operation)
        arn = workgroup.get("workgroupArn") or ctx.arn("redshift-serverless", f"workgroup/{name}")
        reads = Reads(None, "redshift-serverless")
        # AWS lists every configuration parameter, defaults included: without the list, none is known.
        parameters = reads.member(workgroup, "configParameters", operation)
        ctx.emit("aws_redshiftserverless_workgroup", arn, {
            "workgroup_name": name, "arn": arn, "workgroup_id": workgroup.get("workgroupId"),
            "namespace_name": workgroup.get("namespaceName"),
            "publicly_accessible": reads.member(workgroup, "publiclyAccessible", operation),
            "enhanced_vpc_routing": reads.member(workgroup, "enhancedVpcRouting", operation),
            "config_parameter": parameters if parameters is UNKNOWN else [
                {"parameter_key": c.get("parameterKey"), "parameter_value": c.get("parameterValue")}
                for c in parameters],
            "security_group_ids": workgroup.get("securityGroupIds") or [],
            "subnet_ids": workgroup.get("subnetIds") or [],
        }, reads)
