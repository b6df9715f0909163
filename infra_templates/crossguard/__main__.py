"""vendorguard as a Pulumi CrossGuard policy pack: the same rules, the same engine, inside
``pulumi preview`` and ``pulumi up``.

Each selected rule is one stack policy.  At the end of a preview (and of the preview ``pulumi up``
runs first) Pulumi hands the pack every resource of the stack; the pack turns them into
vendorguard's resource model with the Pulumi reader's own mapping (``vendorguard.scanner.sources.
pulumi.read_states``: type tokens, names, blocks, secrets, unknowns, folding of split resources
through ``propertyDependencies``) and runs the engine once.  Each policy then reports its rule's
failures against the resources' URNs.

Severity sets the enforcement level: critical and high rules are ``mandatory`` (they stop the
update), medium and low ``advisory``.  Both are overridable per rule, or for ``all``, through the
pack's config (``pulumi preview --policy-pack-config``).  A value known only after apply gives
UNKNOWN, never PASS: it is reported as a violation ("not decidable before apply") unless the
rule's config says ``"unknown": "ignore"``.  Account- and region-level controls (a GuardDuty
detector, a multi-region trail) are judged only when the stack manages the resource: a stack
without one says nothing about the account.

Which packs run: the ``VENDORGUARD_PACKS`` environment variable (comma-separated shipped pack
names or pack files), by default the shipped ``hipaa`` and ``vendor-article`` packs.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    Secret,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from vendorguard.scanner.catalog import Rule, select
from vendorguard.scanner.pipeline import evaluate, now
from vendorguard.scanner.model import Result, Status
from vendorguard.scanner.sources.pulumi import SECRET_SIG, SIG_KEY, read_states

PACK_NAME = "vendorguard"
MANDATORY_SEVERITIES = ("critical", "high")
CONFIG_SCHEMA = {
    "unknown": {
        "type": "string",
        "enum": ["violation", "ignore"],
        "default": "violation",
        "description": "What to do when a value the rule reads is known only after apply.",
    },
}


def enforcement_for(severity: str) -> EnforcementLevel:
    return EnforcementLevel.MANDATORY if severity in MANDATORY_SEVERITIES else EnforcementLevel.ADVISORY


def selected_packs() -> list[str]:
    raw = os.environ.get("VENDORGUARD_PACKS", "")
    return [p.strip() for p in raw.split(",") if p.strip()]


# -- the stack's resources as plain records ----------------------------------------------------------------
def plain(value: Any) -> Any:
    """A property value as plain JSON-like data: the SDK's unknown-checking proxies unwrapped
    (unknowns stay as their sentinel strings), secrets re-marked so the reader redacts them."""
    if isinstance(value, Secret):
        return {SIG_KEY: SECRET_SIG, "value": plain(value.value)}
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        target = value["__target"] if _is_proxy(value) else value
        return {str(k): plain(v) for k, v in target.items()}
    if isinstance(value, Sequence):
        target = value["__target"] if _is_proxy(value) else value
        return [plain(v) for v in target]
    return getattr(value, "path", None) or getattr(value, "uri", None)  # assets and archives


def _is_proxy(value: Any) -> bool:
    """The SDK's unknown-checking wrappers, which raise on reading an unknown: read the target."""
    return type(value).__name__ in ("_DictProxy", "_ListProxy")


def record(resource: PolicyResource) -> dict[str, Any]:
    """A stack-export-shaped record of one resource the SDK passes to a stack policy."""
    provider = resource.provider
    out: dict[str, Any] = {
        "urn": resource.urn,
        "type": resource.resource_type,
        # components have no provider; the stack resource and providers are skipped by type
        "custom": provider is not None,
        "outputs": plain(resource.props),
        "parent": resource.parent.urn if resource.parent is not None else resource.opts.parent,
        "dependencies": [d.urn for d in resource.dependencies],
        "propertyDependencies": {k: [d.urn for d in v] for k, v in resource.property_dependencies.items()},
    }
    if provider is not None:
        out["provider"] = provider.urn
    return out


