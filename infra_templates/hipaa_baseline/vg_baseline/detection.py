"""Account and region services that watch everything else: GuardDuty, Security Hub, Macie,
Inspector, AWS Config, a multi-region CloudTrail (validated, KMS-encrypted, into CloudWatch Logs)
and EBS encryption by default.  Each is an account/region singleton: if your organisation already
runs one centrally, import it (``pulumi import``) rather than create a second."""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .access import ServiceRoles, trail_log_group_name
from .common import Stack, log_group, policy
from .storage import Storage


@dataclass(frozen=True)
class Detection:
    trail: aws.cloudtrail.Trail
    trail_log_group: aws.cloudwatch.LogGroup
    detector: aws.guardduty.Detector


def build(stack: Stack, roles: ServiceRoles, storage: Storage, logs_key_arn: pulumi.Input[str]) -> Detection:
    log_bucket = storage.log_bucket
    log_encryption = stack.hardened("log-encryption")

    # -- threat detection ------------------------------------------------------------------------------
    detector = aws.guardduty.Detector("guardduty", enable=stack.hardened("guardduty"),
                                      finding_publishing_frequency="FIFTEEN_MINUTES",
                                      opts=stack.opts())
    for feature in ("S3_DATA_EVENTS", "RDS_LOGIN_EVENTS", "EBS_MALWARE_PROTECTION"):
        aws.guardduty.DetectorFeature(f"guardduty-{feature.lower().replace('_', '-')}",
                                      detector_id=detector.id, name=feature, status="ENABLED",
                                      opts=stack.opts(parent=detector))
    aws.securityhub.Account("security-hub", enable_default_standards=True,
                            control_finding_generator="SECURITY_CONTROL", auto_enable_controls=True,
                            opts=stack.opts())
    aws.macie2.Account("macie", status="ENABLED" if stack.hardened("macie") else "PAUSED",
                       finding_publishing_frequency="FIFTEEN_MINUTES", opts=stack.opts())
    aws.inspector2.Enabler("inspector", account_ids=[stack.account],
                           resource_types=["EC2", "ECR", "LAMBDA"] if stack.hardened("inspector")
                           else ["LAMBDA"], opts=stack.opts())
    # Every repository's images, existing and future, scanned continuously (the registry's enhanced
    # scanning, done by Inspector): a rule for `*`, not one repository at a time.
    aws.ecr.RegistryScanningConfiguration("ecr-registry-scanning", scan_type="ENHANCED", rules=[{
        "scan_frequency": "CONTINUOUS_SCAN",
        "repository_filters": [{"filter": "*", "filter_type": "WILDCARD"}],
    }], opts=stack.opts())

    # -- configuration history ---------------------------------------------------------------------------
    aws.iam.RolePolicy("config-role-delivery", role=roles.config.id, policy=policy(
        {"Effect": "Allow", "Action": "s3:GetBucketAcl", "Resource": log_bucket.arn},
        {"Effect": "Allow", "Action": "s3:PutObject",
         "Resource": pulumi.Output.concat(log_bucket.arn, f"/config/AWSLogs/{stack.account}/Config/*"),
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}},
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": logs_key_arn},
    ), opts=stack.opts())
    recorder = aws.cfg.Recorder("config-recorder", name=stack.name("recorder"),
                                role_arn=roles.config.arn,
                                recording_group={"all_supported": True,
                                                 "include_global_resource_types": True},
                                opts=stack.opts())
    channel = aws.cfg.DeliveryChannel("config-delivery", name=stack.name("delivery"),
                                      s3_bucket_name=log_bucket.id, s3_key_prefix="config",
                                      s3_kms_key_arn=logs_key_arn if log_encryption else None,
                                      snapshot_delivery_properties={"delivery_frequency": "TwentyFour_Hours"},
                                      opts=stack.opts(depends_on=[recorder, storage.log_bucket_policy]))
    aws.cfg.RecorderStatus("config-recorder-status", name=recorder.name,
                           is_enabled=stack.hardened("config-recorder"),
                           opts=stack.opts(depends_on=[channel]))

    # -- the audit trail ------------------------------------------------------------------------------------
    trail_group = log_group(stack, "cloudtrail-logs", trail_log_group_name(stack), logs_key_arn)
    to_cloudwatch = stack.hardened("cloudtrail-logs")
    trail = aws.cloudtrail.Trail(
        "cloudtrail",
        name=stack.name("trail"),
        s3_bucket_name=log_bucket.id,
        s3_key_prefix="cloudtrail",
        is_multi_region_trail=stack.hardened("multi-region-trail"),
        include_global_service_events=True,
        enable_logging=True,
        enable_log_file_validation=stack.hardened("cloudtrail-validation"),
        kms_key_id=logs_key_arn if log_encryption else None,
        cloud_watch_logs_group_arn=pulumi.Output.concat(trail_group.arn, ":*") if to_cloudwatch else None,
        cloud_watch_logs_role_arn=roles.cloudtrail.arn if to_cloudwatch else None,
        event_selectors=[{
            "read_write_type": "All",
            "include_management_events": True,
            # Object-level reads and writes of PHI: who touched which claim file.
            "data_resources": [{"type": "AWS::S3::Object",
                                "values": [pulumi.Output.concat(b.arn, "/") for b in storage.phi_buckets]}],
        }],
        opts=stack.opts(depends_on=[storage.log_bucket_policy]),
    )

    # -- new volumes and snapshots are encrypted whoever creates them -------------------------------------------
    aws.ebs.EncryptionByDefault("ebs-encryption-by-default", enabled=stack.hardened("encryption"),
                                opts=stack.opts())
    return Detection(trail, trail_group, detector)
