"""Terraform state: what is deployed as Terraform knows it.

Reads ``terraform show -json`` of a state (``values.root_module`` with ``child_modules``, each
resource's ``values`` and ``sensitive_values``) and raw ``terraform.tfstate`` files of format
version 4 (Terraform 0.12 and later: ``resources[].instances[]`` with ``attributes``,
``sensitive_attributes`` and ``dependencies``).  Every value of a state is known.  Data sources
and deposed objects (being replaced) are not checked.  A resource's region is its own
``region`` attribute or the one in its ARN; its account is the one given (``--account-id``),
the one in its own ARN, or — for resources whose ARN names none (S3 buckets) — the single
account all the state's ARNs name.  Split resources fold into their parents by equal values;
when several parents hold the value, the child's recorded dependencies decide.

The shared parts (building a resource from its values, redaction, walking modules) are the plan
reader's: a state is a plan with nothing left to plan.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator

from ..arns import own_arn_part
from ..errors import InputError
from ..folding import UNRESOLVED, FoldRule, ValueIndex, parent_keys
from ..model import Inventory, Resource
from ..source import DocumentSource
from .tfplan import _module_config_path, _PlanReader, managed_in, malformed

SOURCE = "terraform-state"

#: The keys of ``terraform show -json`` of an empty state: nothing else to recognise it by.
_EMPTY_SHOW_JSON = {"format_version", "terraform_version"}

#: A dependency: module steps (with or without keys), then ``type.name`` or ``data.type.name``.
_DEPENDENCY = re.compile(r"^(?P<modules>(?:module\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.)*)(?P<local>[^\[]+)$")

#: A sensitive path step whose key is not a map key or list index (a set element): the path
#: stops there, and the whole collection is withheld.
_WHOLE = object()

#: One record per resource instance: (resource fields for the plan reader, its values, the
#: ``after_sensitive``-style mirror, the addresses it depends on).
_Record = tuple[dict[str, Any], Any, Any, list[str]]


def _instance_address(module: str, rtype: str, rname: str, index: Any) -> str:
    """``module.a[0]`` + ``aws_s3_bucket.b`` + ``"k"`` → ``module.a[0].aws_s3_bucket.b["k"]``."""
    local = f"{rtype}.{rname}"
    if index is not None:
        local += f"[{json.dumps(index, ensure_ascii=False) if isinstance(index, str) else index}]"
    return f"{module}.{local}" if module else local


def _config_address(module: str, local: str) -> str:
    """``module.a[0]`` + ``aws_s3_bucket.b`` → ``module.a.aws_s3_bucket.b``: the configuration
    address a state's dependencies name."""
    path = _module_config_path(module)
    return f"{path}.{local}" if path else local


def _dependency_key(dependency: str) -> str:
    """A recorded dependency as a configuration address (older states may carry module keys)."""
    match = _DEPENDENCY.match(dependency)
    return _config_address(match["modules"], match["local"]) if match else dependency


def _step(step: Any) -> Any:
    """One step of a raw state's sensitive path (``internal/states/statefile/version4.go``):
    ``{"type": "get_attr", "value": NAME}`` or ``{"type": "index", "value": {"value": KEY,
    "type": TYPE}}``; None for a step of another form."""
    if not isinstance(step, dict):
        return None
    kind, value = step.get("type"), step.get("value")
    if kind == "get_attr" and isinstance(value, str):
        return value
    if kind == "index" and isinstance(value, dict) and "value" in value:
        key = value["value"]
        if isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool)):
            return key
        if isinstance(key, float) and key.is_integer():
            return int(key)
        return _WHOLE
    return None


def _reach(attributes: dict[str, Any], steps: list[Any]) -> list[Any] | None:
    """The part of a sensitive path that names a value as the state's JSON holds it; None when
    the value is absent (nothing to withhold).  A set is a JSON list whose elements a path names
    by value, not position: there, and at any step that does not fit the value it goes into, the
    path stops and the whole collection (or value) is withheld."""
    node: Any = attributes
    for depth, step in enumerate(steps):
        if node is None:
            return None
        if isinstance(node, dict) and isinstance(step, str):
            if step not in node:
                return None
        elif isinstance(node, list) and type(step) is int:
            if not 0 <= step < len(node):
                return None
        else:  # a set element, a key of the wrong kind, a step into a plain value
            return steps[:depth]
        node = node[step]
    return steps


