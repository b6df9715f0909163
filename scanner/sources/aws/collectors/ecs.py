"""ECS task definitions, services and clusters, in the provider's ``aws_ecs_*`` shapes.

Task definitions: the latest ACTIVE revision of each ACTIVE family (ListTaskDefinitionFamilies,
then DescribeTaskDefinition by family name, which answers with that revision).  Older revisions
stay registered but are what a deployment names only when pinned; reading every revision would
cost one call each, unbounded, for revisions a rollback would use at most.  ``container_definitions``
is JSON text, as the provider keeps it, with every environment variable's *value* dropped here:
rules read the names, and a value never leaves this module (policies/sensitive.yaml withholds
what else in the text may be secret).

Services: each cluster's (ListServices, then DescribeServices ten at a time), with
``network_configuration`` from the service's awsvpc configuration, and the task sets of each.  Clusters: DescribeClusters
with their settings (Container Insights) and configuration (ECS Exec logging).
"""
from __future__ import annotations

import json
from typing import Any, Callable

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads, named, tags

_SERVICES_PER_CALL = 10   # DescribeServices takes at most 10 services
_CLUSTERS_PER_CALL = 100  # DescribeClusters takes at most 100 clusters
#: What the rules read of a task definition: all UNKNOWN when it could not be described.
_TASK_JUDGED = ("container_definitions", "network_mode", "pid_mode", "ipc_mode", "volume")


def _without_environment_values(containers: list[Any]) -> list[Any]:
    """The container definitions with each environment variable reduced to its name."""
    out = []
    for container in containers:
        if isinstance(container, dict) and isinstance(container.get("environment"), list):
            container = {**container, "environment": [{"name": variable.get("name")} if isinstance(variable, dict)
                                                      else None for variable in container["environment"]]}
        out.append(container)
    return out


def _container_definitions(reads: Reads, task: dict[str, Any]) -> Any:
    """DescribeTaskDefinition's containers as the provider's JSON text, environment values dropped."""
    containers = reads.member(task, "containerDefinitions", "DescribeTaskDefinition")
    if containers is UNKNOWN:
        return UNKNOWN
    return json.dumps(_without_environment_values(containers), default=str)


def _volumes(volumes: Any) -> list[dict[str, Any]]:
    """The task's volumes as the provider's ``volume`` blocks (EFS ones with their mount options)."""
    out = []
    for volume in volumes or []:
        if not isinstance(volume, dict):
            continue
        efs = volume.get("efsVolumeConfiguration")
        auth = efs.get("authorizationConfig") if isinstance(efs, dict) else None
        out.append({"name": volume.get("name"), "efs_volume_configuration": [{
            "file_system_id": efs.get("fileSystemId"),
            "root_directory": efs.get("rootDirectory"),
            # Not given is DISABLED.
            "transit_encryption": efs.get("transitEncryption"),
            "authorization_config": [{"access_point_id": auth.get("accessPointId"), "iam": auth.get("iam")}]
            if isinstance(auth, dict) else [],
        }] if isinstance(efs, dict) else []})
    return out


def _ecs_tags(items: Any) -> dict[str, str]:
    return tags(items, key="key", value="value")


