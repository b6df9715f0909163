"""One record per resource type (`policies/types.yaml`), as Cloud Custodian's ``TypeInfo``.

Rules name Terraform types; everything else known about a type — what it is (`kind`), its Pulumi
tokens, renames and maps, how it folds into a parent, whether an account or region has at most one
of it, its ASFF type, the live collector that reads it, the AWS Config types that count it — is one
`TypeInfo` here.  The consumers (folding, the engine's singletons, the Pulumi reader, the ASFF
report, coverage) read this table and nothing else.

A light module: the shipped YAML (`datafiles`) only.  The file is validated when it loads: an
unknown key, a token listed twice, a kind outside `KINDS`, a fold parent without a record… is a
`ValueError` naming the type.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any, Mapping

from .datafiles import shipped_yaml

FILE = "policies/types.yaml"

#: What a type can be (a record names at least one).
KINDS = ("stores-data", "network-path", "grants-access", "security-control")
#: `singleton` scopes: an account has at most one, or each region of an account has at most one.
SCOPES = ("account", "region")
#: How a folded child attaches to its parent (see scanner/folding.py).
FOLD_MODES = ("set", "append", "merge")

_TOP_KEYS = frozenset({"maps_everywhere", "not_resources", "types"})
_RECORD_KEYS = frozenset({"kind", "singleton", "asff", "collector", "config", "fold", "pulumi"})
_PULUMI_KEYS = frozenset({"tokens", "renames", "maps"})
_FOLD_KEYS = frozenset({"parents", "link", "parent_keys", "into", "into_expr", "into_choices", "mode", "value"})
_FOLD_REQUIRED = frozenset({"parents", "link", "parent_keys", "mode"})
_TERRAFORM = re.compile(r"^aws_[a-z0-9]+(_[a-z0-9]+)*$")
_ASFF = re.compile(r"^Aws[A-Z][A-Za-z0-9]*$")
_COLLECTOR = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_CONFIG = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")
_TOKEN = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9/._-]+:[A-Za-z0-9]+$")


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """Everything known about one Terraform resource type."""

    terraform: str
    #: What the type is: a subset of `KINDS`, in the file's order.
    kind: tuple[str, ...]
    #: Pulumi type tokens that stand for this type (empty: none does).
    tokens: tuple[str, ...] = ()
    #: Pulumi path ("a.b", no indices) → Terraform attribute name.
    renames: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Pulumi paths of map attributes whose keys are user data (besides `maps_everywhere`).
    maps: frozenset[str] = frozenset()
    #: How this split child folds into its parent: the `fold` mapping as written; None for a non-child.
    fold: Mapping[str, Any] | None = None
    #: "account" or "region" when an account (or each of its regions) has at most one; else None.
    singleton: str | None = None
    #: The ASFF resource type of a finding on a live resource of this type; None: no plain one.
    asff: str | None = None
    #: The name of the live collector class that reads this type; None: no collector does.
    collector: str | None = None
    #: The AWS Config resource types (``AWS::S3::Bucket``) whose discovered-resource counts include
    #: resources of this type; empty: none does.
    config: tuple[str, ...] = ()

    def is_(self, kind: str) -> bool:
        """Whether the type is of `kind` (one of `KINDS`)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
        return kind in self.kind


@dataclass(frozen=True, slots=True)
class TypesFile:
    """The whole file: the records and the two file-level tables."""

    records: Mapping[str, TypeInfo]
    #: Pulumi property names that are maps of user keys at any depth (`tags`, `tagsAll`).
    maps_everywhere: frozenset[str]
    #: Terraform types that are no provider's resource (only a live collector fills them) → why.
    not_resources: Mapping[str, str]


# -- loading and validation ---------------------------------------------------------------------------
def _fail(where: str, problem: str) -> ValueError:
    return ValueError(f"{FILE}: {where}: {problem}")


def _strings(value: Any, where: str, key: str, *, empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value) or (not value and not empty):
        raise _fail(where, f"`{key}` must be a {'' if empty else 'non-empty '}list of strings")
    if len(set(value)) != len(value):
        raise _fail(where, f"`{key}` lists {sorted(v for v in set(value) if value.count(v) > 1)} twice")
    return tuple(value)


