"""SageMaker notebook instances, endpoint configurations, Studio domains and models: where analysts
and models hold copies of PHI, and how that storage is encrypted and reached.  Each is a listing
and one Describe call per item, so each collector is a declaration of those calls plus the
attributes it maps.  Training and processing jobs are runs, not Terraform resources: no rule reads
them, so nothing collects them."""
from __future__ import annotations

from typing import Any, ClassVar

from ..collector import Collector, Ctx, Reads, named


class _ListThenDescribe(Collector):
    """List the items, then describe each one; a failed Describe leaves every mapped attribute
    UNKNOWN with the call's error as the reason."""

    service = "sagemaker"
    #: (listing, its items' key, the name member, the ARN member, the ARN's resource prefix)
    listing: ClassVar[tuple[str, str, str, str, str]]
    #: (Describe operation, the parameter naming the item)
    describe: ClassVar[tuple[str, str]]
    #: the Terraform attributes `attributes` fills
    mapped: ClassVar[tuple[str, ...]]

    def collect(self, ctx: Ctx) -> None:
        operation, key = self.listing[:2]
        ctx.each(ctx.paginate("sagemaker", operation, key), lambda item: self._item(ctx, item))

    def _item(self, ctx: Ctx, item: dict[str, Any]) -> None:
        operation, _, name_key, arn_key, prefix = self.listing
        name = named(item, name_key, "sagemaker", operation)
        arn = item.get(arn_key) or ctx.arn("sagemaker", f"{prefix}/{name.lower()}")
        reads = ctx.reads("sagemaker")
        describe, parameter = self.describe
        description = reads.get(describe, lambda r: r, **{parameter: name})
        attributes = (self.attributes(description, reads) if isinstance(description, dict)
                      else dict.fromkeys(self.mapped, description))
        ctx.emit(self.types[0], arn, {"id": name, "name": name, "arn": arn, **attributes}, reads)

    def attributes(self, description: dict[str, Any], reads: Reads) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError


class NotebookInstances(_ListThenDescribe):
    types = ("aws_sagemaker_notebook_instance",)
    operations = (("sagemaker", "ListNotebookInstances"), ("sagemaker", "DescribeNotebookInstance"))
    listing = ("ListNotebookInstances", "NotebookInstances", "NotebookInstanceName", "NotebookInstanceArn",
               "notebook-instance")
    describe = ("DescribeNotebookInstance", "NotebookInstanceName")
    mapped = ("direct_internet_access", "root_access", "kms_key_id", "subnet_id", "security_groups",
              "instance_type", "role_arn")

    def attributes(self, d: dict[str, Any], reads: Reads) -> dict[str, Any]:
        return {
            "direct_internet_access": reads.member(d, "DirectInternetAccess", "DescribeNotebookInstance"),
            "root_access": reads.member(d, "RootAccess", "DescribeNotebookInstance"),
            "kms_key_id": d.get("KmsKeyId"),  # absent: the volume uses the AWS managed key
            "subnet_id": d.get("SubnetId"), "security_groups": d.get("SecurityGroups") or [],
            "instance_type": d.get("InstanceType"), "role_arn": d.get("RoleArn"),
        }


class EndpointConfigurations(_ListThenDescribe):
    types = ("aws_sagemaker_endpoint_configuration",)
    operations = (("sagemaker", "ListEndpointConfigs"), ("sagemaker", "DescribeEndpointConfig"))
    listing = ("ListEndpointConfigs", "EndpointConfigs", "EndpointConfigName", "EndpointConfigArn", "endpoint-config")
    describe = ("DescribeEndpointConfig", "EndpointConfigName")
    mapped = ("kms_key_arn", "production_variants")

    def attributes(self, d: dict[str, Any], reads: Reads) -> dict[str, Any]:
        return {
            "kms_key_arn": d.get("KmsKeyId"),  # absent: no customer key for the ML storage volumes
            "production_variants": [{"variant_name": v.get("VariantName"), "model_name": v.get("ModelName"),
                                     "instance_type": v.get("InstanceType")}
                                    for v in d.get("ProductionVariants") or []],
        }


class SageMakerDomains(_ListThenDescribe):
    types = ("aws_sagemaker_domain",)
    operations = (("sagemaker", "ListDomains"), ("sagemaker", "DescribeDomain"))
    # A domain is described by its id (the provider's `id`); its name is `domain_name`.
    listing = ("ListDomains", "Domains", "DomainId", "DomainArn", "domain")
    describe = ("DescribeDomain", "DomainId")
    mapped = ("domain_name", "app_network_access_type", "kms_key_id", "vpc_id", "subnet_ids", "auth_mode")

    def attributes(self, d: dict[str, Any], reads: Reads) -> dict[str, Any]:
        return {
            "domain_name": d.get("DomainName"),
            "app_network_access_type": reads.member(d, "AppNetworkAccessType", "DescribeDomain"),
            "kms_key_id": d.get("KmsKeyId"),  # absent: the EFS volume uses the AWS managed key
            "vpc_id": d.get("VpcId"), "subnet_ids": d.get("SubnetIds") or [], "auth_mode": d.get("AuthMode"),
        }


class SageMakerModels(_ListThenDescribe):
    types = ("aws_sagemaker_model",)
    operations = (("sagemaker", "ListModels"), ("sagemaker", "DescribeModel"))
    listing = ("ListModels", "Models", "ModelName", "ModelArn", "model")
    describe = ("DescribeModel", "ModelName")
    mapped = ("enable_network_isolation", "vpc_config", "execution_role_arn")

    def attributes(self, d: dict[str, Any], reads: Reads) -> dict[str, Any]:
        vpc = d.get("VpcConfig")
        return {
            "enable_network_isolation": reads.member(d, "EnableNetworkIsolation", "DescribeModel"),
            # Absent, or without subnets (which AWS requires of a real one), when the model runs
            # outside any VPC: an empty VpcConfig is no VPC.
            "vpc_config": [{"security_group_ids": vpc.get("SecurityGroupIds") or [], "subnets": vpc["Subnets"]}]
            if isinstance(vpc, dict) and vpc.get("Subnets") else [],
            "execution_role_arn": d.get("ExecutionRoleArn"),
        }
