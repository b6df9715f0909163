"""checkov on a plan, beside our engine: its verdicts joined into ours, nothing dropped.

`second_opinion` runs checkov once over every plan file (copies in a scratch directory, so stdin
works too) and returns a `Reading` whose `merge` joins checkov's results into the engine's: the
same rule on the same resource (a split child such as a public access block counts as the bucket
it was folded into) collapses into one result.  Our verdict stays the result's status — it is the
one that never PASSes what it has not seen — and checkov's is kept beside it in
``evidence["checkov"]``; when they differ, the reason says so.  Only checks equivalent to a rule
(``references.checkov``) are its second opinion; related checks (``references.checkov_related``)
are kept beside our result as ``evidence["checkov_related"]``, marked as related — never a
disagreement, never a result of the rule of their own.
"""
from __future__ import annotations

import re
import tempfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Sequence

from ..catalog import Rule, Selection
from ..engine import scope_address
from ..errors import InputError
from ..model import Inventory, Result
from ..source import Reading
from .mapping import (best, related_by_check, related_evidence, rule_result, rules_by_check, say,
                      unmapped_result, verdict, wanted_checks, worst)
from .runner import CheckovCheck, find_checkov, run_checkov


def second_opinion(files: Sequence[tuple[str, bytes]], inventories: list[Inventory], selection: Selection, *,
                   checkov: str | None = None, all_checkov: bool = False,
                   timeout: float | None = None) -> Reading:
    """checkov over the plans `files` ((name, bytes), read already and turned into `inventories`),
    as a reading whose `merge` joins its verdicts into the engine's, file by file."""
    exe = find_checkov(checkov)
    with tempfile.TemporaryDirectory(prefix="vendorguard-plans-") as scratch:
        for number, (_, data) in enumerate(files):
            Path(scratch, f"plan-{number}.json").write_bytes(data)
        where = files[0][0] if len(files) == 1 else ", ".join(name for name, _ in files)
        run = run_checkov(scratch, "terraform_plan", checkov=exe, checks=wanted_checks(selection, all_checkov),
                          timeout=timeout, where=where)
    per_file: dict[int, list[CheckovCheck]] = defaultdict(list)
    for check in run.checks:
        match = re.fullmatch(r"plan-(\d+)\.json", Path(check.file or "").name)
        if match is None or int(match.group(1)) >= len(files):
            raise InputError(where, f"checkov reported a file it was not given: {check.file}")
        per_file[int(match.group(1))].append(check)
    for inventory in inventories:
        inventory.metadata["checkov_version"] = run.version

    def merge(ours: list[Result], folded: list[Inventory]) -> list[Result]:
        by_file: dict[str | None, list[Result]] = defaultdict(list)
        for result in ours:
            by_file[result.file].append(result)
        merged: list[Result] = []
        for number, inventory in enumerate(folded):
            merged.extend(merge_plan(by_file.get(inventory.origin, []), inventory, per_file.get(number, []),
                                     selection, all_checkov=all_checkov))
        return merged

    return Reading(inventories, merge=merge, extra={"checkov": {"path": exe, "version": run.version}})


def merge_plan(ours: list[Result], inventory: Inventory, checks: Iterable[CheckovCheck],
               selection: Selection, *, links: dict[str, str] | None = None,
               all_checkov: bool = False) -> list[Result]:
    """Fold checkov's results on a plan into our engine's results on the same plan.

    A checkov result joins our result of the same rule on the same resource: its own address, the
    parent it was folded into (`links`, by default the inventory's own record), or — for a rule about an account or region — that scope.  Our
    status stays; checkov's verdict goes into ``evidence["checkov"]`` (``check_id``, ``status``,
    ``agrees``, ``checks``) and a disagreement is stated in the reason.  checkov results with no
    result of ours to join are added as results of their own, never dropped; a related check with no
    result of ours to sit beside is not a verdict of the rule, and appears only with `all_checkov`
    (as an unmapped result).
    """
    links = inventory.folded if links is None else links
    cited = rules_by_check(selection.rules)
    near = related_by_check(selection.rules)
    by_address = {r.address: r for r in inventory.resources}
    index = {(r.rule_id, r.address): r for r in ours}
    joined: dict[int, list[CheckovCheck]] = defaultdict(list)
    rules_of: dict[int, Rule] = {}
    alone: list[CheckovCheck] = []
    alone_rules: dict[tuple[str, str], list[CheckovCheck]] = defaultdict(list)
    rule_objects: dict[str, Rule] = {}
    related: dict[int, list[CheckovCheck]] = defaultdict(list)

    def address_for(rule: Rule, check: CheckovCheck) -> str:
        address = links.get(check.address, check.address)
        if rule.scope != "resource":
            resource = by_address.get(address)
            if resource is not None:
                per_region = rule.scope == "region"
                address = scope_address(resource.account, resource.region if per_region else None,
                                         rule.resource_types[0])
        return address

    for check in checks:
        rules = cited.get(check.check_id, ())
        near_rules = near.get(check.check_id, ())
        joined_near = False
        for rule in near_rules:
            target = index.get((rule.id, address_for(rule, check)))
            if target is not None:
                related[id(target)].append(check)
                joined_near = True
        if not rules:
            if all_checkov and not joined_near:
                alone.append(check)
            continue
        for rule in rules:
            rule_objects[rule.id] = rule
            address = address_for(rule, check)
            target = index.get((rule.id, address))
            if target is None:
                alone_rules[(rule.id, links.get(check.address, check.address))].append(check)
                continue
            joined[id(target)].append(check)
            rules_of[id(target)] = rule
    out: list[Result] = []
    for result in ours:
        group = joined.get(id(result))
        merged = result if not group else _joined(result, rules_of[id(result)], group)
        if id(result) in related:
            evidence = dict(merged.evidence)
            evidence["checkov_related"] = related_evidence(related[id(result)])
            merged = replace(merged, evidence=evidence)
        out.append(merged)
    for (rule_id, address), group in alone_rules.items():
        extra = rule_result(rule_objects[rule_id], group, address, inventory.source, selection.controls,
                             inventory.origin)
        extra.reason += " (vendorguard has no result of this rule on this resource)"
        resource = by_address.get(address)
        if resource is not None:
            extra.account, extra.region = resource.account, resource.region
        out.append(extra)
    out.extend(unmapped_result(c, inventory.source, inventory.origin) for c in alone)
    return out


def _joined(result: Result, rule: Rule, group: list[CheckovCheck]) -> Result:
    if rule.scope == "resource":
        decider = worst(group)
    else:
        per_resource: dict[str, list[CheckovCheck]] = defaultdict(list)
        for check in group:
            per_resource[check.address].append(check)
        decider = best([worst(g) for g in per_resource.values()])
    theirs = verdict(group, decider)
    agrees = decider.status is result.status
    theirs["agrees"] = agrees
    evidence = dict(result.evidence)
    evidence["checkov"] = theirs
    reason = result.reason
    if not agrees:
        reason = (f"{reason} — checkov disagrees: {say(decider)} (vendorguard says {result.status.value}, "
                  f"checkov says {decider.status.value}; both kept, vendorguard's decides)")
    return replace(result, evidence=evidence, reason=reason)
