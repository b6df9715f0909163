"""Collectors against AWS's contract, not moto's (issue 13, part 5).

moto answers the way moto was written; AWS answers the way its service models say it may: almost
every output member is optional, lists may be empty or paged, enums grow.  Here every registered
collector is fed responses generated from botocore's own output shapes, through fake clients (one
snake_case method per declared operation; botocore's real `Paginator`, driven by the service's own
paginator model, joins the pages), never the network:

  (a)  only required members, every optional member absent (lists of structures hold one item, so
       that there is something to read; a member the collector cannot name an item without is
       added when the collector says so — `IncompleteItem` — and only then); twice, with two sets
       of values for what is present (a private CIDR and an open one, the account's policy and
       anyone's);
  (b)  every member present with plausible values (enums from the shape, numbers within min/max,
       timestamps as datetimes, lists of two, every key of an enum-keyed map), in two value sets;
  (c)  lists and maps empty — all of them, then all but the lists of structures;
  (d)  every paginated operation answering in two pages joined by its real token members;
  (e)  every enum member holding a value the code has never seen;
  (f)  each operation in turn denied (AccessDenied), on (a) and on both (b)s.

Every response and request is checked against its shape (botocore's validator, plus max and
enum).  Asserted: no exception but `CallFailed`; every resource of a declared type, none twice;
every page token followed; no UNKNOWN without a reason; a denied read leaves UNKNOWN naming the
call (or, for a listing, a gap naming it); and, running the shipped packs on (a) with every rule
judged per resource, no PASS resting on an absent member — found by filling the absent members in
(`false_passes`).  `ABSENCE_PASSES` lists the few rules for which AWS documents absence as a real
PASS.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

import botocore.session
import jmespath
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.model import ShapeResolver
from botocore.paginate import Paginator
from botocore.validate import ParamValidator

from conftest import show_figures
from vendorguard.scanner.catalog import Selection, select
from vendorguard.scanner.condition import field_paths
from vendorguard.scanner.engine import Engine
from vendorguard.scanner.model import Inventory, Status
from vendorguard.scanner.sources.aws import LiveAws
from vendorguard.scanner.sources.aws import collectors as _registers  # noqa: F401 - fills the registry
from vendorguard.scanner.sources.aws.collector import CallFailed, Collector, Ctx, IncompleteItem

ACCOUNT, REGION = "123456789012", "us-east-1"
NEW_ENUM = "NEW_VALUE_FROM_AWS"
PAGE_TOKEN = "vg-page-2"
SHAPE_TYPES = {"structure", "list", "map", "string", "integer", "long", "boolean", "timestamp", "blob",
               "float", "double"}

#: Rules for which an absent member is a real PASS: AWS documents the absence as "nothing of the
#: kind configured", and what is not configured cannot be what the rule forbids.  Everything else
#: must be UNKNOWN (the member may be missing for other reasons) or FAIL.
ABSENCE_PASSES: dict[str, str] = {
    # Recovery points kept at least 35 days: a backup rule without Lifecycle (or without its
    # DeleteAfterDays) never expires them — "Backup ... expires backups automatically according
    # to the lifecycle that you define" (BackupRule.Lifecycle); none defined, none deleted.
    "VG-BAK-002": "no Lifecycle / DeleteAfterDays: recovery points are never deleted",
    # Instances without a public IP: DescribeInstances gives PublicIpAddress only "if applicable",
    # i.e. when the instance has one.
    "VG-EC2-010": "no PublicIpAddress: the instance has no public IPv4 address",
    # Log groups keep logs a year: "If the retentionInDays value is not included for a log group,
    # then that log group is set to have its events never expire" (DescribeLogGroups).
    "VG-LOG-002": "no retentionInDays: the log group's events never expire",
    # Secrets without a resource policy: GetResourcePolicy returns "the resource-based policy
    # document attached to the secret", and for a secret with none only its ARN and Name (as moto
    # does too); nothing attached grants nothing.
    "VG-SEC-003": "no ResourcePolicy: no resource policy is attached to the secret",
}

BOTO = botocore.session.get_session()


@functools.cache
def service_model(service: str) -> Any:
    return BOTO.get_service_model(service)


@functools.cache
def paginator_config(service: str, operation: str) -> dict[str, Any] | None:
    try:
        return dict(BOTO.get_paginator_model(service).get_paginator(operation))
    except ValueError:
        return None


# Operations that page but have no botocore paginator: the collectors page them by hand, so the fake
# clients must hand out (and expect back) their tokens too.  "start_after": the next request names
# the last item seen rather than echoing a token.
HAND_PAGED: dict[tuple[str, str], dict[str, Any]] = {
    ("athena", "ListWorkGroups"): {"input_token": "NextToken", "output_token": "NextToken"},
    ("firehose", "ListDeliveryStreams"): {"input_token": "ExclusiveStartDeliveryStreamName",
                                          "output_token": [], "more_results": "HasMoreDeliveryStreams",
                                          "start_after": True},
}


def page_config(service: str, operation: str) -> dict[str, Any] | None:
    """How an operation pages: its botocore paginator, or how the collectors page it by hand."""
    return paginator_config(service, operation) or HAND_PAGED.get((service, operation))


def _names(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


# -- responses from shapes ----------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """How to fill a shape."""

    name: str
    members: str = "all"            # "all"; "required" (+ containers, + `force`); "nonlist": (a)
                                    # with every absent member but the lists filled in
    struct_items: int = 2           # items in a list of structures
    scalar_items: int = 2           # items in a list of scalars
    map_entries: int = 2            # entries in a map (every key, for an enum of keys)
    variant: int = 0                # which enum value / boolean / number
    base_variant: int = 0           # "nonlist": the variant of the members case (a) holds too
    new_enum: bool = False
    paged: bool = False             # paginated operations answer in two pages
    force: frozenset[str] = frozenset()  # members required in practice (`IncompleteItem`)
    fail: tuple[str, str] | None = None  # (service, operation) denied
    no_failures: bool = False       # a batch call's failedAccounts (and the like) are empty


def _has_struct_list(shape: Any, seen: frozenset[str] = frozenset()) -> bool:
    """A list of structures, or a structure leading to one: what holds the items to read."""
    if shape.name in seen:
        return False
    seen = seen | {shape.name}
    if shape.type_name == "list":
        return shape.member.type_name == "structure" or _has_struct_list(shape.member, seen)
    if shape.type_name == "map":
        return _has_struct_list(shape.value, seen)
    if shape.type_name == "structure" and not shape.is_document_type:
        return any(_has_struct_list(m, seen) for m in shape.members.values())
    return False


def _is_list(shape: Any) -> bool:
    return shape.type_name == "list"


def _policy(tag: str, variant: int) -> str:
    """A policy document: the account's own root (variant 0), anyone (1), another account (2)."""
    principal = ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "*", {"AWS": "arn:aws:iam::210987654321:root"})[variant % 3]
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": f"s{zlib.crc32(tag.encode()) % 1000}", "Effect": "Allow", "Principal": principal,
        "Action": ("sts:AssumeRole", "*", "s3:GetObject")[variant % 3], "Resource": "*"}]})


