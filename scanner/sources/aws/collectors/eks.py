"""EKS clusters: secrets envelope encryption, the API endpoint's exposure, control-plane logging;
and their managed node groups' SSH access.

ListClusters names them; DescribeCluster (one call per cluster) says the rest, in the provider's
``aws_eks_cluster`` shape: ``encryption_config`` and ``vpc_config`` as one-element blocks and
``enabled_cluster_log_types`` as the log types whose logging is on.  Node groups: ListNodegroups
per cluster, DescribeNodegroup per group, ``remote_access`` as the provider's block.
"""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads


def _vpc_config(reads: Reads, vpc: dict[str, Any]) -> list[dict[str, Any]]:
    return [{
        "subnet_ids": vpc.get("subnetIds") or [],
        "security_group_ids": vpc.get("securityGroupIds") or [],
        "cluster_security_group_id": vpc.get("clusterSecurityGroupId"),
        "vpc_id": vpc.get("vpcId"),
        # Whether the endpoint is public is never assumed: a response without it is not "private".
        "endpoint_public_access": reads.member(vpc, "endpointPublicAccess", "DescribeCluster"),
        "endpoint_private_access": vpc.get("endpointPrivateAccess"),
        "public_access_cidrs": vpc.get("publicAccessCidrs") or [],
    }]


def _log_types(logging: dict[str, Any] | None) -> list[str]:
    """The control-plane log types whose logging is enabled (each setup lists types and a flag)."""
    setups = (logging or {}).get("clusterLogging") or []
    return sorted({t for setup in setups if setup.get("enabled") is True for t in setup.get("types") or []})


def _encryption(configs: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{"resources": c.get("resources") or [],
             "provider": [{"key_arn": (c.get("provider") or {}).get("keyArn")}]} for c in configs or []]


class EksClusters(Collector):
    types = ("aws_eks_cluster",)
    service = "eks"
    operations = (("eks", "ListClusters"), ("eks", "DescribeCluster"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(ctx.paginate("eks", "ListClusters", "clusters"), lambda name: self._cluster(ctx, name))

    def _cluster(self, ctx: Ctx, name: str) -> None:
        reads = ctx.reads("eks")
        cluster = reads.get("DescribeCluster", lambda r: r["cluster"], name=name)
        if cluster is UNKNOWN:
            arn = ctx.arn("eks", f"cluster/{name}")
            ctx.emit("aws_eks_cluster", arn, {"name": name, "arn": arn, "encryption_config": UNKNOWN,
                                              "vpc_config": UNKNOWN, "enabled_cluster_log_types": UNKNOWN}, reads)
            return
        arn = cluster.get("arn") or ctx.arn("eks", f"cluster/{name}")
        vpc = reads.member(cluster, "resourcesVpcConfig", "DescribeCluster")
        ctx.emit("aws_eks_cluster", arn, {
            "name": name, "arn": arn, "id": name,
            "version": cluster.get("version"),
            "role_arn": cluster.get("roleArn"),
            "encryption_config": _encryption(cluster.get("encryptionConfig")),
            "vpc_config": vpc if vpc is UNKNOWN else _vpc_config(reads, vpc),
            "enabled_cluster_log_types": _log_types(cluster.get("logging")),
            "tags": cluster.get("tags") or {},
        }, reads)


def _remote_access(nodegroup: dict[str, Any]) -> list[dict[str, Any]]:
    """The node group's SSH access as the provider's ``remote_access`` block; none without a key."""
    access = nodegroup.get("remoteAccess")
    if not isinstance(access, dict):
        return []
    return [{"ec2_ssh_key": access.get("ec2SshKey"),
             "source_security_group_ids": access.get("sourceSecurityGroups") or []}]


class EksNodeGroups(Collector):
    """Managed node groups: ListNodegroups per cluster, DescribeNodegroup per node group."""

    types = ("aws_eks_node_group",)
    service = "eks"
    operations = (("eks", "ListClusters"), ("eks", "ListNodegroups"), ("eks", "DescribeNodegroup"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(ctx.paginate("eks", "ListClusters", "clusters"), lambda name: self._cluster(ctx, name))

    def _cluster(self, ctx: Ctx, cluster: str) -> None:
        reads = ctx.reads("eks")
        names = reads.paginate("ListNodegroups", "nodegroups", clusterName=cluster)
        if names is UNKNOWN:
            # Which node groups the cluster has could not be read: one resource standing for them, UNKNOWN.
            ctx.emit("aws_eks_node_group", ctx.arn("eks", f"nodegroup/{cluster}/*"),
                     {"cluster_name": cluster, "remote_access": UNKNOWN}, reads)
            return
        for name in names:
            self._nodegroup(ctx, cluster, name)

    @staticmethod
    def _nodegroup(ctx: Ctx, cluster: str, name: str) -> None:
        reads = ctx.reads("eks")
        nodegroup = reads.get("DescribeNodegroup", lambda r: r["nodegroup"], clusterName=cluster, nodegroupName=name)
        if nodegroup is UNKNOWN:
            ctx.emit("aws_eks_node_group", ctx.arn("eks", f"nodegroup/{cluster}/{name}"),
                     {"cluster_name": cluster, "node_group_name": name, "remote_access": UNKNOWN}, reads)
            return
        arn = nodegroup.get("nodegroupArn") or ctx.arn("eks", f"nodegroup/{cluster}/{name}")
        ctx.emit("aws_eks_node_group", arn, {
            "arn": arn, "id": f"{cluster}:{name}", "cluster_name": cluster, "node_group_name": name,
            "node_role_arn": nodegroup.get("nodeRole"),
            "subnet_ids": nodegroup.get("subnets") or [],
            "remote_access": _remote_access(nodegroup),
            "tags": nodegroup.get("tags") or {},
        }, reads)
