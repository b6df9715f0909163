"""Amazon MSK provisioned clusters: encryption at rest and in transit, broker logs, public access.

ListClustersV2, asked for provisioned clusters only, returns each cluster's whole description,
so there is no per-cluster call (MSK Serverless clusters, always TLS with IAM authentication, are
``aws_msk_serverless_cluster`` and not read here).  The at-rest key is shown as Terraform shows it: empty when it is the AWS managed
``alias/aws/kafka`` key MSK uses when none was chosen (`kms.customer_key`).  Encryption in
transit and public access are UNKNOWN when AWS leaves them out: their absence in a plan means
AWS's defaults, but in a description it means only that they were not said.
"""
from __future__ import annotations

from typing import Any

from ..collector import Collector, Ctx, Reads, named
from .kms import customer_key

_OPERATION = "ListClustersV2"


def _destination(logs: dict[str, Any], key: str, **fields: str) -> list[dict[str, Any]]:
    """One broker log destination as a Terraform block; [] when AWS names none."""
    found = logs.get(key)
    return [{name: found.get(member) for name, member in fields.items()}] if found else []


def _broker_logs(logging: dict[str, Any] | None) -> list[dict[str, Any]]:
    logs = (logging or {}).get("BrokerLogs")
    if not logs:
        return []
    return [{"broker_logs": [{
        "cloudwatch_logs": _destination(logs, "CloudWatchLogs", enabled="Enabled", log_group="LogGroup"),
        "firehose": _destination(logs, "Firehose", enabled="Enabled", delivery_stream="DeliveryStream"),
        "s3": _destination(logs, "S3", enabled="Enabled", bucket="Bucket", prefix="Prefix"),
    }]}]


class MskClusters(Collector):
    types = ("aws_msk_cluster",)
    service = "kafka"
    operations = (("kafka", _OPERATION), ("kms", "DescribeKey"))

    def collect(self, ctx: Ctx) -> None:
        listed = ctx.paginate("kafka", _OPERATION, "ClusterInfoList", ClusterTypeFilter="PROVISIONED")
        ctx.each(listed, lambda c: self._cluster(ctx, c))

    @staticmethod
    def _cluster(ctx: Ctx, cluster: dict[str, Any]) -> None:
        arn = named(cluster, "ClusterArn", "kafka", _OPERATION)
        reads = Reads(None, "kafka")
        provisioned = cluster.get("Provisioned") or {}
        encryption = reads.member(provisioned, "EncryptionInfo", _OPERATION)
        transit = reads.member(encryption, "EncryptionInTransit", _OPERATION) if isinstance(encryption, dict) else encryption
        at_rest = (encryption if isinstance(encryption, dict) else {}).get("EncryptionAtRest") or {}
        nodes = provisioned.get("BrokerNodeGroupInfo") or {}
        public = reads.member((nodes.get("ConnectivityInfo") or {}).get("PublicAccess"), "Type", _OPERATION)
        ctx.emit("aws_msk_cluster", arn, {
            "cluster_name": cluster.get("ClusterName"),
            "arn": arn,
            "kafka_version": (provisioned.get("CurrentBrokerSoftwareInfo") or {}).get("KafkaVersion"),
            "number_of_broker_nodes": provisioned.get("NumberOfBrokerNodes"),
            "encryption_info": [{
                "encryption_at_rest_kms_key_arn": customer_key(
                    ctx, at_rest.get("DataVolumeKMSKeyId"), "alias/aws/kafka", reads.reasons),
                "encryption_in_transit": [{
                    "client_broker": reads.member(transit, "ClientBroker", _OPERATION),
                    "in_cluster": reads.member(transit, "InCluster", _OPERATION),
                }] if isinstance(transit, dict) else transit,
            }],
            "broker_node_group_info": [{
                "instance_type": nodes.get("InstanceType"),
                "client_subnets": nodes.get("ClientSubnets") or [],
                "security_groups": nodes.get("SecurityGroups") or [],
                "connectivity_info": [{"public_access": [{"type": public}]}],
            }],
            "logging_info": _broker_logs(provisioned.get("LoggingInfo")),
            "enhanced_monitoring": provisioned.get("EnhancedMonitoring"),
            "tags": dict(cluster.get("Tags") or {}),
        }, reads)
