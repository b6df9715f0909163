"""Secrets Manager secrets: their KMS key and rotation (from ListSecrets), and their resource policy
(GetResourcePolicy, per secret).

Only metadata is read: ListSecrets returns each secret's key, rotation flag and rules, and
GetResourcePolicy the policy document — never the value (secretsmanager:GetSecretValue is refused
by the read-only guard and denied by the scanning role's policy).  `kms_key_id` is absent when the
secret uses the AWS managed key ``aws/secretsmanager``; where a response names that key by ARN, it
is written as its alias, so that only a customer managed key reads as one.
"""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads, named, tags
from .kms import aws_managed_key_arn


def managed_key_as_alias(ctx: Ctx, reads: Reads, key: Any, service: str) -> Any:
    """`key`, or the alias ARN of ``alias/aws/<service>`` when `key` is that AWS managed key's ARN;
    UNKNOWN (with the reason on `reads`) when which key that is could not be looked up."""
    if not key or not isinstance(key, str) or "alias/aws/" in key:
        return key
    managed, why = aws_managed_key_arn(ctx, f"alias/aws/{service}")
    if managed is UNKNOWN:
        reads.reasons.extend(why)
        return UNKNOWN
    return f"arn:{ctx.partition}:kms:{ctx.region}:{ctx.account}:alias/aws/{service}" if key == managed else key


def _rotation_rules(rules: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not rules:
        return []
    return [{"automatically_after_days": rules.get("AutomaticallyAfterDays"), "duration": rules.get("Duration"),
             "schedule_expression": rules.get("ScheduleExpression")}]


class Secrets(Collector):
    types = ("aws_secretsmanager_secret",)
    service = "secretsmanager"
    operations = (("secretsmanager", "ListSecrets"), ("secretsmanager", "GetResourcePolicy"), ("kms", "DescribeKey"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(ctx.paginate("secretsmanager", "ListSecrets", "SecretList"), lambda s: self._secret(ctx, s))

    @staticmethod
    def _secret(ctx: Ctx, secret: dict[str, Any]) -> None:
        arn = named(secret, "ARN", "secretsmanager", "ListSecrets")
        reads = ctx.reads("secretsmanager")
        ctx.emit("aws_secretsmanager_secret", arn, {
            "name": secret.get("Name"), "arn": arn, "id": arn,
            "kms_key_id": managed_key_as_alias(ctx, reads, secret.get("KmsKeyId"), "secretsmanager"),
            # Rotation never configured may be left out of the listing: not rotating (FAIL), never a PASS.
            "rotation_enabled": secret.get("RotationEnabled") is True,
            "rotation_lambda_arn": secret.get("RotationLambdaARN"),
            "rotation_rules": _rotation_rules(secret.get("RotationRules")),
            # A secret without a resource policy is answered without ResourcePolicy: none (null).
            "policy": reads.get("GetResourcePolicy", lambda r: r.get("ResourcePolicy"), SecretId=arn),
            "tags": tags(secret.get("Tags")),
        }, reads)
