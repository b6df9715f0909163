"""checkov's verdicts as results of our rules.

Each checkov result becomes a result of the rule(s) whose ``references.checkov`` list its id, one
result per (rule, resource): a rule citing several checks (ports 22 and 3389, the seven password
policy checks) FAILs when any of them fails.  Checks no selected rule cites appear only when asked
(``all_checkov``), under the result-level domain ``unmapped``.  checkov leaves out what it cannot
decide (a variable without a value): a resource it saw with no verdict for a rule that cites
checkov ids gets UNKNOWN for that rule (`undecided`) — silence never reads as a pass.
"""
from __future__ import annotations

import os
from collections import defaultdict
from typing import Any, Iterable, Sequence

from ..catalog import Rule, Selection
from ..model import Result, Status
from .runner import CheckovCheck

#: Result-level domain of checkov results that no selected rule cites (not one of model.DOMAINS).
UNMAPPED_DOMAIN = "unmapped"
#: checkov's own JSON has no severity without a platform key: a conservative default.
UNMAPPED_SEVERITY = "low"

def rules_by_check(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    """checkov id → the rules that cite it (``references.checkov``)."""
    out: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        for check_id in (rule.references or {}).get("checkov") or []:
            out[check_id].append(rule)
    return dict(out)


def worst(checks: Sequence[CheckovCheck]) -> CheckovCheck:
    """The check that decides a group: a failure, else a skip, else a pass."""
    order = {Status.FAIL: 0, Status.WAIVED: 1, Status.PASS: 2}
    return min(checks, key=lambda c: order[c.status])


def best(per_resource: Sequence[CheckovCheck]) -> CheckovCheck:
    """For an existence rule: one resource that satisfies it is enough."""
    order = {Status.PASS: 0, Status.WAIVED: 1, Status.FAIL: 2}
    return min(per_resource, key=lambda c: order[c.status])


def verdict(checks: Sequence[CheckovCheck], decider: CheckovCheck) -> dict[str, Any]:
    """``evidence["checkov"]``: the deciding check and status, and every check behind it."""
    return {"check_id": decider.check_id, "status": decider.status.value,
            "checks": [dict(c.brief(), address=c.address) for c in checks]}


def say(check: CheckovCheck) -> str:
    word = {Status.PASS: "passes", Status.FAIL: "fails", Status.WAIVED: "is skipped"}[check.status]
    text = f"checkov {check.check_id} {word}: {check.name}"
    if check.status is Status.WAIVED:
        text += f" (skip comment: {check.skip_comment or 'none given'})"
    return text


def display_file(check: CheckovCheck, base: str | None, display_base: str | None) -> str | None:
    """checkov's absolute file, shown relative to the directory the user named."""
    if check.file is None:
        return None
    if base is not None and display_base is not None:
        try:
            relative = os.path.relpath(check.file, base)
        except ValueError:
            return check.file
        return os.path.normpath(os.path.join(display_base, relative))
    return check.file


def rule_result(rule: Rule, group: list[CheckovCheck], address: str, source: str,
                 controls: dict[str, list[str]], file: str | None) -> Result:
    decider = worst(group)
    status = decider.status
    reason = "; ".join(say(c) for c in sorted(group, key=lambda c: (c.status is not decider.status, c.check_id)))
    return Result(
        rule_id=rule.id, title=rule.title, domain=rule.domain, severity=rule.severity,
        status=status, address=address, resource_type=decider.resource_type, reason=reason,
        source=source, evidence={"checkov": verdict(group, decider)}, file=file,
        line=decider.lines[0] if decider.lines else None,
        controls=list(controls.get(rule.id, [])),
        waiver=({"origin": "checkov skip comment", "check_id": decider.check_id,
                 "justification": decider.skip_comment} if status is Status.WAIVED else None),
    )


def unmapped_result(check: CheckovCheck, source: str, file: str | None) -> Result:
    return Result(
        rule_id=check.check_id, title=check.name, domain=UNMAPPED_DOMAIN, severity=UNMAPPED_SEVERITY,
        status=check.status, address=check.address, resource_type=check.resource_type,
        reason=say(check) + " (no selected rule cites this check)", source=source,
        evidence={"checkov": verdict([check], check)}, file=file,
        line=check.lines[0] if check.lines else None,
        waiver=({"origin": "checkov skip comment", "check_id": check.check_id,
                 "justification": check.skip_comment} if check.status is Status.WAIVED else None),
    )


def map_checks(checks: Iterable[CheckovCheck], selection: Selection, *, all_checkov: bool = False,
               source: str, base: str | None = None,
               display_base: str | None = None) -> list[Result]:
    """checkov results as our results: one per (rule, resource) for cited checks; one per check
    and resource, under domain ``unmapped``, for the others when `all_checkov`.

    `base` is the directory checkov scanned and `display_base` how the user named it: files are
    reported as `display_base`/relative path.
    """
    cited = rules_by_check(selection.rules)
    groups: dict[tuple[str, str], list[CheckovCheck]] = defaultdict(list)
    order: list[tuple[str, str]] = []
    rules: dict[str, Rule] = {}
    unmapped: list[CheckovCheck] = []
    for check in checks:
        for rule in cited.get(check.check_id, ()):
            key = (rule.id, check.address)
            if key not in groups:
                order.append(key)
            groups[key].append(check)
            rules[rule.id] = rule
        if check.check_id not in cited and all_checkov:
            unmapped.append(check)
    out = []
    for key in order:
        group = groups[key]
        out.append(rule_result(rules[key[0]], group, key[1], source, selection.controls,
                                display_file(worst(group), base, display_base)))
    out.extend(unmapped_result(c, source, display_file(c, base, display_base)) for c in unmapped)
    return out


def wanted_checks(selection: Selection, all_checkov: bool) -> list[str] | None:
    """The checks to run: those the selected rules cite (None: all of them)."""
    if all_checkov:
        return None
    return sorted(rules_by_check(selection.rules)) or None


def undecided(checks: Sequence[CheckovCheck], selection: Selection, mapped: Sequence[Result], *,
              source: str, base: str | None = None, display_base: str | None = None) -> list[Result]:
    """UNKNOWN for each resource checkov saw and each selected rule on its type that cites checkov
    ids but got no verdict: checkov drops what it cannot decide (a variable without a value, a
    value from a module it did not download), and silence must not read as a pass."""
    decided = {(r.rule_id, r.address) for r in mapped}
    by_type: dict[str, list[Rule]] = defaultdict(list)
    for rule in selection.rules:
        if (rule.references or {}).get("checkov"):
            for rtype in rule.resource_types:
                by_type[rtype].append(rule)
    seen: dict[str, CheckovCheck] = {}
    for check in checks:
        seen.setdefault(check.address, check)
    out = []
    for address, check in seen.items():
        for rule in by_type.get(check.resource_type, ()):
            if (rule.id, address) in decided:
                continue
            cited = ", ".join(rule.references["checkov"])
            out.append(Result(
                rule_id=rule.id, title=rule.title, domain=rule.domain, severity=rule.severity,
                status=Status.UNKNOWN, address=address, resource_type=check.resource_type,
                reason=(f"checkov gave no verdict ({cited}) on this resource: a value it could not "
                        f"resolve (such as a variable without a value), or none of these checks "
                        f"covers {check.resource_type}"),
                source=source, evidence={"checkov": {"check_id": None, "status": None, "checks": []}},
                file=display_file(check, base, display_base), line=check.lines[0] if check.lines else None,
                controls=list(selection.controls.get(rule.id, []))))
    return out
