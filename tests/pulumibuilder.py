"""Builds Pulumi stack exports and previews from the Terraform-shaped resources of the rule fixtures.

The equivalence test feeds the same resources to the Terraform plan reader (through
`planbuilder`) and to the Pulumi reader (through this module), and expects the same verdicts.  To
keep that test from being a tautology, nothing here comes from the reader or from
``policies/pulumi_types.yaml``: the Terraform type → Pulumi token table below is written
separately, and every property name and shape (single object or list, map or block) is read from
the installed ``pulumi_aws`` package's own classes — the getters Pulumi's SDK generates from the
provider schema.  A Terraform attribute the class does not have fails the build, unless it is one
of the inline names that only folding and the live collectors produce (``SYNTHETIC``).

Shapes follow Pulumi: a Terraform block of at most one element is written as an object (``[]``
as null), a pluralised list block under its Pulumi name (``rule`` → ``rules``), camelCase names,
map attributes untouched.  ``"${type.name.attr}"`` references become the unknown sentinel plus a
``propertyDependencies`` entry naming the referenced resource's URN, as Pulumi records an output
not yet known; fixture ``unknown`` paths become the sentinel, ``sensitive`` ones secrets.
"""
from __future__ import annotations

import copy
import importlib
import inspect
import json
import keyword
import re
import sys
import typing
import warnings
from functools import cache
from typing import Any

import pulumi_aws

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_KEY, SECRET_SIG = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"
STACK, PROJECT = "test", "vendorguard-equivalence"
PROVIDER_VERSION = "7.51.1"
_REF = re.compile(r"^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\.[A-Za-z0-9_.]+)?\}$")

