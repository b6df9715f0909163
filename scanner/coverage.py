"""Coverage, never silent: every managed resource of the input that no selected rule evaluated.

Computed once, here, by the pipeline after the engine (and any merge) ran; `ScanReport` carries
the list and the results document publishes it as ``not_evaluated``.  A split child folded into
its parent counts as evaluated through the parent (`Inventory.folded`); a child consumed by the
fold stage without a parent in the input is listed, so nothing read vanishes without a word.
"""
from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .folding import fold_inventory
from .model import Inventory, Result

if TYPE_CHECKING:
    from .catalog import Catalog, Rule, Selection

NO_RULE = "no rule for this type"
NOT_SELECTED = "rules for this type were not selected"
NOT_THIS_SOURCE = "rules for this type do not apply to this source"
CHECKOV_SILENT = "checkov saw this resource but reported no result of a selected rule for it"
NO_PARENT = ("a part of another resource whose parent could not be determined (what it would set is UNKNOWN "
             "on every candidate parent): no rule reads it on its own")
NO_RESULT = "the selected rules gave no result for it"
UNMODELLED = "this type has no mapping to a Terraform AWS type (policies/types.yaml): no rule can read it"


@cache
def _shipped_rules() -> tuple["Rule", ...]:
    from .catalog import load_catalog

    return tuple(load_catalog()[0].rules.values())


def _by_type(rules: Iterable["Rule"]) -> dict[str, list["Rule"]]:
    out: dict[str, list["Rule"]] = defaultdict(list)
    for rule in rules:
        for rtype in rule.resource_types:
            out[rtype].append(rule)
    return out


def fold(inventory: Inventory) -> Inventory:
    """The pipeline's fold stage (`folding.fold_inventory`), recording in `Inventory.consumed` the
    split children it took out of the resources, so that none is lost without a word."""
    if inventory.resolver is None:
        return inventory
    before = list(inventory.resources)
    fold_inventory(inventory)
    kept = {id(r) for r in inventory.resources}
    inventory.consumed = [r for r in before if id(r) not in kept]
    return inventory


def not_evaluated(inventories: Sequence[Inventory], results: Iterable[Result], selection: "Selection",
                  catalog: "Catalog | None" = None) -> list[dict[str, Any]]:
    """``{"address", "resource_type", "reason"}`` for each resource of `inventories` that no
    selected rule evaluated, in input order.

    `catalog` (default: the shipped one, plus the selected rules) tells "no rule for this type"
    from "not selected".  Children folded into a parent count as evaluated through it; children the
    fold stage consumed without a parent (`Inventory.consumed`) are listed unless judged.
    """
    known = _by_type({**{r.id: r for r in (catalog.rules.values() if catalog else _shipped_rules())},
                      **{r.id: r for r in selection.rules}}.values())
    selected = _by_type(selection.rules)
    ids = {r.id for r in selection.rules}  # checkov's own checks (--all-checkov) are no selected rule
    judged: set[tuple[str, str]] = {(r.source, r.address) for r in results if r.rule_id in ids}
    out: list[dict[str, Any]] = []
    for inventory in inventories:
        source = inventory.source
        kept = {r.address: r.type for r in inventory.resources}
        for resource in [*inventory.resources, *inventory.consumed]:
            address = resource.address
            if (source, address) in judged:
                continue
            parent = inventory.folded.get(address)
            if parent is not None:  # evaluated through its parent, or not at all
                ptype = kept.get(parent)
                if (source, parent) in judged or _scoped_reads(selected, inventory, ptype):
                    continue
                why = _reason(ptype or resource.type, source, inventory, known, selected)
                reason = f"folded into a parent that no selected rule evaluated: {why}"
            elif address not in kept:
                reason = NO_PARENT
            elif _scoped_reads(selected, inventory, resource.type):
                continue
            else:
                reason = _reason(resource.type, source, inventory, known, selected)
            out.append({"address": address, "resource_type": resource.type, "reason": reason})
        out.extend({"address": address, "resource_type": rtype, "reason": UNMODELLED}
                   for address, rtype in inventory.unmodelled if (source, address) not in judged)
    return out


def _applies(rule: "Rule", source: str) -> bool:
    return rule.sources is None or source in rule.sources


def _scoped_reads(selected: dict[str, list["Rule"]], inventory: Inventory, rtype: str | None) -> bool:
    """The engine's account/region rules over this type read every resource of it (their verdict
    carries the scope's address, not the resource's).  checkov's verdicts name the resource."""
    return inventory.evaluate and rtype is not None and any(
        r.scope != "resource" and _applies(r, inventory.source) for r in selected.get(rtype, ()))


def _reason(rtype: str, source: str, inventory: Inventory, known: dict[str, list["Rule"]],
            selected: dict[str, list["Rule"]]) -> str:
    if not known.get(rtype):
        return NO_RULE
    if not selected.get(rtype):
        return NOT_SELECTED
    if not any(_applies(r, source) for r in selected[rtype]):
        return NOT_THIS_SOURCE
    return NO_RESULT if inventory.evaluate else CHECKOV_SILENT
