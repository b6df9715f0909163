"""Messaging and routing: SNS topics (with their confirmed subscriptions folded in), SQS queues,
and EventBridge rules on the default event bus (with their targets folded in) — the inline shapes
policies/types.yaml's folds give the provider's separate subscription, policy and target resources.

Only configuration is read: topic and queue attributes, never a message.
"""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlsplit

from ....model import UNKNOWN
from ..collector import Collector, Ctx, named


def _pick(values: Any, fn: Callable[[dict[str, Any]], Any]) -> Any:
    return UNKNOWN if values is UNKNOWN else fn(values)


def _endpoint(protocol: str | None, endpoint: str | None) -> str | None:
    """An HTTP(S) endpoint without its path and query, which often carry an integration key
    (a paging tool's webhook URL is its credential); other endpoints (addresses, ARNs) as they are."""
    if protocol in ("http", "https") and endpoint:
        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return endpoint


def _confirmed(subscriptions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Subscriptions that deliver: a pending confirmation ("PendingConfirmation" in place of an
    ARN) reaches no one yet."""
    return [{"protocol": s.get("Protocol"), "endpoint": _endpoint(s.get("Protocol"), s.get("Endpoint")),
             "arn": s["SubscriptionArn"]}
            for s in subscriptions if str(s.get("SubscriptionArn", "")).startswith("arn:")]


class Topics(Collector):
    types = ("aws_sns_topic",)
    service = "sns"
    operations = (("sns", "ListTopics"), ("sns", "GetTopicAttributes"), ("sns", "ListSubscriptionsByTopic"))

    def collect(self, ctx: Ctx) -> None:
        topics = ctx.paginate("sns", "ListTopics", "Topics")
        ctx.each([named(t, "TopicArn", "sns", "ListTopics") for t in topics], lambda arn: self._topic(ctx, arn))

    def _topic(self, ctx: Ctx, arn: str) -> None:
        reads = ctx.reads("sns")
        attrs = reads.get("GetTopicAttributes", lambda r: r.get("Attributes") or {}, TopicArn=arn)
        subscriptions = reads.paginate("ListSubscriptionsByTopic", "Subscriptions", _confirmed, TopicArn=arn)
        ctx.emit("aws_sns_topic", arn, {
            "name": arn.rsplit(":", 1)[-1], "arn": arn, "id": arn,
            "kms_master_key_id": _pick(attrs, lambda a: a.get("KmsMasterKeyId") or None),
            # Every topic has an access policy (the default one at least): left out, it is not known.
            "policy": _pick(attrs, lambda a: reads.member(a, "Policy", "GetTopicAttributes")),
            "display_name": _pick(attrs, lambda a: a.get("DisplayName") or None),
            "fifo_topic": _pick(attrs, lambda a: str(a.get("FifoTopic", "false")).lower() == "true"),
            "subscription": subscriptions,
        }, reads)


def _queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Queues(Collector):
    types = ("aws_sqs_queue",)
    service = "sqs"
    operations = (("sqs", "ListQueues"), ("sqs", "GetQueueAttributes"))

    def collect(self, ctx: Ctx) -> None:
        # Without MaxResults, ListQueues stops at 1,000 queues and gives no token for the rest.
        urls = ctx.paginate("sqs", "ListQueues", "QueueUrls", MaxResults=1000)
        ctx.each(urls, lambda url: self._queue(ctx, url))

    def _queue(self, ctx: Ctx, url: str) -> None:
        reads = ctx.reads("sqs")
        attrs = reads.get("GetQueueAttributes", lambda r: r.get("Attributes") or {}, QueueUrl=url,
                          AttributeNames=["All"])
        name = _queue_name(url)
        arn = attrs.get("QueueArn") if attrs is not UNKNOWN and attrs.get("QueueArn") else ctx.arn("sqs", name)
        ctx.emit("aws_sqs_queue", arn, {
            "name": name, "url": url, "id": url, "arn": arn,
            "kms_master_key_id": _pick(attrs, lambda a: a.get("KmsMasterKeyId") or None),
            "kms_data_key_reuse_period_seconds": _pick(attrs, lambda a: _int(a.get("KmsDataKeyReusePeriodSeconds"))),
            "sqs_managed_sse_enabled": _pick(attrs, lambda a: str(a.get("SqsManagedSseEnabled", "false")).lower() == "true"),
            "policy": _pick(attrs, lambda a: a.get("Policy")),
            "fifo_queue": _pick(attrs, lambda a: str(a.get("FifoQueue", "false")).lower() == "true"),
            "message_retention_seconds": _pick(attrs, lambda a: _int(a.get("MessageRetentionPeriod"))),
            "visibility_timeout_seconds": _pick(attrs, lambda a: _int(a.get("VisibilityTimeout"))),
            "redrive_policy": _pick(attrs, lambda a: a.get("RedrivePolicy")),
        }, reads)


class EventRules(Collector):
    """Rules on the default event bus — the only bus AWS services (GuardDuty, Security Hub) send
    their findings to, so the only place a rule can route them from."""

    types = ("aws_cloudwatch_event_rule",)
    service = "events"
    operations = (("events", "ListRules"), ("events", "ListTargetsByRule"))

    def collect(self, ctx: Ctx) -> None:
        rules = ctx.paginate("events", "ListRules", "Rules")
        ctx.each(rules, lambda rule: self._rule(ctx, rule))

    def _rule(self, ctx: Ctx, rule: dict[str, Any]) -> None:
        name = named(rule, "Name", "events", "ListRules")
        bus = rule.get("EventBusName") or "default"
        reads = ctx.reads("events")
        targets = reads.paginate("ListTargetsByRule", "Targets",
                                 lambda ts: [{"arn": t.get("Arn"), "target_id": t.get("Id")} for t in ts],
                                 Rule=name, EventBusName=bus)
        state = rule.get("State")
        arn = rule.get("Arn") or ctx.arn("events", f"rule/{name}")
        ctx.emit("aws_cloudwatch_event_rule", arn, {
            "name": name, "id": name, "arn": arn, "event_bus_name": bus,
            "event_pattern": rule.get("EventPattern"),
            "schedule_expression": rule.get("ScheduleExpression"),
            "state": state, "is_enabled": state != "DISABLED" if state else True,
            "role_arn": rule.get("RoleArn"), "managed_by": rule.get("ManagedBy"),
            "target": targets,
        }, reads)