#: Terraform type → pulumi-aws v7 token (written independently of policies/pulumi_types.yaml).
V7_TOKENS = {
    "aws_s3_bucket": "aws:s3/bucket:Bucket",
    "aws_s3_bucket_server_side_encryption_configuration":
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws_s3_bucket_versioning": "aws:s3/bucketVersioning:BucketVersioning",
    "aws_s3_bucket_logging": "aws:s3/bucketLogging:BucketLogging",
    "aws_s3_bucket_policy": "aws:s3/bucketPolicy:BucketPolicy",
    "aws_s3_bucket_acl": "aws:s3/bucketAcl:BucketAcl",
    "aws_s3_bucket_public_access_block": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws_s3_bucket_lifecycle_configuration": "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws_s3_bucket_object_lock_configuration":
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws_s3_account_public_access_block": "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
    "aws_instance": "aws:ec2/instance:Instance",
    "aws_ebs_volume": "aws:ebs/volume:Volume",
    "aws_ebs_snapshot": "aws:ebs/snapshot:Snapshot",
    "aws_ebs_encryption_by_default": "aws:ebs/encryptionByDefault:EncryptionByDefault",
    "aws_security_group": "aws:ec2/securityGroup:SecurityGroup",
    "aws_default_security_group": "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws_security_group_rule": "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws_vpc_security_group_ingress_rule": "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws_vpc_security_group_egress_rule": "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws_network_acl": "aws:ec2/networkAcl:NetworkAcl",
    "aws_default_network_acl": "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
    "aws_network_acl_rule": "aws:ec2/networkAclRule:NetworkAclRule",
    "aws_subnet": "aws:ec2/subnet:Subnet",
    "aws_vpc": "aws:ec2/vpc:Vpc",
    "aws_default_vpc": "aws:ec2/defaultVpc:DefaultVpc",
    "aws_flow_log": "aws:ec2/flowLog:FlowLog",
    "aws_lb": "aws:lb/loadBalancer:LoadBalancer",
    "aws_alb": "aws:alb/loadBalancer:LoadBalancer",
    "aws_lb_listener": "aws:lb/listener:Listener",
    "aws_alb_listener": "aws:alb/listener:Listener",
    "aws_cloudfront_distribution": "aws:cloudfront/distribution:Distribution",
    "aws_db_instance": "aws:rds/instance:Instance",
    "aws_rds_cluster": "aws:rds/cluster:Cluster",
    "aws_rds_cluster_instance": "aws:rds/clusterInstance:ClusterInstance",
    "aws_db_parameter_group": "aws:rds/parameterGroup:ParameterGroup",
    "aws_rds_cluster_parameter_group": "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    "aws_db_snapshot": "aws:rds/snapshot:Snapshot",
    "aws_db_cluster_snapshot": "aws:rds/clusterSnapshot:ClusterSnapshot",
    "aws_dynamodb_table": "aws:dynamodb/table:Table",
    "aws_efs_file_system": "aws:efs/fileSystem:FileSystem",
    "aws_redshift_cluster": "aws:redshift/cluster:Cluster",
    "aws_redshift_logging": "aws:redshift/logging:Logging",
    "aws_redshift_parameter_group": "aws:redshift/parameterGroup:ParameterGroup",
    "aws_neptune_cluster": "aws:neptune/cluster:Cluster",
    "aws_docdb_cluster": "aws:docdb/cluster:Cluster",
    "aws_msk_cluster": "aws:msk/cluster:Cluster",
    "aws_emr_cluster": "aws:emr/cluster:Cluster",
    "aws_emr_security_configuration": "aws:emr/securityConfiguration:SecurityConfiguration",
    "aws_emr_block_public_access_configuration": "aws:emr/blockPublicAccessConfiguration:BlockPublicAccessConfiguration",
    "aws_fsx_windows_file_system": "aws:fsx/windowsFileSystem:WindowsFileSystem",
    "aws_fsx_lustre_file_system": "aws:fsx/lustreFileSystem:LustreFileSystem",
    "aws_fsx_ontap_file_system": "aws:fsx/ontapFileSystem:OntapFileSystem",
    "aws_fsx_openzfs_file_system": "aws:fsx/openZfsFileSystem:OpenZfsFileSystem",
    "aws_elasticache_replication_group": "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws_opensearch_domain": "aws:opensearch/domain:Domain",
    "aws_opensearch_domain_policy": "aws:opensearch/domainPolicy:DomainPolicy",
    "aws_elasticsearch_domain": "aws:elasticsearch/domain:Domain",
    "aws_elasticsearch_domain_policy": "aws:elasticsearch/domainPolicy:DomainPolicy",
    "aws_backup_vault": "aws:backup/vault:Vault",
    "aws_backup_plan": "aws:backup/plan:Plan",
    "aws_backup_selection": "aws:backup/selection:Selection",
    "aws_kms_key": "aws:kms/key:Key",
    "aws_kms_key_policy": "aws:kms/keyPolicy:KeyPolicy",
    "aws_iam_role": "aws:iam/role:Role",
    "aws_iam_policy": "aws:iam/policy:Policy",
    "aws_iam_role_policy": "aws:iam/rolePolicy:RolePolicy",
    "aws_iam_user_policy": "aws:iam/userPolicy:UserPolicy",
    "aws_iam_group_policy": "aws:iam/groupPolicy:GroupPolicy",
    "aws_iam_policy_attachment": "aws:iam/policyAttachment:PolicyAttachment",
    "aws_iam_user_policy_attachment": "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws_iam_user": "aws:iam/user:User",
    "aws_iam_account_password_policy": "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
    "aws_lambda_function": "aws:lambda/function:Function",
    "aws_lambda_permission": "aws:lambda/permission:Permission",
    "aws_lambda_function_url": "aws:lambda/functionUrl:FunctionUrl",
    "aws_iam_role_policy_attachment": "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws_iam_group_policy_attachment": "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws_iam_access_key": "aws:iam/accessKey:AccessKey",
    "aws_eks_cluster": "aws:eks/cluster:Cluster",
    "aws_ecr_repository": "aws:ecr/repository:Repository",
    "aws_ecr_repository_policy": "aws:ecr/repositoryPolicy:RepositoryPolicy",
    "aws_ecr_registry_scanning_configuration":
        "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
    "aws_ecr_registry_policy": "aws:ecr/registryPolicy:RegistryPolicy",
    "aws_ecs_task_definition": "aws:ecs/taskDefinition:TaskDefinition",
    "aws_ecs_service": "aws:ecs/service:Service",
    "aws_ecs_task_set": "aws:ecs/taskSet:TaskSet",
    "aws_ecs_cluster": "aws:ecs/cluster:Cluster",
    "aws_eks_node_group": "aws:eks/nodeGroup:NodeGroup",
    "aws_secretsmanager_secret": "aws:secretsmanager/secret:Secret",
    "aws_secretsmanager_secret_rotation": "aws:secretsmanager/secretRotation:SecretRotation",
    "aws_ssm_parameter": "aws:ssm/parameter:Parameter",
    "aws_sns_topic": "aws:sns/topic:Topic",
    "aws_sns_topic_policy": "aws:sns/topicPolicy:TopicPolicy",
    "aws_sns_topic_subscription": "aws:sns/topicSubscription:TopicSubscription",
    "aws_sqs_queue": "aws:sqs/queue:Queue",
    "aws_sqs_queue_policy": "aws:sqs/queuePolicy:QueuePolicy",
    "aws_cloudtrail": "aws:cloudtrail/trail:Trail",
    "aws_cloudwatch_log_group": "aws:cloudwatch/logGroup:LogGroup",
    "aws_cloudwatch_metric_alarm": "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws_cloudwatch_event_rule": "aws:cloudwatch/eventRule:EventRule",
    "aws_cloudwatch_event_target": "aws:cloudwatch/eventTarget:EventTarget",
    "aws_config_configuration_recorder": "aws:cfg/recorder:Recorder",
    "aws_config_configuration_recorder_status": "aws:cfg/recorderStatus:RecorderStatus",
    "aws_guardduty_detector": "aws:guardduty/detector:Detector",
    "aws_securityhub_account": "aws:securityhub/account:Account",
    "aws_macie2_account": "aws:macie2/account:Account",
    "aws_inspector2_enabler": "aws:inspector2/enabler:Enabler",
    "aws_api_gateway_stage": "aws:apigateway/stage:Stage",
    "aws_api_gateway_method_settings": "aws:apigateway/methodSettings:MethodSettings",
    "aws_api_gateway_method": "aws:apigateway/method:Method",
    "aws_api_gateway_domain_name": "aws:apigateway/domainName:DomainName",
    "aws_apigatewayv2_stage": "aws:apigatewayv2/stage:Stage",
    "aws_apigatewayv2_route": "aws:apigatewayv2/route:Route",
    "aws_apigatewayv2_domain_name": "aws:apigatewayv2/domainName:DomainName",
    "aws_elb": "aws:elb/loadBalancer:LoadBalancer",
    "aws_load_balancer_policy": "aws:elb/loadBalancerPolicy:LoadBalancerPolicy",
    "aws_kinesis_stream": "aws:kinesis/stream:Stream",
    "aws_kinesis_firehose_delivery_stream": "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    "aws_kinesis_video_stream": "aws:kinesis/videoStream:VideoStream",
    "aws_docdb_cluster_parameter_group": "aws:docdb/clusterParameterGroup:ClusterParameterGroup",
    "aws_neptune_cluster_parameter_group": "aws:neptune/clusterParameterGroup:ClusterParameterGroup",
    "aws_neptune_cluster_instance": "aws:neptune/clusterInstance:ClusterInstance",
    "aws_docdb_cluster_instance": "aws:docdb/clusterInstance:ClusterInstance",
    "aws_docdb_cluster_snapshot": "aws:docdb/clusterSnapshot:ClusterSnapshot",
    "aws_neptune_cluster_snapshot": "aws:neptune/clusterSnapshot:ClusterSnapshot",
    "aws_redshiftserverless_namespace": "aws:redshiftserverless/namespace:Namespace",
    "aws_redshiftserverless_workgroup": "aws:redshiftserverless/workgroup:Workgroup",
    "aws_secretsmanager_secret_policy": "aws:secretsmanager/secretPolicy:SecretPolicy",
    "aws_db_snapshot_copy": "aws:rds/snapshotCopy:SnapshotCopy",
    "aws_ebs_snapshot_copy": "aws:ebs/snapshotCopy:SnapshotCopy",
    "aws_sagemaker_notebook_instance": "aws:sagemaker/notebookInstance:NotebookInstance",
    "aws_sagemaker_endpoint_configuration": "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    "aws_glue_data_catalog_encryption_settings":
        "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
    "aws_athena_workgroup": "aws:athena/workgroup:Workgroup",
    "aws_transfer_server": "aws:transfer/server:Server",
    "aws_transfer_user": "aws:transfer/user:User",
    "aws_api_gateway_rest_api": "aws:apigateway/restApi:RestApi",
    "aws_api_gateway_rest_api_policy": "aws:apigateway/restApiPolicy:RestApiPolicy",
    "aws_wafv2_web_acl_association": "aws:wafv2/webAclAssociation:WebAclAssociation",
    "aws_sagemaker_domain": "aws:sagemaker/domain:Domain",
    "aws_sagemaker_model": "aws:sagemaker/model:Model",
    "aws_glue_security_configuration": "aws:glue/securityConfiguration:SecurityConfiguration",
    "aws_glue_job": "aws:glue/job:Job",
    "aws_glue_crawler": "aws:glue/crawler:Crawler",
    "aws_glue_dev_endpoint": "aws:glue/devEndpoint:DevEndpoint",
    "aws_athena_database": "aws:athena/database:Database",
    # fixture resources no rule reads (the reader reports them as not assessed)
    "aws_iam_instance_profile": "aws:iam/instanceProfile:InstanceProfile",
}