def _unknown_keys(spec: Mapping[str, Any], allowed: frozenset[str], where: str, what: str) -> None:
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise _fail(where, f"unknown {what} key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}")


def _mapping(value: Any, where: str, key: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, f"`{key}` must be a mapping")
    return value


def _pulumi(spec: Any, where: str) -> tuple[tuple[str, ...], Mapping[str, str], frozenset[str]]:
    spec = _mapping(spec, where, "pulumi")
    _unknown_keys(spec, _PULUMI_KEYS, where, "pulumi")
    tokens = _strings(spec.get("tokens"), where, "pulumi.tokens")
    for token in tokens:
        if not _TOKEN.match(token):
            raise _fail(where, f"{token!r} is not a Pulumi type token (package:module/name:Name)")
    renames = _mapping(spec.get("renames") or {}, where, "pulumi.renames")
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in renames.items()):
        raise _fail(where, "`pulumi.renames` must map Pulumi paths to Terraform attribute names")
    maps = _strings(spec.get("maps") or [], where, "pulumi.maps", empty=True)
    return tokens, MappingProxyType(dict(renames)), frozenset(maps)


def _fold(spec: Any, where: str) -> Mapping[str, Any]:
    spec = _mapping(spec, where, "fold")
    _unknown_keys(spec, _FOLD_KEYS, where, "fold")
    missing = sorted(_FOLD_REQUIRED - set(spec))
    if missing:
        raise _fail(where, f"`fold` lacks {', '.join(missing)}")
    _strings(spec["parents"], where, "fold.parents")
    _strings(spec["parent_keys"], where, "fold.parent_keys")
    for key in ("link", "into", "into_expr", "value"):
        if key in spec and not (isinstance(spec[key], str) and spec[key]):
            raise _fail(where, f"`fold.{key}` must be a non-empty string")
    if spec["mode"] not in FOLD_MODES:
        raise _fail(where, f"`fold.mode` is {spec['mode']!r}; one of {', '.join(FOLD_MODES)}")
    if "into" in spec and "into_expr" in spec:
        raise _fail(where, "`fold` gives both `into` and `into_expr`")
    if spec["mode"] == "merge":
        if "into" in spec or "into_expr" in spec:
            raise _fail(where, "a `merge` fold sets the parent's keys itself: no `into`/`into_expr`")
    elif "into" not in spec and "into_expr" not in spec:
        raise _fail(where, f"a `{spec['mode']}` fold needs `into` or `into_expr`")
    if "into_expr" in spec:
        _strings(spec.get("into_choices"), where, "fold.into_choices")
    elif "into_choices" in spec:
        raise _fail(where, "`fold.into_choices` goes with `into_expr`")
    return MappingProxyType(dict(spec))


def _record(terraform: Any, spec: Any) -> TypeInfo:
    if not isinstance(terraform, str) or not _TERRAFORM.match(terraform):
        raise ValueError(f"{FILE}: {terraform!r} is not a Terraform AWS resource type")
    where = terraform
    spec = _mapping(spec, where, "the record")
    _unknown_keys(spec, _RECORD_KEYS, where, "record")
    kind = _strings(spec.get("kind"), where, "kind")
    outside = [k for k in kind if k not in KINDS]
    if outside:
        raise _fail(where, f"kind {', '.join(map(repr, outside))} is not one of {', '.join(KINDS)}")
    singleton = spec.get("singleton")
    if singleton is not None and singleton not in SCOPES:
        raise _fail(where, f"`singleton` is {singleton!r}; one of {', '.join(SCOPES)}")
    asff = spec.get("asff")
    if asff is not None and not (isinstance(asff, str) and _ASFF.match(asff)):
        raise _fail(where, f"`asff` {asff!r} is not an ASFF resource type (Aws…)")
    collector = spec.get("collector")
    if collector is not None and not (isinstance(collector, str) and _COLLECTOR.match(collector)):
        raise _fail(where, f"`collector` {collector!r} is not a collector class name")
    config = _strings(spec["config"], where, "config") if "config" in spec else ()
    for name in config:
        if not _CONFIG.match(name):
            raise _fail(where, f"`config` {name!r} is not an AWS Config resource type (AWS::Service::Type)")
    tokens, renames, maps = _pulumi(spec["pulumi"], where) if "pulumi" in spec else ((), MappingProxyType({}), frozenset())
    fold = _fold(spec["fold"], where) if "fold" in spec else None
    return TypeInfo(terraform=terraform, kind=kind, tokens=tokens, renames=renames, maps=maps, fold=fold,
                    singleton=singleton, asff=asff, collector=collector, config=config)


