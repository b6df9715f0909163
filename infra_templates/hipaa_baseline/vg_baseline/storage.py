"""S3: the PHI buckets, the log bucket they (and the load balancer, CloudTrail and Config) write
to, and the account-wide public access block.

PHI buckets: SSE-KMS with the S3 key and a bucket key, versioning, all four public access blocks,
ACLs disabled, a policy that refuses anything but TLS 1.2+, server access logs, and a lifecycle
that ages old versions out.  The log bucket has the same controls except that it encrypts with
SSE-S3: S3 server access logging and ALB access logs cannot write to an SSE-KMS bucket.  It logs
its own access under ``self/`` (there is no further bucket to send them to).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .common import Stack, deny_insecure_transport, deny_old_tls, policy
from .keys import trail_arn

PHI_TAGS = {"DataClassification": "PHI"}


@dataclass(frozen=True)
class Storage:
    log_bucket: aws.s3.Bucket
    log_bucket_policy: aws.s3.BucketPolicy
    phi_buckets: list[aws.s3.Bucket]


def _guard(stack: Stack, logical: str, bucket: aws.s3.Bucket, *, kms_key_arn: pulumi.Input[str] | None,
           log_bucket: pulumi.Input[str], log_prefix: str, lifecycle: list[dict[str, Any]]) -> None:
    """Everything a bucket needs besides its policy."""
    opts = stack.opts(parent=bucket)
    if kms_key_arn is not None and stack.hardened("encryption"):
        default = {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn}
        bucket_key = True
    else:
        default = {"sse_algorithm": "AES256"}
        bucket_key = False
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{logical}-encryption", bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": default, "bucket_key_enabled": bucket_key}],
        opts=opts)
    aws.s3.BucketVersioning(
        f"{logical}-versioning", bucket=bucket.id,
        versioning_configuration={"status": "Enabled" if stack.hardened("versioning") else "Suspended"},
        opts=opts)
    blocked = stack.hardened("public-access-block")
    aws.s3.BucketPublicAccessBlock(
        f"{logical}-public-access-block", bucket=bucket.id, block_public_acls=blocked,
        block_public_policy=blocked, ignore_public_acls=blocked, restrict_public_buckets=blocked,
        opts=opts)
    aws.s3.BucketOwnershipControls(
        f"{logical}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"},
        opts=opts)
    if stack.hardened("access-logging"):
        aws.s3.BucketLogging(f"{logical}-logging", bucket=bucket.id, target_bucket=log_bucket,
                             target_prefix=log_prefix, opts=opts)
    aws.s3.BucketLifecycleConfiguration(f"{logical}-lifecycle", bucket=bucket.id, rules=lifecycle,
                                        opts=opts)


def _tls_statements(stack: Stack, bucket_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    if not stack.hardened("tls-only"):
        return []
    return [deny_insecure_transport(bucket_arn), deny_old_tls(bucket_arn)]


def _log_bucket_policy(stack: Stack, bucket: aws.s3.Bucket) -> pulumi.Output[str]:
    """Who may write which prefix: S3 server access logs, the ALB, CloudTrail and Config — each for
    this account only."""
    arn = bucket.arn
    account = stack.account
    elb = aws.elb.get_service_account(opts=stack.invoke())
    this_account = {"StringEquals": {"aws:SourceAccount": account}}
    return policy(
        *_tls_statements(stack, arn),
        {"Sid": "S3ServerAccessLogs", "Effect": "Allow",
         "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": pulumi.Output.concat(arn, "/s3/*"), "Condition": this_account},
        {"Sid": "LoadBalancerAccessLogs", "Effect": "Allow",
         "Principal": {"AWS": elb.arn, "Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
         "Action": "s3:PutObject",
         "Resource": pulumi.Output.concat(arn, f"/alb/AWSLogs/{account}/*")},
        {"Sid": "CloudTrailChecksAcl", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": arn, "Condition": {"StringEquals": {"aws:SourceArn": trail_arn(stack)}}},
        {"Sid": "CloudTrailWrites", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": pulumi.Output.concat(arn, f"/cloudtrail/AWSLogs/{account}/*"),
         "Condition": {"StringEquals": {"aws:SourceArn": trail_arn(stack),
                                        "s3:x-amz-acl": "bucket-owner-full-control"}}},
        {"Sid": "ConfigChecksBucket", "Effect": "Allow",
         "Principal": {"Service": "config.amazonaws.com"},
         "Action": ["s3:GetBucketAcl", "s3:ListBucket"], "Resource": arn, "Condition": this_account},
        {"Sid": "ConfigWrites", "Effect": "Allow",
         "Principal": {"Service": "config.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": pulumi.Output.concat(arn, f"/config/AWSLogs/{account}/Config/*"),
         "Condition": {"StringEquals": {"aws:SourceAccount": account,
                                        "s3:x-amz-acl": "bucket-owner-full-control"}}},
    )


def build(stack: Stack, s3_key_arn: pulumi.Input[str]) -> Storage:
    s = stack.settings
    suffix = f"{stack.account}-{stack.region}"

    # -- the log bucket -------------------------------------------------------------------------------
    log_name = s.log_bucket_name or f"{s.prefix}-logs-{suffix}"
    logs = aws.s3.Bucket("log-bucket", bucket=log_name, force_destroy=False,
                         tags={"DataClassification": "Logs"}, opts=stack.opts())
    _guard(stack, "log-bucket", logs, kms_key_arn=None, log_bucket=logs.id, log_prefix="s3/self/",
           lifecycle=[{
               "id": "age-out-logs", "status": "Enabled", "filter": {"prefix": ""},
               "transitions": [{"days": 90, "storage_class": "GLACIER"}],
               "expiration": {"days": s.log_archive_days},
               "noncurrent_version_expiration": {"noncurrent_days": 30},
               "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
           }])
    log_policy = aws.s3.BucketPolicy("log-bucket-policy", bucket=logs.id,
                                     policy=_log_bucket_policy(stack, logs),
                                     opts=stack.opts(parent=logs))

    # -- PHI buckets ------------------------------------------------------------------------------------
    names = s.phi_bucket_names or [f"{s.prefix}-phi-{suffix}"]
    phi = []
    for name in names:
        logical = f"phi-{name}"
        bucket = aws.s3.Bucket(logical, bucket=name, force_destroy=False,
                               tags={**PHI_TAGS, "Backup": "hipaa-daily"}, opts=stack.opts())
        _guard(stack, logical, bucket, kms_key_arn=s3_key_arn, log_bucket=logs.id,
               log_prefix=f"s3/{name}/", lifecycle=[{
                   "id": "age-out-old-versions", "status": "Enabled", "filter": {"prefix": ""},
                   "noncurrent_version_transitions": [{"noncurrent_days": 30,
                                                       "storage_class": "STANDARD_IA"}],
                   "noncurrent_version_expiration": {"noncurrent_days": 365},
                   "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
               }])
        statements = _tls_statements(stack, bucket.arn)
        if statements:
            aws.s3.BucketPolicy(f"{logical}-policy", bucket=bucket.id, policy=policy(*statements),
                                opts=stack.opts(parent=bucket))
        phi.append(bucket)

    # -- the whole account: no bucket, present or future, can be made public --------------------------
    blocked = stack.hardened("public-access-block")
    aws.s3.AccountPublicAccessBlock("account-public-access-block", block_public_acls=blocked,
                                    block_public_policy=blocked, ignore_public_acls=blocked,
                                    restrict_public_buckets=blocked, opts=stack.opts())
    return Storage(logs, log_policy, phi)
