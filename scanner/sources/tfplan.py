"""Terraform plans (``terraform show -json plan.out``, format 0.1–1.2, Terraform 0.12–1.14).

Reads ``resource_changes`` (a resource being deleted is not checked; ``no-op`` ones are), marks
``after_unknown`` values UNKNOWN, redacts ``after_sensitive`` ones, ignores data sources, takes each
resource's region from its own ``region`` attribute or its provider configuration, and folds split
resources into their parents by following ``configuration`` references — through module
variables and outputs — before falling back to equal known values.
"""
from __future__ import annotations

import functools
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

from ..arns import arn_part
from ..errors import InputError
from ..folding import FoldRule, ValueIndex
from ..inputs import read_input
from ..model import UNKNOWN, Inventory, Resource
from ..redact import mark_unknown, redact
from ..source import DocumentSource, Reading

if TYPE_CHECKING:
    from ..catalog import Selection

SOURCE = "terraform-plan"

_SKIPPED_ACTIONS = ({"delete"}, {"forget"}, {"read"})
_REF = re.compile(r"^(?P<type>[a-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)(?:\[(?P<index>[^\]]+)\])?")
_MODULE_STEP = re.compile(r"module\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?")


@functools.lru_cache(maxsize=4096)
def _module_config_path(module_address: str) -> str:
    """``module.a["x"].module.b[0]`` → ``module.a.module.b`` (the configuration's path); once per
    module instance, not once per resource in it."""
    return ".".join(f"module.{m}" for m in _MODULE_STEP.findall(module_address))


def _parent_module(module_address: str) -> tuple[str, str]:
    """Split ``module.a[0].module.b`` into (``module.a[0]``, ``b``)."""
    steps = [m.group(0) for m in _MODULE_STEP.finditer(module_address)]
    last = _MODULE_STEP.match(steps[-1]).group(1)  # type: ignore[union-attr]
    return ".".join(steps[:-1]), last


def _index_key(raw: str | None) -> Any:
    if raw is None:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return int(raw)
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1]
    return UNKNOWN  # count.index, each.key, …: depends on the instance


