"""Attaches split child resources to their parents, in the parent's inline shape.

The table is data (each split child's `fold` in `policies/types.yaml`); this module applies it.
How a child finds its parent differs per source — Terraform plans follow `configuration`
references, Pulumi follows ``propertyDependencies`` — so each source passes a `resolve` function.
Equal known values (`ValueIndex`) are the shared fallback.

A child whose parent cannot be determined (its link is unknown and nothing resolves it) could
belong to any parent of the right type: each such parent then gets UNKNOWN in the attribute the
child would fill, so a bucket is never reported unencrypted when an encryption configuration of
unknown destination exists — nor encrypted.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Callable, Iterable

from .catalog import compiler
from .condition import Compiled
from .context import NO_CONTEXT
from .model import UNKNOWN, Inventory, Resource
from .types import fold_specs


@dataclass(frozen=True, slots=True)
class FoldRule:
    child: str
    parents: tuple[str, ...]
    link: str
    parent_keys: tuple[str, ...]
    into: str | None
    into_expr: Compiled | None
    into_choices: tuple[str, ...]
    mode: str
    value: Compiled | None

    def target(self, child: Resource) -> Any:
        """The parent attribute this child fills (UNKNOWN when computed from an unknown value)."""
        if self.into is not None:
            return self.into
        name = self.into_expr(child.attributes, NO_CONTEXT) if self.into_expr else None
        return name if isinstance(name, str) else UNKNOWN

    def payload(self, child: Resource) -> Any:
        if self.value is not None:
            return self.value(child.attributes, NO_CONTEXT)
        return {k: v for k, v in child.attributes.items() if k != self.link}


@cache
def fold_table() -> dict[str, FoldRule]:
    """The fold rules by child type: the `fold` of each split child's record (`policies/types.yaml`)."""
    compile_ = compiler().compile
    table = {}
    for child, entry in fold_specs().items():
        table[child] = FoldRule(
            child=child,
            parents=tuple(entry["parents"]),
            link=entry["link"],
            parent_keys=tuple(entry["parent_keys"]),
            into=entry.get("into"),
            into_expr=compile_(entry["into_expr"]) if "into_expr" in entry else None,
            into_choices=tuple(entry.get("into_choices") or ([entry["into"]] if "into" in entry else [])),
            mode=entry["mode"],
            value=compile_(entry["value"]) if "value" in entry else None,
        )
    return table


#: What `resolve` returns when a child's parent cannot be determined.
UNRESOLVED = object()

Resolver = Callable[[Resource, FoldRule], "Resource | None | object"]


class ValueIndex:
    """Finds parents whose key attribute equals a child's known link value."""

    def __init__(self, resources_: Iterable[Resource]) -> None:
        self._index: dict[tuple[str, str], list[Resource]] = {}
        wanted = {(p, k) for rule in fold_table().values() for p in rule.parents for k in rule.parent_keys}
        for resource in resources_:
            for parent_type, key in wanted:
                if resource.type != parent_type:
                    continue
                value = resource.attributes.get(key)
                if isinstance(value, str) and value:
                    self._index.setdefault((parent_type, value), []).append(resource)

    def find(self, child: Resource, rule: FoldRule) -> Resource | None | object:
        """The one parent with an equal key; None when the link points outside the inventory;
        UNRESOLVED when the link itself is unknown or matches several parents."""
        value = child.attributes.get(rule.link)
        if value is UNKNOWN:
            return UNRESOLVED
        if not isinstance(value, str):
            return None
        found = {id(r): r for t in rule.parents for r in self._index.get((t, value), [])}
        if len(found) > 1:
            return UNRESOLVED
        return next(iter(found.values()), None)


def _attach(parent: Resource, rule: FoldRule, child: Resource) -> None:
    attrs = parent.attributes
    payload = rule.payload(child)
    if rule.mode == "merge":
        if isinstance(payload, dict):
            attrs.update(payload)
        return
    target = rule.target(child)
    if target is UNKNOWN:
        return _mark_unknown(parent, rule)
    if rule.mode == "set":
        # The child is the whole block; it replaces whatever the parent showed (in provider v4+
        # that is usually UNKNOWN, because the attribute is computed).
        attrs[target] = payload if isinstance(payload, list) else [payload]
        return
    current = attrs.get(target)
    attrs[target] = (current if isinstance(current, list) else []) + [payload]


def _mark_unknown(parent: Resource, rule: FoldRule) -> None:
    """A child of unknown destination may belong here: what it would set becomes UNKNOWN (the
    whole attribute, even for accumulating blocks: "maybe one more rule" is not a known count)."""
    attrs = parent.attributes
    for key in _merge_keys(rule) if rule.mode == "merge" else rule.into_choices:
        attrs[key] = UNKNOWN


def _merge_keys(rule: FoldRule) -> list[str]:
    """The keys a merge rule sets: evaluate its value on an empty child."""
    sample = rule.value({}, NO_CONTEXT) if rule.value else {}
    return list(sample) if isinstance(sample, dict) else []


def fold_inventory(inventory: Inventory) -> Inventory:
    """The fold stage: an inventory whose source gave a resolver, folded once (in place)."""
    if inventory.resolver is not None:
        inventory.resources = fold(inventory.resources, inventory.resolver, inventory.folded)
        inventory.resolver = None
    return inventory


def fold(resources_: list[Resource], resolve: Resolver, links: dict[str, str] | None = None) -> list[Resource]:
    """Attach every foldable child to its parent; returns the resources rules run on.

    Children are consumed (no rule reads them on their own); parents are changed in place.  Each
    child tied to a parent is recorded in `links` (child address → parent address).
    """
    table = fold_table()
    keep: list[Resource] = []
    unresolved: list[tuple[Resource, FoldRule]] = []
    for resource in resources_:
        rule = table.get(resource.type)
        if rule is None:
            keep.append(resource)
            continue
        parent = resolve(resource, rule)
        if parent is UNRESOLVED:
            unresolved.append((resource, rule))
        elif isinstance(parent, Resource):
            _attach(parent, rule, resource)
            if links is not None:
                links[resource.address] = parent.address
    for child, rule in unresolved:
        for parent in keep:
            if parent.type in rule.parents:
                _mark_unknown(parent, rule)
    return keep
