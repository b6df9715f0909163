"""Classic Load Balancers (``elb``): the balancers with their listeners and access-log attribute, and
their policies — the SSL negotiation policies among them decide which TLS versions HTTPS/SSL
listeners accept.  (Application and Network Load Balancers are in elbv2.py.)"""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..collector import Collector, Ctx, Reads, named

_GONE = ("LoadBalancerNotFound", "AccessPointNotFound")


def _balancers(ctx: Ctx) -> list[dict[str, Any]]:
    return ctx.paginate("elb", "DescribeLoadBalancers", "LoadBalancerDescriptions")


def _access_logs(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``AccessLog`` attribute as the provider's ``access_logs`` block; AWS always returns it
    (with Enabled false when off), so its absence is an unexpected response, not "off"."""
    log = response["LoadBalancerAttributes"]["AccessLog"]
    return [{"enabled": bool(log["Enabled"]), "bucket": log.get("S3BucketName"),
             "bucket_prefix": log.get("S3BucketPrefix"), "interval": log.get("EmitInterval")}]


def _listener(description: dict[str, Any]) -> dict[str, Any]:
    listener = description.get("Listener") or {}
    return {"lb_protocol": listener.get("Protocol"), "lb_port": listener.get("LoadBalancerPort"),
            "instance_protocol": listener.get("InstanceProtocol"), "instance_port": listener.get("InstancePort"),
            "ssl_certificate_id": listener.get("SSLCertificateId")}


class ClassicLoadBalancers(Collector):
    types = ("aws_elb",)
    service = "elb"
    operations = (("elb", "DescribeLoadBalancers"), ("elb", "DescribeLoadBalancerAttributes"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(_balancers(ctx), lambda lb: self._balancer(ctx, lb))

    def _balancer(self, ctx: Ctx, lb: dict[str, Any]) -> None:
        name = named(lb, "LoadBalancerName", "elb", "DescribeLoadBalancers")
        reads = ctx.reads("elb")
        descriptions = lb.get("ListenerDescriptions")
        arn = ctx.arn("elasticloadbalancing", f"loadbalancer/{name}")
        ctx.emit("aws_elb", arn, {
            "id": name, "name": name, "arn": arn, "dns_name": lb.get("DNSName"),
            "internal": lb.get("Scheme") == "internal",
            "listener": [_listener(d) for d in descriptions] if descriptions is not None
            else reads.member(lb, "ListenerDescriptions", "DescribeLoadBalancers"),
            "access_logs": reads.get("DescribeLoadBalancerAttributes", _access_logs, LoadBalancerName=name),
            "security_groups": lb.get("SecurityGroups") or [],
            "subnets": lb.get("Subnets") or [],
        }, reads)


class ClassicLoadBalancerPolicies(Collector):
    types = ("aws_load_balancer_policy",)
    service = "elb"
    operations = (("elb", "DescribeLoadBalancers"), ("elb", "DescribeLoadBalancerPolicies"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each([named(lb, "LoadBalancerName", "elb", "DescribeLoadBalancers") for lb in _balancers(ctx)],
                 lambda name: self._policies(ctx, name))

    def _policies(self, ctx: Ctx, lb_name: str) -> None:
        # A balancer's policies are resources: a failed listing raises (a gap), never "none".
        try:
            policies = ctx.paginate("elb", "DescribeLoadBalancerPolicies", "PolicyDescriptions",
                                    LoadBalancerName=lb_name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _GONE:
                return  # deleted since it was listed
            raise
        for policy in policies:
            name = named(policy, "PolicyName", "elb", "DescribeLoadBalancerPolicies")
            reads = Reads(None, "elb")
            attributes = reads.member(policy, "PolicyAttributeDescriptions", "DescribeLoadBalancerPolicies")
            ctx.emit("aws_load_balancer_policy",
                     ctx.arn("elasticloadbalancing", f"loadbalancer/{lb_name}/policy/{name}"), {
                         "id": f"{lb_name}:{name}", "load_balancer_name": lb_name, "policy_name": name,
                         "policy_type_name": policy.get("PolicyTypeName"),
                         # Left out, the attributes (and so the protocols) are not known.
                         "policy_attribute": attributes if not isinstance(attributes, list) else [
                             {"name": a.get("AttributeName"), "value": a.get("AttributeValue")} for a in attributes],
                     }, reads)
