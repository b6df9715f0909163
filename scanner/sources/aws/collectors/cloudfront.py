"""CloudFront distributions (global), from the distribution summaries of ListDistributions."""
from __future__ import annotations

from typing import Any

from ..collector import Collector, Ctx, named


def _behavior(b: dict[str, Any]) -> dict[str, Any]:
    """A cache behavior as the provider's ``default_cache_behavior`` / ``ordered_cache_behavior``."""
    methods = b.get("AllowedMethods") or {}
    cached = methods.get("CachedMethods") or {}
    return {
        "path_pattern": b.get("PathPattern"),
        "target_origin_id": b.get("TargetOriginId"),
        "viewer_protocol_policy": b.get("ViewerProtocolPolicy"),
        "allowed_methods": (methods.get("Items") or []),
        "cached_methods": (cached.get("Items") or []),
        "compress": bool(b.get("Compress")),
        "cache_policy_id": b.get("CachePolicyId") or None,
        "origin_request_policy_id": b.get("OriginRequestPolicyId") or None,
        "response_headers_policy_id": b.get("ResponseHeadersPolicyId") or None,
        "field_level_encryption_id": b.get("FieldLevelEncryptionId") or None,
    }


def _certificate(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "cloudfront_default_certificate": bool(c.get("CloudFrontDefaultCertificate")),
        "acm_certificate_arn": c.get("ACMCertificateArn") or None,
        "iam_certificate_id": c.get("IAMCertificateId") or None,
        "minimum_protocol_version": c.get("MinimumProtocolVersion") or None,
        "ssl_support_method": c.get("SSLSupportMethod") or None,
    }


class Distributions(Collector):
    types = ("aws_cloudfront_distribution",)
    service = "cloudfront"
    global_ = True
    operations = (("cloudfront", "ListDistributions"),)

    def collect(self, ctx: Ctx) -> None:
        pages = ctx.pages("cloudfront", "ListDistributions")
        for page in pages:
            for dist in (page.get("DistributionList") or {}).get("Items") or []:
                default = dist.get("DefaultCacheBehavior")
                ordered = (dist.get("CacheBehaviors") or {}).get("Items") or []
                restrictions = ((dist.get("Restrictions") or {}).get("GeoRestriction") or {})
                arn = named(dist, "ARN", "cloudfront", "ListDistributions")
                ctx.emit("aws_cloudfront_distribution", arn, {
                    "arn": arn, "id": dist.get("Id"), "domain_name": dist.get("DomainName"),
                    "enabled": bool(dist.get("Enabled")), "status": dist.get("Status"),
                    "aliases": (dist.get("Aliases") or {}).get("Items") or [],
                    "http_version": dist.get("HttpVersion"), "price_class": dist.get("PriceClass"),
                    "web_acl_id": dist.get("WebACLId") or None,
                    "default_cache_behavior": [_behavior(default)] if default else [],
                    "ordered_cache_behavior": [_behavior(b) for b in ordered],
                    "viewer_certificate": [_certificate(dist["ViewerCertificate"])]
                    if dist.get("ViewerCertificate") else [],
                    "restrictions": [{"geo_restriction": [{
                        "restriction_type": restrictions.get("RestrictionType"),
                        "locations": restrictions.get("Items") or [],
                    }]}] if restrictions else [],
                })
