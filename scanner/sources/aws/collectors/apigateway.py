"""API Gateway: REST APIs (endpoint types and resource policies; stages with their web ACL and
method settings, methods, custom domains) and HTTP / WebSocket APIs (stages, routes, custom
domains), in the Terraform provider's shapes.

A stage's ``methodSettings`` map becomes one ``aws_api_gateway_method_settings`` per method path,
as Terraform writes them.  Stages, methods and routes are resources, not attributes: a failed
listing of them raises (a gap for the type in that region), never an empty list.
"""
from __future__ import annotations

import json
from typing import Any

from ..collector import Collector, Ctx, Reads, named


def _arn(ctx: Ctx, path: str) -> str:
    """API Gateway ARNs name no account: ``arn:aws:apigateway:us-east-1::/restapis/a1b2/stages/prod``."""
    return f"arn:{ctx.partition}:apigateway:{ctx.region}::{path}"


def _access_logs(settings: Any, destination: str, fmt: str) -> list[dict[str, Any]]:
    """``access_log_settings``: one block when a destination is set, none otherwise."""
    if not isinstance(settings, dict) or not settings.get(destination):
        return []
    return [{"destination_arn": settings[destination], "format": settings.get(fmt)}]


def _rest_apis(ctx: Ctx) -> list[str]:
    return [named(api, "id", "apigateway", "GetRestApis") for api in ctx.paginate("apigateway", "GetRestApis", "items")]


def _resource_policy(policy: Any) -> Any:
    """A REST API's resource policy as JSON text.  API Gateway returns the document with its quotes
    backslash-escaped, as the body of a JSON string (the provider unescapes it the same way); text
    that is not such a body is passed on as given, for the policy functions to read what they can."""
    if not isinstance(policy, str):
        return policy
    try:
        return json.loads(f'"{policy}"')
    except ValueError:
        return policy


def _http_apis(ctx: Ctx) -> list[str]:
    return [named(api, "ApiId", "apigatewayv2", "GetApis") for api in ctx.paginate("apigatewayv2", "GetApis", "Items")]


#: A stage's ``methodSettings`` members as the provider's ``settings`` block.  The ones a rule
#: reads are required (an absent one is UNKNOWN, not "off"); the others are carried as given.
_SETTINGS_READ = {"caching_enabled": "cachingEnabled", "cache_data_encrypted": "cacheDataEncrypted",
                  "data_trace_enabled": "dataTraceEnabled"}
_SETTINGS_CARRIED = {"logging_level": "loggingLevel", "metrics_enabled": "metricsEnabled",
                     "throttling_burst_limit": "throttlingBurstLimit",
                     "throttling_rate_limit": "throttlingRateLimit",
                     "require_authorization_for_cache_control": "requireAuthorizationForCacheControl"}


class RestApis(Collector):
    types = ("aws_api_gateway_rest_api",)
    service = "apigateway"
    operations = (("apigateway", "GetRestApis"),)

    def collect(self, ctx: Ctx) -> None:
        for api in ctx.paginate("apigateway", "GetRestApis", "items"):
            api_id = named(api, "id", "apigateway", "GetRestApis")
            reads = Reads(None, "apigateway")
            arn = _arn(ctx, f"/restapis/{api_id}")
            endpoint = api.get("endpointConfiguration")
            ctx.emit("aws_api_gateway_rest_api", arn, {
                "id": api_id, "arn": arn, "name": api.get("name"),
                # Every API has an endpoint type: one AWS left out is not known, not "public".
                "endpoint_configuration": [{
                    "types": reads.member(endpoint, "types", "GetRestApis"),
                    "vpc_endpoint_ids": (endpoint.get("vpcEndpointIds") or []) if isinstance(endpoint, dict) else [],
                }],
                "policy": _resource_policy(api.get("policy")),  # absent: the API has no resource policy
                "disable_execute_api_endpoint": bool(api.get("disableExecuteApiEndpoint")),
            }, reads)