#: The v6 names of the S3 resources (the bucket and its split configuration as lists).
V6_S3_TOKENS = {
    "aws_s3_bucket": "aws:s3/bucketV2:BucketV2",
    "aws_s3_bucket_server_side_encryption_configuration":
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    "aws_s3_bucket_versioning": "aws:s3/bucketVersioningV2:BucketVersioningV2",
    "aws_s3_bucket_logging": "aws:s3/bucketLoggingV2:BucketLoggingV2",
    "aws_s3_bucket_acl": "aws:s3/bucketAclV2:BucketAclV2",
    "aws_s3_bucket_lifecycle_configuration":
        "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
    "aws_s3_bucket_object_lock_configuration":
        "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
}

FLAVOURS = {"v7": V7_TOKENS, "v6-s3": {**V7_TOKENS, **V6_S3_TOKENS}}

#: Terraform arguments pulumi-aws renames outright (not by pluralising), per Terraform type.
ARGUMENT_NAMES = {
    "aws_cloudwatch_metric_alarm": {"alarm_name": "name"},
    "aws_lambda_function": {"function_name": "name", "filename": "code"},
    "aws_lambda_permission": {"function_name": "function"},
    "aws_sns_topic_subscription": {"topic_arn": "topic"},
    "aws_api_gateway_stage": {"rest_api_id": "restApi", "deployment_id": "deployment"},
    "aws_api_gateway_method_settings": {"rest_api_id": "restApi"},
    "aws_api_gateway_method": {"rest_api_id": "restApi"},
}