#: Strings with a meaning the rules read, by member name: one value per variant.
_MEANINGFUL = {
    "CidrIp": ("10.0.0.0/16", "0.0.0.0/0", "192.168.0.0/24"),
    "CidrBlock": ("10.0.0.0/16", "0.0.0.0/0", "192.168.0.0/24"),
    "CidrIpv6": ("fd00::/64", "::/0", "fd00:1::/64"),
    "Ipv6CidrBlock": ("fd00::/64", "::/0", "fd00:1::/64"),
    "IpProtocol": ("tcp", "-1", "udp"),
    "ec2:Protocol": ("6", "-1", "17"),  # a network ACL entry's
}


#: Enum values of a resource that is on, preferred in the first variant.
_ON = frozenset({"ENABLED", "Enabled", "enabled", "ACTIVE", "Active", "active", "AVAILABLE", "available", "READY"})
#: A batch call's list of the items it could not answer for (Inspector's failedAccounts).
_FAILURES = ("failed", "unprocessed")


class Generator:
    """One response per call: values depend on the member's path and the case's variant only, so
    the same position holds the same identifier in every case (resources line up across cases).

    In the "nonlist" case (a with its absent members filled in), members present in case (a) keep
    case (a)'s values (`base_variant`); only the filled-in ones take the case's variant."""

    def __init__(self, case: Case, service: str) -> None:
        self.case = case
        self.service = service
        self.types: set[str] = set()

    def top(self, shape: Any, page: int, call: int = 0) -> dict[str, Any]:
        """A response: page `page` of the operation's `call`-th call in the run (a per-resource read
        answers for another resource each time, with other identifiers)."""
        root = f"p{page}" + (f"c{call}" if call else "")
        return self.structure(shape, (root,), frozenset(), True) if shape is not None else {}

    # Each generator returns a value for `shape` at `path` (names and list positions); `base`:
    # the value is one case (a) holds too.
    def value(self, shape: Any, path: tuple[str, ...], stack: frozenset[str], base: bool) -> Any:
        kind = shape.type_name
        self.types.add(kind)
        if kind == "structure":
            if shape.is_document_type:
                return {"document": "/".join(path)}
            return self.structure(shape, path, stack, base)
        if kind == "list":
            return self.list(shape, path, stack, base)
        if kind == "map":
            return self.map(shape, path, stack, base)
        nonlist = self.case.members == "nonlist"
        return self.scalar(shape, path, self.case.base_variant if base and nonlist else self.case.variant)

    def _in_required(self, shape: Any, name: str, member: Any, stack: frozenset[str]) -> bool:
        """Present in case (a): required, named by the collector, or a container of items."""
        if name in shape.required_members or name in self.case.force:
            return True
        return member.name not in stack and _has_struct_list(member)

    def _wanted(self, shape: Any, name: str, member: Any, stack: frozenset[str]) -> bool:
        case = self.case
        if self._in_required(shape, name, member, stack):
            return True
        if member.name in stack:  # recursion: stop at optional members
            return False
        return case.members == "all" or (case.members == "nonlist" and not _is_list(member))

    def structure(self, shape: Any, path: tuple[str, ...], stack: frozenset[str], base: bool) -> dict[str, Any]:
        self.types.add("structure")
        stack = stack | {shape.name}
        names = [n for n, m in shape.members.items() if self._wanted(shape, n, m, stack)]
        if shape.metadata.get("union"):
            # A union must set exactly one member, even where the case asks for required ones only.
            pool = names or list(shape.members)
            names = pool[self.case.variant % len(pool):][:1]
        out = {}
        for name in names:
            member = shape.members[name]
            if member.serialization.get("location") in ("header", "headers", "statusCode"):
                continue  # response metadata, not the body the collectors read
            out[name] = self.value(member, path + (name,), stack,
                                   base and self._in_required(shape, name, member, stack))
        return out

    def list(self, shape: Any, path: tuple[str, ...], stack: frozenset[str], base: bool) -> list[Any]:
        count = self.case.struct_items if shape.member.type_name == "structure" else self.case.scalar_items
        if shape.member.name in stack or (self.case.no_failures and path[-1].lower().startswith(_FAILURES)):
            count = 0
        count = max(count, shape.metadata.get("min", 0))
        if "max" in shape.metadata:
            count = min(count, shape.metadata["max"])
        return [self.value(shape.member, path + (str(i),), stack, base) for i in range(count)]

    def map(self, shape: Any, path: tuple[str, ...], stack: frozenset[str], base: bool) -> dict[str, Any]:
        count = self.case.map_entries
        self.types.add(shape.key.type_name)
        low, high = shape.key.metadata.get("min", 0), shape.key.metadata.get("max")
        keys = list(shape.key.enum) if shape.key.enum and count else [
            f"{path[-1]}-key{i}".ljust(low, "x")[:high] for i in range(count)]
        if shape.key.enum and self.case.new_enum and count:
            keys = [NEW_ENUM]
        return {k: self.value(shape.value, path + (k,), stack, base) for k in keys}

    def scalar(self, shape: Any, path: tuple[str, ...], variant: int) -> Any:
        kind, meta = shape.type_name, shape.metadata
        name = next((p for p in reversed(path) if not p.isdigit()), "value")
        if kind == "string":
            if shape.enum:
                if self.case.new_enum:
                    return new_enum_value(meta)
                values = list(shape.enum)
                if variant % 3 == 0:  # a plausible state to find a resource in: on, if it can be on
                    return next((v for v in values if v in _ON), values[0])
                return values[(0, -1, len(values) // 2)[variant % 3]]
            # Unique by position (page, list indices) and by path (a role's Arn is not a user's).
            where = "-".join(p for p in path if p.isdigit() or p.startswith("p")) or "0"
            where += f"-{zlib.crc32('/'.join(p for p in path[1:] if not p.isdigit()).encode()) % 1000:03}"
            if name.endswith(("Policy", "PolicyDocument", "AccessPolicies", "Document")):
                text = _policy(where, variant)
            elif self.service == "rds" and name in _RDS_ENGINES:
                text = _rds_engine(name, path, variant)
            elif (meaning := _MEANINGFUL.get(name) or _MEANINGFUL.get(f"{self.service}:{name}")):
                text = meaning[variant % 3]
            elif name.endswith(("Region", "RegionName")):
                text = REGION
            elif name in ("AccountId", "OwnerId", "accountId"):
                text = ACCOUNT
            elif name.lower().endswith("arn"):
                text = f"arn:aws:{self.service}:{REGION}:{ACCOUNT}:{name.lower()}/{name}-{where}"
            else:
                text = f"{name}-{where}"
            low, high = meta.get("min", 0), meta.get("max")
            text = text.ljust(low, "x")
            return text[:high] if high else text
        if kind in ("integer", "long"):
            low, high = meta.get("min"), meta.get("max")
            number = {"FromPort": (0, 0, 22), "ToPort": (65535, 65535, 22)}.get(name, (30, 0, 7))[variant % 3]
            if low is not None:
                number = max(number, int(low))
            if high is not None:
                number = min(number, int(high))
            return number
        if kind == "boolean":
            return (True, False, True)[variant % 3]
        if kind in ("float", "double"):
            number = (1.5, 0.0, 99.5)[variant % 3]
            if meta.get("min") is not None:
                number = max(number, float(meta["min"]))
            if meta.get("max") is not None:
                number = min(number, float(meta["max"]))
            return number
        if kind == "timestamp":
            return dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=variant)
        if kind == "blob":
            return f"blob-{name}".encode()
        raise AssertionError(f"no generator for shape type {kind} ({shape.name})")


#: The RDS API's engine and parameter-group family members: (DocumentDB's, Neptune's, RDS's).
_RDS_ENGINES = {"Engine": ("docdb", "neptune", "postgres"),
                "DBParameterGroupFamily": ("docdb5.0", "neptune1.3", "postgres16")}


def _rds_engine(name: str, path: tuple[str, ...], variant: int) -> str:
    """An engine or a parameter group's family.  The RDS API lists RDS's, DocumentDB's and
    Neptune's clusters and groups together and each collector keeps its own: the first listed item
    is a DocumentDB (variant 0) or a Neptune (variant 1) one, the others RDS's, so that every
    collector reads its own."""
    docdb, neptune, rds = _RDS_ENGINES[name]
    index = next((int(p) for p in reversed(path) if p.isdigit()), 0)
    return (docdb, neptune)[variant % 2] if index == 0 else rds


def new_enum_value(meta: dict[str, Any]) -> str:
    """`NEW_ENUM`, cut to the member's maximum length: a value AWS has not shipped yet still fits
    the shape's other constraints (Glue's ExecutionClass is at most 16 characters)."""
    return NEW_ENUM[:meta["max"]] if meta.get("max") else NEW_ENUM


def conformance(value: Any, shape: Any, new_enum: bool = False, where: str = "") -> list[str]:
    """What the generator got wrong about a shape beyond botocore's own validator (max, enum)."""
    errors: list[str] = []
    kind, meta = shape.type_name, shape.metadata
    if kind == "structure" and not shape.is_document_type and isinstance(value, dict):
        for name, sub in value.items():
            if name in shape.members:
                errors += conformance(sub, shape.members[name], new_enum, f"{where}.{name}")
    elif kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{where}: {len(value)} items > max {meta['max']}")
        for i, sub in enumerate(value):
            errors += conformance(sub, shape.member, new_enum, f"{where}[{i}]")
    elif kind == "map" and isinstance(value, dict):
        for key, sub in value.items():
            errors += conformance(key, shape.key, new_enum, f"{where}<key>")
            errors += conformance(sub, shape.value, new_enum, f"{where}[{key}]")
    elif kind == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum and not (new_enum and value == new_enum_value(meta)):
            errors.append(f"{where}: {value!r} not in enum")
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{where}: longer than max {meta['max']}")
    elif kind in ("integer", "long", "float", "double") and isinstance(value, (int, float)):
        if "max" in meta and value > meta["max"]:
            errors.append(f"{where}: {value} > max {meta['max']}")
    return errors


# -- a fake client ----------------------------------------------------------------------------

def _set(response: dict[str, Any], expression: str, value: Any) -> None:
    """Set the member a paginator expression names (``A.B``; of ``A || B``, the first), or, for
    None, remove every member it names."""
    for i, path in enumerate(e.strip() for e in expression.split("||")):
        *parents, last = path.split(".")
        setting = value is not None and i == 0
        node: Any = response
        for parent in parents:
            node = (node.setdefault(parent, {}) if setting else node.get(parent)) if isinstance(node, dict) else None
        if isinstance(node, dict):
            if setting:
                node[last] = value
            else:
                node.pop(last, None)


@dataclass
class Run:
    """One collector run: its case, and what the fake clients saw."""

    case: Case
    calls: Counter = field(default_factory=Counter)
    tokens_given: Counter = field(default_factory=Counter)
    tokens_followed: Counter = field(default_factory=Counter)
    invalid: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    undeclared: set[str] = field(default_factory=set)


class FakeClient:
    """A client of one service whose methods answer with generated responses."""

    def __init__(self, service: str, region: str, run: Run, operations: set[str]) -> None:
        self.run = run
        self.service = service
        self.meta = type("Meta", (), {"service_model": service_model(service), "region_name": region})()
        self._methods = {xform_name(op): op for op in operations}

    def __getattr__(self, method: str) -> Any:
        operation = self._methods.get(method)
        if operation is None:
            self.run.undeclared.add(f"{self.service}:{method}")
            raise AttributeError(method)
        return functools.partial(self._call, operation)

    def can_paginate(self, method: str) -> bool:
        return method in self._methods and paginator_config(self.service, self._methods[method]) is not None

    def get_paginator(self, method: str) -> Paginator:
        operation = self._methods[method]
        return Paginator(getattr(self, method), paginator_config(self.service, operation),
                         service_model(self.service).operation_model(operation))

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        run, key = self.run, f"{self.service}:{operation}"
        run.calls[key] += 1
        model = service_model(self.service).operation_model(operation)
        if model.input_shape is not None:
            errors = ParamValidator().validate(params, model.input_shape)
            if errors.has_errors():
                run.invalid.append(f"request {key}: {errors.generate_report()}")
        if run.case.fail == (self.service, operation):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"},
                               "ResponseMetadata": {"HTTPStatusCode": 403}}, operation)
        config = page_config(self.service, operation)
        page = 0
        if config:
            given = [params.get(t) for t in _names(config["input_token"]) if params.get(t) is not None]
            if given:
                if given != [PAGE_TOKEN] * len(given) and not config.get("start_after"):
                    run.invalid.append(f"request {key}: page token {given} was never handed out")
                run.tokens_followed[key] += 1
                page = 1
        generator = Generator(run.case, self.service)
        response = generator.top(model.output_shape, page, run.calls[key] - 1)
        run.types |= generator.types
        if config:
            more = page == 0 and run.case.paged
            for token in _names(config["output_token"]):
                _set(response, token, PAGE_TOKEN if more else None)
            if config.get("more_results"):
                _set(response, config["more_results"], more)
            if more:
                run.tokens_given[key] += 1
        if model.output_shape is not None:
            errors = ParamValidator().validate(response, model.output_shape)
            if errors.has_errors():
                run.invalid.append(f"response {key} ({run.case.name}): {errors.generate_report()}")
            run.invalid += [f"response {key} ({run.case.name}): {e}"
                            for e in conformance(response, model.output_shape, run.case.new_enum)]
        return response


