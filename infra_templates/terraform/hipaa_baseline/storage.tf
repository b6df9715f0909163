# S3: the PHI buckets, the log bucket they (and the load balancer, CloudTrail and Config) write to,
# and the account-wide public access block.  PHI buckets: SSE-KMS with a bucket key, versioning,
# public access blocked, ACLs disabled, TLS 1.2+ only, access logs, lifecycle.  The log bucket has
# the same controls but SSE-S3 (S3 server access logs and ALB access logs cannot write to an
# SSE-KMS bucket) and logs its own access under s3/self/.

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_145:S3 server access logs and ALB access logs can only be written to an SSE-S3 bucket; CloudTrail and Config objects in it are KMS-encrypted by the writers
  bucket        = local.log_bucket_name
  force_destroy = false
  tags          = { DataClassification = "Logs" }
}

resource "aws_s3_bucket" "phi" {
  for_each      = toset(local.phi_bucket_names)
  bucket        = each.value
  force_destroy = false
  tags          = { DataClassification = "PHI", Backup = local.backup_tag.value }
}

locals {
  bucket_ids  = merge({ logs = aws_s3_bucket.logs.id }, { for n, b in aws_s3_bucket.phi : "phi-${n}" => b.id })
  bucket_arns = merge({ logs = aws_s3_bucket.logs.arn }, { for n, b in aws_s3_bucket.phi : "phi-${n}" => b.arn })
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "phi" {
  for_each = aws_s3_bucket.phi
  bucket   = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this["s3"].arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_versioning" "phi" {
  for_each = aws_s3_bucket.phi
  bucket   = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_public_access_block" "phi" {
  for_each                = aws_s3_bucket.phi
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_ownership_controls" "phi" {
  for_each = aws_s3_bucket.phi
  bucket   = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_logging" "logs" {
  bucket        = aws_s3_bucket.logs.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/self/"
}

resource "aws_s3_bucket_logging" "phi" {
  for_each      = aws_s3_bucket.phi
  bucket        = each.value.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/${each.key}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    id     = "age-out-logs"
    status = "Enabled"
    filter {
      prefix = ""
    }
    transition {
      days          = 90
      storage_class = "GLACIER"
    }
    expiration {
      days = var.log_archive_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "phi" {
  for_each = aws_s3_bucket.phi
  bucket   = each.value.id
  rule {
    id     = "age-out-old-versions"
    status = "Enabled"
    filter {
      prefix = ""
    }
    noncurrent_version_transition {
      noncurrent_days = 30
      storage_class   = "STANDARD_IA"
    }
    noncurrent_version_expiration {
      noncurrent_days = 365
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

# -- bucket policies: TLS 1.2+ only; the log bucket also says who may write which prefix --------------------
locals {
  tls_only = {
    for key, arn in local.bucket_arns : key => [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [arn, "${arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "DenyTlsBelow12"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [arn, "${arn}/*"]
        Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
      },
    ]
  }
  log_writers = [
    { Sid       = "S3ServerAccessLogs", Effect = "Allow", Principal = { Service = "logging.s3.amazonaws.com" },
      Action    = "s3:PutObject", Resource = "${aws_s3_bucket.logs.arn}/s3/*",
    Condition = { StringEquals = { "aws:SourceAccount" = local.account } } },
    { Sid = "LoadBalancerAccessLogs", Effect = "Allow",
      Principal = { AWS = data.aws_elb_service_account.current.arn, Service = "logdelivery.elasticloadbalancing.amazonaws.com" },
    Action = "s3:PutObject", Resource = "${aws_s3_bucket.logs.arn}/alb/AWSLogs/${local.account}/*" },
    { Sid       = "CloudTrailChecksAcl", Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" },
      Action    = "s3:GetBucketAcl", Resource = aws_s3_bucket.logs.arn,
    Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn } } },
    { Sid       = "CloudTrailWrites", Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" },
      Action    = "s3:PutObject", Resource = "${aws_s3_bucket.logs.arn}/cloudtrail/AWSLogs/${local.account}/*",
    Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn, "s3:x-amz-acl" = "bucket-owner-full-control" } } },
    { Sid       = "ConfigChecksBucket", Effect = "Allow", Principal = { Service = "config.amazonaws.com" },
      Action    = ["s3:GetBucketAcl", "s3:ListBucket"], Resource = aws_s3_bucket.logs.arn,
    Condition = { StringEquals = { "aws:SourceAccount" = local.account } } },
    { Sid       = "ConfigWrites", Effect = "Allow", Principal = { Service = "config.amazonaws.com" },
      Action    = "s3:PutObject", Resource = "${aws_s3_bucket.logs.arn}/config/AWSLogs/${local.account}/Config/*",
    Condition = { StringEquals = { "aws:SourceAccount" = local.account, "s3:x-amz-acl" = "bucket-owner-full-control" } } },
  ]
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({ Version = "2012-10-17", Statement = concat(local.tls_only["logs"], local.log_writers) })
}

resource "aws_s3_bucket_policy" "phi" {
  for_each = aws_s3_bucket.phi
  bucket   = each.value.id
  policy   = jsonencode({ Version = "2012-10-17", Statement = local.tls_only["phi-${each.key}"] })
}

# -- the whole account: no bucket, present or future, can be made public ----------------------------------------
resource "aws_s3_account_public_access_block" "this" {
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
