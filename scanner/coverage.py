"""Coverage, never silent: every managed resource of the input that no selected rule evaluated.

Computed once, here, by the pipeline after the engine (and any merge) ran; `ScanReport` carries
the list and the results document publishes it as ``not_evaluated``.  A split child folded into
its parent counts as evaluated through the parent (`Inventory.folded`); a child consumed by the
fold stage without a parent in the input is listed, so nothing read vanishes without a word.  A live
scan also lists, per account and region, each type AWS Config counts there that the scan did not
read (`Inventory.census`; policies/types.yaml's `config` ties Config's types to ours), and says so
where Config's count could not be had.
"""
from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .folding import fold_inventory
from .model import Census, Inventory, Result
from .types import config_types, type_info

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
#: What a census entry stands for: an address per account, region and AWS Config type.
ANY_CONFIG_TYPE = "AWS::*"
UNCOUNTED = "which types present here the scan did not read is not known"


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
        for census in sorted(inventory.census, key=lambda c: (c.account, c.region)):
            out.extend(not_read(census))
    return out


def not_read(census: Census) -> list[dict[str, Any]]:
    """One entry per AWS Config type counted in the census's account and region whose Terraform
    types the scan did not read (a type read there has its resources judged or listed one by one),
    with how many Config counts; or one entry saying the count could not be had, or was empty."""
    scope = f"{census.account}/{census.region}"
    if census.problem is not None or not census.counts:
        why = (f"could not list the types present: {census.problem}" if census.problem is not None else
               "AWS Config counts no resource here (it is not recording, or has recorded nothing yet)")
        return [{"address": f"{scope}/{ANY_CONFIG_TYPE}", "resource_type": ANY_CONFIG_TYPE,
                 "reason": f"{why}: {UNCOUNTED}"}]
    out = []
    for name, count in sorted(census.counts.items()):
        ours = config_types().get(name, ())
        if census.read & set(ours):
            continue
        present = f"present in the account ({count}, per AWS Config)"
        if not ours:
            reason = f"{present}: no Terraform type maps to it (policies/types.yaml), so no collector reads it"
        elif not any(_collected(t) for t in ours):
            reason = f"{present}: no collector reads {' or '.join(ours)}"
        else:
            reason = f"{present}: not read, as no selected rule reads {' or '.join(ours)}"
        out.append({"address": f"{scope}/{name}", "resource_type": name, "reason": reason, "count": count})
    return out


def _collected(terraform: str) -> bool:
    """Whether a live collector reads the type: its own, or (a split child) its parent's."""
    info = type_info(terraform)
    if info is None:
        return False
    return info.collector is not None or any(
        _collected(parent) for parent in (info.fold or {}).get("parents", ()))


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