def run_collector(collector: type[Collector], case: Case) -> tuple[Run, Ctx, BaseException | None]:
    run = Run(case)
    operations: dict[str, set[str]] = defaultdict(set)
    for service, operation in collector.operations:
        operations[service].add(operation)
    clients: dict[tuple[str, str], FakeClient] = {}

    def client_for(service: str, region: str) -> FakeClient:
        return clients.setdefault((service, region), FakeClient(service, region, run, operations[service]))

    # One worker: resources are emitted in a fixed order, and cases line up.
    ctx = Ctx(ACCOUNT, REGION, "aws", client_for, source=LiveAws.name, workers=1)
    try:
        collector().collect(ctx)
    except Exception as exc:  # noqa: BLE001 - judged by the tests below
        return run, ctx, exc
    return run, ctx, None


# -- the runs ---------------------------------------------------------------------------------

REQUIRED = Case("a: required only", members="required", struct_items=1, scalar_items=0, map_entries=0)
CASES = [
    Case("b: every member"),
    Case("b: every member, other values", variant=1, no_failures=True),
    Case("c: lists and maps empty", struct_items=0, scalar_items=0, map_entries=0),
    Case("c: only item lists non-empty", struct_items=1, scalar_items=0, map_entries=0),
    Case("d: two pages", paged=True),
    Case("e: unseen enum values", new_enum=True),
]


