"""Evaluates the selected rules over an inventory: one result per (rule, resource) or per scope.

Fail closed throughout: a condition that reads an unknown value is UNKNOWN, a condition that
errors is UNKNOWN, a resource type whose listing failed (a `Gap`) gives UNKNOWN for every rule
over it, and an account/region control that a partial source (a plan) does not show is UNKNOWN —
only a complete source (a live account) can say it is absent.
"""
from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from collections import defaultdict
from functools import cache
from typing import Any, Iterable

from jmespath.exceptions import JMESPathError

from .catalog import Rule, Selection
from .condition import contains_unknown, has_unknown_value, is_false
from .context import EvalContext
from .model import UNKNOWN, UNKNOWN_MARK, Inventory, Resource, Result, Status
from .types import singletons

_MAX_SHOWN = 160


@cache
def singleton_types() -> frozenset[str]:
    """Types an account/region has at most one of: the records with a `singleton` scope
    (`policies/types.yaml`), whether the scope is the account or each region."""
    return singletons()


def _jsonable(value: Any, depth: int = 0) -> Any:
    """Evidence values as plain JSON (UNKNOWN becomes a marker string); beyond any real nesting
    depth the rest is summarised instead of recursed into."""
    if value is UNKNOWN:
        return UNKNOWN_MARK
    if depth > 64 and isinstance(value, (dict, list)):
        return "(nested too deeply to show)"
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v, depth + 1) for v in value]
    return value


def _json_evidence(evidence: dict[str, Any]) -> dict[str, Any]:
    """`_jsonable` for an evidence mapping, copied only where a value holds UNKNOWN: in a plan most
    resources have some unknown value (an ARN, an id), seldom one the evidence shows."""
    out = evidence
    for path, value in evidence.items():
        if value is UNKNOWN or (type(value) in (dict, list) and has_unknown_value(value)):
            if out is evidence:
                out = dict(evidence)
            out[path] = _jsonable(value)
    return out


_SCALARS = {True: "true", False: "false", None: "null"}


def _marker(value: Any) -> str:
    return UNKNOWN_MARK if value is UNKNOWN else str(value)


# One encoder for every reason, json's C encoder itself (what `JSONEncoder(separators=(",", ":"),
# default=_marker, ensure_ascii=False)` builds at each call): it walks the value, the UNKNOWN
# sentinel through `default`, where a Python walk first would cost a tenth of a large plan's scan.
_SHOW_ENCODER = c_make_encoder(None, _marker, encode_basestring, None, ":", ",", False, False, True)


def _show(value: Any) -> str:
    """A value as compact JSON, shortened; scalars (most evidence) without a trip through json."""
    if value is True or value is False or value is None:
        return _SCALARS[value]
    if isinstance(value, str):
        text = encode_basestring(value)
    elif isinstance(value, int):
        return str(value)
    else:
        try:
            text = "".join(_SHOW_ENCODER(value, 0))
        except (RecursionError, TypeError, ValueError):  # absurd nesting, keys json cannot write
            text = json.dumps(_jsonable(value), separators=(",", ":"), default=str, ensure_ascii=False)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _evidence(rule: Rule, attributes: dict[str, Any], ctx: EvalContext) -> dict[str, Any]:
    out = {}
    for path, expr in zip(rule.evidence_paths, rule.evidence):
        try:
            out[path] = expr(attributes, ctx)
        except (JMESPathError, TypeError, ValueError):
            out[path] = None
    return out


def _verdict(rule: Rule, attributes: dict[str, Any], ctx: EvalContext) -> tuple[Status, str | None]:
    """Apply a rule's applicability and condition to one attribute tree (`ctx`: its resource)."""
    try:
        if rule.applies_if is not None:
            applies = rule.applies_if(attributes, ctx)
            if applies is UNKNOWN:
                return Status.UNKNOWN, None
            if is_false(applies):
                return Status.NOT_APPLICABLE, f"does not apply ({rule.applies_if_text})"
        outcome = rule.condition(attributes, ctx)
    except (JMESPathError, TypeError, ValueError) as exc:
        return Status.UNKNOWN, f"the condition could not be evaluated: {exc}"
    except RecursionError:
        return Status.UNKNOWN, "a value is nested too deeply to evaluate"
    if outcome is UNKNOWN:
        return Status.UNKNOWN, None
    return (Status.FAIL if is_false(outcome) else Status.PASS), None


