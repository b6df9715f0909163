# SSM patching: a baseline that approves security and bug-fix patches after 7 days, the patch
# group application instances join with their "Patch Group" tag, and a weekly maintenance window
# that installs them.

resource "aws_ssm_patch_baseline" "al2023" {
  name                              = "${var.name_prefix}-al2023"
  description                       = "Security and bug-fix patches, approved after 7 days"
  operating_system                  = "AMAZON_LINUX_2023"
  approved_patches_compliance_level = "HIGH"
  approval_rule {
    approve_after_days = 7
    compliance_level   = "CRITICAL"
    patch_filter {
      key    = "CLASSIFICATION"
      values = ["Security", "Bugfix"]
    }
    patch_filter {
      key    = "SEVERITY"
      values = ["Critical", "Important", "Medium"]
    }
  }
}

resource "aws_ssm_patch_group" "app" {
  baseline_id = aws_ssm_patch_baseline.al2023.id
  patch_group = "${var.name_prefix}-app"
}

resource "aws_ssm_maintenance_window" "patching" {
  name                       = "${var.name_prefix}-patching"
  schedule                   = var.maintenance_window
  duration                   = 3
  cutoff                     = 1
  allow_unassociated_targets = false
}

resource "aws_ssm_maintenance_window_target" "app" {
  window_id     = aws_ssm_maintenance_window.patching.id
  resource_type = "INSTANCE"
  targets {
    key    = "tag:Patch Group"
    values = [aws_ssm_patch_group.app.patch_group]
  }
}

resource "aws_ssm_maintenance_window_task" "install" {
  window_id       = aws_ssm_maintenance_window.patching.id
  task_type       = "RUN_COMMAND"
  task_arn        = "AWS-RunPatchBaseline"
  priority        = 1
  max_concurrency = "25%"
  max_errors      = "10%"
  targets {
    key    = "WindowTargetIds"
    values = [aws_ssm_maintenance_window_target.app.id]
  }
  task_invocation_parameters {
    run_command_parameters {
      timeout_seconds = 3600
      parameter {
        name   = "Operation"
        values = ["Install"]
      }
    }
  }
}