@dataclass
class Outcome:
    collector: type[Collector]
    case: Case
    run: Run
    ctx: Ctx
    error: BaseException | None


def _required_case(collector: type[Collector]) -> Outcome:
    """Case (a), adding the members the collector cannot name an item without, one at a time."""
    case = REQUIRED
    for _ in range(16):
        run, ctx, error = run_collector(collector, case)
        if isinstance(error, IncompleteItem) and error.member not in case.force:
            case = replace(case, force=case.force | {error.member})
            continue
        break
    return Outcome(collector, case, run, ctx, error)


@dataclass
class Report:
    outcomes: list[Outcome]
    #: (collector, operation, variant) → outcome of the run with that operation denied
    denied: dict[tuple[str, str, int], Outcome]
    #: (collector, case (a)'s name) → that case with every absent non-list member filled in, in
    #: three variants: what a PASS must not rest on
    filled: dict[tuple[str, str], list[Outcome]]
    seconds: float


@pytest.fixture(scope="module")
def report() -> Report:
    start = time.perf_counter()
    outcomes, denied, filled = [], {}, {}
    for collector in Collector.registry:
        required = _required_case(collector)
        # Case (a) twice: with the present members' first values, and with their other values
        # (an open CIDR, a public policy), so that what the absent members decide shows either way.
        other = replace(required.case, name="a: required only, other values", variant=1, no_failures=True)
        outcomes += [required, Outcome(collector, other, *run_collector(collector, other))]
        for sparse in (required.case, other):
            filled[(collector.__name__, sparse.name)] = [
                Outcome(collector, c, *run_collector(collector, c)) for c in (
                    replace(sparse, name=f"{sparse.name}, absent members filled in (variant {v})",
                            members="nonlist", variant=v, base_variant=sparse.variant, map_entries=2)
                    for v in range(3))]
        outcomes += [Outcome(collector, case, *run_collector(collector, case)) for case in CASES]
        for service, operation in dict.fromkeys(collector.operations):
            for variant, base in enumerate([*CASES[:2], required.case]):
                case = replace(base, name=f"f: {service}:{operation} denied ({base.name})",
                               fail=(service, operation))
                denied[(collector.__name__, f"{service}:{operation}", variant)] = Outcome(
                    collector, case, *run_collector(collector, case))
    return Report(outcomes, denied, filled, time.perf_counter() - start)


