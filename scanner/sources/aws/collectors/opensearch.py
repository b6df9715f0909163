"""OpenSearch Service domains, described five at a time.

Domains running the OpenSearch engine are ``aws_opensearch_domain``; those still on an
Elasticsearch engine are ``aws_elasticsearch_domain`` (same blocks, ``elasticsearch_version``
instead of ``engine_version``), as the provider manages them — and as the rules, which read both
types, expect: without a collector for the second type every scan would report it unread.
"""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, named

#: DescribeDomains takes at most five names per call.
BATCH = 5


def _block(options: dict[str, Any] | None, **fields: str) -> list[dict[str, Any]]:
    """An options object as a one-element Terraform block; [] when AWS returns none."""
    if not options:
        return []
    return [{name: options.get(key) for name, key in fields.items()}]


def _domain_attributes(d: dict[str, Any]) -> dict[str, Any]:
    vpc = d.get("VPCOptions") or {}
    endpoint = d.get("DomainEndpointOptions") or {}
    cluster = d.get("ClusterConfig") or {}
    return {
        "engine_version": d.get("EngineVersion"),
        "endpoint": d.get("Endpoint") or (d.get("Endpoints") or {}).get("vpc"),
        "encrypt_at_rest": _block(d.get("EncryptionAtRestOptions"), enabled="Enabled", kms_key_id="KmsKeyId"),
        "node_to_node_encryption": _block(d.get("NodeToNodeEncryptionOptions"), enabled="Enabled"),
        "domain_endpoint_options": [{
            "enforce_https": endpoint.get("EnforceHTTPS"),
            "tls_security_policy": endpoint.get("TLSSecurityPolicy"),
            "custom_endpoint_enabled": endpoint.get("CustomEndpointEnabled"),
            "custom_endpoint": endpoint.get("CustomEndpoint"),
        }] if endpoint else [],
        "vpc_options": [{
            "subnet_ids": vpc.get("SubnetIds") or [],
            "security_group_ids": vpc.get("SecurityGroupIds") or [],
            "vpc_id": vpc.get("VPCId"),
            "availability_zones": vpc.get("AvailabilityZones") or [],
        }] if vpc else [],
        "access_policies": d.get("AccessPolicies") or None,
        "advanced_security_options": _block(d.get("AdvancedSecurityOptions"), enabled="Enabled",
                                            internal_user_database_enabled="InternalUserDatabaseEnabled",
                                            anonymous_auth_enabled="AnonymousAuthEnabled"),
        "cluster_config": [{
            "instance_type": cluster.get("InstanceType"),
            "instance_count": cluster.get("InstanceCount"),
            "dedicated_master_enabled": cluster.get("DedicatedMasterEnabled"),
            "zone_awareness_enabled": cluster.get("ZoneAwarenessEnabled"),
        }] if cluster else [],
    }


#: What a domain is when its DescribeDomains batch could not be read.
_UNREAD = {key: UNKNOWN for key in _domain_attributes({})}


def _type(engine_type: Any, version: Any) -> str:
    elastic = engine_type == "Elasticsearch" or str(version or "").startswith("Elasticsearch_")
    return "aws_elasticsearch_domain" if elastic else "aws_opensearch_domain"


class Domains(Collector):
    types = ("aws_opensearch_domain", "aws_elasticsearch_domain")
    service = "opensearch"
    operations = (("opensearch", "ListDomainNames"), ("opensearch", "DescribeDomains"))

    def collect(self, ctx: Ctx) -> None:
        listed = {named(d, "DomainName", "opensearch", "ListDomainNames"): d.get("EngineType")
                  for d in ctx.paginate("opensearch", "ListDomainNames", "DomainNames")}
        names = list(listed)
        batches = [names[i:i + BATCH] for i in range(0, len(names), BATCH)]
        ctx.each(batches, lambda batch: self._batch(ctx, batch, listed))

    def _batch(self, ctx: Ctx, names: list[str], engines: dict[str, Any]) -> None:
        reads = ctx.reads("opensearch")
        found = reads.get("DescribeDomains", lambda r: {d["DomainName"]: d for d in r.get("DomainStatusList", [])},
                          DomainNames=names)
        for name in names:
            if found is UNKNOWN:
                arn = ctx.arn("es", f"domain/{name}")
                ctx.emit(_type(engines.get(name), None), arn, {"domain_name": name, "arn": arn, **_UNREAD}, reads)
                continue
            domain = found.get(name)
            if domain is None:
                continue  # deleted since it was listed
            arn = domain.get("ARN") or ctx.arn("es", f"domain/{name}")
            rtype = _type(engines.get(name), domain.get("EngineVersion"))
            attributes = {"domain_name": name, "arn": arn, "domain_id": domain.get("DomainId"),
                          **_domain_attributes(domain)}
            if rtype == "aws_elasticsearch_domain":
                version = attributes.pop("engine_version")
                attributes["elasticsearch_version"] = str(version or "").removeprefix("Elasticsearch_") or None
            ctx.emit(rtype, arn, attributes, reads)