class RestApiStages(Collector):
    types = ("aws_api_gateway_stage", "aws_api_gateway_method_settings")
    service = "apigateway"
    operations = (("apigateway", "GetRestApis"), ("apigateway", "GetStages"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(_rest_apis(ctx), lambda api_id: self._stages(ctx, api_id))

    def _stages(self, ctx: Ctx, api_id: str) -> None:
        for stage in ctx.paginate("apigateway", "GetStages", "item", restApiId=api_id):
            name = named(stage, "stageName", "apigateway", "GetStages")
            arn = _arn(ctx, f"/restapis/{api_id}/stages/{name}")
            ctx.emit("aws_api_gateway_stage", arn, {
                "id": f"ags-{api_id}-{name}", "arn": arn, "rest_api_id": api_id, "stage_name": name,
                "deployment_id": stage.get("deploymentId"),
                "access_log_settings": _access_logs(stage.get("accessLogSettings"), "destinationArn", "format"),
                "cache_cluster_enabled": bool(stage.get("cacheClusterEnabled")),
                "client_certificate_id": stage.get("clientCertificateId"),
                "xray_tracing_enabled": bool(stage.get("tracingEnabled")),
                "web_acl_arn": stage.get("webAclArn"),  # absent: no web ACL protects the stage
                # The block a plan's aws_wafv2_web_acl_association folds into (policies/types.yaml).
                "web_acl_association": [{"web_acl_arn": stage["webAclArn"]}] if stage.get("webAclArn") else [],
                "variables": stage.get("variables") or {},
            })
            for path, settings in sorted((stage.get("methodSettings") or {}).items()):
                reads = Reads(None, "apigateway")
                block = {tf: reads.member(settings, aws, "GetStages") for tf, aws in _SETTINGS_READ.items()}
                block.update({tf: settings.get(aws) for tf, aws in _SETTINGS_CARRIED.items()})
                ctx.emit("aws_api_gateway_method_settings", f"{arn}/settings/{path}", {
                    "id": f"{api_id}-{name}-{path}", "rest_api_id": api_id, "stage_name": name,
                    "method_path": path, "settings": [block],
                }, reads)


class RestApiMethods(Collector):
    types = ("aws_api_gateway_method",)
    service = "apigateway"
    operations = (("apigateway", "GetRestApis"), ("apigateway", "GetResources"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(_rest_apis(ctx), lambda api_id: self._methods(ctx, api_id))

    def _methods(self, ctx: Ctx, api_id: str) -> None:
        # embed=methods returns each method's configuration with the resource (one call per API).
        for resource in ctx.paginate("apigateway", "GetResources", "items", restApiId=api_id, embed=["methods"]):
            resource_id = named(resource, "id", "apigateway", "GetResources")
            for verb, method in sorted((resource.get("resourceMethods") or {}).items()):
                reads = Reads(None, "apigateway")
                ctx.emit("aws_api_gateway_method",
                         _arn(ctx, f"/restapis/{api_id}/resources/{resource_id}/methods/{verb}"), {
                             "id": f"agm-{api_id}-{resource_id}-{verb}", "rest_api_id": api_id,
                             "resource_id": resource_id, "http_method": verb,
                             "authorization": reads.member(method, "authorizationType", "GetResources"),
                             "authorizer_id": method.get("authorizerId"),
                             "authorization_scopes": method.get("authorizationScopes") or [],
                             "api_key_required": bool(method.get("apiKeyRequired")),
                             "path": resource.get("path"),
                         }, reads)


class RestApiDomainNames(Collector):
    types = ("aws_api_gateway_domain_name",)
    service = "apigateway"
    operations = (("apigateway", "GetDomainNames"),)

    def collect(self, ctx: Ctx) -> None:
        for domain in ctx.paginate("apigateway", "GetDomainNames", "items"):
            name = named(domain, "domainName", "apigateway", "GetDomainNames")
            reads = Reads(None, "apigateway")
            arn = domain.get("domainNameArn") or _arn(ctx, f"/domainnames/{name}")
            ctx.emit("aws_api_gateway_domain_name", arn, {
                "id": name, "arn": arn, "domain_name": name,
                "security_policy": reads.member(domain, "securityPolicy", "GetDomainNames"),
                "certificate_arn": domain.get("certificateArn"),
                "regional_certificate_arn": domain.get("regionalCertificateArn"),
                "endpoint_configuration": [{"types": (domain.get("endpointConfiguration") or {}).get("types") or []}],
            }, reads)


class HttpApiStages(Collector):
    types = ("aws_apigatewayv2_stage",)
    service = "apigatewayv2"
    operations = (("apigatewayv2", "GetApis"), ("apigatewayv2", "GetStages"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(_http_apis(ctx), lambda api_id: self._stages(ctx, api_id))

    def _stages(self, ctx: Ctx, api_id: str) -> None:
        for stage in ctx.paginate("apigatewayv2", "GetStages", "Items", ApiId=api_id):
            name = named(stage, "StageName", "apigatewayv2", "GetStages")
            arn = _arn(ctx, f"/apis/{api_id}/stages/{name}")
            route = stage.get("DefaultRouteSettings") or {}
            ctx.emit("aws_apigatewayv2_stage", arn, {
                "id": name, "arn": arn, "api_id": api_id, "name": name,
                "deployment_id": stage.get("DeploymentId"), "auto_deploy": bool(stage.get("AutoDeploy")),
                "access_log_settings": _access_logs(stage.get("AccessLogSettings"), "DestinationArn", "Format"),
                "client_certificate_id": stage.get("ClientCertificateId"),
                "default_route_settings": [{
                    "data_trace_enabled": route.get("DataTraceEnabled"),
                    "detailed_metrics_enabled": route.get("DetailedMetricsEnabled"),
                    "logging_level": route.get("LoggingLevel"),
                    "throttling_burst_limit": route.get("ThrottlingBurstLimit"),
                    "throttling_rate_limit": route.get("ThrottlingRateLimit"),
                }] if route else [],
                "stage_variables": stage.get("StageVariables") or {},
            })


class HttpApiRoutes(Collector):
    types = ("aws_apigatewayv2_route",)
    service = "apigatewayv2"
    operations = (("apigatewayv2", "GetApis"), ("apigatewayv2", "GetRoutes"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(_http_apis(ctx), lambda api_id: self._routes(ctx, api_id))

    def _routes(self, ctx: Ctx, api_id: str) -> None:
        for route in ctx.paginate("apigatewayv2", "GetRoutes", "Items", ApiId=api_id):
            route_id = named(route, "RouteId", "apigatewayv2", "GetRoutes")
            reads = Reads(None, "apigatewayv2")
            ctx.emit("aws_apigatewayv2_route", _arn(ctx, f"/apis/{api_id}/routes/{route_id}"), {
                "id": route_id, "api_id": api_id,
                "route_key": reads.member(route, "RouteKey", "GetRoutes"),
                "authorization_type": reads.member(route, "AuthorizationType", "GetRoutes"),
                "authorizer_id": route.get("AuthorizerId"),
                "authorization_scopes": route.get("AuthorizationScopes") or [],
                "api_key_required": bool(route.get("ApiKeyRequired")),
                "target": route.get("Target"),
            }, reads)


class HttpApiDomainNames(Collector):
    types = ("aws_apigatewayv2_domain_name",)
    service = "apigatewayv2"
    operations = (("apigatewayv2", "GetDomainNames"),)

    def collect(self, ctx: Ctx) -> None:
        for domain in ctx.paginate("apigatewayv2", "GetDomainNames", "Items"):
            name = named(domain, "DomainName", "apigatewayv2", "GetDomainNames")
            reads = Reads(None, "apigatewayv2")
            configs = domain.get("DomainNameConfigurations") or []
            arn = domain.get("DomainNameArn") or _arn(ctx, f"/domainnames/{name}")
            ctx.emit("aws_apigatewayv2_domain_name", arn, {
                "id": name, "arn": arn, "domain_name": name,
                # An absent SecurityPolicy is not "TLS 1.0": it is not known.
                "domain_name_configuration": [{
                    "certificate_arn": c.get("CertificateArn"), "endpoint_type": c.get("EndpointType"),
                    "security_policy": reads.member(c, "SecurityPolicy", "GetDomainNames"),
                } for c in configs] if configs else reads.member(domain, "DomainNameConfigurations", "GetDomainNames"),
            }, reads)