#: Inline names no provider resource has: the folded shape of split resources (folding.yaml) and
#: what only live collectors read.  Written camelCased, shape unchanged.
SYNTHETIC = {"public_access_block", "flow_log", "recorder_status", "target", "subscription", "selection",
             "id", "logging"}  # logging: a Redshift cluster's (inline until provider v6, then aws_redshift_logging)


# -- pulumi_aws introspection --------------------------------------------------------------------------
@cache
def resource_class(token: str) -> type:
    """The pulumi_aws class a token names (``aws:s3/bucket:Bucket`` → ``pulumi_aws.s3.Bucket``),
    checked against the class's own ``pulumi.type_token`` declaration."""
    _, module_path, class_name = token.split(":")
    package = module_path.split("/")[0]
    package = f"{package}_" if keyword.iskeyword(package) else package  # pulumi_aws.lambda_
    with warnings.catch_warnings():  # importing a service module warns about its deprecated classes
        warnings.simplefilter("ignore")
        module = importlib.import_module(f"pulumi_aws.{package}")
        cls = getattr(module, class_name)
    source = inspect.getsource(sys.modules[cls.__module__])
    if f'@pulumi.type_token("{token}")' not in source:
        raise LookupError(f"{cls.__module__}.{class_name} does not declare type token {token}")
    return cls


@cache
def properties(cls: type) -> dict[str, Any]:
    """Pulumi property name → annotation, from the class's ``@pulumi.getter`` properties."""
    out = {}
    with warnings.catch_warnings():  # getmembers touches deprecated properties
        warnings.simplefilter("ignore")
        members = inspect.getmembers(cls)
    for _, member in members:
        fget = getattr(member, "fget", None) if isinstance(member, property) else None
        name = getattr(fget, "_pulumi_name", None)
        if name is not None:
            out[name] = (inspect.signature(fget).return_annotation, sys.modules[fget.__module__])
    return out


def _resolve(annotation: Any, module: Any) -> Any:
    if isinstance(annotation, str):
        return eval(annotation, vars(module))  # noqa: S307 - pulumi_aws's own annotations
    if isinstance(annotation, typing.ForwardRef):
        return eval(annotation.__forward_arg__, vars(module))  # noqa: S307
    return annotation


