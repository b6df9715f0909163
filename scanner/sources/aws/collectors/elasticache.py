"""ElastiCache (Redis OSS / Valkey) replication groups: encryption at rest and in transit, and
automatic snapshots.  Everything the rules read comes with the listing."""
from __future__ import annotations

from ..collector import Collector, Ctx, named


class ReplicationGroups(Collector):
    types = ("aws_elasticache_replication_group",)
    service = "elasticache"
    operations = (("elasticache", "DescribeReplicationGroups"),)

    def collect(self, ctx: Ctx) -> None:
        for group in ctx.paginate("elasticache", "DescribeReplicationGroups", "ReplicationGroups"):
            group_id = named(group, "ReplicationGroupId", "elasticache", "DescribeReplicationGroups")
            arn = group.get("ARN") or ctx.arn("elasticache", f"replicationgroup:{group_id}")
            ctx.emit("aws_elasticache_replication_group", arn, {
                "replication_group_id": group_id,
                "arn": arn,
                "description": group.get("Description"),
                "engine": group.get("Engine") or "redis",
                "node_type": group.get("CacheNodeType"),
                "at_rest_encryption_enabled": group.get("AtRestEncryptionEnabled"),
                "transit_encryption_enabled": group.get("TransitEncryptionEnabled"),
                "transit_encryption_mode": group.get("TransitEncryptionMode"),
                "auth_token_enabled": group.get("AuthTokenEnabled"),
                "kms_key_id": group.get("KmsKeyId"),
                "snapshot_retention_limit": group.get("SnapshotRetentionLimit"),
                "automatic_failover_enabled": group.get("AutomaticFailover") in ("enabled", "enabling"),
                "multi_az_enabled": group.get("MultiAZ") == "enabled",
                "num_cache_clusters": len(group.get("MemberClusters") or []),
                "user_group_ids": group.get("UserGroupIds") or [],
            })
