"""AWS Backup: plans (their rules, and the selections that say what they back up) and vaults.

A vault encrypted with the AWS managed ``aws/backup`` key reports that key's ARN; its
``kms_key_arn`` is given as the ARN of the ``alias/aws/backup`` alias instead, the form in which
Terraform configurations name that key and the rules recognise it.
"""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads, named
from .kms import aws_managed_key_arn


def _lifecycle(lifecycle: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Terraform's ``lifecycle`` block; [] when recovery points never expire nor move."""
    if not lifecycle:
        return []
    return [{
        "cold_storage_after": lifecycle.get("MoveToColdStorageAfterDays"),
        "delete_after": lifecycle.get("DeleteAfterDays"),
        "opt_in_to_archive_for_supported_resources": lifecycle.get("OptInToArchiveForSupportedResources"),
    }]


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    """One BackupRule as Terraform's ``rule`` block."""
    return {
        "rule_name": rule.get("RuleName"),
        "target_vault_name": rule.get("TargetBackupVaultName"),
        "schedule": rule.get("ScheduleExpression"),
        "schedule_expression_timezone": rule.get("ScheduleExpressionTimezone"),
        "start_window": rule.get("StartWindowMinutes"),
        "completion_window": rule.get("CompletionWindowMinutes"),
        "enable_continuous_backup": bool(rule.get("EnableContinuousBackup")),
        "lifecycle": _lifecycle(rule.get("Lifecycle")),
        "copy_action": [{"destination_vault_arn": c.get("DestinationBackupVaultArn"),
                         "lifecycle": _lifecycle(c.get("Lifecycle"))} for c in rule.get("CopyActions") or []],
        "recovery_point_tags": rule.get("RecoveryPointTags") or {},
    }


def _selection(selection: dict[str, Any]) -> dict[str, Any]:
    """A BackupSelection as Terraform's ``aws_backup_selection`` folds into the plan."""
    return {
        "name": selection.get("SelectionName"),
        "resources": selection.get("Resources") or [],
        "selection_tag": [{"type": t.get("ConditionType"), "key": t.get("ConditionKey"),
                           "value": t.get("ConditionValue")} for t in selection.get("ListOfTags") or []],
    }


class Plans(Collector):
    types = ("aws_backup_plan",)
    service = "backup"
    operations = (("backup", "ListBackupPlans"), ("backup", "GetBackupPlan"),
                  ("backup", "ListBackupSelections"), ("backup", "GetBackupSelection"))

    def collect(self, ctx: Ctx) -> None:
        plans = ctx.paginate("backup", "ListBackupPlans", "BackupPlansList")
        ctx.each(plans, lambda plan: self._plan(ctx, plan))

    def _plan(self, ctx: Ctx, listed: dict[str, Any]) -> None:
        plan_id = named(listed, "BackupPlanId", "backup", "ListBackupPlans")
        reads = ctx.reads("backup")
        plan = reads.get("GetBackupPlan", lambda r: r.get("BackupPlan") or {}, BackupPlanId=plan_id)
        arn = listed.get("BackupPlanArn") or ctx.arn("backup", f"backup-plan:{plan_id}")
        ctx.emit("aws_backup_plan", arn, {
            "id": plan_id,
            "arn": arn,
            "name": listed.get("BackupPlanName") or (plan.get("BackupPlanName") if plan is not UNKNOWN else None),
            "version": listed.get("VersionId"),
            "rule": plan if plan is UNKNOWN else [_rule(r) for r in plan.get("Rules") or []],
            "selection": self._selections(reads, plan_id),
        }, reads)

    @staticmethod
    def _selections(reads: Reads, plan_id: str) -> Any:
        """Every selection of the plan; UNKNOWN when they cannot be listed.  A selection that is
        listed but cannot be read keeps its name, with UNKNOWN resources and tags."""
        listed = reads.paginate("ListBackupSelections", "BackupSelectionsList", BackupPlanId=plan_id)
        if listed is UNKNOWN:
            return UNKNOWN
        selections = []
        for item in listed:
            if not item.get("SelectionId"):  # cannot be read: what it selects is not known
                reads.reasons.append("backup:ListBackupSelections returned a selection without SelectionId")
                got = UNKNOWN
            else:
                got = reads.get("GetBackupSelection", lambda r: r.get("BackupSelection") or {},
                                BackupPlanId=plan_id, SelectionId=item["SelectionId"])
            selections.append({"name": item.get("SelectionName"), "resources": UNKNOWN, "selection_tag": UNKNOWN}
                              if got is UNKNOWN else _selection({"SelectionName": item.get("SelectionName"), **got}))
        return selections


class Vaults(Collector):
    types = ("aws_backup_vault",)
    service = "backup"
    operations = (("backup", "ListBackupVaults"), ("kms", "DescribeKey"))

    def collect(self, ctx: Ctx) -> None:
        vaults = [v for v in ctx.paginate("backup", "ListBackupVaults", "BackupVaultList")
                  if v.get("VaultType") in (None, "BACKUP_VAULT")]  # air-gapped vaults are other types
        managed: Any = None
        reasons: list[str] = []
        if any(v.get("EncryptionKeyArn") for v in vaults):
            managed, reasons = aws_managed_key_arn(ctx, "alias/aws/backup")
        alias = f"arn:{ctx.partition}:kms:{ctx.region}:{ctx.account}:alias/aws/backup"
        for vault in vaults:
            name = named(vault, "BackupVaultName", "backup", "ListBackupVaults")
            key = vault.get("EncryptionKeyArn")
            reads = None
            if key and managed is UNKNOWN:
                key, reads = UNKNOWN, Reads(None, "kms")
                reads.reasons.extend(reasons)
            elif key and key == managed:
                key = alias
            arn = vault.get("BackupVaultArn") or ctx.arn("backup", f"backup-vault:{name}")
            ctx.emit("aws_backup_vault", arn, {
                "name": name, "arn": arn, "kms_key_arn": key,
                "recovery_points": vault.get("NumberOfRecoveryPoints"),
                "locked": vault.get("Locked"),
            }, reads)