def shape(annotation: Any, module: Any) -> tuple[str, Any]:
    """("object", cls) | ("list", inner shape) | ("map", None) | ("scalar", None)."""
    annotation = _resolve(annotation, module)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Union:
        return shape(next(a for a in args if a is not type(None)), module)
    if getattr(origin, "__name__", None) == "Output" or getattr(annotation, "__name__", None) == "Output":
        return shape(args[0], module)
    if origin is not None and getattr(origin, "__name__", "") == "Sequence":
        return "list", shape(args[0], module)
    if origin is not None and getattr(origin, "__name__", "") == "Mapping":
        return "map", None
    if inspect.isclass(annotation) and issubclass(annotation, dict):
        return "object", annotation
    return "scalar", None


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _plurals(name: str) -> list[str]:
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return [name[:-1] + "ies", name + "s"]
    if name.endswith(("s", "x", "ch", "sh")):
        return [name + "es", name + "s"]
    return [name + "s"]


def pulumi_property(cls: type, terraform_type: str, key: str, top: bool) -> tuple[str, tuple[str, Any] | None]:
    """The Pulumi name and shape of a Terraform attribute of `cls` (shape None: synthetic)."""
    props = properties(cls)
    renamed = ARGUMENT_NAMES.get(terraform_type, {}).get(key) if top else None
    base = camel(key)
    for candidate in ([renamed] if renamed else []) + [base] + _plurals(base):
        if candidate in props:
            annotation, module = props[candidate]
            return candidate, shape(annotation, module)
    if key in SYNTHETIC:
        return base, None
    raise KeyError(f"{cls.__name__} has no property for Terraform attribute {key!r}")


# -- markers that travel through the conversion ------------------------------------------------------------
class _Unknown:
    pass


class _Secret:
    def __init__(self, value: Any) -> None:
        self.value = value


class _Reference:
    def __init__(self, rtype: str, name: str) -> None:
        self.rtype, self.name = rtype, name


def _set(tree: Any, path: list[Any], value: Any) -> None:
    node = tree
    for step, nxt in zip(path, path[1:]):
        if isinstance(node, list):
            while len(node) <= step:
                node.append({})
            node = node[step]
        else:
            if not isinstance(node.get(step), (dict, list)):
                node[step] = [] if isinstance(nxt, int) else {}
            node = node[step]
    if isinstance(node, list):
        while len(node) <= path[-1]:
            node.append(None)
    node[path[-1]] = value


def _wrap_secret(path: list[Any], tree: Any) -> None:
    node = tree
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = _Secret(node[path[-1]])


