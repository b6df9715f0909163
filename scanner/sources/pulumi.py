"""Pulumi previews and stacks: ``pulumi preview --json``, ``pulumi stack export`` and
``pulumi preview --save-plan`` files, detected by content.

pulumi-aws is bridged from the Terraform AWS provider, so each Pulumi resource becomes the
Terraform resource it wraps: its type token is looked up in ``policies/types.yaml``, its
camelCase properties become snake_case (with the table's renames for pluralised blocks), and the
single objects Pulumi makes of one-element blocks become one-element lists again.  Unresolved
outputs (the unknown sentinels, ``output<…>`` placeholders) become UNKNOWN; secrets (the
``4dabf18193072939515e22adb298388d`` signature, or ``[secret]`` in a preview) are redacted before
any rule sees them, as are the attributes ``policies/sensitive.yaml`` names.  Resources a preview
deletes are not checked.  The region comes from the resource itself, its provider's
configuration or the stack's ``aws:region``.  Split resources fold into their parents through
``propertyDependencies`` (then ``dependencies``), with equal known values as the fallback.

`read_states` is the same reader over plain resource records, for the CrossGuard policy pack.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Iterable, Mapping

from ..arns import arn_part, own_arn_part
from ..errors import InputError
from ..folding import UNRESOLVED, FoldRule, ValueIndex, fold_inventory
from ..model import REDACTED, Inventory, Resource
from ..redact import mark_unknown, redact, set_path
from ..source import DocumentSource
from ..types import types_file

SOURCE = "pulumi"

#: The values Pulumi writes for "not known until the update runs" (string, boolean, number,
#: array, asset, archive and object forms; state files use the string one).
UNKNOWN_SENTINELS = frozenset({
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
})
_PLACEHOLDER = re.compile(r"^output<[^<>]*>$")
#: What `pulumi preview --json` writes for a secret value.
BLINDED_SECRET = "[secret]"

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"

#: Packages whose resources are AWS resources: one outside the table is reported, not dropped.
AWS_PACKAGES = ("aws", "aws-native")
#: Step operations after which the resource no longer exists (or is not managed by the stack).
_GONE_OPS = frozenset({"delete", "delete-replaced", "discard", "discard-replaced",
                       "remove-pending-replace", "read", "read-replacement", "read-discard"})
_STACK_EXPORT_VERSIONS = (3, 4)
_CAMEL_HUMP = re.compile(r"(?<!^)([A-Z])")

EXPECTED = ("expected the output of `pulumi preview --json`, `pulumi stack export` "
            "or `pulumi preview --save-plan`")


# -- the mapping table -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TypeMapping:
    """One Terraform type and how Pulumi writes it."""

    terraform: str
    tokens: tuple[str, ...]
    #: Pulumi path ("a.b", no indices) → Terraform attribute name.
    renames: Mapping[str, str]
    #: Pulumi paths of map attributes whose keys are user data.
    maps: frozenset[str]

    def pulumi_name(self, terraform_attribute: str) -> str:
        """The top-level Pulumi property that holds a Terraform attribute (for folding links)."""
        for path, name in self.renames.items():
            if name == terraform_attribute and "." not in path:
                return path
        return camel(terraform_attribute)


@dataclass(frozen=True, slots=True)
class TypeTable:
    by_token: Mapping[str, TypeMapping]
    by_terraform: Mapping[str, TypeMapping]
    maps_everywhere: frozenset[str]
    not_resources: Mapping[str, str]


@cache
def type_table() -> TypeTable:
    """The records of `policies/types.yaml` that have Pulumi tokens, indexed by token and by
    Terraform type (the file's loader refuses a token listed twice)."""
    file = types_file()
    by_token: dict[str, TypeMapping] = {}
    by_terraform: dict[str, TypeMapping] = {}
    for terraform, info in file.records.items():
        if not info.tokens:
            continue
        mapping = TypeMapping(terraform, info.tokens, dict(info.renames), info.maps)
        by_terraform[terraform] = mapping
        for token in mapping.tokens:
            by_token[token] = mapping
    return TypeTable(by_token, by_terraform, file.maps_everywhere, dict(file.not_resources))


def terraform_type(token: str) -> str | None:
    """The Terraform type a Pulumi type token stands for; None when the table does not map it."""
    mapping = type_table().by_token.get(token)
    return mapping.terraform if mapping else None


def snake(name: str) -> str:
    """``kmsMasterKeyId`` → ``kms_master_key_id``; ``ipv6CidrBlocks`` → ``ipv6_cidr_blocks``."""
    return _CAMEL_HUMP.sub(r"_\1", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def is_unknown_value(value: Any) -> bool:
    return isinstance(value, str) and (value in UNKNOWN_SENTINELS or bool(_PLACEHOLDER.match(value)))


# -- property conversion ------------------------------------------------------------------------------
@dataclass
class Converted:
    """A Pulumi resource's properties in Terraform's shape, before unknowns and secrets are applied."""

    terraform: str
    attributes: dict[str, Any]
    #: after_unknown- and after_sensitive-style mirror trees (``true`` at each path).
    unknown: dict[str, Any] = field(default_factory=dict)
    sensitive: dict[str, Any] = field(default_factory=dict)


class _Converter:
    def __init__(self, mapping: TypeMapping, maps_everywhere: frozenset[str]) -> None:
        self.mapping = mapping
        self.maps_everywhere = maps_everywhere
        self.unknown: dict[str, Any] = {}
        self.sensitive: dict[str, Any] = {}

    def _mark(self, mirror: dict[str, Any], path: tuple[Any, ...]) -> None:
        """``true`` at `path` in a mirror tree, unless an enclosing value is already marked."""
        node: Any = mirror
        for step in path[:-1]:
            node = node.get(step) if isinstance(node, dict) else (
                node[step] if isinstance(node, list) and step < len(node) else None)
            if node is True:
                return
            if node is None:
                break
        if path:
            set_path(mirror, path, True)

    def _peel(self, value: Any, tpath: tuple[Any, ...]) -> tuple[Any, bool]:
        """Unwrap secrets and output values; returns (inner value, whether it is unknown)."""
        while True:
            if isinstance(value, str) and value == BLINDED_SECRET:
                self._mark(self.sensitive, tpath)
                return REDACTED, False
            if is_unknown_value(value):
                self._mark(self.unknown, tpath)
                return None, True
            if not isinstance(value, dict) or value.get(SIG_KEY) not in (SECRET_SIG, OUTPUT_SIG):
                return value, False
            if value[SIG_KEY] == OUTPUT_SIG:
                if "value" not in value:
                    self._mark(self.unknown, tpath)
                    return None, True
                if value.get("secret"):
                    self._mark(self.sensitive, tpath)
                value = value["value"]
                continue
            self._mark(self.sensitive, tpath)
            if "plaintext" in value:
                try:
                    value = json.loads(value["plaintext"])
                except (TypeError, ValueError, RecursionError):
                    value = value["plaintext"]
            elif "value" in value:
                value = value["value"]
            else:  # ciphertext: neither value nor shape can be known, only that one is set
                return REDACTED, False

    def _special(self, value: dict[str, Any]) -> tuple[bool, Any]:
        sig = value.get(SIG_KEY)
        if sig in (ASSET_SIG, ARCHIVE_SIG):
            return True, value.get("path") or value.get("uri")
        if sig == RESOURCE_REF_SIG:
            return True, value.get("id") or value.get("urn")
        return False, None

    def _is_map(self, ppath: tuple[str, ...]) -> bool:
        return ppath[-1] in self.maps_everywhere or ".".join(ppath) in self.mapping.maps

    def convert(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return self._object(props, (), ())

    def _object(self, props: Mapping[str, Any], ppath: tuple[str, ...], tpath: tuple[Any, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, raw in props.items():
            if not isinstance(key, str) or key.startswith("__"):
                continue
            child_ppath = ppath + (key,)
            name = self.mapping.renames.get(".".join(child_ppath)) or snake(key)
            out[name] = self._field(raw, child_ppath, tpath + (name,))
        return out

    def _field(self, raw: Any, ppath: tuple[str, ...], tpath: tuple[Any, ...]) -> Any:
        """A property's value; a plain object (a flattened block) becomes a one-element list."""
        value, unknown = self._peel(raw, tpath)
        if unknown or not isinstance(value, dict):
            return self._value(value, ppath, tpath)
        special, replacement = self._special(value)
        if special:
            return replacement
        if self._is_map(ppath):
            return {k: self._value(v, ppath, tpath + (k,)) for k, v in value.items()}
        return [self._object(value, ppath, tpath + (0,))]

    def _value(self, raw: Any, ppath: tuple[str, ...], tpath: tuple[Any, ...]) -> Any:
        value, unknown = self._peel(raw, tpath)
        if unknown:
            return None
        if isinstance(value, list):
            return [self._value(item, ppath, tpath + (i,)) for i, item in enumerate(value)]
        if isinstance(value, dict):
            special, replacement = self._special(value)
            if special:
                return replacement
            if self._is_map(ppath):
                return {k: self._value(v, ppath, tpath + (k,)) for k, v in value.items()}
            return self._object(value, ppath, tpath)
        return value


def convert_properties(token: str, props: Mapping[str, Any]) -> Converted | None:
    """A Pulumi resource's properties as the Terraform resource they wrap; None for a token the
    table does not map."""
    table = type_table()
    mapping = table.by_token.get(token)
    if mapping is None:
        return None
    converter = _Converter(mapping, table.maps_everywhere)
    attributes = converter.convert(props)
    return Converted(mapping.terraform, attributes, converter.unknown, converter.sensitive)


# -- the three file formats, as one list of resource records ---------------------------------------------
@dataclass
class _State:
    """One resource as any of the formats describes it."""

    urn: str
    type: str
    custom: bool
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    id: Any = None
    provider: str | None = None
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: Mapping[str, list[str]] | None = None


def _mapping(value: Any, where: str, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(name, f"{where} is not an object")
    return value


def _urns(value: Any) -> list[str]:
    return [u for u in value if isinstance(u, str)] if isinstance(value, list) else []


def _state(name: str, where: str, raw: Any, *, inputs: Any = None, outputs: Any = None) -> _State:
    if not isinstance(raw, dict):
        raise InputError(name, f"{where} is not an object")
    urn, rtype = raw.get("urn"), raw.get("type")
    if not isinstance(rtype, str) or not rtype:
        raise InputError(name, f"{where}: no resource type")
    if not isinstance(urn, str) or not urn:
        raise InputError(name, f"{where}: no URN")
    deps = raw.get("propertyDependencies")
    return _State(
        urn=urn,
        type=rtype,
        custom=bool(raw.get("custom", True)),
        inputs=_mapping(raw.get("inputs") if inputs is None else inputs, f"{where}.inputs", name),
        outputs=_mapping(raw.get("outputs") if outputs is None else outputs, f"{where}.outputs", name),
        id=raw.get("id"),
        provider=raw.get("provider") if isinstance(raw.get("provider"), str) else None,
        parent=raw.get("parent") if isinstance(raw.get("parent"), str) else None,
        dependencies=_urns(raw.get("dependencies")),
        property_dependencies={str(k): _urns(v) for k, v in deps.items()} if isinstance(deps, dict) else None,
    )


def _stack_export(name: str, document: dict[str, Any]) -> tuple[list[_State], dict[str, Any], dict[str, Any]]:
    version = document.get("version")
    if version not in _STACK_EXPORT_VERSIONS:
        raise InputError(name, f"unsupported stack export version {version!r} (expected 3 or 4, "
                               "from `pulumi stack export`)")
    deployment = document.get("deployment")
    if deployment is None and isinstance(document.get("checkpoint"), dict):
        deployment = document["checkpoint"].get("latest")  # a DIY backend's checkpoint file
    deployment = _mapping(deployment, "deployment", name)
    raw_resources = deployment.get("resources") or []
    if not isinstance(raw_resources, list):
        raise InputError(name, "deployment.resources is not a list")
    states = []
    for i, raw in enumerate(raw_resources):
        where = f"deployment.resources[{i}]"
        if not isinstance(raw, dict):
            raise InputError(name, f"{where} is not an object")
        # pending deletion, deleted before its replacement, or read (not managed): not checked
        if raw.get("delete") or raw.get("pendingReplacement") or raw.get("external"):
            continue
        states.append(_state(name, where, raw))
    manifest = deployment.get("manifest") if isinstance(deployment.get("manifest"), dict) else {}
    return states, {}, {"format": "stack-export", "pulumi_version": manifest.get("version")}


def _preview(name: str, document: dict[str, Any]) -> tuple[list[_State], dict[str, Any], dict[str, Any]]:
    steps = document.get("steps") or []
    if not isinstance(steps, list):
        raise InputError(name, "steps is not a list")
    states: dict[str, _State] = {}
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            raise InputError(name, f"steps[{i}] is not an object")
        op = step.get("op")
        new = step.get("newState")
        if op in _GONE_OPS or new is None:
            continue
        state = _state(name, f"steps[{i}].newState", new)
        states.setdefault(state.urn, state)
    config = document.get("config") if isinstance(document.get("config"), dict) else {}
    return list(states.values()), config, {"format": "preview"}


def _save_plan(name: str, document: dict[str, Any]) -> tuple[list[_State], dict[str, Any], dict[str, Any]]:
    plans = document.get("resourcePlans")
    if not isinstance(plans, dict):
        raise InputError(name, "resourcePlans is not an object")
    states = []
    for urn, plan in plans.items():
        where = f"resourcePlans[{urn}]"
        if not isinstance(plan, dict):
            raise InputError(name, f"{where} is not an object")
        goal = plan.get("goal")
        steps = plan.get("steps") or []
        if goal is None or (steps and all(s in _GONE_OPS for s in steps)):
            continue  # no goal state: the plan deletes it
        goal = _mapping(goal, f"{where}.goal", name)
        diff = _mapping(goal.get("inputDiff"), f"{where}.goal.inputDiff", name)
        inputs = {**_mapping(goal.get("adds") or diff.get("adds"), f"{where}.goal.inputDiff.adds", name),
                  **_mapping(goal.get("updates") or diff.get("updates"), f"{where}.goal.inputDiff.updates", name)}
        raw = dict(goal, urn=urn)
        states.append(_state(name, where, raw, inputs=inputs,
                             outputs=_mapping(plan.get("state"), f"{where}.state", name)))
    config = document.get("config") if isinstance(document.get("config"), dict) else {}
    manifest = document.get("manifest") if isinstance(document.get("manifest"), dict) else {}
    return states, config, {"format": "save-plan", "pulumi_version": manifest.get("version")}


def _kind(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    if "deployment" in document or ("checkpoint" in document and "version" in document):
        return "stack-export"
    if "resourcePlans" in document:
        return "save-plan"
    if isinstance(document.get("plan"), dict) and "resourcePlans" in document["plan"]:
        return "versioned-save-plan"
    if "steps" in document or "changeSummary" in document:
        return "preview"
    return None


# -- regions, accounts ------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A provider or config value as data: JSON-encoded strings decoded, secrets and unknowns None."""
    if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
        return None
    if is_unknown_value(value) or value == BLINDED_SECRET:
        return None
    if isinstance(value, str) and value.startswith(("[", "{")):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _account_of(settings: Mapping[str, Any], prefix: str = "") -> str | None:
    allowed = _plain(settings.get(f"{prefix}allowedAccountIds"))
    if isinstance(allowed, list) and len(allowed) == 1:
        return str(allowed[0])
    for key in ("assumeRole", "assumeRoles"):
        roles = _plain(settings.get(f"{prefix}{key}"))
        for role in roles if isinstance(roles, list) else [roles]:
            arn = role.get("roleArn") if isinstance(role, dict) else None
            account = arn_part(arn, "account")
            if account:
                return account
    return None


def _provider_urn(reference: str | None) -> str | None:
    """``urn:…::pulumi:providers:aws::default::<id>`` → the provider's URN."""
    if not reference:
        return None
    return reference.rsplit("::", 1)[0] if reference.count("::") >= 4 else reference


def _stack_of(urn: str) -> tuple[str | None, str | None]:
    parts = urn.split("::")
    if len(parts) >= 2 and parts[0].startswith("urn:pulumi:"):
        return parts[0][len("urn:pulumi:"):], parts[1]
    return None, None


# -- the reader ---------------------------------------------------------------------------------------------
class _Reader:
    def __init__(self, name: str, states: list[_State], config: Mapping[str, Any], account: str | None) -> None:
        self.name = name
        self.states = states
        self.config = config
        self.by_urn = {s.urn: s for s in states}
        self.children: dict[str, list[_State]] = {}
        for state in states:
            if state.parent:
                self.children.setdefault(state.parent, []).append(state)
        self.account = account
        self.meta: dict[int, _State] = {}
        self.resources_by_urn: dict[str, Resource] = {}
        self.not_assessed: Counter[str] = Counter()
        self.unmodelled: list[tuple[str, str]] = []
        self._expansions: dict[tuple[str, tuple[str, ...]], list[Resource]] = {}

    def _settings(self, state: _State) -> dict[str, Any]:
        return {**state.inputs, **state.outputs}

    def _provider_settings(self, state: _State) -> dict[str, Any]:
        provider = self.by_urn.get(_provider_urn(state.provider) or "")
        return self._settings(provider) if provider else {}

    def _region(self, state: _State, attributes: dict[str, Any]) -> str | None:
        """The resource's own region (pulumi-aws v7), its provider's, the stack's, or the one in
        its own ARN (a stack export whose provider took the region from the environment)."""
        for candidate in (attributes.get("region"), _plain(self._provider_settings(state).get("region")),
                          _plain(self.config.get("aws:region")), own_arn_part(attributes, "region")):
            if isinstance(candidate, str) and candidate:
                return candidate
        return None

    def _account(self, state: _State, inferred: Mapping[str | None, str]) -> str | None:
        """The account given, the provider's (``allowedAccountIds``, ``assumeRole``), the stack
        config's, or the one account the ARNs of the provider's resources all name."""
        if self.account:
            return self.account
        return (_account_of(self._provider_settings(state)) or _account_of(self.config, "aws:")
                or inferred.get(_provider_urn(state.provider)))

    def resources(self) -> list[Resource]:
        converted_states: list[tuple[_State, Converted]] = []
        for state in self.states:
            if not state.custom or state.type.startswith("pulumi:"):
                continue  # components, the stack, providers, stack references
            converted = convert_properties(state.type, {**state.inputs, **state.outputs})
            if converted is None:
                if state.type.split(":", 1)[0] in AWS_PACKAGES:
                    self.not_assessed[state.type] += 1
                    self.unmodelled.append((state.urn, state.type))
                continue
            converted_states.append((state, converted))
        seen_accounts: dict[str | None, set[str]] = {}
        for state, converted in converted_states:
            own = own_arn_part(converted.attributes, "account")
            if own:
                seen_accounts.setdefault(_provider_urn(state.provider), set()).add(own)
        inferred = {p: next(iter(a)) for p, a in seen_accounts.items() if len(a) == 1}
        return [self._resource(state, converted, inferred) for state, converted in converted_states]

    def _resource(self, state: _State, converted: Converted, inferred: Mapping[str | None, str]) -> Resource:
        attributes = converted.attributes
        if "id" not in attributes and state.id not in (None, ""):
            attributes["id"] = state.id
            if is_unknown_value(state.id):
                attributes["id"] = None
                converted.unknown["id"] = True
        unknown = mark_unknown(attributes, converted.unknown)
        sensitive = redact(converted.terraform, attributes, converted.sensitive)
        resource = Resource(
            address=state.urn,
            type=converted.terraform,
            attributes=attributes,
            source=SOURCE,
            account=self._account(state, inferred),
            region=self._region(state, attributes),
            unknown=unknown,
            sensitive=sensitive,
            file=self.name,
        )
        self.meta[id(resource)] = state
        self.resources_by_urn[state.urn] = resource
        return resource

    def _expand(self, urn: str, seen: set[str]) -> Iterable[Resource]:
        """The resources a dependency URN stands for: itself, or a component's descendants."""
        if urn in seen:
            return
        seen.add(urn)
        if urn in self.resources_by_urn:
            yield self.resources_by_urn[urn]
            return
        state = self.by_urn.get(urn)
        if state is not None and not state.custom:
            for child in self.children.get(urn, []):
                yield from self._expand(child.urn, seen)

    def _parents(self, urns: list[str], rule: FoldRule) -> list[Resource]:
        """The resources of a parent type the URNs stand for; at most two (two already make the
        parent undetermined), so a child depending on a component of thousands of resources
        costs no more than one depending on the parent itself."""
        found: dict[int, Resource] = {}
        for urn in urns:
            for resource in self._expanded(urn, rule.parents):
                found.setdefault(id(resource), resource)
                if len(found) > 1:
                    return list(found.values())
        return list(found.values())

    def _expanded(self, urn: str, types: tuple[str, ...]) -> list[Resource]:
        """Up to two distinct resources of `types` a dependency URN stands for, computed once per
        (URN, types)."""
        key = (urn, types)
        cached = self._expansions.get(key)
        if cached is None:
            cached = []
            for resource in self._expand(urn, set()):
                if resource.type in types and not any(r is resource for r in cached):
                    cached.append(resource)
                    if len(cached) > 1:
                        break
            self._expansions[key] = cached
        return cached

    def resolver(self, resources_: list[Resource]):
        values = ValueIndex(resources_)
        table = type_table()

        def resolve(child: Resource, rule: FoldRule) -> Resource | None | object:
            state = self.meta[id(child)]
            mapping = table.by_token[state.type]
            if state.property_dependencies is not None:
                urns = state.property_dependencies.get(mapping.pulumi_name(rule.link)) or []
            else:  # no per-property record (older states): any dependency of a parent type
                urns = state.dependencies
            parents = self._parents(urns, rule)
            if len(parents) == 1:
                return parents[0]
            if len(parents) > 1:
                return UNRESOLVED
            return values.find(child, rule)

        return resolve

    def notes(self) -> list[str]:
        return [f"not assessed: {count} resource{'s' if count > 1 else ''} of Pulumi type {token} "
                "(no mapping to a Terraform AWS type in policies/types.yaml)"
                for token, count in sorted(self.not_assessed.items())]


def _inventory(name: str, states: list[_State], config: Mapping[str, Any], account: str | None,
               metadata: dict[str, Any]) -> Inventory:
    """The unfolded inventory of a stack's resources, with the resolver the fold stage uses."""
    reader = _Reader(name, states, config, account)
    resources_ = reader.resources()
    scopes = {(r.account, r.region) for r in resources_ if r.region} or \
        ({(r.account, None) for r in resources_} or {(account, None)})
    stack, project = _stack_of(states[0].urn) if states else (None, None)
    return Inventory(
        source=SOURCE,
        origin=name,
        resources=resources_,
        complete=False,
        scopes=scopes,
        notes=reader.notes(),
        unmodelled=reader.unmodelled,
        metadata={**metadata, "stack": stack, "project": project},
        resolver=reader.resolver(resources_),
    )


class PulumiStack(DocumentSource):
    name = SOURCE
    command = "pulumi"
    title = "a Pulumi preview or stack"
    summary = "Scan `pulumi preview --json`, `pulumi stack export` or `--save-plan` files; `-` reads stdin."
    expected = EXPECTED

    def recognises(self, document: Any) -> bool:
        return _kind(document) is not None

    def mismatch(self, document: Any) -> str:
        got = "an empty object" if document == {} else f"a JSON {type(document).__name__}" \
            if not isinstance(document, dict) else "an object without steps, deployment or resourcePlans"
        return f"{super().mismatch(document)} (got {got})"

    def inventory(self, name: str, document: Any, account: str | None) -> Inventory:
        """The inventory of a preview, a stack export or a save-plan file (detected by content)."""
        kind = _kind(document)
        try:
            if kind == "stack-export":
                states, config, metadata = _stack_export(name, document)
            elif kind == "preview":
                states, config, metadata = _preview(name, document)
            else:
                plan = document["plan"] if kind == "versioned-save-plan" else document
                states, config, metadata = _save_plan(name, plan)
            return _inventory(name, states, config, account, metadata)
        except InputError:
            raise
        except RecursionError:
            raise InputError(name, f"malformed Pulumi {kind}: a value is nested too deeply to read "
                                   "(hundreds of levels)") from None
        except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(name, f"malformed Pulumi {kind}: {type(exc).__name__}: {exc}") from None


def read_pulumi(name: str, document: Any, account: str | None = None) -> Inventory:
    """A parsed ``pulumi preview --json``, ``pulumi stack export`` or ``pulumi preview
    --save-plan`` document as a folded inventory, for callers that hold the document already."""
    return PulumiStack.instance().parse(name, document, account)


def read_states(name: str, records: Iterable[Mapping[str, Any]], config: Mapping[str, Any] | None = None,
                account: str | None = None) -> Inventory:
    """An inventory from plain resource records — ``urn``, ``type``, ``custom``, ``inputs``,
    ``outputs``, ``provider``, ``parent``, ``dependencies``, ``propertyDependencies`` (the stack
    export's resource shape) — as the CrossGuard policy pack builds them from a stack's resources."""
    try:
        states = [_state(name, f"resource {i}", dict(record)) for i, record in enumerate(records)]
        return fold_inventory(_inventory(name, states, config or {}, account, {"format": "crossguard"}))
    except InputError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, RecursionError) as exc:
        raise InputError(name, f"malformed resources: {type(exc).__name__}: {exc}") from None
