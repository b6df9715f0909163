"""AWS Backup: a vault encrypted with the backup key, a daily plan that keeps recovery points at
least 35 days (``backupRetentionDays``), and a selection by tag — every resource tagged
``Backup = hipaa-daily`` (the database and the PHI buckets here; your own resources too)."""
from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .access import ServiceRoles
from .common import Stack

BACKUP_TAG = ("Backup", "hipaa-daily")


def build(stack: Stack, roles: ServiceRoles, backup_key_arn: pulumi.Input[str]) -> aws.backup.Vault:
    s = stack.settings
    keep_days = s.backup_retention_days if stack.hardened("backups") else 7
    vault = aws.backup.Vault("backup-vault", name=stack.name("vault"), kms_key_arn=backup_key_arn,
                             force_destroy=False, opts=stack.opts())
    plan = aws.backup.Plan("backup-plan", name=stack.name("daily"), rules=[{
        "rule_name": "daily",
        "target_vault_name": vault.name,
        "schedule": "cron(0 5 * * ? *)",
        "start_window": 60,
        "completion_window": 360,
        "lifecycle": {"delete_after": keep_days},
        "recovery_point_tags": {"Plan": stack.name("daily")},
    }], opts=stack.opts())
    aws.backup.Selection("backup-selection", name=stack.name("tagged"), plan_id=plan.id,
                         iam_role_arn=roles.backup.arn,
                         selection_tags=[{"type": "STRINGEQUALS", "key": BACKUP_TAG[0],
                                          "value": BACKUP_TAG[1]}],
                         opts=stack.opts(parent=plan))
    return vault
