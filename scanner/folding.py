"""Attaches split child resources to their parents, in the parent's inline shape.

The table is data (each split child's `fold` in `policies/types.yaml`); this module applies it.
How a child finds its parent differs per source — Terraform plans follow `configuration`
references, Pulumi follows ``propertyDependencies`` — so each source passes a `resolve` function.
Equal known values (`ValueIndex`) are the shared fallback.

A child whose parent cannot be determined (its link is unknown and nothing resolves it) could
belong to any parent of the right type: each such parent then gets UNKNOWN in the attribute the
child would fill, so a bucket is never reported unencrypted when an encryption configuration of
unknown destination exists — nor encrypted.

A child whose parent is not in the input (`resolve` returns None: its link names something managed
elsewhere) is judged on its own: it stays a resource of its own type, at its own address, and gains
the inline view its parent would have shown (an ``aws_security_group_rule`` gets ``ingress: [that
rule]``).  The rules whose verdict such a child alone decides list its type beside the parent's
(an ingress rule open to the world is an open port whatever group it joins); the others do not
read it, and coverage lists it.

Folding is linear in the number of resources whatever resolves: each child is looked at once, and
each candidate parent is marked at most once per fold rule with a child of unknown destination.
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


@cache
def parent_keys() -> dict[str, frozenset[str]]:
    """Per parent type, the attributes any child's link may equal."""
    keys: dict[str, set[str]] = {}
    for rule in fold_table().values():
        for parent_type in rule.parents:
            keys.setdefault(parent_type, set()).update(rule.parent_keys)
    return {t: frozenset(k) for t, k in keys.items()}


#: What `resolve` returns when a child's parent cannot be determined.
UNRESOLVED = object()

Resolver = Callable[[Resource, FoldRule], "Resource | None | object"]


class ValueIndex:
    """Finds parents whose key attribute equals a child's known link value."""

    def __init__(self, resources_: Iterable[Resource]) -> None:
        # At most two distinct parents per (type, value): one decides, two make it ambiguous, and
        # more would only make every lookup of a repeated value longer.
        self._index: dict[tuple[str, str], list[Resource]] = {}
        keys = parent_keys()
        for resource in resources_:
            for key in keys.get(resource.type, ()):
                value = resource.attributes.get(key)
                if isinstance(value, str) and value:
                    found = self._index.setdefault((resource.type, value), [])
                    if len(found) < 2 and not any(r is resource for r in found):
                        found.append(resource)

    def find(self, child: Resource, rule: FoldRule) -> Resource | None | object:
        """The one parent with an equal key; None when the link points outside the inventory;
        UNRESOLVED when the link itself is unknown or matches several parents."""
        value = child.attributes.get(rule.link)
        if value is UNKNOWN:
            return UNRESOLVED
        if not isinstance(value, str):
            return None
        found: Resource | None = None
        for parent_type in rule.parents:
            for resource in self._index.get((parent_type, value), ()):
                if found is not None and found is not resource:
                    return UNRESOLVED
                found = resource
        return found


def _attach(parent: Resource, rule: FoldRule, child: Resource, owned: set[tuple[int, str]] | None = None) -> None:
    _fill(parent.attributes, rule, child, owned, id(parent))


def _fill(attrs: dict[str, Any], rule: FoldRule, child: Resource, owned: set[tuple[int, str]] | None = None,
          owner: int = 0) -> None:
    """Put a child into an attribute tree in its parent's inline shape.  `owned` holds the
    (owner, attribute) lists this fold made, which later children extend in place (a copy per
    child would make a parent with n children cost n²)."""
    payload = rule.payload(child)
    if rule.mode == "merge":
        if isinstance(payload, dict):
            attrs.update(payload)
        return
    target = rule.target(child)
    if target is UNKNOWN:
        return _mark_keys(attrs, rule)
    if rule.mode == "set":
        # The child is the whole block; it replaces whatever the parent showed (in provider v4+
        # that is usually UNKNOWN, because the attribute is computed).
        attrs[target] = payload if isinstance(payload, list) else [payload]
        return
    current = attrs.get(target)
    if owned is not None and (owner, target) in owned and isinstance(current, list):
        current.append(payload)
        return
    attrs[target] = (current if isinstance(current, list) else []) + [payload]
    if owned is not None:
        owned.add((owner, target))


def _mark_unknown(parent: Resource, rule: FoldRule) -> None:
    """A child of unknown destination may belong here: what it would set becomes UNKNOWN (the
    whole attribute, even for accumulating blocks: "maybe one more rule" is not a known count)."""
    _mark_keys(parent.attributes, rule)


def _mark_keys(attrs: dict[str, Any], rule: FoldRule) -> None:
    for key in _unknown_keys(rule.child):
        attrs[key] = UNKNOWN


@cache
def _unknown_keys(child_type: str) -> tuple[str, ...]:
    """The parent attributes a child of this type may fill."""
    rule = fold_table()[child_type]
    return tuple(_merge_keys(rule) if rule.mode == "merge" else rule.into_choices)


def _merge_keys(rule: FoldRule) -> list[str]:
    """The keys a merge rule sets: evaluate its value on an empty child."""
    sample = rule.value({}, NO_CONTEXT) if rule.value else {}
    return list(sample) if isinstance(sample, dict) else []


def on_its_own(child: Resource, rule: FoldRule) -> Resource:
    """A child whose parent is not in the input, as a resource of its own: its attributes plus
    the inline view its parent would show (the other blocks it could fill are empty: an egress
    rule opens no ingress)."""
    view: dict[str, Any] = {}
    if rule.mode == "append" and rule.target(child) is not UNKNOWN:
        view.update((key, []) for key in rule.into_choices)
    _fill(view, rule, child)
    child.attributes.update(view)
    return child


def fold_inventory(inventory: Inventory) -> Inventory:
    """The fold stage: an inventory whose source gave a resolver, folded once (in place)."""
    if inventory.resolver is not None:
        inventory.resources = fold(inventory.resources, inventory.resolver, inventory.folded)
        inventory.resolver = None
    return inventory


def fold(resources_: list[Resource], resolve: Resolver, links: dict[str, str] | None = None) -> list[Resource]:
    """Attach every foldable child to its parent; returns the resources rules run on.

    Children tied to a parent are consumed (no rule reads them on their own) and recorded in
    `links` (child address → parent address); parents are changed in place.  A child whose parent
    is not in the input stays, judged on its own (`on_its_own`).  A child whose parent cannot be
    determined makes every parent it could belong to UNKNOWN in what it would fill: marked once
    per (parent, fold rule), however many such children there are.
    """
    table = fold_table()
    keep: list[Resource] = []
    undetermined: dict[str, FoldRule] = {}  # fold rules with a child of unknown destination
    owned: set[tuple[int, str]] = set()
    for resource in resources_:
        rule = table.get(resource.type)
        if rule is None:
            keep.append(resource)
            continue
        parent = resolve(resource, rule)
        if parent is UNRESOLVED:
            undetermined.setdefault(rule.child, rule)
        elif isinstance(parent, Resource):
            _attach(parent, rule, resource, owned)
            if links is not None:
                links[resource.address] = parent.address
        else:
            keep.append(on_its_own(resource, rule))
    if undetermined:
        by_parent_type: dict[str, list[FoldRule]] = {}
        for rule in undetermined.values():
            for parent_type in rule.parents:
                by_parent_type.setdefault(parent_type, []).append(rule)
        for parent in keep:
            for rule in by_parent_type.get(parent.type, ()):
                _mark_unknown(parent, rule)
    return keep
