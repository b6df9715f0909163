"""Amazon EMR: running clusters (with the security configuration each names), security
configurations (their JSON document, as Terraform's ``configuration`` holds it), and the
region's block public access configuration.

Only clusters that are not terminated are read: EMR lists terminated clusters for two months,
and they hold no data any more.
"""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, named, tags

#: Every cluster state but TERMINATED and TERMINATED_WITH_ERRORS.
LIVE_STATES = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING", "TERMINATING"]


class EmrClusters(Collector):
    types = ("aws_emr_cluster",)
    service = "emr"
    operations = (("emr", "ListClusters"), ("emr", "DescribeCluster"))

    def collect(self, ctx: Ctx) -> None:
        listed = ctx.paginate("emr", "ListClusters", "Clusters", ClusterStates=LIVE_STATES)
        ctx.each(listed, lambda c: self._cluster(ctx, c))

    @staticmethod
    def _cluster(ctx: Ctx, listed: dict[str, Any]) -> None:
        cluster_id = named(listed, "Id", "emr", "ListClusters")
        reads = ctx.reads("emr")
        cluster = reads.get("DescribeCluster", lambda r: r["Cluster"], ClusterId=cluster_id)
        arn = listed.get("ClusterArn") or ctx.arn("elasticmapreduce", f"cluster/{cluster_id}")
        described = {} if cluster is UNKNOWN else cluster
        ctx.emit("aws_emr_cluster", arn, {
            "id": cluster_id,
            "arn": arn,
            "name": listed.get("Name"),
            "cluster_state": (listed.get("Status") or {}).get("State"),
            "release_label": described.get("ReleaseLabel"),
            # Absent from a description, it is not configured (DescribeCluster omits unset members).
            "security_configuration": UNKNOWN if cluster is UNKNOWN else cluster.get("SecurityConfiguration"),
            "log_uri": described.get("LogUri"),
            "tags": tags(described.get("Tags")),
        }, reads)


class EmrSecurityConfigurations(Collector):
    types = ("aws_emr_security_configuration",)
    service = "emr"
    operations = (("emr", "ListSecurityConfigurations"), ("emr", "DescribeSecurityConfiguration"))

    def collect(self, ctx: Ctx) -> None:
        listed = ctx.paginate("emr", "ListSecurityConfigurations", "SecurityConfigurations")
        ctx.each(listed, lambda c: self._configuration(ctx, c))

    @staticmethod
    def _configuration(ctx: Ctx, listed: dict[str, Any]) -> None:
        name = named(listed, "Name", "emr", "ListSecurityConfigurations")
        reads = ctx.reads("emr")
        document = reads.get("DescribeSecurityConfiguration",
                             lambda r: reads.member(r, "SecurityConfiguration", "DescribeSecurityConfiguration"),
                             Name=name)
        arn = ctx.arn("elasticmapreduce", f"security-configuration/{name}")
        ctx.emit("aws_emr_security_configuration", arn, {"name": name, "configuration": document}, reads)


class EmrBlockPublicAccess(Collector):
    """The region's one block public access configuration (AWS answers with its default, on, for
    a region where nobody changed it)."""

    types = ("aws_emr_block_public_access_configuration",)
    service = "emr"
    operations = (("emr", "GetBlockPublicAccessConfiguration"),)

    def collect(self, ctx: Ctx) -> None:
        operation = "GetBlockPublicAccessConfiguration"
        reads = ctx.reads("emr")
        config = reads.get(operation, lambda r: r.get("BlockPublicAccessConfiguration") or {})
        unread = config is UNKNOWN
        ctx.emit("aws_emr_block_public_access_configuration",
                 ctx.arn("elasticmapreduce", "block-public-access-configuration"), {
                     "block_public_security_group_rules":
                         UNKNOWN if unread else reads.member(config, "BlockPublicSecurityGroupRules", operation),
                     "permitted_public_security_group_rule_range": UNKNOWN if unread else [
                         {"min_range": r.get("MinRange"), "max_range": r.get("MaxRange")}
                         for r in config.get("PermittedPublicSecurityGroupRuleRanges") or []],
                 }, reads)
