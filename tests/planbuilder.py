"""Builds `terraform show -json` plans from short resource lists, the way Terraform writes them.

Fixtures stay readable (a resource is a type, a name and its values) while the scanner reads
real plan structure: ``resource_changes`` with ``after``/``after_unknown``/``after_sensitive``,
``planned_values`` with child modules, and a ``configuration`` whose references let split
resources fold into their parents.  A string value ``"${aws_s3_bucket.this.id}"`` becomes what
Terraform writes for a reference to a resource not yet created: the value is absent from
``after``, ``true`` in ``after_unknown``, and the configuration expression lists the reference.
`build_state` makes states from the same kind of list, in both forms Terraform writes them.
"""
from __future__ import annotations

import copy
import re
from typing import Any

_REF = re.compile(r"^\$\{([^}]+)\}$")


def case_resources(rule: Any, case: dict[str, Any]) -> list[dict[str, Any]]:
    """A case of a rule's fixture (``tests/fixtures/rules/<RULE>.yaml``) as a resource list for
    `build_plan`: its ``resources``, or the case itself as one resource; a resource's type
    defaults to the rule's first, its name to ``this`` (the case's target)."""
    items = case.get("resources") or [case]
    return [{"type": item.get("type", rule.resource_types[0]), "name": item.get("name", "this"),
             "values": item.get("values", {}), "unknown": item.get("unknown", []),
             "sensitive": item.get("sensitive", [])} for item in items]