def _reason(rule: Rule, status: Status, evidence: dict[str, Any], resource: Resource | None, note: str | None) -> str:
    if note:
        return note
    if status is Status.UNKNOWN:
        unknown = [p for p, v in evidence.items() if has_unknown_value(v)]
        withheld = [p for p, v in evidence.items() if contains_unknown(v) and p not in unknown]
        if withheld and not unknown:
            return f"{', '.join(withheld)} is sensitive: withheld, so it cannot be judged"
        if not unknown and rule.reads_account and resource is not None and resource.account is None:
            return ("the account this resource belongs to is not known, so whether an account it names "
                    "is another one cannot be told (for a plan or stack: --account-id)")
        why = (resource.unknown_reason if resource is not None else None) or "known only after apply"
        return f"{', '.join(unknown) or 'a value the rule (or its applicability) reads'} not known: {why}"
    shown = "; ".join(f"{p} = {_show(v)}" for p, v in evidence.items())
    return shown or ("condition holds" if status is Status.PASS else "condition does not hold")


class Engine:
    """Rules indexed by resource type, ready to run over any number of inventories."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.by_type: dict[str, list[Rule]] = defaultdict(list)
        self.scoped: list[Rule] = []
        for rule in selection.rules:
            if rule.scope == "resource":
                for rtype in rule.resource_types:
                    self.by_type[rtype].append(rule)
            else:
                self.scoped.append(rule)

    def _result(self, rule: Rule, status: Status, reason: str, address: str, rtype: str,
                inventory: Inventory, resource: Resource | None = None,
                evidence: dict[str, Any] | None = None, account: str | None = None,
                region: str | None = None) -> Result:
        return Result(
            rule_id=rule.id,
            title=rule.title,
            domain=rule.domain,
            severity=rule.severity,
            status=status,
            address=address,
            resource_type=rtype,
            reason=reason,
            source=inventory.source,
            account=resource.account if resource else account,
            region=resource.region if resource else region,
            # Only resources with unknown values hold the UNKNOWN sentinel; the rest is JSON already.
            evidence=_json_evidence(evidence) if evidence and (resource is None or resource.unknown) else (evidence or {}),
            # An account/region verdict from a partial source is located in the file it came from.
            file=resource.file if resource else (None if inventory.complete else inventory.origin),
            line=resource.line if resource else None,
            controls=self.selection.controls.get(rule.id, []),
        )

    def _applies_to_source(self, rule: Rule, inventory: Inventory) -> bool:
        return rule.sources is None or inventory.source in rule.sources

    def _on_resource(self, rule: Rule, resource: Resource, inventory: Inventory, ctx: EvalContext) -> Result:
        status, note = _verdict(rule, resource.attributes, ctx)
        evidence = _evidence(rule, resource.attributes, ctx)
        return self._result(rule, status, _reason(rule, status, evidence, resource, note), resource.address,
                            resource.type, inventory, resource, evidence)

    def run(self, inventory: Inventory) -> list[Result]:
        results: list[Result] = []
        rules_for = {t: [r for r in rules if self._applies_to_source(r, inventory)] for t, rules in self.by_type.items()}
        for resource in inventory.resources:
            rules = rules_for.get(resource.type)
            if not rules:
                continue
            ctx = EvalContext(resource.account, resource.type)
            results.extend(self._on_resource(rule, resource, inventory, ctx) for rule in rules)
        results.extend(self._gaps(inventory))
        for rule in self.scoped:
            if self._applies_to_source(rule, inventory):
                results.extend(self._scoped(rule, inventory))
        return results

    def _gaps(self, inventory: Inventory) -> Iterable[Result]:
        for gap in inventory.gaps:
            for rule in self.by_type.get(gap.resource_type, ()):
                if self._applies_to_source(rule, inventory):
                    yield self._result(rule, Status.UNKNOWN, f"could not be read: {gap.reason}",
                                       scope_address(gap.account, gap.region, gap.resource_type),
                                       gap.resource_type, inventory, account=gap.account,
                                       region=gap.region)

    def _scoped(self, rule: Rule, inventory: Inventory) -> Iterable[Result]:
        """Existence rules: per region (or account), at least one resource must satisfy the rule."""
        per_region = rule.scope == "region"
        scopes = sorted({(a, r if per_region else None) for a, r in inventory.scopes},
                        key=lambda s: (s[0] or "", s[1] or ""))
        members: dict[tuple[str | None, str | None], list[Resource]] = defaultdict(list)
        for resource in inventory.resources:
            if resource.type in rule.resource_types:
                members[(resource.account, resource.region if per_region else None)].append(resource)
        # A gap without a region (an account-wide listing, or a type nothing collects) covers
        # every region of its account.
        gaps = {(g.account, g.region if per_region else None): g for g in inventory.gaps
                if g.resource_type in rule.resource_types}
        what = " or ".join(rule.resource_types)
        for account, region in scopes:
            key = (account, region)
            address = scope_address(account, region, rule.resource_types[0])
            seen = [(r, *self._scoped_verdict(rule, r)) for r in members.get(key, [])]
            seen = [s for s in seen if s[1] is not Status.NOT_APPLICABLE]
            passing = [s for s in seen if s[1] is Status.PASS]
            if passing:
                resource, status, evidence = passing[0]
                yield self._result(rule, Status.PASS, f"{resource.address}: " + _reason(
                    rule, Status.PASS, evidence, resource, None), address, rule.resource_types[0],
                    inventory, account=account, region=region, evidence=evidence)
                continue
            gap = gaps.get(key) or gaps.get((account, None))
            if gap is not None:
                yield self._result(rule, Status.UNKNOWN, f"could not be read: {gap.reason}",
                                   address, rule.resource_types[0], inventory, account=account, region=region)
                continue
            undecided = [s for s in seen if s[1] is Status.UNKNOWN]
            if undecided:
                resource, status, evidence = undecided[0]
                yield self._result(rule, Status.UNKNOWN, f"{resource.address}: " + _reason(
                    rule, Status.UNKNOWN, evidence, resource, None), address, rule.resource_types[0],
                    inventory, account=account, region=region, evidence=evidence)
            elif seen:
                shown = "; ".join(f"{r.address}: {_reason(rule, s, e, r, None)}" for r, s, e in seen[:3])
                decided = inventory.complete or set(rule.resource_types) <= singleton_types()
                status = Status.FAIL if decided else Status.UNKNOWN
                why = "none satisfies the rule" if decided else \
                    f"none in this {inventory.source} input satisfies the rule (one may exist elsewhere)"
                yield self._result(rule, status, f"{why} — {shown}", address,
                                   rule.resource_types[0], inventory, account=account, region=region,
                                   evidence=seen[0][2])
            elif inventory.complete:
                where = f"region {region}" if per_region else f"account {account or '(unknown)'}"
                yield self._result(rule, Status.FAIL, f"no {what} in {where}", address,
                                   rule.resource_types[0], inventory, account=account, region=region)
            else:
                yield self._result(rule, Status.UNKNOWN,
                                   f"no {what} in this {inventory.source} input; it may be managed elsewhere",
                                   address, rule.resource_types[0], inventory, account=account, region=region)

    def _scoped_verdict(self, rule: Rule, resource: Resource) -> tuple[Status, dict[str, Any]]:
        ctx = EvalContext(resource.account, resource.type)
        status, _ = _verdict(rule, resource.attributes, ctx)
        return status, _evidence(rule, resource.attributes, ctx)


def scope_address(account: str | None, region: str | None, rtype: str) -> str:
    """A stable address for an account/region-level verdict, e.g. ``123456789012/us-east-1/aws_guardduty_detector``."""
    return f"{account or '(account)'}/{region or '(global)'}/{rtype}"
