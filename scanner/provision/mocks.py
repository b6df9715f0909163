"""The reference program under Pulumi's mocks, recorded as a ``pulumi stack export`` document:
what the offline proof scans.

No CLI, no cloud and no credentials: the program runs under ``pulumi.runtime.set_mocks`` as a
preview (values that exist only after deployment stay unknown), the mocks answer as AWS would, and
every resource it registers is recorded in the shape of ``pulumi stack export``.  This is Pulumi
runtime plumbing only, kept apart from the scan (`check`) so that the document can be had on its own.
"""
from __future__ import annotations

import asyncio
import hashlib
import sys
import threading
import uuid
from datetime import datetime, timezone
from functools import cache
from typing import Any, Callable, Iterable, Mapping

from ..errors import InputError
from .templates import NAMESPACE, installed_version, parse_config, project_name, run_program, template_dir

#: The account, partition and region the mocks answer with (AWS's documentation account).
MOCK_ACCOUNT = "123456789012"
MOCK_PARTITION = "aws"
MOCK_STACK = "check"

#: Values a deployment must supply that have no safe default; `check` fills them with these
#: examples (a user's own --config wins) so that the proof covers every part of the stack.
CHECK_EXAMPLE_CONFIG = {
    "vendorguard:alertEmail": "security-alerts@example.com",
    "vendorguard:domainName": "billing.example.com",
    "vendorguard:hostedZoneId": "Z0EXAMPLE0000000000",
    "vendorguard:auditorAccountId": "111122223333",
    "vendorguard:auditorExternalId": "example-practice-audit-2024",
}

_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

#: ELB log-delivery accounts (the regions that have one; newer regions use the service principal).
_ELB_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "ca-central-1": "985666609251", "eu-west-1": "156460612806",
    "eu-west-2": "652711504416", "eu-central-1": "054676820928", "ap-southeast-2": "783225319266",
}