def sensitive_mirror(paths: Any, attributes: dict[str, Any], where: str, name: str) -> dict[str, Any] | None:
    """A raw state's ``sensitive_attributes`` (a list of paths, each a list of steps) as the
    ``after_sensitive``-style mirror `redact` reads.  Terraform (0.14 to now) and OpenTofu write
    only this form and refuse a state file holding another; so does this reader, rather than
    guess which values are secret."""
    if paths is None:
        return None
    if not isinstance(paths, list):
        raise InputError(name, f"{where}: sensitive_attributes is not a list of attribute paths")
    mirror: dict[Any, Any] = {}
    for path in paths:
        steps = [_step(s) for s in path] if isinstance(path, list) else [None]
        if None in steps:
            raise InputError(name, f"{where}: sensitive_attributes holds a path of an unknown form "
                                   f"({json.dumps(path)[:80]}): refusing to guess which values are secret")
        steps = _reach(attributes, steps)
        if steps is None:
            continue
        if not steps:  # the whole object
            mirror.update(dict.fromkeys(attributes, True))
            continue
        node = mirror
        for step in steps[:-1]:
            child = node.get(step)
            if child is True:
                break  # already withheld higher up
            if not isinstance(child, dict):
                child = node[step] = {}
            node = child
        else:
            node[steps[-1]] = True
    return mirror


class _StateReader(_PlanReader):
    """The plan reader with a state's resources: no configuration, no unknowns, ARNs for places."""

    source = SOURCE

    def __init__(self, name: str, document: dict[str, Any], account: str | None) -> None:
        super().__init__(name, {}, account)  # a state has no configuration, variables or providers
        self.document = document
        self.inferred: str | None = None
        self.depends: dict[int, list[str]] = {}
        self.deposed = 0

    def _region(self, attributes: dict[str, Any], config: dict[str, Any], config_path: str) -> str | None:
        own = attributes.get("region")
        return own if isinstance(own, str) and own else own_arn_part(attributes, "region")

    def _account(self, attributes: dict[str, Any]) -> str | None:
        return self.account or own_arn_part(attributes, "account") or self.inferred

    # -- the two forms --------------------------------------------------------------------------
    def _show_json(self) -> Iterator[_Record]:
        root = (self.document.get("values") or {}).get("root_module") or {}
        for module, res in managed_in(root):
            if res.get("deposed_key"):
                self.deposed += 1
                continue
            values = res.get("values")  # omitted when empty
            rc = {**res, "module_address": module}
            yield rc, {} if values is None else values, res.get("sensitive_values"), res.get("depends_on") or []

    def _raw(self) -> Iterator[_Record]:
        resources = self.document.get("resources") or []
        if not isinstance(resources, list):
            raise InputError(self.name, "resources is not a list")
        for res in resources:
            if res.get("mode", "managed") != "managed":
                continue
            module, rtype, rname = res.get("module") or "", str(res["type"]), str(res["name"])
            for instance in res.get("instances") or []:
                if instance.get("deposed"):
                    self.deposed += 1
                    continue
                index = instance.get("index_key")
                address = _instance_address(module, rtype, rname, index)
                if "attributes" not in instance and "attributes_flat" in instance:
                    raise InputError(self.name, f"{address}: attributes in the flat form of Terraform 0.11: "
                                                "run `terraform show -json` on the state and scan that")
                values = instance.get("attributes")
                values = {} if values is None else values  # Terraform reads a missing object as empty
                mirror = sensitive_mirror(instance.get("sensitive_attributes"), values if isinstance(values, dict)
                                          else {}, address, self.name)
                rc = {"address": address, "type": rtype, "name": rname, "module_address": module, "index": index}
                yield rc, values, mirror, instance.get("dependencies") or []

    def resources(self) -> list[Resource]:
        records = list(self._show_json() if "format_version" in self.document else self._raw())
        for rc, values, _, _ in records:
            if not isinstance(values, dict):
                raise InputError(self.name, f"{rc.get('address')}: values are not an object")
        accounts = {a for _, values, _, _ in records if (a := own_arn_part(values, "account"))}
        self.inferred = accounts.pop() if len(accounts) == 1 else None
        out = []
        for rc, values, mirror, depends in records:
            resource = self._resource(rc, values, None, mirror)
            self.depends[id(resource)] = [_dependency_key(d) for d in depends if isinstance(d, str)]
            out.append(resource)
        return out

    def notes(self) -> list[str]:
        if not self.deposed:
            return []
        return [f"not checked: {self.deposed} deposed object{'s' if self.deposed > 1 else ''} "
                "(replaced, to be destroyed by the next apply)"]

    # -- folding ----------------------------------------------------------------------------------
    def resolver(self, resources: list[Resource]):
        """Equal values first (a state has no configuration references, and every value is
        known).  Several parents holding the value: the one the child depends on, if exactly one.
        Dependencies never decide alone: a subnet's flow log depends on its VPC too."""
        values = ValueIndex(resources)
        # (configuration address, type, key, value) → up to two distinct resources: a child's
        # lookup costs its dependencies, not the instances behind each (count = 10000).
        keys = parent_keys()
        by_config: dict[tuple[str, str, str, Any], list[Resource]] = {}
        for resource in resources:
            module_address, rtype, rname, _ = self.meta[id(resource)]
            config = _config_address(module_address, f"{rtype}.{rname}")
            for key in keys.get(rtype, ()):
                value = resource.attributes.get(key)
                try:
                    found = by_config.setdefault((config, rtype, key, value), [])
                except TypeError:  # a list or object: no link is equal to it here
                    continue
                if len(found) < 2 and not any(r is resource for r in found):
                    found.append(resource)

        def resolve(child: Resource, rule: FoldRule) -> Resource | None | object:
            found = values.find(child, rule)
            if found is not UNRESOLVED:
                return found
            link = child.attributes.get(rule.link)
            named: dict[int, Resource] = {}
            for dependency in self.depends.get(id(child), ()):
                for parent_type in rule.parents:
                    for key in rule.parent_keys:
                        try:
                            candidates = by_config.get((dependency, parent_type, key, link), ())
                        except TypeError:
                            candidates = ()
                        for parent in candidates:
                            named.setdefault(id(parent), parent)
                if len(named) > 1:
                    return UNRESOLVED
            return next(iter(named.values())) if len(named) == 1 else UNRESOLVED

        return resolve