def provider_records(resources: list[PolicyResource]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for resource in resources:
        provider = resource.provider
        if provider is not None and provider.urn not in seen:
            seen[provider.urn] = {"urn": provider.urn, "type": provider.resource_type, "custom": True,
                                  "inputs": plain(provider.props)}
    return list(seen.values())


def stack_config() -> dict[str, Any]:
    """The stack's ``aws:region`` (the fallback when a provider does not name one)."""
    try:
        import pulumi.runtime

        region = pulumi.runtime.get_config("aws:region")
    except Exception:  # noqa: BLE001 - no engine, no config
        region = None
    return {"aws:region": region} if region else {}


# -- evaluation, once per stack --------------------------------------------------------------------------
class Evaluation:
    """The engine's results for one stack, by rule, and the types the stack manages."""

    def __init__(self, results: list[Result], types: set[str]) -> None:
        self.by_rule: dict[str, list[Result]] = defaultdict(list)
        for result in results:
            self.by_rule[result.rule_id].append(result)
        self.types = types


class Pack:
    """The policies, and the one evaluation of the stack they share."""

    def __init__(self, pack_args: list[str] | None = None) -> None:
        _, self.selection = select(pack_args if pack_args is not None else selected_packs())
        self._cache: tuple[str, Evaluation] | None = None

    def evaluate(self, resources: list[PolicyResource]) -> Evaluation:
        records = provider_records(resources) + [record(r) for r in resources]
        key = hashlib.sha256(json.dumps(records, sort_keys=True, default=str).encode()).hexdigest()
        if self._cache is None or self._cache[0] != key:
            stack = next((r.urn for r in resources if r.resource_type == "pulumi:pulumi:Stack"), "the stack")
            inventory = read_states(stack, records, config=stack_config())
            report = evaluate([inventory], self.selection, now())
            self._cache = (key, Evaluation(report.results, {r.type for r in inventory.resources}))
        return self._cache[1]

    def validator(self, rule: Rule):
        def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            config = args.get_config() or {}
            report_unknown = config.get("unknown", "violation") != "ignore"
            evaluation = self.evaluate(list(args.resources))
            for result in evaluation.by_rule.get(rule.id, []):
                scoped = rule.scope != "resource"
                urn = None if scoped else result.address
                if result.status is Status.FAIL:
                    report_violation(_message(result), urn)
                elif result.status is Status.UNKNOWN and report_unknown:
                    if scoped and not set(rule.resource_types) & evaluation.types:
                        continue  # the stack does not manage it: nothing said about the account
                    report_violation("not decidable before apply: " + _message(result), urn)

        return validate

    def policies(self) -> list[StackValidationPolicy]:
        out = []
        for rule in self.selection.rules:
            hipaa = rule.references.get("hipaa") or []
            out.append(StackValidationPolicy(
                name=rule.id,
                description=rule.title,
                validate=self.validator(rule),
                enforcement_level=enforcement_for(rule.severity),
                config_schema=PolicyConfigSchema(properties=dict(CONFIG_SCHEMA)),
                severity=Severity(rule.severity),
                framework=PolicyComplianceFramework(name="HIPAA Security Rule", reference=", ".join(hipaa))
                if hipaa else None,
                tags=[rule.domain, *self.selection.controls.get(rule.id, [])],
                remediation_steps=(rule.remediation or {}).get("text"),
            ))
        return out


def _message(result: Result) -> str:
    where = "" if result.address.startswith("urn:") else f"{result.address}: "
    return f"[{result.severity}] {where}{result.reason}"


def build(pack_args: list[str] | None = None) -> tuple[Pack, list[StackValidationPolicy]]:
    pack = Pack(pack_args)
    return pack, pack.policies()


if __name__ == "__main__":
    _, POLICIES = build()
    PolicyPack(
        name=PACK_NAME,
        policies=POLICIES,
        description="vendorguard: HIPAA-mapped AWS controls (the rules of `vendorguard scan`) for Pulumi stacks",
        provider="aws",
        tags=["hipaa", "aws", "vendorguard"],
    )