def parse(raw: Any) -> TypesFile:
    """Validate the parsed file and build its records; ValueError names the type and the problem."""
    if not isinstance(raw, dict):
        raise ValueError(f"{FILE}: expected a mapping with `types`")
    _unknown_keys(raw, _TOP_KEYS, "the file", "top-level")
    types = raw.get("types")
    if not isinstance(types, dict) or not types:
        raise ValueError(f"{FILE}: `types` must be a non-empty mapping of Terraform type → record")
    records = {terraform: _record(terraform, spec) for terraform, spec in types.items()}
    owner: dict[str, str] = {}
    for info in records.values():
        for token in info.tokens:
            if token in owner:
                first = owner[token]
                raise _fail(info.terraform, f"{token} is listed twice"
                            + (f" (also under {first})" if first != info.terraform else ""))
            owner[token] = info.terraform
        if info.fold is not None:
            unknown = [p for p in info.fold["parents"] if p not in records]
            if unknown:
                raise _fail(info.terraform, f"fold parent{'s' if len(unknown) > 1 else ''} "
                            f"{', '.join(unknown)} ha{'ve' if len(unknown) > 1 else 's'} no record")
    everywhere = _strings(raw.get("maps_everywhere") or [], "maps_everywhere", "maps_everywhere", empty=True)
    not_resources = _mapping(raw.get("not_resources") or {}, "not_resources", "not_resources")
    for terraform, why in not_resources.items():
        if terraform not in records:
            raise _fail(str(terraform), "named in not_resources but has no record")
        if records[terraform].tokens:
            raise _fail(terraform, "named in not_resources but has Pulumi tokens")
        if not (isinstance(why, str) and why):
            raise _fail(terraform, "a not_resources entry says why, as text")
    return TypesFile(MappingProxyType(records), frozenset(everywhere), MappingProxyType(dict(not_resources)))


@cache
def types_file() -> TypesFile:
    """`policies/types.yaml`, loaded and validated once."""
    return parse(shipped_yaml("types.yaml"))


# -- accessors ----------------------------------------------------------------------------------------
def type_table() -> Mapping[str, TypeInfo]:
    """Every record, by Terraform type."""
    return types_file().records


def type_info(terraform: str) -> TypeInfo | None:
    """The record of a Terraform type; None when the table has none."""
    return types_file().records.get(terraform)


def of_kind(kind: str) -> frozenset[str]:
    """The Terraform types of `kind` (one of `KINDS`)."""
    return frozenset(t for t, info in type_table().items() if info.is_(kind))


@cache
def singletons(scope: str | None = None) -> frozenset[str]:
    """Types an account (scope "account"), each region ("region"), or either (None) has at most one of."""
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown singleton scope {scope!r}; one of {', '.join(SCOPES)}")
    return frozenset(t for t, info in type_table().items()
                     if info.singleton is not None and (scope is None or info.singleton == scope))


def asff_type(terraform: str) -> str | None:
    """The ASFF resource type of a Terraform type, where there is a plain one."""
    info = type_info(terraform)
    return info.asff if info else None


@cache
def config_types() -> Mapping[str, tuple[str, ...]]:
    """AWS Config resource type → the Terraform types it counts (one Config type can count several:
    ``AWS::EC2::SecurityGroup`` is every group, default or not)."""
    out: dict[str, list[str]] = {}
    for terraform, info in type_table().items():
        for name in info.config:
            out.setdefault(name, []).append(terraform)
    return MappingProxyType({name: tuple(types) for name, types in out.items()})


def fold_specs() -> dict[str, Mapping[str, Any]]:
    """child type → its `fold` mapping (as written), for the split child types."""
    return {t: info.fold for t, info in type_table().items() if info.fold is not None}
