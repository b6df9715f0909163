"""CloudTrail trails, each in its home region, with its logging status (GetTrailStatus).

DescribeTrails is asked for shadow trails too and keeps those whose home region is the one being
scanned.  For the account's own trails that is exactly ``includeShadowTrails=False`` (each trail
once, in its home region); in addition it keeps an organization trail that a member account
only ever sees as a shadow — without it, every member account of an organization-wide trail
would fail "a multi-region trail is logging".
"""
from __future__ import annotations

from typing import Any

from ..collector import Collector, Ctx, named


class Trails(Collector):
    types = ("aws_cloudtrail",)
    service = "cloudtrail"
    operations = (("cloudtrail", "DescribeTrails"), ("cloudtrail", "GetTrailStatus"))

    def collect(self, ctx: Ctx) -> None:
        trails = ctx.paginate("cloudtrail", "DescribeTrails", "trailList", includeShadowTrails=True)
        home = [t for t in trails if (t.get("HomeRegion") or ctx.region) == ctx.region]
        ctx.each(home, lambda trail: self._trail(ctx, trail))

    def _trail(self, ctx: Ctx, trail: dict[str, Any]) -> None:
        arn = trail.get("TrailARN") or ctx.arn(
            "cloudtrail", f"trail/{named(trail, 'Name', 'cloudtrail', 'DescribeTrails')}")
        reads = ctx.reads("cloudtrail")
        logging = reads.get("GetTrailStatus", lambda r: bool(r.get("IsLogging")), Name=arn)
        ctx.emit("aws_cloudtrail", arn, {
            "name": trail.get("Name"), "arn": arn, "id": arn, "home_region": trail.get("HomeRegion"),
            "s3_bucket_name": trail.get("S3BucketName"), "s3_key_prefix": trail.get("S3KeyPrefix"),
            "sns_topic_name": trail.get("SnsTopicName"),
            "is_multi_region_trail": bool(trail.get("IsMultiRegionTrail")),
            "include_global_service_events": bool(trail.get("IncludeGlobalServiceEvents")),
            "is_organization_trail": bool(trail.get("IsOrganizationTrail")),
            "enable_log_file_validation": bool(trail.get("LogFileValidationEnabled")),
            "kms_key_id": trail.get("KmsKeyId"),
            "cloud_watch_logs_group_arn": trail.get("CloudWatchLogsLogGroupArn"),
            "cloud_watch_logs_role_arn": trail.get("CloudWatchLogsRoleArn"),
            "enable_logging": logging,
        }, reads)