def managed_in(root: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(module address, resource) for each managed resource of a root module and its child modules:
    a plan's ``planned_values`` and a state's ``values`` (``terraform show -json``) share the shape."""
    stack = [root]
    while stack:
        module = stack.pop()
        for res in module.get("resources") or []:
            if res.get("mode", "managed") == "managed":
                yield module.get("address") or "", res
        stack.extend(module.get("child_modules") or [])


@contextmanager
def malformed(name: str, what: str) -> Iterator[None]:
    """A reader's crash on an unexpected shape, as a one-line `InputError` naming the file."""
    try:
        yield
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(name, f"malformed {what}: {type(exc).__name__}: {exc}") from None
    except RecursionError:
        raise InputError(name, f"malformed {what}: a value is nested too deeply") from None


@dataclass
class _Config:
    """The ``configuration`` block, indexed by module path."""

    resources: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    calls: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    outputs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def add(self, module: dict[str, Any], path: str) -> None:
        for res in module.get("resources") or []:
            self.resources[(path, f"{res.get('type')}.{res.get('name')}")] = res
        for name, out in (module.get("outputs") or {}).items():
            self.outputs[(path, name)] = out
        for name, call in (module.get("module_calls") or {}).items():
            self.calls[(path, name)] = call
            child_path = f"{path}.module.{name}" if path else f"module.{name}"
            self.add(call.get("module") or {}, child_path)


class _PlanReader:
    #: The ``source`` of the resources it makes (the state reader shares the rest).
    source = SOURCE

    def __init__(self, name: str, plan: dict[str, Any], account: str | None) -> None:
        self.name = name
        self.plan = plan
        self.config = _Config()
        self.config.add((plan.get("configuration") or {}).get("root_module") or {}, "")
        self.providers: dict[str, Any] = (plan.get("configuration") or {}).get("provider_config") or {}
        self.variables = {k: (v or {}).get("value") for k, v in (plan.get("variables") or {}).items()}
        self.account = account or self._provider_account()
        # (module instance address, type, name) → {index: Resource}
        self.instances: dict[tuple[str, str, str], dict[Any, Resource]] = {}
        self.meta: dict[int, tuple[str, str, str, Any]] = {}
        self._calls: dict[str, set[str]] | None = None
        self._calls_for = -1
        self._instance_of: dict[str, str] = {}

    # -- provider configuration -------------------------------------------------------------
    def _expression_value(self, expression: Any) -> Any:
        if not isinstance(expression, dict):
            return None
        if "constant_value" in expression:
            return expression["constant_value"]
        for ref in expression.get("references") or []:
            if ref.startswith("var.") and ref[4:] in self.variables:
                return self.variables[ref[4:]]
        return None

    @functools.lru_cache(maxsize=None)  # noqa: B019 - one reader per plan, a handful of providers
    def _provider_attribute(self, key: str | None, module_path: str, attribute: str) -> Any:
        """An attribute of the provider configuration a resource uses, following inheritance."""
        key = key or "aws"
        local = key.split(":")[-1]
        candidates = [key]
        path = module_path
        while True:
            candidates.append(f"{path}:{local}" if path else local)
            if not path:
                break
            path = path.rsplit(".module.", 1)[0] if ".module." in path else ""
        for candidate in candidates:
            provider = self.providers.get(candidate)
            if provider:
                value = self._expression_value((provider.get("expressions") or {}).get(attribute))
                if value is not None:
                    return value
        return None

    def _provider_account(self) -> str | None:
        for provider in self.providers.values():
            expressions = (provider or {}).get("expressions") or {}
            allowed = self._expression_value(expressions.get("allowed_account_ids"))
            if isinstance(allowed, list) and len(allowed) == 1:
                return str(allowed[0])
            for assume in expressions.get("assume_role") or []:
                arn = self._expression_value((assume or {}).get("role_arn"))
                account = arn_part(arn, "account")
                if account:
                    return account
        return None

    # -- resources ----------------------------------------------------------------------------
    def resources(self) -> list[Resource]:
        changes = self.plan.get("resource_changes")
        if changes is None:
            return list(self._from_planned_values())
        if not isinstance(changes, list):
            raise InputError(self.name, "resource_changes is not a list")
        out = []
        for rc in changes:
            if not isinstance(rc, dict) or rc.get("mode", "managed") != "managed":
                continue
            change = rc.get("change") or {}
            actions = set(change.get("actions") or [])
            if actions in _SKIPPED_ACTIONS or change.get("after") is None:
                continue
            out.append(self._resource(rc, change.get("after"), change.get("after_unknown"),
                                      change.get("after_sensitive")))
        return out

    def _from_planned_values(self) -> Iterable[Resource]:
        """Plans without resource_changes."""
        root = (self.plan.get("planned_values") or {}).get("root_module")
        if root is None:
            raise InputError(self.name, "not a Terraform plan: no resource_changes or planned_values")
        for _, res in managed_in(root):
            yield self._resource(res, res.get("values") or {}, None, res.get("sensitive_values"))

    def _resource(self, rc: dict[str, Any], after: Any, unknown: Any, sensitive: Any) -> Resource:
        if not isinstance(after, dict):
            raise InputError(self.name, f"{rc.get('address')}: planned values are not an object")
        rtype, rname = str(rc["type"]), str(rc["name"])
        module_address = rc.get("module_address") or ""
        attributes = after
        unknown_paths = mark_unknown(attributes, unknown)
        sensitive_paths = redact(rtype, attributes, sensitive)
        config_path = _module_config_path(module_address)
        config = self.config.resources.get((config_path, f"{rtype}.{rname}"), {})
        resource = Resource(
            address=str(rc.get("address") or f"{rtype}.{rname}"),
            type=rtype,
            attributes=attributes,
            source=self.source,
            account=self._account(attributes),
            region=self._region(attributes, config, config_path),
            unknown=unknown_paths,
            sensitive=sensitive_paths,
            file=self.name,
        )
        index = rc.get("index")
        self.instances.setdefault((module_address, rtype, rname), {})[index] = resource
        self.meta[id(resource)] = (module_address, rtype, rname, index)
        return resource

    def _region(self, attributes: dict[str, Any], config: dict[str, Any], config_path: str) -> str | None:
        """The resource's own ``region`` (AWS provider v6), else its provider configuration's."""
        region = attributes.get("region")
        if not isinstance(region, str):
            region = self._provider_attribute(config.get("provider_config_key"), config_path, "region")
        return region if isinstance(region, str) else None

    def _account(self, attributes: dict[str, Any]) -> str | None:
        """The account given, or the one the provider configuration pins (the same for all)."""
        return self.account

    # -- folding ------------------------------------------------------------------------------
    def _follow(self, module_address: str, refs: list[str], own_index: Any,
                rule: FoldRule, depth: int = 0) -> Resource | None:
        """The parent a list of references (in one module instance's scope) points to."""
        if depth > 32:
            return None
        for ref in refs:
            if ref.startswith("var."):
                if not module_address:
                    continue
                outer, call_name = _parent_module(module_address)
                call = self.config.calls.get((_module_config_path(outer), call_name)) or {}
                expression = (call.get("expressions") or {}).get(ref[4:].split(".")[0]) or {}
                found = self._follow(outer, expression.get("references") or [], own_index, rule, depth + 1)
            elif ref.startswith("module."):
                parts = ref.split(".")
                if len(parts) < 3:
                    continue
                inner = self._module_instance(module_address, parts[1])
                output = self.config.outputs.get((_module_config_path(inner), parts[2])) or {}
                inner_refs = (output.get("expression") or {}).get("references") or []
                found = self._follow(inner, inner_refs, own_index, rule, depth + 1)
            else:
                found = self._instance(module_address, ref, own_index, rule)
            if found is not None:
                return found
        return None

    def _module_instance(self, scope: str, call_name: str) -> str:
        """The instance address of module `call_name` called from `scope` (``module.m[0]`` if
        counted); unchanged when there are several instances and nothing says which."""
        plain = f"{scope}.module.{call_name}" if scope else f"module.{call_name}"
        calls = self._module_calls()
        found = self._instance_of.get(plain)
        if found is None:
            wanted = _module_config_path(plain)
            matches = {m for m in calls.get(plain, ())
                       if (m == plain or m.startswith(plain + "[")) and _module_config_path(m) == wanted}
            found = self._instance_of[plain] = matches.pop() if len(matches) == 1 else plain
        return found

    def _module_calls(self) -> dict[str, set[str]]:
        """Module instance addresses by their address without the last step's index
        (``module.a[0].module.b["x"]`` under ``module.a[0].module.b``), built once (and each
        answer of `_module_instance` kept): a lookup per child must not walk every instance."""
        if self._calls is None or self._calls_for != len(self.instances):
            self._instance_of = {}
            calls: dict[str, set[str]] = {}
            for module_address in {m for (m, _, _) in self.instances}:
                steps = list(_MODULE_STEP.finditer(module_address))
                if not steps:
                    continue
                last = steps[-1]
                calls.setdefault(module_address[:last.start()] + f"module.{last.group(1)}", set()).add(module_address)
            self._calls, self._calls_for = calls, len(self.instances)
        return self._calls

    def _instance(self, module_address: str, ref: str, own_index: Any, rule: FoldRule) -> Resource | None:
        match = _REF.match(ref)
        if match is None or match["type"] not in rule.parents:
            return None
        candidates = self.instances.get((module_address, match["type"], match["name"]))
        if not candidates:
            return None
        wanted = _index_key(match["index"])
        if wanted is not None and wanted is not UNKNOWN:
            return candidates.get(wanted)
        if len(candidates) == 1:
            return next(iter(candidates.values()))
        # count/for_each over the same keys (e.g. for_each = aws_s3_bucket.b): same index.
        return candidates.get(own_index)

    def resolver(self, resources: list[Resource]):
        values = ValueIndex(resources)

        def resolve(child: Resource, rule: FoldRule) -> Resource | None | object:
            module_address, rtype, rname, index = self.meta[id(child)]
            config = self.config.resources.get((_module_config_path(module_address), f"{rtype}.{rname}"), {})
            refs = ((config.get("expressions") or {}).get(rule.link) or {}).get("references") or []
            found = self._follow(module_address, refs, index, rule)
            return found if found is not None else values.find(child, rule)

        return resolve


class TerraformPlan(DocumentSource):
    name = SOURCE
    command = "plan"
    title = "a Terraform plan"
    summary = "Scan Terraform plans (`terraform show -json plan.out`); `-` reads stdin."
    expected = "the output of `terraform show -json plan.out`"

    def recognises(self, document: Any) -> bool:
        """A plan has ``resource_changes`` or ``planned_values`` (a state has ``values`` only)."""
        return isinstance(document, dict) and "format_version" in document and (
            "resource_changes" in document or "planned_values" in document)

    def inventory(self, name: str, document: Any, account: str | None) -> Inventory:
        with malformed(name, "plan"):
            reader = _PlanReader(name, document, account)
            resources = reader.resources()
        regions = {r.region for r in resources if r.region} or {None}
        return Inventory(
            source=SOURCE,
            origin=name,
            resources=resources,
            complete=False,
            scopes={(reader.account, region) for region in regions},
            metadata={
                "format_version": document.get("format_version"),
                "terraform_version": document.get("terraform_version"),
            },
            resolver=reader.resolver(resources),
        )

    def read(self, inputs: Sequence[str], selection: "Selection", *, account_id: str | None = None,
             with_checkov: bool = False, checkov: str | None = None, all_checkov: bool = False,
             timeout: float | None = None, **_: Any) -> Reading:
        """The plans; with `with_checkov`, checkov runs on the same files as a second opinion."""
        files = [read_input(path) for path in inputs]
        inventories = [self.load(name, data, account_id) for name, data in files]
        if not with_checkov:
            return Reading(inventories)
        from ..checkov.merge import second_opinion  # checkov's plumbing: only when asked for

        return second_opinion(files, inventories, selection, checkov=checkov, all_checkov=all_checkov,
                              timeout=timeout)


def read_plan(name: str, document: Any, account: str | None = None) -> Inventory:
    """A parsed ``terraform show -json`` plan as a folded inventory."""
    return TerraformPlan.instance().parse(name, document, account)