#: Resources with prefixed ids: token → (id prefix, ARN service, ARN resource type).
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": ("vpc", "ec2", "vpc"),
    "aws:ec2/subnet:Subnet": ("subnet", "ec2", "subnet"),
    "aws:ec2/securityGroup:SecurityGroup": ("sg", "ec2", "security-group"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("sg", "ec2", "security-group"),
    "aws:ec2/networkAcl:NetworkAcl": ("acl", "ec2", "network-acl"),
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": ("acl", "ec2", "network-acl"),
    "aws:ec2/routeTable:RouteTable": ("rtb", "ec2", "route-table"),
    "aws:ec2/defaultRouteTable:DefaultRouteTable": ("rtb", "ec2", "route-table"),
    "aws:ec2/internetGateway:InternetGateway": ("igw", "ec2", "internet-gateway"),
    "aws:ec2/natGateway:NatGateway": ("nat", "ec2", "natgateway"),
    "aws:ec2/eip:Eip": ("eipalloc", "ec2", "elastic-ip"),
    "aws:ec2/flowLog:FlowLog": ("fl", "ec2", "vpc-flow-log"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("rtbassoc", "ec2", "route-table-association"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("sgr", "ec2", "security-group-rule"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("sgr", "ec2", "security-group-rule"),
    "aws:ssm/patchBaseline:PatchBaseline": ("pb", "ssm", "patchbaseline"),
    "aws:ssm/maintenanceWindow:MaintenanceWindow": ("mw", "ssm", "maintenancewindow"),
}


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _uuid(*parts: str) -> str:
    return str(uuid.UUID(_hex(*parts, length=32)))


@cache
def _resource_class(token: str) -> Any:
    """The pulumi-aws class for a type token (through pulumi-aws's own module registry)."""
    from pulumi.runtime.rpc import get_resource_module

    pkg, mod, _name = token.split(":")
    module = get_resource_module(pkg, mod, "")
    info = getattr(module, "mod_info", None)
    if not info or token not in info.get("classes", {}):
        return None
    import importlib

    return getattr(importlib.import_module(info["fqn"]), info["classes"][token], None)


def _pulumi_names(cls: type) -> set[str]:
    names = set()
    for klass in cls.__mro__:
        for value in vars(klass).values():
            if isinstance(value, property):
                name = getattr(value.fget, "_pulumi_name", None)
                if name:
                    names.add(name)
    return names


@cache
def _schema(token: str) -> tuple[frozenset[str], frozenset[str]]:
    """(every output property, the output properties that are not inputs) of a resource type."""
    cls = _resource_class(token)
    if cls is None:
        return frozenset(), frozenset()
    outputs = _pulumi_names(cls)
    args = getattr(sys.modules[cls.__module__], f"{cls.__name__}Args", None)
    inputs = _pulumi_names(args) if args is not None else set()
    return frozenset(outputs), frozenset(outputs - inputs - {"id", "urn"})


class _Mocks:
    """Answers the program's resource registrations and invokes as AWS would at preview time:
    realistic ids and ARNs, inputs echoed, defaults (names, region) filled in; every other output
    that exists only once the resource does is left unknown."""

    def __init__(self, account: str, region: str, partition: str) -> None:
        self.account, self.region, self.partition = account, region, partition

    def _arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (f"arn:{self.partition}:{service}:{self.region if region else ''}:"
                f"{self.account if account else ''}:{resource}")

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        token, logical, inputs = args.typ, args.name, dict(args.inputs)
        if token.startswith("pulumi:providers:"):
            return f"{_uuid(token, logical)}", inputs
        outputs, _ = _schema(token)
        state = dict(inputs)
        cls = _resource_class(token)
        args_cls = getattr(sys.modules[cls.__module__], f"{cls.__name__}Args", None) if cls else None
        settable = _pulumi_names(args_cls) if args_cls else set()
        if "name" in settable and not state.get("name") and "namePrefix" not in state:
            state["name"] = f"{logical}-{_hex(token, logical, length=7)}"  # Pulumi's auto-naming
        if "region" in outputs and not state.get("region"):
            state["region"] = self.region
        rid, extra = self._identity(token, logical, state)
        state.update({k: v for k, v in extra.items() if k in outputs})
        return rid, state

    def _identity(self, token: str, logical: str, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The physical id and the identifying outputs (ARN and the like) of a new resource."""
        name = state.get("name") or logical
        short = _hex(token, logical)
        service = token.split(":")[1].split("/")[0]
        if token in _ID_PREFIX:
            prefix, arn_service, arn_type = _ID_PREFIX[token]
            rid = f"{prefix}-{short}"
            extra: dict[str, Any] = {"arn": self._arn(arn_service, f"{arn_type}/{rid}")}
            if token == "aws:ec2/vpc:Vpc":
                extra.update(defaultNetworkAclId=f"acl-{_hex(short, 'acl')}",
                             defaultRouteTableId=f"rtb-{_hex(short, 'rtb')}",
                             defaultSecurityGroupId=f"sg-{_hex(short, 'sg')}",
                             mainRouteTableId=f"rtb-{_hex(short, 'rtb')}", ownerId=self.account)
            return rid, extra
        if token == "aws:kms/key:Key":
            key_id = _uuid(token, logical)
            return key_id, {"keyId": key_id, "arn": self._arn("kms", f"key/{key_id}")}
        if token == "aws:kms/alias:Alias":
            return name, {"arn": self._arn("kms", name)}
        if token == "aws:s3/bucket:Bucket":
            bucket = state.get("bucket") or f"{logical}-{_hex(logical, length=12)}"
            return bucket, {"bucket": bucket, "arn": f"arn:{self.partition}:s3:::{bucket}"}
        if token.startswith("aws:s3/") and state.get("bucket"):
            return str(state["bucket"]), {}
        if token in ("aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile", "aws:iam/policy:Policy"):
            kind = {"aws:iam/role:Role": "role", "aws:iam/policy:Policy": "policy"}.get(token, "instance-profile")
            return name, {"arn": self._arn("iam", f"{kind}/{name}", region=False)}
        if token == "aws:cloudwatch/logGroup:LogGroup":
            return name, {"arn": self._arn("logs", f"log-group:{name}")}
        if token == "aws:sns/topic:Topic":
            arn = self._arn("sns", name)
            return arn, {"arn": arn}
        if token == "aws:sns/topicSubscription:TopicSubscription":
            arn = f"{state.get('topic', self._arn('sns', 'topic'))}:{_uuid(token, logical)}"
            return arn, {"arn": arn}
        if token == "aws:cloudwatch/eventRule:EventRule":
            return name, {"arn": self._arn("events", f"rule/{name}")}
        if token == "aws:cloudwatch/metricAlarm:MetricAlarm":
            return name, {"arn": self._arn("cloudwatch", f"alarm:{name}")}
        if token == "aws:lb/loadBalancer:LoadBalancer":
            arn = self._arn("elasticloadbalancing", f"loadbalancer/app/{name}/{_hex(token, logical, length=16)}")
            return arn, {"arn": arn, "arnSuffix": arn.split(":loadbalancer/", 1)[1]}
        if token == "aws:lb/targetGroup:TargetGroup":
            arn = self._arn("elasticloadbalancing", f"targetgroup/{name}/{_hex(token, logical, length=16)}")
            return arn, {"arn": arn}
        if token == "aws:lb/listener:Listener":
            arn = self._arn("elasticloadbalancing", f"listener/app/{logical}/{_hex(token, logical, length=16)}")
            return arn, {"arn": arn}
        if token == "aws:acm/certificate:Certificate":
            arn = self._arn("acm", f"certificate/{_uuid(token, logical)}")
            return arn, {"arn": arn}
        if token == "aws:acm/certificateValidation:CertificateValidation":
            return str(state.get("certificateArn") or _uuid(token, logical)), {}
        if token == "aws:rds/instance:Instance":
            identifier = state.get("identifier") or name
            return identifier, {"arn": self._arn("rds", f"db:{identifier}"), "identifier": identifier}
        if token in ("aws:rds/parameterGroup:ParameterGroup", "aws:rds/subnetGroup:SubnetGroup"):
            kind = "pg" if "parameter" in token else "subgrp"
            return name, {"arn": self._arn("rds", f"{kind}:{name}")}
        if token == "aws:guardduty/detector:Detector":
            detector = _hex(token, logical, length=32)
            return detector, {"arn": self._arn("guardduty", f"detector/{detector}"), "accountId": self.account}
        if token == "aws:backup/vault:Vault":
            return name, {"arn": self._arn("backup", f"backup-vault:{name}")}
        if token == "aws:backup/plan:Plan":
            plan = _uuid(token, logical)
            return plan, {"arn": self._arn("backup", f"backup-plan:{plan}")}
        if token == "aws:cloudtrail/trail:Trail":
            return name, {"arn": self._arn("cloudtrail", f"trail/{name}")}
        if token in ("aws:cfg/recorder:Recorder", "aws:cfg/deliveryChannel:DeliveryChannel",
                     "aws:cfg/recorderStatus:RecorderStatus"):
            return name, {}
        if token == "aws:securityhub/account:Account":
            return self.account, {"arn": self._arn("securityhub", "hub/default")}
        if token in ("aws:macie2/account:Account", "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
                     "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
                     "aws:ebs/encryptionByDefault:EncryptionByDefault"):
            return self.account, {}
        if token == "aws:inspector2/enabler:Enabler":
            return f"{self.account}-{'-'.join(state.get('resourceTypes') or [])}", {}
        return f"{logical}-{short}", {"arn": self._arn(service, f"{logical}/{short}")}

    def call(self, args: Any) -> dict[str, Any]:
        token = args.token
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": self.account, "id": self.account, "userId": "AIDAEXAMPLEVENDORGUARD",
                    "arn": f"arn:{self.partition}:iam::{self.account}:user/vendorguard-check"}
        if token == "aws:index/getPartition:getPartition":
            return {"partition": self.partition, "id": self.partition, "dnsSuffix": "amazonaws.com",
                    "reverseDnsPrefix": "com.amazonaws"}
        if token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region,
                    "endpoint": f"ec2.{self.region}.amazonaws.com", "description": self.region}
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            names = [f"{self.region}{z}" for z in "abcd"]
            return {"names": names, "zoneIds": [f"use1-az{i + 1}" for i in range(4)], "id": self.region,
                    "groupNames": [self.region] * 4, "state": "available"}
        if token == "aws:elb/getServiceAccount:getServiceAccount":
            elb = _ELB_ACCOUNTS.get(self.region, "127311923021")
            return {"id": elb, "arn": f"arn:{self.partition}:iam::{elb}:root", "region": self.region}
        raise InputError("provision check", f"the program calls {token}, which the offline check "
                                            "cannot answer (add it to scanner/provision/mocks.py)")

    def register_transform(self, transform: Any) -> None:
        """Transforms are not run under mocks (the program registers none)."""

    def register_invoke_transform(self, transform: Any) -> None:
        """As for `register_transform`."""


def _plain(value: Any) -> Any:
    """Protobuf Struct values as JSON values: whole numbers back to ints, as the engine writes them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _recording_monitor(mocks: _Mocks) -> Any:
    """A MockMonitor that also records each registration as a ``pulumi stack export`` resource."""
    from google.protobuf import json_format
    from pulumi.runtime.mocks import MockMonitor

    class RecordingMonitor(MockMonitor):
        def __init__(self) -> None:
            super().__init__(mocks)
            self.records: list[dict[str, Any]] = []

        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
            response = super().RegisterResource(request)
            urn = self.make_urn(request.parent, request.type, request.name)
            inputs = _plain(json_format.MessageToDict(request.object))
            if request.type == "pulumi:pulumi:Stack":
                self.records.append({"urn": urn, "custom": False, "type": request.type, "inputs": {},
                                     "outputs": {}})
                return response
            outputs = _plain(json_format.MessageToDict(response.object))
            _, output_only = _schema(request.type)
            for name in output_only - outputs.keys() - inputs.keys():
                outputs[name] = _UNKNOWN  # exists only once the resource does
            self.records.append({
                "urn": urn,
                "custom": bool(request.custom),
                "id": response.id,
                "type": request.type,
                "inputs": inputs,
                "outputs": outputs,
                "parent": request.parent or None,
                "provider": request.provider or None,
                "dependencies": list(request.dependencies),
                "propertyDependencies": {key: list(deps.urns)
                                         for key, deps in request.propertyDependencies.items()},
            })
            return response

    return RecordingMonitor()


def _in_fresh_runtime(work: Callable[[], Any]) -> Any:
    """Run `work` on a new thread: Pulumi keeps its runtime settings, config and root stack in
    context variables and its own event loop, so a new thread with a new loop starts from nothing
    and leaves nothing behind for the next run."""
    box: dict[str, Any] = {}

    def target() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            box["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            box["error"] = exc
        finally:
            try:
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    thread = threading.Thread(target=target, name="vendorguard-provision-check", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def mock_export(template: str, config: Mapping[str, str] | Iterable[str] | None = None, *,
                stack: str = MOCK_STACK, account: str = MOCK_ACCOUNT) -> dict[str, Any]:
    """Run a template under Pulumi's mocks as a preview and return what it registered as a
    ``pulumi stack export`` (version 3) document."""
    import pulumi
    from pulumi.runtime.stack import run_pulumi_func

    folder = template_dir(template)
    project = project_name(template)
    settings = {**CHECK_EXAMPLE_CONFIG, **parse_config(config)}
    region = settings.get(f"{NAMESPACE}:region") or settings.get("aws:region") or "us-east-1"
    mocks = _Mocks(account, region, MOCK_PARTITION)

    def work() -> list[dict[str, Any]]:
        monitor = _recording_monitor(mocks)
        pulumi.runtime.set_all_config(dict(settings), [])
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
        asyncio.get_event_loop().run_until_complete(run_pulumi_func(lambda: run_program(folder)))
        return monitor.records

    try:
        records = _in_fresh_runtime(work)
    except pulumi.RunError as exc:
        raise InputError(f"template {template}", str(exc)) from None
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                         "magic": "", "version": installed_version("pulumi")},
            "resources": _in_order([_engine_urns(record) for record in records]),
        },
    }


def _in_order(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Registrations finish in no fixed order; a stack export lists parents, providers and
    dependencies first.  Topological, ties broken by URN, so the same program gives the same file."""
    by_urn = {r["urn"]: r for r in records}

    def needs(record: dict[str, Any]) -> set[str]:
        provider = (record.get("provider") or "").rsplit("::", 1)[0]
        wanted = {record.get("parent") or "", provider, *record.get("dependencies", [])}
        return {u for u in wanted if u in by_urn and u != record["urn"]}

    waiting = {urn: needs(record) for urn, record in by_urn.items()}
    ordered: list[dict[str, Any]] = []
    while waiting:
        ready = sorted(urn for urn, deps in waiting.items() if not deps) or sorted(waiting)[:1]
        for urn in ready:
            ordered.append(by_urn[urn])
            del waiting[urn]
        for deps in waiting.values():
            deps.difference_update(ready)
    return ordered


def _engine_urns(record: dict[str, Any]) -> dict[str, Any]:
    """The mock monitor qualifies top-level resources' types with the stack's
    (``pulumi:pulumi:Stack$aws:kms/key:Key``); the engine does not: write URNs as the engine does."""
    def fix(urn: Any) -> Any:
        return urn.replace("::pulumi:pulumi:Stack$", "::") if isinstance(urn, str) else urn

    out = dict(record)
    for key in ("urn", "parent", "provider"):
        if key in out:
            out[key] = fix(out[key])
    if "dependencies" in out:
        out["dependencies"] = [fix(u) for u in out["dependencies"]]
    if "propertyDependencies" in out:
        out["propertyDependencies"] = {k: [fix(u) for u in v] for k, v in out["propertyDependencies"].items()}
    return out
