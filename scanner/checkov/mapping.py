"""checkov's verdicts as results of our rules.

Each checkov result becomes a result of the rule(s) whose ``references.checkov`` list its id, one
result per (rule, resource): a rule citing several checks (the seven password policy checks, the
four public access block flags) FAILs when any of them fails.  ``references.checkov`` holds only
checks *equivalent* to the rule (they test the same thing, so their verdict is ours);
``references.checkov_related`` holds checks that test something near it (one port of three, an
organization setting, an exemption the rule does not make): cross-references for users, shown in
``evidence["checkov_related"]``, never a verdict.  A rule with no equivalent check gets UNKNOWN on
the resources checkov saw (`undecided`: no checkov check tests it; scan the plan).  Checks no
selected rule takes its verdict from appear only when asked (``all_checkov``), under the
result-level domain ``unmapped``.  checkov leaves out what it cannot decide (a variable without a
value): a resource it saw with no verdict for a rule with equivalent checks gets UNKNOWN for that
rule (`undecided`) — silence never reads as a pass.
"""
from __future__ import annotations

import os
from collections import defaultdict
from typing import Any, Callable, Iterable, Sequence

from ..catalog import Rule, Selection
from ..model import Result, Status
from .runner import CheckovCheck

#: Result-level domain of checkov results that no selected rule cites (not one of model.DOMAINS).
UNMAPPED_DOMAIN = "unmapped"
#: checkov's own JSON has no severity without a platform key: a conservative default.
UNMAPPED_SEVERITY = "low"

def equivalent_checks(rule: Rule) -> list[str]:
    """The checks whose verdict is the rule's (``references.checkov``)."""
    return list((rule.references or {}).get("checkov") or [])


def related_checks(rule: Rule) -> list[str]:
    """The checks that test something near the rule (``references.checkov_related``): never its verdict."""
    return list((rule.references or {}).get("checkov_related") or [])


def _by_check(rules: Iterable[Rule], cites: Callable[[Rule], list[str]]) -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        for check_id in cites(rule):
            out[check_id].append(rule)
    return dict(out)


def rules_by_check(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    """checkov id → the rules it is equivalent to (``references.checkov``)."""
    return _by_check(rules, equivalent_checks)


def related_by_check(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    """checkov id → the rules it is only related to (``references.checkov_related``)."""
    return _by_check(rules, related_checks)


def related_evidence(checks: Sequence[CheckovCheck]) -> list[dict[str, Any]]:
    """``evidence["checkov_related"]``: what related checks said, marked as not the rule's verdict."""
    return [dict(c.brief(), address=c.address, relation="related: not this rule's verdict")
            for c in sorted(checks, key=lambda c: (c.check_id, c.address))]


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
    related = related_of(checks, selection)
    out = []
    for key in order:
        group = groups[key]
        result = rule_result(rules[key[0]], group, key[1], source, selection.controls,
                             display_file(worst(group), base, display_base))
        if key in related:
            result.evidence["checkov_related"] = related_evidence(related[key])
        out.append(result)
    out.extend(unmapped_result(c, source, display_file(c, base, display_base)) for c in unmapped)
    return out


def related_of(checks: Iterable[CheckovCheck], selection: Selection) -> dict[tuple[str, str], list[CheckovCheck]]:
    """(rule id, address) → the related checks checkov reported on that resource."""
    cited = related_by_check(selection.rules)
    out: dict[tuple[str, str], list[CheckovCheck]] = defaultdict(list)
    for check in checks:
        for rule in cited.get(check.check_id, ()):
            out[(rule.id, check.address)].append(check)
    return dict(out)


def wanted_checks(selection: Selection, all_checkov: bool) -> list[str] | None:
    """The checks to run: those the selected rules cite, equivalent or related (None: all of them)."""
    if all_checkov:
        return None
    return sorted(set(rules_by_check(selection.rules)) | set(related_by_check(selection.rules))) or None


#: The reason of an HCL result for a rule that no checkov check tests.
NO_EQUIVALENT = "no checkov check tests this rule (scan the plan for it)"


def undecided(checks: Sequence[CheckovCheck], selection: Selection, mapped: Sequence[Result], *,
              source: str, base: str | None = None, display_base: str | None = None) -> list[Result]:
    """UNKNOWN for each resource checkov saw and each selected rule on its type that got no verdict.

    A rule with equivalent checks but no verdict: checkov drops what it cannot decide (a variable
    without a value, a value from a module it did not download), and silence must not read as a
    pass.  A rule with no equivalent check: no checkov check tests it, and a related check's
    verdict is not ours — UNKNOWN, with the related verdicts beside it as evidence."""
    decided = {(r.rule_id, r.address) for r in mapped}
    by_type: dict[str, list[Rule]] = defaultdict(list)
    for rule in selection.rules:
        for rtype in rule.resource_types:
            by_type[rtype].append(rule)
    related = related_of(checks, selection)
    seen: dict[str, CheckovCheck] = {}
    for check in checks:
        seen.setdefault(check.address, check)
    rules = {rule.id: rule for rule in selection.rules}
    # Each resource checkov saw, with the rules on its type; and each resource a related check
    # reported on for a rule with no verdict there (CKV2_AWS_69 judges a DB instance for the
    # parameter-group rules): UNKNOWN, with the related verdict beside it, never as the verdict.
    pairs: list[tuple[str, Rule]] = [(address, rule) for address, check in seen.items()
                                     for rule in by_type.get(check.resource_type, ())]
    listed = {(rule.id, address) for address, rule in pairs}
    pairs += [(address, rules[rule_id]) for rule_id, address in related
              if (rule_id, address) not in listed and address in seen]
    out = []
    for address, rule in pairs:
        check = seen[address]
        if (rule.id, address) in decided:
            continue
        equivalent = equivalent_checks(rule)
        if equivalent:
            reason = (f"checkov gave no verdict ({', '.join(equivalent)}) on this resource: a value it "
                      f"could not resolve (such as a variable without a value), or none of these "
                      f"checks covers {check.resource_type}")
        else:
            reason = NO_EQUIVALENT
        evidence: dict[str, Any] = {"checkov": {"check_id": None, "status": None, "checks": []}}
        near = related.get((rule.id, address))
        if near:
            evidence["checkov_related"] = related_evidence(near)
            reason += ("; related checks, not this rule's verdict: "
                       + ", ".join(f"{c.check_id} {c.status.value}" for c in near))
        out.append(Result(
            rule_id=rule.id, title=rule.title, domain=rule.domain, severity=rule.severity,
            status=Status.UNKNOWN, address=address, resource_type=check.resource_type,
            reason=reason, source=source, evidence=evidence,
            file=display_file(check, base, display_base), line=check.lines[0] if check.lines else None,
            controls=list(selection.controls.get(rule.id, []))))
    return out
