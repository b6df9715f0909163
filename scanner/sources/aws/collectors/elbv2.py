"""Elastic Load Balancing v2: load balancers (with their attributes, read per balancer) and their
listeners (listed per balancer)."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ....model import UNKNOWN
from ..collector import Collector, Ctx, named

_GONE = ("LoadBalancerNotFound", "LoadBalancerNotFoundException")


def _attributes(response: dict[str, Any]) -> dict[str, str]:
    return {a["Key"]: a.get("Value") for a in response.get("Attributes", []) if "Key" in a}


def _flag(attrs: Any, key: str) -> Any:
    """A "true"/"false" attribute as a boolean (absent: false, as the provider reads it)."""
    if attrs is UNKNOWN:
        return UNKNOWN
    return str(attrs.get(key, "false")).lower() == "true"


def _access_logs(attrs: Any) -> Any:
    if attrs is UNKNOWN:
        return UNKNOWN
    return [{"enabled": _flag(attrs, "access_logs.s3.enabled"),
             "bucket": attrs.get("access_logs.s3.bucket") or None,
             "prefix": attrs.get("access_logs.s3.prefix") or None}]


class LoadBalancers(Collector):
    # aws_alb is the provider's other name for aws_lb: rules list both, and every balancer is
    # emitted once, as aws_lb (so aws_alb is covered — never a "no collector" gap — and empty).
    types = ("aws_lb", "aws_alb")
    service = "elbv2"
    operations = (("elbv2", "DescribeLoadBalancers"), ("elbv2", "DescribeLoadBalancerAttributes"))

    def collect(self, ctx: Ctx) -> None:
        balancers = ctx.paginate("elbv2", "DescribeLoadBalancers", "LoadBalancers")
        ctx.each(balancers, lambda lb: self._balancer(ctx, lb))

    def _balancer(self, ctx: Ctx, lb: dict[str, Any]) -> None:
        arn = named(lb, "LoadBalancerArn", "elbv2", "DescribeLoadBalancers")
        reads = ctx.reads("elbv2")
        attrs = reads.get("DescribeLoadBalancerAttributes", _attributes, LoadBalancerArn=arn)
        ctx.emit("aws_lb", arn, {
            "arn": arn, "id": arn, "name": lb.get("LoadBalancerName"),
            "load_balancer_type": lb.get("Type"), "internal": lb.get("Scheme") == "internal",
            "dns_name": lb.get("DNSName"), "vpc_id": lb.get("VpcId"),
            "security_groups": lb.get("SecurityGroups", []),
            "subnets": [z["SubnetId"] for z in lb.get("AvailabilityZones", []) if z.get("SubnetId")],
            "drop_invalid_header_fields": _flag(attrs, "routing.http.drop_invalid_header_fields.enabled"),
            "access_logs": _access_logs(attrs),
            "enable_deletion_protection": _flag(attrs, "deletion_protection.enabled"),
        }, reads)


def _action(a: dict[str, Any]) -> dict[str, Any]:
    """One listener action as the provider's ``default_action`` block."""
    redirect = a.get("RedirectConfig")
    fixed = a.get("FixedResponseConfig")
    forward = a.get("ForwardConfig")
    return {
        "type": a.get("Type"),
        "order": a.get("Order"),
        "target_group_arn": a.get("TargetGroupArn"),
        "redirect": [{
            "protocol": redirect.get("Protocol"), "port": redirect.get("Port"), "host": redirect.get("Host"),
            "path": redirect.get("Path"), "query": redirect.get("Query"),
            "status_code": redirect.get("StatusCode"),
        }] if redirect else [],
        "fixed_response": [{
            "content_type": fixed.get("ContentType"), "status_code": fixed.get("StatusCode"),
        }] if fixed else [],
        "forward": [{
            "target_group": [{"arn": g.get("TargetGroupArn"), "weight": g.get("Weight")}
                             for g in forward.get("TargetGroups", [])],
        }] if forward else [],
    }


class Listeners(Collector):
    types = ("aws_lb_listener", "aws_alb_listener")  # emitted as aws_lb_listener (see LoadBalancers)
    service = "elbv2"
    operations = (("elbv2", "DescribeLoadBalancers"), ("elbv2", "DescribeListeners"))

    def collect(self, ctx: Ctx) -> None:
        balancers = ctx.paginate("elbv2", "DescribeLoadBalancers", "LoadBalancers")
        # A balancer's listeners are resources, not attributes: a failed listing cannot be an
        # UNKNOWN value, so it raises (the listener type becomes a gap for the region).
        ctx.each(balancers, lambda lb: self._listeners(
            ctx, named(lb, "LoadBalancerArn", "elbv2", "DescribeLoadBalancers")))

    def _listeners(self, ctx: Ctx, lb_arn: str) -> None:
        try:
            listeners = ctx.paginate("elbv2", "DescribeListeners", "Listeners", LoadBalancerArn=lb_arn)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _GONE:
                return  # deleted since it was listed
            raise
        for listener in listeners:
            arn = named(listener, "ListenerArn", "elbv2", "DescribeListeners")
            certificates = [c["CertificateArn"] for c in listener.get("Certificates", []) if c.get("CertificateArn")]
            ctx.emit("aws_lb_listener", arn, {
                "arn": arn, "id": arn, "load_balancer_arn": lb_arn,
                "protocol": listener.get("Protocol"), "port": listener.get("Port"),
                "ssl_policy": listener.get("SslPolicy"),
                "certificate_arn": certificates[0] if certificates else None,
                "alpn_policy": (listener.get("AlpnPolicy") or [None])[0],
                "default_action": [_action(a) for a in sorted(
                    listener.get("DefaultActions", []), key=lambda a: a.get("Order") or 0)],
            })
