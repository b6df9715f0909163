# AWS Backup: a vault encrypted with the backup key, a daily plan that keeps recovery points at
# least 35 days, and a selection by tag (Backup = hipaa-daily: the database and the PHI buckets).

resource "aws_backup_vault" "this" {
  name          = "${var.name_prefix}-vault"
  kms_key_arn   = aws_kms_key.this["backup"].arn
  force_destroy = false
}

resource "aws_backup_plan" "daily" {
  name = "${var.name_prefix}-daily"
  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.this.name
    schedule          = "cron(0 5 * * ? *)"
    start_window      = 60
    completion_window = 360
    lifecycle {
      delete_after = var.backup_retention_days
    }
    recovery_point_tags = { Plan = "${var.name_prefix}-daily" }
  }
}

resource "aws_backup_selection" "tagged" {
  name         = "${var.name_prefix}-tagged"
  plan_id      = aws_backup_plan.daily.id
  iam_role_arn = aws_iam_role.backup.arn
  selection_tag {
    type  = "STRINGEQUALS"
    key   = local.backup_tag.key
    value = local.backup_tag.value
  }
}