def _split(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(after, after_unknown, expressions) for a resource's values."""
    after: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    expressions: dict[str, Any] = {}
    for key, value in values.items():
        match = _REF.match(value) if isinstance(value, str) else None
        if match:
            ref = match.group(1)
            parts = ref.split(".")
            refs = [ref, ".".join(parts[:2])] if len(parts) > 2 and not ref.startswith(("var.", "module.", "local.")) else [ref]
            unknown[key] = True
            expressions[key] = {"references": refs}
        else:
            after[key] = copy.deepcopy(value)
            expressions[key] = {"constant_value": copy.deepcopy(value)}
    return after, unknown, expressions


def _mirror(paths: list[str]) -> dict[str, Any]:
    """A mirror tree with ``true`` at each dotted path (numbers are list indices)."""
    tree: dict[str, Any] = {}
    for path in paths:
        steps = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = tree
        for step, nxt in zip(steps, steps[1:]):
            if isinstance(node, list):
                while len(node) <= step:
                    node.append(False)
                if not isinstance(node[step], (dict, list)):
                    node[step] = [] if isinstance(nxt, int) else {}
                node = node[step]
            else:
                node = node.setdefault(step, [] if isinstance(nxt, int) else {})
        last = steps[-1]
        if isinstance(node, list):
            while len(node) <= last:
                node.append(False)
        node[last] = True
    return tree


def _merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge(out[k], v) if k in out else v
        return out
    return b if b is not None else a


def _module_scope(root: dict[str, Any], module: str) -> dict[str, Any]:
    scope = root
    for step in [m for m in module.split(".") if m and m != "module"]:
        call = scope["module_calls"].setdefault(step, {"source": f"./modules/{step}", "expressions": {},
                                                       "module": {"resources": [], "module_calls": {},
                                                                  "outputs": {}}})
        scope = call["module"]
    return scope


def build_plan(resources: list[dict[str, Any]], region: str = "us-east-1",
               account_id: str | None = None, terraform_version: str = "1.9.5",
               modules: dict[str, dict[str, Any]] | None = None,
               variables: dict[str, Any] | None = None,
               provider: dict[str, Any] | None = None) -> dict[str, Any]:
    """A plan document.  Each resource: ``type``, ``name``, ``values``; optional ``unknown`` and
    ``sensitive`` (dotted paths), ``module`` (``module.a``), ``index``, ``actions``.
    `modules` maps a module path to its call's ``inputs`` and its ``outputs`` (values or
    ``${...}`` references, as resource values); `variables` are root variable values;
    `provider` replaces the aws provider's expressions."""
    changes = []
    config_root: dict[str, Any] = {"resources": [], "module_calls": {}}
    planned: dict[str, Any] = {"resources": [], "child_modules": []}
    for res in resources:
        rtype, name = res["type"], res.get("name", "this")
        module = res.get("module", "")
        index = res.get("index")
        after, unknown, expressions = _split(res.get("values", {}))
        unknown = _merge(unknown, _mirror(res.get("unknown", [])))
        for path in res.get("unknown", []):
            if "." not in path:
                after.pop(path, None)  # Terraform omits unknown values from `after`
        sensitive = _mirror(res.get("sensitive", []))
        local = f"{rtype}.{name}" + (f"[{index!r}]".replace("'", '"') if index is not None else "")
        address = f"{module}.{local}" if module else local
        actions = res.get("actions", ["create"])
        change = {
            "address": address,
            "mode": "managed",
            "type": rtype,
            "name": name,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {
                "actions": actions,
                "before": None if actions == ["create"] else copy.deepcopy(after),
                "after": None if actions == ["delete"] else after,
                "after_unknown": unknown,
                "before_sensitive": False,
                "after_sensitive": sensitive,
            },
        }
        if module:
            change["module_address"] = module
        if index is not None:
            change["index"] = index
        changes.append(change)
        if actions != ["delete"]:
            planned["resources"].append({"address": address, "mode": "managed", "type": rtype, "name": name,
                                         "values": after, "sensitive_values": sensitive})
        config = {"address": f"{rtype}.{name}", "mode": "managed", "type": rtype, "name": name,
                  "provider_config_key": "aws", "expressions": expressions}
        scope = _module_scope(config_root, module)
        if not any(r["address"] == config["address"] for r in scope["resources"]):
            scope["resources"].append(config)
    for path, spec in (modules or {}).items():
        parent, _, name = path.rpartition(".module.") if ".module." in path else ("", "", path[len("module."):])
        call = _module_scope(config_root, parent)["module_calls"]
        _module_scope(config_root, path)  # make sure the call exists
        call[name]["expressions"].update(_split(spec.get("inputs", {}))[2])
        outputs = _module_scope(config_root, path)["outputs"]
        for out_name, expr in _split(spec.get("outputs", {}))[2].items():
            outputs[out_name] = {"expression": expr}
    aws: dict[str, Any] = {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                           "expressions": provider or {"region": {"constant_value": region}}}
    if account_id:
        aws["expressions"]["allowed_account_ids"] = {"constant_value": [account_id]}
    plan = {
        "format_version": "1.2",
        "terraform_version": terraform_version,
        "planned_values": {"root_module": planned},
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": aws}, "root_module": config_root},
    }
    if variables:
        plan["variables"] = {k: {"value": v} for k, v in variables.items()}
    return plan


def _steps(path: str) -> list[dict[str, Any]]:
    """A dotted path as a raw state's sensitive path: attribute steps, number indices for digits."""
    return [{"type": "index", "value": {"value": int(p), "type": "number"}} if p.isdigit()
            else {"type": "get_attr", "value": p} for p in path.split(".")]


def build_state(resources: list[dict[str, Any]], form: str = "show-json", terraform_version: str = "1.9.5",
                serial: int = 7, lineage: str = "2c4e8f3a-0d1b-4c5e-9f6a-7b8c9d0e1f2a") -> dict[str, Any]:
    """A Terraform state: ``terraform show -json`` of it (`form` ``show-json``) or the raw
    ``terraform.tfstate`` version 4 (``tfstate``), as Terraform writes them.  Each resource:
    ``type``, ``name``, ``values``; optional ``module`` (an instance address, ``module.a[0]``),
    ``index``, ``mode`` (``data``), ``sensitive`` (dotted paths, digits are list indices; or raw
    paths, lists of steps, written as given), ``depends_on`` (configuration addresses),
    ``provider`` (an alias), ``deposed`` (a deposed key)."""
    if form == "tfstate":
        grouped: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        for res in resources:
            module, mode, rtype, name = res.get("module", ""), res.get("mode", "managed"), res["type"], res["name"]
            alias = f".{res['provider']}" if res.get("provider") else ""
            entry = grouped.setdefault((module, mode, rtype, name), {
                **({"module": module} if module else {}), "mode": mode, "type": rtype, "name": name,
                "provider": f'provider["registry.terraform.io/hashicorp/aws"]{alias}', "instances": []})
            instance: dict[str, Any] = {"schema_version": 0, "attributes": copy.deepcopy(res.get("values", {})),
                                        "sensitive_attributes": [p if isinstance(p, list) else _steps(p)
                                                                 for p in res.get("sensitive", [])]}
            if res.get("index") is not None:
                instance = {"index_key": res["index"], **instance}
                entry["each"] = "map" if isinstance(res["index"], str) else "list"
            if res.get("deposed"):
                instance["deposed"] = res["deposed"]
            if res.get("depends_on"):
                instance["dependencies"] = list(res["depends_on"])
            entry["instances"].append(instance)
        return {"version": 4, "terraform_version": terraform_version, "serial": serial, "lineage": lineage,
                "outputs": {}, "resources": list(grouped.values()), "check_results": None}
    root: dict[str, Any] = {"resources": []}
    modules: dict[str, dict[str, Any]] = {"": root}

    def module_of(address: str) -> dict[str, Any]:
        if address not in modules:
            parent = module_of(address.rsplit(".module.", 1)[0] if ".module." in address else "")
            modules[address] = {"resources": [], "address": address}
            parent.setdefault("child_modules", []).append(modules[address])
        return modules[address]

    for res in resources:
        module, mode, rtype, name = res.get("module", ""), res.get("mode", "managed"), res["type"], res["name"]
        index = res.get("index")
        local = ("data." if mode == "data" else "") + f"{rtype}.{name}" + (
            f"[{index!r}]".replace("'", '"') if index is not None else "")
        entry = {"address": f"{module}.{local}" if module else local, "mode": mode, "type": rtype, "name": name,
                 **({"index": index} if index is not None else {}),
                 "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                 "values": copy.deepcopy(res.get("values", {})),
                 "sensitive_values": _mirror([p for p in res.get("sensitive", []) if isinstance(p, str)])}
        if res.get("depends_on"):
            entry["depends_on"] = list(res["depends_on"])
        if res.get("deposed"):
            entry["deposed_key"] = res["deposed"]
        module_of(module)["resources"].append(entry)
    return {"format_version": "1.0", "terraform_version": terraform_version, "values": {"root_module": root}}