def _batches(items: list[str], size: int) -> list[list[str]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def _describe_in_batches(ctx: Ctx, arns: list[str], size: int, operation: str, key: str, arn_member: str,
                         describe: Callable[[Reads, list[str]], Any],
                         emit: Callable[[dict[str, Any]], None], missing: Callable[[str, Reads], None]) -> None:
    """Describe `arns` `size` at a time; emit each described item, and an UNKNOWN stand-in (with the
    reason) for each ARN the call failed for or did not describe."""
    for batch in _batches(arns, size):
        reads = ctx.reads("ecs")
        response = describe(reads, batch)
        described = [] if response is UNKNOWN else [i for i in response.get(key) or [] if isinstance(i, dict)]
        failures = {} if response is UNKNOWN else {
            f.get("arn"): f.get("reason") for f in response.get("failures") or [] if isinstance(f, dict)}
        for item in described:
            emit(item)
        seen = {item.get(arn_member) for item in described}
        for arn in batch:
            if arn in seen:
                continue
            why = ctx.reads("ecs")
            why.reasons.extend(reads.reasons or [f"ecs:{operation} did not describe {arn}"
                                                 + (f" ({failures[arn]})" if failures.get(arn) else "")])
            missing(arn, why)


class EcsTaskDefinitions(Collector):
    types = ("aws_ecs_task_definition",)
    service = "ecs"
    operations = (("ecs", "ListTaskDefinitionFamilies"), ("ecs", "DescribeTaskDefinition"))

    def collect(self, ctx: Ctx) -> None:
        families = ctx.paginate("ecs", "ListTaskDefinitionFamilies", "families", status="ACTIVE")
        ctx.each(families, lambda family: self._family(ctx, family))

    def _family(self, ctx: Ctx, family: str) -> None:
        reads = ctx.reads("ecs")
        response = reads.get("DescribeTaskDefinition", lambda r: r, taskDefinition=family, include=["TAGS"])
        task = UNKNOWN if response is UNKNOWN else reads.member(response, "taskDefinition", "DescribeTaskDefinition")
        if task is UNKNOWN:
            arn = ctx.arn("ecs", f"task-definition/{family}")
            ctx.emit("aws_ecs_task_definition", arn, {
                "family": family, "arn_without_revision": arn, **dict.fromkeys(_TASK_JUDGED, UNKNOWN)}, reads)
            return
        arn = task.get("taskDefinitionArn") or ctx.arn("ecs", f"task-definition/{family}:{task.get('revision')}")
        ctx.emit("aws_ecs_task_definition", arn, {
            "family": family, "arn": arn, "arn_without_revision": arn.rsplit(":", 1)[0],
            "revision": task.get("revision"),
            "container_definitions": _container_definitions(reads, task),
            # Not given: bridge (EC2 Linux) or the Windows default — never the host's network.
            "network_mode": task.get("networkMode"),
            "pid_mode": task.get("pidMode"),
            "ipc_mode": task.get("ipcMode"),
            "volume": _volumes(task.get("volumes")),
            "requires_compatibilities": task.get("requiresCompatibilities") or [],
            "cpu": task.get("cpu"), "memory": task.get("memory"),
            "execution_role_arn": task.get("executionRoleArn"),
            "task_role_arn": task.get("taskRoleArn"),
            "tags": _ecs_tags(response.get("tags")),
        }, reads)


def _clusters(ctx: Ctx) -> list[str]:
    return ctx.paginate("ecs", "ListClusters", "clusterArns")


def _configuration(configuration: Any) -> list[dict[str, Any]]:
    """The cluster's ECS Exec configuration as the provider's ``configuration`` block; none when
    the cluster has none (ECS Exec then logs as DEFAULT does)."""
    execute = (configuration or {}).get("executeCommandConfiguration")
    if not isinstance(execute, dict):
        return []
    logs = execute.get("logConfiguration")
    return [{"execute_command_configuration": [{
        "kms_key_id": execute.get("kmsKeyId"),
        "logging": execute.get("logging"),
        "log_configuration": [{
            "cloud_watch_encryption_enabled": logs.get("cloudWatchEncryptionEnabled"),
            "cloud_watch_log_group_name": logs.get("cloudWatchLogGroupName"),
            "s3_bucket_name": logs.get("s3BucketName"),
            "s3_bucket_encryption_enabled": logs.get("s3EncryptionEnabled"),
            "s3_key_prefix": logs.get("s3KeyPrefix"),
        }] if isinstance(logs, dict) else [],
    }]}]


class EcsClusters(Collector):
    types = ("aws_ecs_cluster",)
    service = "ecs"
    operations = (("ecs", "ListClusters"), ("ecs", "DescribeClusters"))

    def collect(self, ctx: Ctx) -> None:
        _describe_in_batches(
            ctx, _clusters(ctx), _CLUSTERS_PER_CALL, "DescribeClusters", "clusters", "clusterArn",
            lambda reads, batch: reads.get("DescribeClusters", lambda r: r, clusters=batch,
                                           include=["SETTINGS", "CONFIGURATIONS", "TAGS"]),
            lambda cluster: self._cluster(ctx, cluster),
            lambda arn, reads: ctx.emit("aws_ecs_cluster", arn, {
                "arn": arn, "name": arn.rsplit("/", 1)[-1], "setting": UNKNOWN, "configuration": UNKNOWN}, reads))

    @staticmethod
    def _cluster(ctx: Ctx, cluster: dict[str, Any]) -> None:
        arn = named(cluster, "clusterArn", "ecs", "DescribeClusters")
        reads = ctx.reads("ecs")
        # DescribeClusters was asked for SETTINGS: a cluster without them was not answered in full.
        settings = reads.member(cluster, "settings", "DescribeClusters")
        ctx.emit("aws_ecs_cluster", arn, {
            "arn": arn, "id": arn, "name": cluster.get("clusterName") or arn.rsplit("/", 1)[-1],
            "setting": settings if settings is UNKNOWN else [
                {"name": s.get("name"), "value": s.get("value")} for s in settings if isinstance(s, dict)],
            "configuration": _configuration(cluster.get("configuration")),
            "tags": _ecs_tags(cluster.get("tags")),
        }, reads)


def _network_configuration(service: dict[str, Any]) -> list[dict[str, Any]]:
    """A service's (or task set's) awsvpc configuration as the provider's block; none outside awsvpc mode."""
    awsvpc = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration")
    if not isinstance(awsvpc, dict):
        return []
    return [{"subnets": awsvpc.get("subnets") or [], "security_groups": awsvpc.get("securityGroups") or [],
             # AWS's default when the service does not say is DISABLED.
             "assign_public_ip": awsvpc.get("assignPublicIp") == "ENABLED"}]


class EcsServices(Collector):
    """Services, and the task sets DescribeServices lists inline (EXTERNAL and CodeDeploy deployments)."""

    types = ("aws_ecs_service", "aws_ecs_task_set")
    service = "ecs"
    operations = (("ecs", "ListClusters"), ("ecs", "ListServices"), ("ecs", "DescribeServices"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(_clusters(ctx), lambda cluster: self._cluster(ctx, cluster))

    def _cluster(self, ctx: Ctx, cluster: str) -> None:
        reads = ctx.reads("ecs")
        services = reads.paginate("ListServices", "serviceArns", cluster=cluster)
        if services is UNKNOWN:
            # Which services the cluster runs could not be read: one resource standing for them, UNKNOWN.
            ctx.emit("aws_ecs_service", f"{cluster}/services",
                     {"cluster": cluster, "network_configuration": UNKNOWN}, reads)
            return
        _describe_in_batches(
            ctx, services, _SERVICES_PER_CALL, "DescribeServices", "services", "serviceArn",
            lambda batch_reads, batch: batch_reads.get("DescribeServices", lambda r: r, cluster=cluster,
                                                       services=batch, include=["TAGS"]),
            lambda service: self._service(ctx, cluster, service),
            lambda arn, why: ctx.emit("aws_ecs_service", arn, {
                "cluster": cluster, "name": arn.rsplit("/", 1)[-1], "network_configuration": UNKNOWN}, why))

    @staticmethod
    def _service(ctx: Ctx, cluster: str, service: dict[str, Any]) -> None:
        arn = named(service, "serviceArn", "ecs", "DescribeServices")
        ctx.emit("aws_ecs_service", arn, {
            "id": arn, "name": service.get("serviceName") or arn.rsplit("/", 1)[-1],
            "cluster": service.get("clusterArn") or cluster,
            "task_definition": service.get("taskDefinition"),
            "launch_type": service.get("launchType"),
            "desired_count": service.get("desiredCount"),
            "network_configuration": _network_configuration(service),
            "tags": _ecs_tags(service.get("tags")),
        })
        for task_set in service.get("taskSets") or []:
            set_arn = named(task_set, "taskSetArn", "ecs", "DescribeServices")
            ctx.emit("aws_ecs_task_set", set_arn, {
                "arn": set_arn, "task_set_id": task_set.get("id"), "service": arn,
                "cluster": task_set.get("clusterArn") or cluster,
                "task_definition": task_set.get("taskDefinition"),
                "launch_type": task_set.get("launchType"),
                "network_configuration": _network_configuration(task_set),
                "tags": _ecs_tags(task_set.get("tags")),
            })