class TerraformState(DocumentSource):
    name = SOURCE
    command = "state"
    title = "a Terraform state"
    summary = "Scan Terraform states (`terraform show -json` of a state, or terraform.tfstate); `-` reads stdin."
    expected = "`terraform show -json` of a state, or a terraform.tfstate file (version 4)"

    def recognises(self, document: Any) -> bool:
        """``terraform show -json`` of a state (``values`` and no plan keys), or a raw state file
        (``version`` with ``lineage``/``serial``, of any version, so an old one gets told why)."""
        if not isinstance(document, dict):
            return False
        if "format_version" in document:
            return not ("resource_changes" in document or "planned_values" in document) and (
                "values" in document or set(document) <= _EMPTY_SHOW_JSON)
        return "version" in document and "deployment" not in document and (
            "lineage" in document or "serial" in document)

    def inventory(self, name: str, document: Any, account: str | None) -> Inventory:
        raw = "format_version" not in document
        version = document.get("version")
        if raw and (isinstance(version, bool) or version != 4):
            raise InputError(name, f"unsupported state version {json.dumps(version)}; expected 4")
        with malformed(name, "state"):
            reader = _StateReader(name, document, account)
            resources = reader.resources()
        metadata: dict[str, Any] = {"terraform_version": document.get("terraform_version"),
                                    "format": "tfstate-v4" if raw else "show-json"}
        if raw:
            metadata.update(serial=document.get("serial"), lineage=document.get("lineage"))
        scopes = {(r.account, r.region) for r in resources if r.region} or \
            ({(r.account, None) for r in resources} or {(account, None)})
        return Inventory(source=SOURCE, origin=name, resources=resources, complete=False, scopes=scopes,
                         notes=reader.notes(), metadata=metadata, resolver=reader.resolver(resources))


def read_state(name: str, document: Any, account: str | None = None) -> Inventory:
    """A parsed state (either form) as a folded inventory."""
    return TerraformState.instance().parse(name, document, account)
