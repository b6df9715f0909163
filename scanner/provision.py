"""The hardened reference stacks in ``infra_templates/``: deployed through the Pulumi Automation
API, and proven offline by scanning what the program registers under Pulumi's mocks.

``vendorguard provision preview|up|destroy|outputs --template hipaa-baseline --stack NAME``
drives the template's Pulumi program in process (an inline Automation API program) with the
Pulumi CLI as the engine:

- **State** is local by default: ``file://$XDG_DATA_HOME/vendorguard/pulumi-state`` (created,
  mode 0700); ``PULUMI_BACKEND_URL`` chooses another backend (S3, Pulumi Cloud, …).
- **Secrets** use the passphrase provider.  ``PULUMI_CONFIG_PASSPHRASE`` or
  ``PULUMI_CONFIG_PASSPHRASE_FILE`` from the environment win; otherwise a random passphrase is
  generated once into ``pulumi-state/passphrase`` (mode 0600) and used from then on.  Back that file
  up with the state: without it the stack's secrets cannot be decrypted.
- **Stack config** (``--config KEY=VALUE``; a key without a namespace is ``vendorguard:KEY``) is
  kept in ``$XDG_DATA_HOME/vendorguard/pulumi-projects/<project>/Pulumi.<stack>.yaml`` and
  re-applied on every command that is given it.
- **Progress** is streamed line by line to `on_output`.

``vendorguard provision check`` needs no CLI, no cloud and no credentials: `check` runs the program
under ``pulumi.runtime.set_mocks`` (a preview: values that exist only after deployment stay
unknown), records every resource it registers in the shape of ``pulumi stack export``, reads that
with the Pulumi source, and scans it with the packs.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from .errors import InputError

if TYPE_CHECKING:
    from .results import ScanReport
    from .scan import Decisions

#: Template name on the command line → folder under ``infra_templates/``.
TEMPLATES = {"hipaa-baseline": "hipaa_baseline"}
#: The config namespace the templates read.
NAMESPACE = "vendorguard"
INSTALL_HINT = "install it with `curl -fsSL https://get.pulumi.com | sh`"

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

_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_CONFIG_KEY = re.compile(r"^(?:[A-Za-z0-9_.-]+:)?[A-Za-z0-9_.-]+$")


# -- templates and config --------------------------------------------------------------------------------
def template_names() -> list[str]:
    return sorted(TEMPLATES)


def template_dir(template: str) -> Path:
    """The template's program folder (shipped as package data, found through importlib.resources)."""
    folder = TEMPLATES.get(template)
    if folder is None:
        raise InputError("--template", f"no such template {template!r} (available: {', '.join(template_names())})")
    found = resources.files("vendorguard.infra_templates").joinpath(folder)
    path = Path(str(found))
    if not (path / "__main__.py").is_file():
        raise InputError(template, f"the template's program is missing ({path}/__main__.py): "
                                   "reinstall vendorguard")
    return path


def project_name(template: str) -> str:
    """The Pulumi project name in the template's Pulumi.yaml."""
    text = (template_dir(template) / "Pulumi.yaml").read_text(encoding="utf-8")
    match = re.search(r"(?m)^name:\s*(\S+)\s*$", text)
    return match.group(1) if match else f"vendorguard-{template}"


def parse_config(pairs: Iterable[str] | Mapping[str, Any] | None) -> dict[str, str]:
    """``KEY=VALUE`` pairs (or a mapping) as Pulumi config: a key without a namespace is
    ``vendorguard:KEY``; values are strings (JSON for lists and objects)."""
    if not pairs:
        return {}
    items: list[tuple[str, Any]]
    if isinstance(pairs, Mapping):
        items = list(pairs.items())
    else:
        items = []
        for pair in pairs:
            key, sep, value = str(pair).partition("=")
            if not sep:
                raise InputError("--config", f"expected KEY=VALUE, got {pair!r}")
            items.append((key, value))
    out: dict[str, str] = {}
    for key, value in items:
        key = key.strip()
        if not _CONFIG_KEY.match(key):
            raise InputError("--config", f"not a config key: {key!r}")
        if ":" not in key:
            key = f"{NAMESPACE}:{key}"
        out[key] = value if isinstance(value, str) else json.dumps(value)
    return out


# -- the offline proof: the program under Pulumi's mocks ----------------------------------------------
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
                                            "cannot answer (add it to scanner/provision.py's mocks)")

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


_PROGRAM_LOCK = threading.Lock()


def _drop_program_modules(folder: Path) -> None:
    """Forget the modules imported from the program's folder (its helper package)."""
    prefix = str(folder) + os.sep
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.startswith(prefix):
            del sys.modules[name]


