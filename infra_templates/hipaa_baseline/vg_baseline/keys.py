"""Customer managed KMS keys, one per purpose, rotating yearly.

Key policies name principals: this account's root (so the account's IAM policies decide, as for
any key) and the AWS services that must use the key, each confined to this account's resources.
No statement has a wildcard principal.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .common import Stack, policy


@dataclass(frozen=True)
class Keys:
    s3: aws.kms.Key
    rds: aws.kms.Key
    logs: aws.kms.Key
    backup: aws.kms.Key


def _account_admin(stack: Stack) -> dict[str, Any]:
    return {
        "Sid": "AccountAdministersKeyThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": stack.root},
        "Action": "kms:*",
        "Resource": "*",
    }


def trail_arn(stack: Stack) -> str:
    return stack.arn("cloudtrail", f"trail/{stack.name('trail')}")


def _logs_statements(stack: Stack) -> list[dict[str, Any]]:
    """CloudWatch Logs, CloudTrail, Config and the alert topic's publishers."""
    return [
        {
            "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{stack.region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                       "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                      stack.arn("logs", "log-group:*")}},
        },
        {
            "Sid": "CloudTrailEncryptsThisTrail",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceArn": trail_arn(stack)},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                               f"arn:{stack.partition}:cloudtrail:*:{stack.account}:trail/*"},
            },
        },
        {
            "Sid": "CloudTrailDescribesKey",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn(stack)}},
        },
        {
            "Sid": "ConfigDeliversToThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "config.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": stack.account}},
        },
        {
            "Sid": "FindingAndAlarmPublishersUseTheAlertTopic",
            "Effect": "Allow",
            "Principal": {"Service": ["events.amazonaws.com", "cloudwatch.amazonaws.com"]},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        },
    ]


def _backup_statements(backup_role_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    return [{
        "Sid": "AwsBackupRoleUsesTheVaultKey",
        "Effect": "Allow",
        "Principal": {"AWS": backup_role_arn},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                   "kms:DescribeKey"],
        "Resource": "*",
    }, {
        "Sid": "AwsBackupRoleGrantsForAwsResourcesOnly",
        "Effect": "Allow",
        "Principal": {"AWS": backup_role_arn},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    }]


def _key(stack: Stack, purpose: str, description: str, extra: list[dict[str, Any]]) -> aws.kms.Key:
    rotate = stack.hardened("rotation")
    key = aws.kms.Key(
        f"{purpose}-key",
        description=f"{stack.settings.prefix}: {description}",
        customer_master_key_spec="SYMMETRIC_DEFAULT",
        key_usage="ENCRYPT_DECRYPT",
        enable_key_rotation=rotate,
        rotation_period_in_days=365 if rotate else None,
        deletion_window_in_days=30,
        multi_region=False,
        policy=policy(_account_admin(stack), *extra),
        tags={"Purpose": purpose},
        opts=stack.opts(),
    )
    aws.kms.Alias(f"{purpose}-key-alias", name=f"alias/{stack.name(purpose)}", target_key_id=key.key_id,
                  opts=stack.opts())
    return key


def build(stack: Stack, backup_role_arn: pulumi.Input[str]) -> Keys:
    return Keys(
        s3=_key(stack, "s3", "PHI objects in S3", []),
        rds=_key(stack, "rds", "the claims database, its snapshots and master secret", []),
        logs=_key(stack, "logs", "CloudTrail, CloudWatch Logs, Config and the security alert topic",
                  _logs_statements(stack)),
        backup=_key(stack, "backup", "AWS Backup recovery points", _backup_statements(backup_role_arn)),
    )