def _steps(path: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


class Stack:
    """One stack under construction: the provider, the resources, their dependencies."""

    def __init__(self, flavour: str = "v7", region: str = "us-east-1", account_id: str | None = None) -> None:
        self.tokens = FLAVOURS[flavour]
        self.region = region
        self.account_id = account_id
        self.stack_urn = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"
        self.provider_urn = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:providers:aws::default_7_51_1"
        self.provider_id = "0b4e5f3a-7c1d-4e2a-9b8c-6d5e4f3a2b1c"

    def urn(self, rtype: str, name: str) -> str:
        token = self.tokens.get(rtype, f"aws:unmapped/{rtype}:{rtype}")
        return f"urn:pulumi:{STACK}::{PROJECT}::{token}::{name}"

    def _convert(self, value: Any, cls: type | None, rtype: str, shp: tuple[str, Any] | None,
                 top: bool, deps: dict[str, list[str]], key: str | None) -> Any:
        if isinstance(value, _Unknown):
            return UNKNOWN
        if isinstance(value, _Reference):
            deps.setdefault(key or "", []).append(self.urn(value.rtype, value.name))
            return UNKNOWN
        if isinstance(value, _Secret):
            inner = self._convert(value.value, cls, rtype, shp, top, deps, key)
            return {SECRET_KEY: SECRET_SIG, "plaintext": json.dumps(inner)}
        kind = shp[0] if shp else None
        if kind == "object":
            if isinstance(value, list):
                if not value:
                    return None
                if len(value) == 1:  # Pulumi flattens a block of at most one element
                    return self._object(value[0], shp[1], rtype, deps)
            return self._object(value, shp[1], rtype, deps) if isinstance(value, dict) else value
        if kind == "list" and shp[1][0] == "object" and isinstance(value, list):
            return [self._object(v, shp[1][1], rtype, deps) if isinstance(v, dict) else
                    self._convert(v, None, rtype, None, False, deps, key) for v in value]
        if kind == "map" and isinstance(value, dict):  # user keys: kept as written
            return {k: self._convert(v, None, rtype, None, False, deps, k) for k, v in value.items()}
        if not isinstance(value, (dict, list)):
            return value
        if isinstance(value, list):  # synthetic or scalar lists: shape unchanged
            return [self._convert(v, None, rtype, None, False, deps, key) for v in value]
        return {camel(k): self._convert(v, None, rtype, None, False, deps, k) for k, v in value.items()}

    def _object(self, values: dict[str, Any], cls: type | None, rtype: str, deps: dict[str, list[str]],
                top: bool = False) -> dict[str, Any]:
        out = {}
        for key, value in values.items():
            if cls is None:
                name, shp = camel(key), None
            else:
                name, shp = pulumi_property(cls, rtype, key, top)
            out[name] = self._convert(value, cls, rtype, shp, top, deps, name)
        return out

    def resource(self, res: dict[str, Any]) -> dict[str, Any]:
        """A stack export resource from a fixture resource (type, name, values, unknown, sensitive)."""
        rtype, name = res["type"], res.get("name", "this")
        token = self.tokens[rtype]
        values: dict[str, Any] = {}
        for key, value in copy.deepcopy(res.get("values", {})).items():
            match = _REF.match(value) if isinstance(value, str) else None
            values[key] = _Reference(match.group(1), match.group(2)) if match else value
        for path in res.get("unknown", []):
            _set(values, _steps(path), _Unknown())
        for path in res.get("sensitive", []):
            _wrap_secret(_steps(path), values)
        deps: dict[str, list[str]] = {}
        props = self._object(values, resource_class(token), rtype, deps, top=True)
        urn = self.urn(rtype, name)
        record = {
            "urn": urn,
            "custom": True,
            "id": f"{name}-id",
            "type": token,
            "inputs": props,
            "outputs": props,
            "parent": self.stack_urn,
            "provider": f"{self.provider_urn}::{self.provider_id}",
            "propertyDependencies": deps,
            "dependencies": sorted({u for urns in deps.values() for u in urns}),
        }
        if res.get("actions") == ["delete"]:
            record["delete"] = True
        return record

    def _provider(self) -> dict[str, Any]:
        inputs: dict[str, Any] = {"region": self.region, "version": PROVIDER_VERSION}
        if self.account_id:
            inputs["allowedAccountIds"] = json.dumps([self.account_id])
        return {"urn": self.provider_urn, "custom": True, "id": self.provider_id, "type": "pulumi:providers:aws",
                "inputs": inputs, "outputs": inputs, "parent": self.stack_urn}

    def _records(self, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [self.resource(r) for r in resources]

    def export(self, resources: list[dict[str, Any]]) -> dict[str, Any]:
        """`pulumi stack export` (version 3)."""
        stack = {"urn": self.stack_urn, "custom": False, "type": "pulumi:pulumi:Stack"}
        return {
            "version": 3,
            "deployment": {
                "manifest": {"time": "2025-01-01T00:00:00Z", "magic": "0" * 64, "version": "v3.272.0"},
                "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:test"}},
                "resources": [stack, self._provider(), *self._records(resources)],
            },
        }

    def preview(self, resources: list[dict[str, Any]]) -> dict[str, Any]:
        """`pulumi preview --json` of a stack that creates the resources (a delete action: a
        delete step with only an old state)."""
        steps = [{"op": "same", "urn": self.stack_urn,
                  "newState": {"urn": self.stack_urn, "custom": False, "type": "pulumi:pulumi:Stack"}},
                 {"op": "create", "urn": self.provider_urn, "newState": self._provider()}]
        for record in self._records(resources):
            deleting = record.pop("delete", False)
            state_key = "oldState" if deleting else "newState"
            steps.append({"op": "delete" if deleting else "create", "urn": record["urn"],
                          "provider": record["provider"], state_key: record, "detailedDiff": None})
        return {"config": {"aws:region": self.region}, "steps": steps,
                "changeSummary": {"create": len(steps) - 1, "same": 1}, "duration": 1000000}


def build_export(resources: list[dict[str, Any]], flavour: str = "v7", **kwargs: Any) -> dict[str, Any]:
    return Stack(flavour, **kwargs).export(resources)


def build_preview(resources: list[dict[str, Any]], flavour: str = "v7", **kwargs: Any) -> dict[str, Any]:
    return Stack(flavour, **kwargs).preview(resources)


assert pulumi_aws  # the package the shapes come from
