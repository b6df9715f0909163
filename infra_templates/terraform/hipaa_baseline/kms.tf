# Customer managed keys, one per purpose, rotating yearly.  Key policies name principals: this
# account's root (IAM decides) and the AWS services that must use the key, each confined to this
# account's resources.  No statement has a wildcard principal.

locals {
  account_admin = {
    Sid       = "AccountAdministersKeyThroughIam"
    Effect    = "Allow"
    Principal = { AWS = local.root }
    Action    = "kms:*"
    Resource  = "*"
  }
  key_statements = {
    s3  = []
    rds = []
    logs = [
      {
        Sid       = "CloudWatchLogsEncryptsThisAccountsLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.region}.amazonaws.com" }
        Action    = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = { ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${var.region}:${local.account}:log-group:*" } }
      },
      {
        Sid       = "CloudTrailEncryptsThisTrail"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "kms:GenerateDataKey*"
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceArn" = local.trail_arn }
          StringLike   = { "kms:EncryptionContext:aws:cloudtrail:arn" = "arn:${local.partition}:cloudtrail:*:${local.account}:trail/*" }
        }
      },
      {
        Sid       = "CloudTrailDescribesKey"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "kms:DescribeKey"
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn } }
      },
      {
        Sid       = "ConfigDeliversToThisAccount"
        Effect    = "Allow"
        Principal = { Service = "config.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
      },
      {
        Sid       = "FindingAndAlarmPublishersUseTheAlertTopic"
        Effect    = "Allow"
        Principal = { Service = ["events.amazonaws.com", "cloudwatch.amazonaws.com"] }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
    backup = [
      {
        Sid       = "AwsBackupRoleUsesTheVaultKey"
        Effect    = "Allow"
        Principal = { AWS = aws_iam_role.backup.arn }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
      },
      {
        Sid       = "AwsBackupRoleGrantsForAwsResourcesOnly"
        Effect    = "Allow"
        Principal = { AWS = aws_iam_role.backup.arn }
        Action    = "kms:CreateGrant"
        Resource  = "*"
        Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
      },
    ]
  }
  key_descriptions = {
    s3     = "PHI objects in S3"
    rds    = "the claims database, its snapshots and master secret"
    logs   = "CloudTrail, CloudWatch Logs, Config and the security alert topic"
    backup = "AWS Backup recovery points"
  }
}

resource "aws_kms_key" "this" {
  for_each                 = local.key_descriptions
  description              = "${var.name_prefix}: ${each.value}"
  customer_master_key_spec = "SYMMETRIC_DEFAULT"
  key_usage                = "ENCRYPT_DECRYPT"
  enable_key_rotation      = true
  rotation_period_in_days  = 365
  deletion_window_in_days  = 30
  multi_region             = false
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat([local.account_admin], local.key_statements[each.key])
  })
  tags = { Purpose = each.key }
}

resource "aws_kms_alias" "this" {
  for_each      = aws_kms_key.this
  name          = "alias/${var.name_prefix}-${each.key}"
  target_key_id = each.value.key_id
}