def _all(report: Report) -> list[Outcome]:
    return report.outcomes + list(report.denied.values()) + [o for v in report.filled.values() for o in v]


def _label(o: Outcome) -> str:
    return f"{o.collector.__name__} [{o.case.name}]"


# -- the generator itself -----------------------------------------------------------------------

def test_generator_covers_every_shape_type() -> None:
    """Every shape type botocore models is generated and validates — a synthetic structure holding
    one member of each (the collectors' own operations happen to have no blob or float)."""
    resolver = ShapeResolver({
        "Everything": {"type": "structure", "required": ["S"], "members": {
            "S": {"shape": "S"}, "E": {"shape": "E"}, "I": {"shape": "I"}, "L": {"shape": "L"},
            "B": {"shape": "B"}, "T": {"shape": "T"}, "Blob": {"shape": "Blob"}, "F": {"shape": "F"},
            "D": {"shape": "D"}, "List": {"shape": "List"}, "Map": {"shape": "Map"}}},
        "S": {"type": "string", "min": 3, "max": 8}, "E": {"type": "string", "enum": ["ON", "OFF"]},
        "I": {"type": "integer", "min": 1, "max": 5}, "L": {"type": "long"}, "B": {"type": "boolean"},
        "T": {"type": "timestamp"}, "Blob": {"type": "blob"}, "F": {"type": "float", "min": 0},
        "D": {"type": "double"}, "List": {"type": "list", "member": {"shape": "Everything"}},
        "Map": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "I"}}})
    shape = resolver.get_shape_by_name("Everything")
    for case in [CASES[0], REQUIRED, replace(CASES[0], new_enum=True), replace(CASES[0], variant=1)]:
        generator = Generator(case, "test")
        value = generator.top(shape, 0)
        assert not ParamValidator().validate(value, shape).has_errors(), case.name
        assert not conformance(value, shape, case.new_enum), case.name
        if case.members == "all":
            assert generator.types == SHAPE_TYPES, case.name
            assert len(value["List"]) == 0  # a structure inside itself: the recursion stops


