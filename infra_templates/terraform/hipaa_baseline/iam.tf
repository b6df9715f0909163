# IAM: the account password policy, service roles that can do one job each, the application's
# role, and the practice auditor's read-only role — only with the agreed ExternalId.

resource "aws_iam_account_password_policy" "strict" {
  minimum_password_length        = 14
  require_symbols                = true
  require_numbers                = true
  require_uppercase_characters   = true
  require_lowercase_characters   = true
  password_reuse_prevention      = 24
  max_password_age               = 90
  allow_users_to_change_password = true
  hard_expiry                    = false
}

locals {
  confined = { StringEquals = { "aws:SourceAccount" = local.account } }
}

# -- VPC flow logs ---------------------------------------------------------------------------------
resource "aws_iam_role" "flow_logs" {
  name        = "${var.name_prefix}-flow-logs"
  description = "VPC flow logs write to their CloudWatch log group"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "vpc-flow-logs.amazonaws.com" },
    Action = "sts:AssumeRole", Condition = local.confined }]
  })
}

resource "aws_iam_role_policy" "flow_logs" {
  role = aws_iam_role.flow_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = [aws_cloudwatch_log_group.flow_logs.arn, "${aws_cloudwatch_log_group.flow_logs.arn}:*"]
    }]
  })
}

# -- CloudTrail to CloudWatch Logs -------------------------------------------------------------------
resource "aws_iam_role" "cloudtrail_logs" {
  name        = "${var.name_prefix}-cloudtrail-logs"
  description = "CloudTrail delivers events to its CloudWatch log group"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" },
    Action = "sts:AssumeRole", Condition = local.confined }]
  })
}

resource "aws_iam_role_policy" "cloudtrail_logs" {
  role = aws_iam_role.cloudtrail_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${aws_cloudwatch_log_group.cloudtrail.arn}:log-stream:*"
    }]
  })
}

# -- AWS Config ---------------------------------------------------------------------------------------
resource "aws_iam_role" "config" {
  name        = "${var.name_prefix}-config"
  description = "AWS Config records resource configuration"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "config.amazonaws.com" },
    Action = "sts:AssumeRole", Condition = local.confined }]
  })
}

resource "aws_iam_role_policy_attachment" "config" {
  role       = aws_iam_role.config.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWS_ConfigRole"
}

resource "aws_iam_role_policy" "config_delivery" {
  role = aws_iam_role.config.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "s3:GetBucketAcl", Resource = aws_s3_bucket.logs.arn },
      { Effect    = "Allow", Action = "s3:PutObject",
        Resource  = "${aws_s3_bucket.logs.arn}/config/AWSLogs/${local.account}/Config/*",
      Condition = { StringEquals = { "s3:x-amz-acl" = "bucket-owner-full-control" } } },
      { Effect = "Allow", Action = ["kms:Decrypt", "kms:GenerateDataKey"], Resource = aws_kms_key.this["logs"].arn },
    ]
  })
}

# -- AWS Backup -----------------------------------------------------------------------------------------
resource "aws_iam_role" "backup" {
  name        = "${var.name_prefix}-backup"
  description = "AWS Backup takes and restores recovery points"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "backup.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy_attachment" "backup" {
  for_each = toset([
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
  ])
  role       = aws_iam_role.backup.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

# -- the billing application: PHI objects, one database user by IAM token, SSM patching ---------------------
resource "aws_iam_role" "app" {
  name        = "${var.name_prefix}-app"
  description = "Billing application instances (least privilege)"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "app" {
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid = "PhiObjects", Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"],
      Resource = [for b in aws_s3_bucket.phi : "${b.arn}/*"] },
      { Sid = "PhiBuckets", Effect = "Allow", Action = "s3:ListBucket", Resource = [for b in aws_s3_bucket.phi : b.arn] },
      { Sid = "PhiKey", Effect = "Allow", Action = ["kms:Decrypt", "kms:GenerateDataKey"], Resource = aws_kms_key.this["s3"].arn },
      { Sid      = "DatabaseUserByIamToken", Effect = "Allow", Action = "rds-db:connect",
      Resource = "arn:${local.partition}:rds-db:${var.region}:${local.account}:dbuser:*/billing_app" },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "app_ssm" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "app" {
  name = "${var.name_prefix}-app"
  role = aws_iam_role.app.name
}

# -- the practice's auditor: read-only, from its own account, only with the ExternalId -------------------
resource "aws_iam_role" "auditor" {
  count                = var.auditor_account_id == null ? 0 : 1
  name                 = "${var.name_prefix}-practice-auditor"
  description          = "Read-only security audit by account ${var.auditor_account_id}"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PracticeAuditor"
      Effect    = "Allow"
      Principal = { AWS = "arn:${local.partition}:iam::${var.auditor_account_id}:root" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "sts:ExternalId" = var.auditor_external_id } }
    }]
  })
  lifecycle {
    precondition {
      condition     = try(length(var.auditor_external_id), 0) >= 2
      error_message = "auditor_external_id is required with auditor_account_id."
    }
  }
}

resource "aws_iam_role_policy_attachment" "auditor" {
  count      = length(aws_iam_role.auditor)
  role       = aws_iam_role.auditor[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/SecurityAudit"
}
