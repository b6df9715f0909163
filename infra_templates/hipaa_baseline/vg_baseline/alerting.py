"""Someone is told: an encrypted SNS topic with an e-mail subscription, EventBridge rules that send
it GuardDuty and Security Hub findings, and CloudWatch alarms on CloudTrail for root use and
denied API calls (the incident-response trigger HIPAA 164.308(a)(6) asks for)."""
from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from .common import Stack, policy
from .detection import Detection

FINDING_PATTERNS = {
    "guardduty-findings": {
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", 4]}]},  # medium and above
    },
    "securityhub-findings": {
        "source": ["aws.securityhub"],
        "detail-type": ["Security Hub Findings - Imported"],
        "detail": {"findings": {"Severity": {"Label": ["HIGH", "CRITICAL"]},
                                "Workflow": {"Status": ["NEW"]},
                                "RecordState": ["ACTIVE"]}},
    },
}

#: CloudTrail metric filters (CIS AWS Foundations 4.x) that page the alert topic.
TRAIL_ALARMS = {
    "root-account-usage": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
                          '&& $.eventType != "AwsServiceEvent" }',
    "unauthorized-api-calls": '{ ($.errorCode = "*UnauthorizedOperation") || '
                              '($.errorCode = "AccessDenied*") }',
}


def build(stack: Stack, detection: Detection, logs_key_arn: pulumi.Input[str]) -> aws.sns.Topic:
    s = stack.settings
    topic = aws.sns.Topic("security-alerts", name=stack.name("security-alerts"),
                          display_name="vendorguard security alerts",
                          kms_master_key_id=logs_key_arn if stack.hardened("log-encryption") else None,
                          opts=stack.opts())
    if stack.hardened("alerting"):
        aws.sns.TopicSubscription("security-alerts-email", topic=topic.arn, protocol="email",
                                  endpoint=s.alert_email, opts=stack.opts(parent=topic))

    rules = {}
    for name, pattern in FINDING_PATTERNS.items():
        rule = aws.cloudwatch.EventRule(name, name=stack.name(name),
                                        description=f"{pattern['source'][0]} findings to the alert topic",
                                        event_pattern=json.dumps(pattern), state="ENABLED",
                                        opts=stack.opts())
        if stack.hardened("alerting"):
            aws.cloudwatch.EventTarget(f"{name}-to-sns", rule=rule.name, target_id="security-alerts",
                                       arn=topic.arn, opts=stack.opts(parent=rule))
        rules[name] = rule

    alarm_arns = []
    for name, pattern in TRAIL_ALARMS.items():
        metric = "".join(part.title() for part in name.split("-"))
        aws.cloudwatch.LogMetricFilter(f"{name}-filter", name=stack.name(name),
                                       log_group_name=detection.trail_log_group.name, pattern=pattern,
                                       metric_transformation={"name": metric,
                                                              "namespace": "vendorguard/CloudTrail",
                                                              "value": "1"},
                                       opts=stack.opts())
        alarm = aws.cloudwatch.MetricAlarm(f"{name}-alarm", name=stack.name(name),
                                           alarm_description=f"CloudTrail: {name.replace('-', ' ')}",
                                           namespace="vendorguard/CloudTrail", metric_name=metric,
                                           statistic="Sum", period=300, evaluation_periods=1,
                                           threshold=1, comparison_operator="GreaterThanOrEqualToThreshold",
                                           treat_missing_data="notBreaching", actions_enabled=True,
                                           alarm_actions=[topic.arn], opts=stack.opts())
        alarm_arns.append(alarm.arn)

    aws.sns.TopicPolicy("security-alerts-policy", arn=topic.arn, policy=policy(
        {"Sid": "AccountOwnsTopic", "Effect": "Allow", "Principal": {"AWS": stack.root},
         "Action": ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe",
                    "sns:ListSubscriptionsByTopic", "sns:Publish"],
         "Resource": topic.arn},
        {"Sid": "FindingRulesPublish", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
         "Action": "sns:Publish", "Resource": topic.arn,
         "Condition": {"ArnEquals": {"aws:SourceArn": [rule.arn for rule in rules.values()]}}},
        {"Sid": "AlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": "sns:Publish", "Resource": topic.arn,
         "Condition": {"ArnEquals": {"aws:SourceArn": alarm_arns}}},
    ), opts=stack.opts(parent=topic))
    return topic