def test_responses_and_requests_match_the_shapes(report: Report) -> None:
    invalid = [f"{_label(o)}: {e}" for o in _all(report) for e in o.run.invalid]
    assert not invalid, "\n".join(invalid[:20])
    undeclared = sorted({f"{_label(o)}: {u}" for o in _all(report) for u in o.run.undeclared})
    assert not undeclared, undeclared
    seen = set().union(*(o.run.types for o in _all(report)))
    assert seen >= SHAPE_TYPES - {"blob", "float"}, SHAPE_TYPES - seen


# -- assertions over every collector ------------------------------------------------------------

def test_every_collector_is_exercised(report: Report) -> None:
    assert {o.collector for o in report.outcomes} == set(Collector.registry)
    # Cases (a) and (b) reach every operation a collector declares (else (f) could not deny it).
    calls: dict[type[Collector], Counter] = defaultdict(Counter)
    for o in report.outcomes:
        if o.case.name.startswith(("a", "b")):
            calls[o.collector].update(o.run.calls)
    unreached = [f"{c.__name__}: {s}:{op}" for c in Collector.registry for s, op in c.operations
                 if not calls[c][f"{s}:{op}"]]
    assert not unreached, unreached


def test_never_a_crash(report: Report) -> None:
    """Only `CallFailed` (a listing that could not be read, or read as AWS documents it) may escape."""
    crashes = [f"{_label(o)}: {type(o.error).__name__}: {o.error}" for o in _all(report)
               if o.error is not None and not isinstance(o.error, CallFailed)]
    assert not crashes, "\n".join(crashes)
    # Only case (a) leaves out a member an item cannot be named without.
    unexpected = [f"{_label(o)}: {o.error.reason}" for o in report.outcomes
                  if isinstance(o.error, IncompleteItem) and not o.case.name.startswith("a")]
    assert not unexpected, unexpected


def test_resources_have_the_declared_types(report: Report) -> None:
    wrong = [f"{_label(o)}: {r.type} {r.address}" for o in _all(report) for r in o.ctx.resources
             if r.type not in o.collector.types]
    assert not wrong, wrong
    duplicated = [f"{_label(o)}: {a}" for o in report.outcomes
                  for a, n in Counter(r.address for r in o.ctx.resources).items() if n > 1]
    assert not duplicated, duplicated


def test_unknown_values_carry_a_reason(report: Report) -> None:
    silent = [f"{_label(o)}: {r.address} {sorted(r.unknown)}" for o in _all(report) for r in o.ctx.resources
              if r.unknown and not r.unknown_reason]
    assert not silent, "\n".join(silent)


def test_every_page_is_followed(report: Report) -> None:
    """(d): a token handed out is a page the collector must ask for; and both pages' items count."""
    dropped = [f"{_label(o)}: {op} gave {n} token(s), {o.run.tokens_followed[op]} followed"
               for o in report.outcomes for op, n in o.run.tokens_given.items()
               if o.run.tokens_followed[op] != n]
    assert not dropped, "\n".join(dropped)
    for o in report.outcomes:
        if o.case.paged and o.error is None:
            one = next(x for x in report.outcomes if x.collector is o.collector and x.case.name.startswith("b"))
            assert len(o.ctx.resources) >= len(one.ctx.resources), _label(o)


