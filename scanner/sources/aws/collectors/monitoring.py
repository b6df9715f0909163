"""CloudWatch: log groups (their settings, never their events) and metric alarms."""
from __future__ import annotations

from ..collector import Collector, Ctx, named


class LogGroups(Collector):
    types = ("aws_cloudwatch_log_group",)
    service = "logs"
    operations = (("logs", "DescribeLogGroups"),)

    def collect(self, ctx: Ctx) -> None:
        for group in ctx.paginate("logs", "DescribeLogGroups", "logGroups"):
            name = named(group, "logGroupName", "logs", "DescribeLogGroups")
            arn = group.get("logGroupArn") or (group.get("arn") or "").removesuffix(":*") or \
                ctx.arn("logs", f"log-group:{name}")
            ctx.emit("aws_cloudwatch_log_group", arn, {
                "name": name, "id": name, "arn": arn,
                "kms_key_id": group.get("kmsKeyId"),
                # No retentionInDays: kept forever, which the provider shows as 0.
                "retention_in_days": group.get("retentionInDays", 0),
                "log_group_class": group.get("logGroupClass"),
            })


class MetricAlarms(Collector):
    types = ("aws_cloudwatch_metric_alarm",)
    service = "cloudwatch"
    operations = (("cloudwatch", "DescribeAlarms"),)

    def collect(self, ctx: Ctx) -> None:
        # DescribeAlarms lists metric alarms only unless AlarmTypes asks for composite ones,
        # which are another provider type (aws_cloudwatch_composite_alarm).
        for alarm in ctx.paginate("cloudwatch", "DescribeAlarms", "MetricAlarms"):
            arn = alarm.get("AlarmArn") or ctx.arn(
                "cloudwatch", f"alarm:{named(alarm, 'AlarmName', 'cloudwatch', 'DescribeAlarms')}")
            ctx.emit("aws_cloudwatch_metric_alarm", arn, {
                "alarm_name": alarm.get("AlarmName"), "id": alarm.get("AlarmName"), "arn": arn,
                "actions_enabled": alarm.get("ActionsEnabled", True),
                "alarm_actions": alarm.get("AlarmActions") or [],
                "ok_actions": alarm.get("OKActions") or [],
                "insufficient_data_actions": alarm.get("InsufficientDataActions") or [],
                "namespace": alarm.get("Namespace"), "metric_name": alarm.get("MetricName"),
                "comparison_operator": alarm.get("ComparisonOperator"), "threshold": alarm.get("Threshold"),
                "evaluation_periods": alarm.get("EvaluationPeriods"), "period": alarm.get("Period"),
                "statistic": alarm.get("Statistic"),
            })
