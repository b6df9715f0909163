"""SSM patching: a baseline that approves security and bug-fix patches after 7 days, the patch
group application instances join with their ``Patch Group`` tag, and a weekly maintenance window
that installs them (``maintenanceWindow``, a cron expression)."""
from __future__ import annotations

import pulumi_aws as aws

from .common import Stack


def build(stack: Stack) -> aws.ssm.PatchBaseline:
    s = stack.settings
    baseline = aws.ssm.PatchBaseline(
        "patch-baseline",
        name=stack.name("al2023"),
        description="Security and bug-fix patches, approved after 7 days",
        operating_system="AMAZON_LINUX_2023",
        approved_patches_compliance_level="HIGH",
        approval_rules=[{
            "approve_after_days": 7,
            "compliance_level": "CRITICAL",
            "patch_filters": [
                {"key": "CLASSIFICATION", "values": ["Security", "Bugfix"]},
                {"key": "SEVERITY", "values": ["Critical", "Important", "Medium"]},
            ],
        }],
        opts=stack.opts(),
    )
    group = stack.name("app")
    aws.ssm.PatchGroup("patch-group", baseline_id=baseline.id, patch_group=group, opts=stack.opts())
    window = aws.ssm.MaintenanceWindow("patch-window", name=stack.name("patching"),
                                       schedule=s.maintenance_window, duration=3, cutoff=1,
                                       allow_unassociated_targets=False, opts=stack.opts())
    target = aws.ssm.MaintenanceWindowTarget("patch-targets", window_id=window.id,
                                             resource_type="INSTANCE",
                                             targets=[{"key": "tag:Patch Group", "values": [group]}],
                                             opts=stack.opts(parent=window))
    aws.ssm.MaintenanceWindowTask("patch-install", window_id=window.id, task_type="RUN_COMMAND",
                                  task_arn="AWS-RunPatchBaseline", priority=1,
                                  max_concurrency="25%", max_errors="10%",
                                  targets=[{"key": "WindowTargetIds", "values": [target.id]}],
                                  task_invocation_parameters={"run_command_parameters": {
                                      "parameters": [{"name": "Operation", "values": ["Install"]}],
                                      "timeout_seconds": 3600,
                                  }},
                                  opts=stack.opts(parent=window))
    return baseline