def test_a_denied_read_leaves_unknown_with_its_reason(report: Report) -> None:
    """(f): a denied listing is a gap (CallFailed naming the call); a denied per-resource read
    leaves UNKNOWN in the resources it would have filled, with ``AccessDenied on service:Operation``."""
    problems, shown = [], defaultdict(list)
    for (name, operation, variant), o in report.denied.items():
        reason = f"AccessDenied on {operation}"
        if not o.run.calls[operation]:
            continue  # not asked for with these values (e.g. no customer managed key): the other variant
        shown[(name, operation)].append(o)
        if isinstance(o.error, CallFailed):
            if not o.error.reason.startswith(reason):
                problems.append(f"{name}: {operation} denied, gap reason {o.error.reason!r}")
            continue
        if o.error is not None:
            continue  # a crash: test_never_a_crash says so
        marked = [r for r in o.ctx.resources if r.unknown_reason and reason in r.unknown_reason]
        if not marked:
            problems.append(f"{name}: {operation} denied (variant {variant}), and no resource says so "
                            f"({len(o.ctx.resources)} emitted)")
        problems += [f"{name}: {operation} denied, {r.address} names it but holds no UNKNOWN"
                     for r in marked if not r.unknown]
    never = sorted({f"{n}: {op}" for n, op, _ in report.denied} - {f"{n}: {op}" for n, op in shown})
    assert not never, f"never called, so never denied: {never}"
    assert not problems, "\n".join(problems)


# -- no PASS on an absent member ----------------------------------------------------------------

@functools.cache
def _engine() -> tuple[Engine, dict[str, Any]]:
    """The shipped packs, every rule judged per resource: a rule over an account or a region
    (a detector is on, a trail is logging) PASSes there when one resource PASSes, so the resource's
    own verdict must not rest on an absent member either."""
    _, selection = select([])
    rules = [replace(r, scope="resource") for r in selection.rules]
    return Engine(Selection(selection.packs, rules, selection.controls)), {r.id: r for r in rules}


def _results(ctx: Ctx) -> list[Any]:
    engine, _ = _engine()
    inventory = Inventory(source="aws", origin=ACCOUNT, resources=ctx.resources, complete=True,
                          scopes={(ACCOUNT, REGION)})
    return engine.run(inventory)


#: Where a generated value sits ("p0-1": page 0, item 1): a resource's place in the response,
#: whatever member its address was made from.
_PLACE = re.compile(r"-(p\d+(?:c\d+)?(?:-\d+)*)-\d{3}(?![\d])")


def _place(address: str) -> tuple[str, ...]:
    return tuple(_PLACE.findall(address))


def _fields(rule: Any) -> tuple[frozenset[str], frozenset[str]]:
    """(every field name the rule's condition or applicability mentions, at any depth; the
    attributes it only counts — ``count(rule)``, ``length(x)`` — whose length alone it reads)."""
    names: set[str] = set()
    counted: set[str] = set()

    def walk(node: Any, counting: bool = False) -> None:
        if not isinstance(node, dict):
            return
        if node.get("type") == "field":
            (counted if counting else names).add(node["value"])
        for child in node.get("children", []):
            walk(child, node.get("type") == "function_expression" and node.get("value") in ("count", "length")
                 and child.get("type") == "field")

    for text in (rule.condition_text, rule.applies_if_text):
        if text:
            walk(jmespath.compile(text).parsed)
    return frozenset(names), frozenset(counted - names)


def _seen(value: Any, names: frozenset[str]) -> Any:
    """What of a value a rule can see: in a dict, the keys the rule names (a dict it names none of
    is read whole, by a function)."""
    if isinstance(value, dict):
        keys = [k for k in value if k in names]
        return {k: _seen(value[k], names) for k in keys} if keys else value
    if isinstance(value, list):
        return [_seen(v, names) for v in value]
    return value


def _read(attributes: dict[str, Any], path: str) -> Any:
    value: Any = attributes
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _decides(rule: Any, attributes: dict[str, Any]) -> dict[str, Any]:
    """What the rule's verdict can depend on: each attribute its condition or applicability
    reads, as the rule sees it (a counted list by its length)."""
    names, counted = _fields(rule)
    paths = field_paths(rule.condition_text) + (field_paths(rule.applies_if_text) if rule.applies_if_text else [])
    seen = {}
    for path in dict.fromkeys(paths):
        value = _read(attributes, path)
        seen[path] = len(value) if path in counted and isinstance(value, (list, dict)) else _seen(value, names)
    return seen


