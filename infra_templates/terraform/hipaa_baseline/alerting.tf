# Someone is told: an encrypted SNS topic with an e-mail subscription, EventBridge rules that send
# it GuardDuty and Security Hub findings, and CloudWatch alarms on CloudTrail for root use and
# denied API calls.

locals {
  finding_patterns = {
    guardduty-findings = {
      source        = ["aws.guardduty"]
      "detail-type" = ["GuardDuty Finding"]
      detail        = { severity = [{ numeric = [">=", 4] }] }
    }
    securityhub-findings = {
      source        = ["aws.securityhub"]
      "detail-type" = ["Security Hub Findings - Imported"]
      detail = { findings = {
        Severity    = { Label = ["HIGH", "CRITICAL"] }
        Workflow    = { Status = ["NEW"] }
        RecordState = ["ACTIVE"]
      } }
    }
  }
  trail_alarms = {
    root-account-usage     = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"
    unauthorized-api-calls = "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }"
  }
}

resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-security-alerts"
  display_name      = "vendorguard security alerts"
  kms_master_key_id = aws_kms_key.this["logs"].arn
}

resource "aws_sns_topic_subscription" "email" {
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

resource "aws_cloudwatch_event_rule" "findings" {
  for_each      = local.finding_patterns
  name          = "${var.name_prefix}-${each.key}"
  description   = "${each.value.source[0]} findings to the alert topic"
  event_pattern = jsonencode(each.value)
  state         = "ENABLED"
}

resource "aws_cloudwatch_event_target" "findings" {
  for_each  = aws_cloudwatch_event_rule.findings
  rule      = each.value.name
  target_id = "security-alerts"
  arn       = aws_sns_topic.alerts.arn
}

resource "aws_cloudwatch_log_metric_filter" "trail" {
  for_each       = local.trail_alarms
  name           = "${var.name_prefix}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.cloudtrail.name
  pattern        = each.value
  metric_transformation {
    name      = join("", [for part in split("-", each.key) : title(part)])
    namespace = "vendorguard/CloudTrail"
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "trail" {
  for_each            = local.trail_alarms
  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = "CloudTrail: ${replace(each.key, "-", " ")}"
  namespace           = "vendorguard/CloudTrail"
  metric_name         = aws_cloudwatch_log_metric_filter.trail[each.key].metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

resource "aws_sns_topic_policy" "alerts" {
  arn = aws_sns_topic.alerts.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Sid      = "AccountOwnsTopic", Effect = "Allow", Principal = { AWS = local.root },
        Action   = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"],
      Resource = aws_sns_topic.alerts.arn },
      { Sid       = "FindingRulesPublish", Effect = "Allow", Principal = { Service = "events.amazonaws.com" },
        Action    = "sns:Publish", Resource = aws_sns_topic.alerts.arn,
      Condition = { ArnEquals = { "aws:SourceArn" = [for r in aws_cloudwatch_event_rule.findings : r.arn] } } },
      { Sid       = "AlarmsPublish", Effect = "Allow", Principal = { Service = "cloudwatch.amazonaws.com" },
        Action    = "sns:Publish", Resource = aws_sns_topic.alerts.arn,
      Condition = { ArnEquals = { "aws:SourceArn" = [for a in aws_cloudwatch_metric_alarm.trail : a.arn] } } },
    ]
  })
}
