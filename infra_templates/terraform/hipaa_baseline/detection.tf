# Account and region services that watch everything else: GuardDuty, Security Hub, Macie,
# Inspector, AWS Config, a multi-region CloudTrail (validated, KMS-encrypted, into CloudWatch
# Logs) and EBS encryption by default.  Each is an account/region singleton: if your organisation
# already runs one centrally, import it rather than create a second.

resource "aws_guardduty_detector" "this" {
  #checkov:skip=CKV2_AWS_3:one account's stack; auto-enabling GuardDuty for an organization is configured in the delegated administrator account, not here
  enable                       = true
  finding_publishing_frequency = "FIFTEEN_MINUTES"
}

resource "aws_guardduty_detector_feature" "this" {
  for_each    = toset(["S3_DATA_EVENTS", "RDS_LOGIN_EVENTS", "EBS_MALWARE_PROTECTION"])
  detector_id = aws_guardduty_detector.this.id
  name        = each.value
  status      = "ENABLED"
}

resource "aws_securityhub_account" "this" {
  enable_default_standards  = true
  control_finding_generator = "SECURITY_CONTROL"
  auto_enable_controls      = true
}

resource "aws_macie2_account" "this" {
  status                       = "ENABLED"
  finding_publishing_frequency = "FIFTEEN_MINUTES"
}

resource "aws_inspector2_enabler" "this" {
  account_ids    = [local.account]
  resource_types = ["EC2", "ECR", "LAMBDA"]
}

# Every repository's images, existing and future, scanned continuously (the registry's enhanced
# scanning, done by Inspector): a rule for `*`, not one repository at a time.
resource "aws_ecr_registry_scanning_configuration" "this" {
  scan_type = "ENHANCED"
  rule {
    scan_frequency = "CONTINUOUS_SCAN"
    repository_filter {
      filter      = "*"
      filter_type = "WILDCARD"
    }
  }
}

# -- configuration history ---------------------------------------------------------------------------------
resource "aws_config_configuration_recorder" "this" {
  name     = "${var.name_prefix}-recorder"
  role_arn = aws_iam_role.config.arn
  recording_group {
    all_supported                 = true
    include_global_resource_types = true
  }
}

resource "aws_config_delivery_channel" "this" {
  name           = "${var.name_prefix}-delivery"
  s3_bucket_name = aws_s3_bucket.logs.id
  s3_key_prefix  = "config"
  s3_kms_key_arn = aws_kms_key.this["logs"].arn
  snapshot_delivery_properties {
    delivery_frequency = "TwentyFour_Hours"
  }
  depends_on = [aws_config_configuration_recorder.this, aws_s3_bucket_policy.logs]
}

resource "aws_config_configuration_recorder_status" "this" {
  name       = aws_config_configuration_recorder.this.name
  is_enabled = true
  depends_on = [aws_config_delivery_channel.this]
}

# -- the audit trail -------------------------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "cloudtrail" {
  name              = local.trail_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this["logs"].arn
}

resource "aws_cloudtrail" "this" {
  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.logs.id
  s3_key_prefix                 = "cloudtrail"
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_logging                = true
  enable_log_file_validation    = true
  kms_key_id                    = aws_kms_key.this["logs"].arn
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.cloudtrail.arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.cloudtrail_logs.arn
  event_selector {
    read_write_type           = "All"
    include_management_events = true
    # Object-level reads and writes of PHI: who touched which claim file.
    data_resource {
      type   = "AWS::S3::Object"
      values = [for b in aws_s3_bucket.phi : "${b.arn}/"]
    }
  }
  depends_on = [aws_s3_bucket_policy.logs]
}

# -- new volumes and snapshots are encrypted whoever creates them ---------------------------------------------
resource "aws_ebs_encryption_by_default" "this" {
  enabled = true
}