def false_passes(report: Report) -> tuple[list[str], int]:
    """Resource-scope PASSes of case (a) resting on an absent member.

    Which values came from absent members is found by difference: the same responses with every
    absent member that is not a list filled in (three variants: booleans true, false, true; enums
    "on" (else the first), last, middle; policies for the account, for anyone, for another
    account; CIDRs private, open, private), the members present in (a) unchanged.  A PASS is built
    on a missing field when an attribute the rule reads is not the same there (as the rule sees
    it: the keys it names, the length of what it counts), or the same rule FAILs or is UNKNOWN there.
    (An absent list is an empty one: XML protocols cannot tell them apart, and AWS documents
    neither as more than "none" — so lists stay absent in the filled-in twins.)"""
    _, rules = _engine()
    found, passes = [], 0
    for o in report.outcomes:
        if not o.case.name.startswith("a") or o.error is not None:
            continue
        twins: dict[tuple[str, ...], list[tuple[Any, dict[str, Status]]]] = defaultdict(list)
        for f in report.filled[(o.collector.__name__, o.case.name)]:
            if f.error is not None:
                continue
            verdicts: dict[str, dict[str, Status]] = defaultdict(dict)
            for r in _results(f.ctx):
                verdicts[r.address][r.rule_id] = r.status
            for resource in f.ctx.resources:
                key = _place(resource.address) if len(f.ctx.resources) > 1 else ()
                twins[key].append((resource, verdicts[resource.address]))
        resources = {r.address: r for r in o.ctx.resources}
        for result in _results(o.ctx):
            rule = rules[result.rule_id]
            if result.status is not Status.PASS:
                continue
            passes += 1
            if rule.id in ABSENCE_PASSES:
                continue
            resource = resources[result.address]
            key = _place(result.address) if len(o.ctx.resources) > 1 else ()
            candidates = twins.get(key, [])
            # The same place and type; else (a member that changes the type was filled in) any type.
            candidates = [t for t in candidates if t[0].type == resource.type] or candidates
            candidates = [t for t in candidates if rule.id in t[1]]
            what = f"{o.collector.__name__} [{o.case.name}]: {rule.id} PASS on {resource.type} {result.address}"
            if not candidates:
                found.append(f"{what}: no filled-in twin to tell what it rests on")
                continue
            mine = _decides(rule, resource.attributes)
            moved = sorted({p for twin, _ in candidates for p, v in _decides(rule, twin.attributes).items()
                            if v != mine[p]})
            flipped = [v[rule.id].value for _, v in candidates if v[rule.id] in (Status.FAIL, Status.UNKNOWN)]
            if moved or flipped:
                found.append(f"{what} ({result.reason}): " + (f"{', '.join(moved)} came from absent members"
                             if moved else f"{'/'.join(flipped)} once absent members are filled in"))
    return found, passes


def test_no_pass_built_on_an_absent_member(report: Report) -> None:
    found, _ = false_passes(report)
    assert not found, "\n".join(found)


def test_absence_passes_are_still_needed(report: Report) -> None:
    """The allow-list holds only rules that do PASS on case (a): nothing stale."""
    passing = {r.rule_id for o in report.outcomes if o.case.name.startswith("a") and o.error is None
               for r in _results(o.ctx) if r.status is Status.PASS}
    assert set(ABSENCE_PASSES) <= passing, set(ABSENCE_PASSES) - passing


def test_figures(report: Report, request: pytest.FixtureRequest) -> None:
    by_collector: dict[str, list[Outcome]] = defaultdict(list)
    for o in _all(report):
        by_collector[o.collector.__name__].append(o)
    crashes = sum(o.error is not None and not isinstance(o.error, CallFailed) for o in _all(report))
    found, passes = false_passes(report)
    letters = "abcdef"
    lines = ["collector shapes (botocore output shapes → every collector, fake clients, no network):",
             f"  {'collector':<26} {'ops':>3} " + " ".join(f"{c:>3}" for c in letters)
             + f" {'runs':>4} {'calls':>5} {'emitted':>7}  members (a) cannot do without"]
    for name, outcomes in by_collector.items():
        collector = outcomes[0].collector
        per_case = Counter(o.case.name[0] for o in outcomes)
        forced = ", ".join(sorted(next(o for o in outcomes if o.case.name.startswith("a:")).case.force)) or "-"
        lines.append(f"  {name:<26} {len(set(collector.operations)):>3} "
                     + " ".join(f"{per_case[c]:>3}" for c in letters)
                     + f" {len(outcomes):>4} {sum(sum(o.run.calls.values()) for o in outcomes):>5} "
                     f"{sum(len(o.ctx.resources) for o in outcomes):>7}  {forced}")
    lines += ["  (a: required only, twice, + 3 filled-in twins each; b: two value sets; c: all lists empty / "
              "only item lists; d: two pages; e: unseen enums; f: each operation denied, on a, b, b')",
              f"  collectors {len(by_collector)}, runs {len(_all(report))}, crashes {crashes}, "
              f"case (a) PASS verdicts {passes} (on the allow-list: {len(ABSENCE_PASSES)} rules), "
              f"false PASS {len(found)}, {report.seconds:.1f}s"]
    show_figures(request, lines)
