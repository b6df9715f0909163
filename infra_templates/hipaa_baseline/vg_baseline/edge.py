"""The internet-facing Application Load Balancer: HTTPS with a TLS 1.2+ policy, HTTP redirected
to HTTPS, invalid headers dropped, access logs to the log bucket, deletion protection.  The
certificate is either given (``certificateArn``) or requested from ACM and validated in a Route 53
zone the account owns (``domainName`` + ``hostedZoneId``)."""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .common import Stack
from .network import Network

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
WEAK_TLS_POLICY = "ELBSecurityPolicy-2016-08"


@dataclass(frozen=True)
class Edge:
    load_balancer: aws.lb.LoadBalancer
    certificate_arn: pulumi.Output[str]


def _certificate(stack: Stack) -> pulumi.Output[str]:
    s = stack.settings
    if s.certificate_arn:
        return pulumi.Output.from_input(s.certificate_arn)
    certificate = aws.acm.Certificate("certificate", domain_name=s.domain_name,
                                      validation_method="DNS",
                                      options={"certificate_transparency_logging_preference": "ENABLED"},
                                      opts=stack.opts())
    option = certificate.domain_validation_options[0]
    record = aws.route53.Record("certificate-validation-record", zone_id=s.hosted_zone_id,
                                name=option.resource_record_name, type=option.resource_record_type,
                                records=[option.resource_record_value], ttl=300,
                                allow_overwrite=True, opts=stack.opts())
    validation = aws.acm.CertificateValidation("certificate-validation",
                                               certificate_arn=certificate.arn,
                                               validation_record_fqdns=[record.fqdn],
                                               opts=stack.opts())
    return validation.certificate_arn


def build(stack: Stack, network: Network, log_bucket: aws.s3.Bucket,
          log_bucket_policy: aws.s3.BucketPolicy) -> Edge:
    s = stack.settings
    certificate_arn = _certificate(stack)
    alb = aws.lb.LoadBalancer(
        "alb",
        name=stack.name("alb"),
        load_balancer_type="application",
        internal=False,
        subnets=[subnet.id for subnet in network.public_subnets],
        security_groups=[network.alb_sg.id],
        drop_invalid_header_fields=stack.hardened("invalid-headers"),
        desync_mitigation_mode="strictest",
        enable_deletion_protection=stack.hardened("deletion-protection"),
        access_logs={"bucket": log_bucket.id, "prefix": "alb", "enabled": stack.hardened("alb-logs")},
        opts=stack.opts(depends_on=[log_bucket_policy]),
    )
    targets = aws.lb.TargetGroup(
        "app-targets",
        name=stack.name("app"),
        vpc_id=network.vpc.id,
        target_type="ip",
        protocol="HTTPS",
        port=s.app_port,
        health_check={"protocol": "HTTPS", "path": "/health", "matcher": "200"},
        opts=stack.opts(),
    )
    aws.lb.Listener(
        "https",
        load_balancer_arn=alb.arn,
        port=443,
        protocol="HTTPS",
        ssl_policy=TLS_POLICY if stack.hardened("tls-policy") else WEAK_TLS_POLICY,
        certificate_arn=certificate_arn,
        default_actions=[{"type": "forward", "target_group_arn": targets.arn}],
        opts=stack.opts(),
    )
    if stack.hardened("https-redirect"):
        http_action = {"type": "redirect",
                       "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}
    else:
        http_action = {"type": "forward", "target_group_arn": targets.arn}
    aws.lb.Listener("http", load_balancer_arn=alb.arn, port=80, protocol="HTTP",
                    default_actions=[http_action], opts=stack.opts())
    return Edge(alb, certificate_arn)
