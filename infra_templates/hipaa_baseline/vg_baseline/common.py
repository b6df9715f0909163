"""What every module needs: the settings, the account, one AWS provider, names and policies."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .settings import Settings


@dataclass(frozen=True)
class Stack:
    settings: Settings
    account: str
    partition: str
    provider: aws.Provider

    @property
    def region(self) -> str:
        return self.settings.region

    def opts(self, **kwargs: Any) -> pulumi.ResourceOptions:
        """Resource options on this stack's provider (its region and default tags)."""
        return pulumi.ResourceOptions(provider=self.provider, **kwargs)

    def invoke(self) -> pulumi.InvokeOptions:
        return pulumi.InvokeOptions(provider=self.provider)

    def name(self, suffix: str) -> str:
        return f"{self.settings.prefix}-{suffix}"

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        where = self.region if region else ""
        return f"arn:{self.partition}:{service}:{where}:{self.account}:{resource}"

    @property
    def root(self) -> str:
        """The account's root principal: "this account's IAM decides", never a wildcard."""
        return f"arn:{self.partition}:iam::{self.account}:root"

    def hardened(self, knob: str) -> bool:
        return self.settings.hardened(knob)


def provider(settings: Settings, stack_name: str) -> aws.Provider:
    tags = {
        "Project": "vendorguard-hipaa-baseline",
        "Stack": stack_name,
        "ManagedBy": "pulumi",
        **settings.tags,
    }
    return aws.Provider("aws", region=settings.region, default_tags={"tags": tags})


def policy(*statements: dict[str, Any]) -> pulumi.Output[str]:
    """An IAM / resource policy document as JSON (statements may hold Outputs)."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def service_trust(service: str, stack: Stack, *, confine: bool = True) -> pulumi.Output[str]:
    """A trust policy for one AWS service; `confine` adds the confused-deputy guard (only calls on
    behalf of this account) for services that send ``aws:SourceAccount``."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if confine:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": stack.account}}
    return policy(statement)


def deny_insecure_transport(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Deny every request to a bucket that is not made over TLS 1.2 or later."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def deny_old_tls(bucket_arn: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "Sid": "DenyTlsBelow12",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
        "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
    }


def log_group(stack: Stack, logical: str, name: str, kms_key_arn: pulumi.Input[str],
              **kwargs: Any) -> aws.cloudwatch.LogGroup:
    """A log group encrypted with the logs key and kept `logRetentionDays` days."""
    return aws.cloudwatch.LogGroup(
        logical,
        name=name,
        retention_in_days=stack.settings.log_retention_days,
        kms_key_id=kms_key_arn if stack.hardened("log-encryption") else None,
        opts=stack.opts(**kwargs),
    )