def run_program(folder: Path) -> None:
    """Run a template's ``__main__.py`` as Pulumi's Python host does (its folder first on sys.path),
    in a fresh module namespace: its helper modules are imported anew and forgotten afterwards."""
    folder = folder.resolve()
    with _PROGRAM_LOCK:
        saved = list(sys.path)
        _drop_program_modules(folder)
        sys.path.insert(0, str(folder))
        try:
            main = folder / "__main__.py"
            code = compile(main.read_text(encoding="utf-8"), str(main), "exec")
            # Not runpy: it would swap sys.modules["__main__"] and sys.argv[0] for the whole process.
            exec(code, {"__name__": "__main__", "__file__": str(main), "__builtins__": __builtins__})  # noqa: S102
        finally:
            sys.path[:] = saved
            _drop_program_modules(folder)


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
                         "magic": "", "version": _version("pulumi")},
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


def _version(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def check(template: str = "hipaa-baseline", config: Mapping[str, str] | Iterable[str] | None = None,
          packs: Iterable[str] = (), decisions: "Decisions | None" = None) -> "ScanReport":
    """The offline proof: the template under mocks, read by the Pulumi source, scanned with the
    packs (default: the shipped ones).  The inventory's notes say that it ran under mocks and list
    every UNKNOWN with the value it waits for."""
    from .catalog import select
    from .model import Status
    from .scan import now, run
    from .sources.pulumi import read_pulumi

    started = now()
    _, selection = select(packs)
    document = mock_export(template, config)
    inventory = read_pulumi(f"template {template} (offline, under Pulumi mocks)", document,
                            account=MOCK_ACCOUNT)
    inventory.metadata.update(template=template, mocked=True, account=MOCK_ACCOUNT)
    report = run([inventory], selection, started, decisions,
                 provision={"template": template, "mocked": True,
                            "config": {k: v for k, v in sorted(parse_config(config).items())}})
    unknown = [r for r in report.results if r.status is Status.UNKNOWN]
    waiting = (f"{len(unknown)} UNKNOWN, each waiting for a value that exists only after deployment:"
               if unknown else "no UNKNOWN")
    inventory.notes.insert(0, f"offline check: the {template} program ran under Pulumi mocks as a "
                              f"preview ({len(inventory.resources)} resources assessed); {waiting}")
    notes = [f"UNKNOWN {r.rule_id} on {r.address}: {r.reason}" for r in unknown]
    built = Counter(r.type for r in inventory.resources)
    notes.append("the stack builds (as assessed): " + ", ".join(f"{n} {t}" for t, n in sorted(built.items())))
    decided = {r.rule_id for r in report.results}
    live_only = [r for r in selection.rules if r.id not in decided and r.sources and "pulumi" not in r.sources]
    absent = [r for r in selection.rules if r.id not in decided and r not in live_only]
    if absent:
        notes.append(f"{len(absent)} rules have no resource in the stack: " + ", ".join(
            f"{r.id} ({'/'.join(r.resource_types)})" for r in sorted(absent, key=lambda r: r.id)))
    if live_only:
        notes.append(f"{len(live_only)} rules only a live scan decides: "
                     + ", ".join(r.id for r in sorted(live_only, key=lambda r: r.id)))
    inventory.notes[1:1] = notes
    return report


# -- deploying: the Automation API and the Pulumi CLI ----------------------------------------------------
def data_dir() -> Path:
    """``$XDG_DATA_HOME/vendorguard`` (default ``~/.local/share/vendorguard``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "vendorguard"


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def state_dir() -> Path:
    return _private_dir(data_dir() / "pulumi-state")


def backend_url() -> str:
    return os.environ.get("PULUMI_BACKEND_URL") or state_dir().as_uri()


def passphrase_env() -> dict[str, str]:
    """How the passphrase secrets provider gets its passphrase (see the module docstring)."""
    for name in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        if os.environ.get(name) is not None:
            return {name: os.environ[name]}
    path = state_dir() / "passphrase"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
    return {"PULUMI_CONFIG_PASSPHRASE_FILE": str(path)}


def pulumi_cli() -> Path:
    """The Pulumi CLI: on PATH, or where its installer puts it (``~/.pulumi/bin``)."""
    found = shutil.which("pulumi")
    candidates = [Path(found)] if found else []
    candidates.append(Path.home() / ".pulumi" / "bin" / "pulumi")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise InputError("pulumi", f"the Pulumi CLI is not installed (provision preview/up/destroy/outputs "
                               f"need it): {INSTALL_HINT}; `vendorguard provision check` works without it")


def _command() -> Any:
    from pulumi import automation as auto

    cli = pulumi_cli()
    try:
        return auto.PulumiCommand(root=str(cli.parent.parent))
    except auto.InvalidVersionError as exc:
        raise InputError(str(cli), f"unsupported Pulumi CLI version: {exc}; {INSTALL_HINT}") from None
    except (OSError, subprocess.CalledProcessError) as exc:  # `pulumi version` did not run
        raise InputError(str(cli), f"the Pulumi CLI does not run ({exc}); {INSTALL_HINT}") from None


@dataclass
class Deployment:
    """One template deployed as one stack: what the CLI's provision commands act on."""

    template: str
    stack: str
    config: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _STACK_NAME.match(self.stack):
            raise InputError("--stack", f"not a stack name: {self.stack!r} (letters, digits, _ . -)")
        self.config = parse_config(self.config)
        self.folder = template_dir(self.template)
        self.project = project_name(self.template)

    def workspace_dir(self) -> Path:
        return _private_dir(data_dir() / "pulumi-projects" / self.project)

    def open(self) -> Any:
        """The Automation API stack (created on first use), with `config` applied."""
        from pulumi import automation as auto

        command = _command()
        folder = self.folder
        settings = auto.ProjectSettings(name=self.project, runtime="python",
                                        backend=auto.ProjectBackend(backend_url()))
        options = auto.LocalWorkspaceOptions(
            work_dir=str(self.workspace_dir()),
            project_settings=settings,
            secrets_provider="passphrase",
            env_vars={**passphrase_env(), "PULUMI_SKIP_UPDATE_CHECK": "true"},
            pulumi_command=command,
        )
        try:
            stack = auto.create_or_select_stack(self.stack, project_name=self.project,
                                                program=lambda: run_program(folder), opts=options)
            if self.config:
                stack.set_all_config({k: auto.ConfigValue(v) for k, v in self.config.items()})
        except auto.CommandError as exc:
            raise ProvisionError(f"stack {self.stack}", _last_line(str(exc))) from None
        return stack

    def _install_provider(self, stack: Any) -> None:
        version = _version("pulumi_aws")
        if version:
            stack.workspace.install_plugin("aws", f"v{version}")


class ProvisionError(InputError):
    """A Pulumi operation that failed (one line; the CLI prints it and exits 2)."""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "failed"


def _echo(line: str) -> None:
    sys.stdout.write(line if line.endswith("\n") else line + "\n")
    sys.stdout.flush()


@contextmanager
def _operation(what: str, stack: str) -> Iterator[None]:
    from pulumi import automation as auto

    try:
        yield
    except auto.CommandError as exc:
        raise ProvisionError(f"pulumi {what} ({stack})", _last_line(str(exc))) from None


def preview(template: str, stack: str, config: Mapping[str, str] | Iterable[str] | None = None,
            on_output: Callable[[str], None] | None = _echo) -> dict[str, int]:
    """``pulumi preview``: the change summary (operation → count)."""
    deployment = Deployment(template, stack, parse_config(config))
    handle = deployment.open()
    with _operation("preview", stack):
        deployment._install_provider(handle)
        result = handle.preview(on_output=on_output, color="never", diff=False)
    return {str(k): v for k, v in (result.change_summary or {}).items()}


def up(template: str, stack: str, config: Mapping[str, str] | Iterable[str] | None = None,
       on_output: Callable[[str], None] | None = _echo) -> dict[str, Any]:
    """``pulumi up``: the stack's outputs afterwards (secrets masked)."""
    deployment = Deployment(template, stack, parse_config(config))
    handle = deployment.open()
    with _operation("up", stack):
        deployment._install_provider(handle)
        result = handle.up(on_output=on_output, color="never")
    return _shown(result.outputs)


def destroy(template: str, stack: str, config: Mapping[str, str] | Iterable[str] | None = None,
            on_output: Callable[[str], None] | None = _echo, remove: bool = False) -> dict[str, int]:
    """``pulumi destroy`` (deletion protection and non-empty buckets stop it: see the README);
    `remove` also deletes the stack and its config afterwards."""
    deployment = Deployment(template, stack, parse_config(config))
    handle = deployment.open()
    with _operation("destroy", stack):
        result = handle.destroy(on_output=on_output, color="never")
        if remove:
            handle.workspace.remove_stack(stack)
    return dict(result.summary.resource_changes or {})


def outputs(template: str, stack: str, config: Mapping[str, str] | Iterable[str] | None = None) -> dict[str, Any]:
    """The stack's outputs (secrets masked)."""
    deployment = Deployment(template, stack, parse_config(config))
    handle = deployment.open()
    with _operation("stack output", stack):
        return _shown(handle.outputs())


def _shown(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: "[secret]" if getattr(v, "secret", False) else getattr(v, "value", v)
            for name, v in sorted(values.items())}
