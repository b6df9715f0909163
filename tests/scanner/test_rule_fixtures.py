"""Every rule, on its own fixtures: at least one PASS and one FAIL case each, through a real plan.

Fixture files (``tests/fixtures/rules/<RULE-ID>.yaml``) list cases under ``pass``, ``fail`` and
optionally ``unknown``.  A case is ``values`` for a single resource of the rule's first type, or
``resources`` (each ``type``/``name``/``values``, optional ``unknown``/``sensitive`` paths).
The verdict is read from the resource named ``this`` (or, for account/region rules, from the
scope).  Rules that only a live account can show (``sources: [aws]``), and cases marked
``source: aws`` (absence decides only in a complete inventory), run on a live-shaped inventory
instead of a plan.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import FIXTURES, run_engine, scan_plan_document
from planbuilder import build_plan, case_resources
from vendorguard.scanner.catalog import load_catalog
from vendorguard.scanner.model import Inventory, Resource, Status
from vendorguard.scanner.redact import mark_unknown

from planbuilder import _mirror

CATALOG, _ = load_catalog()
RULE_DIR = FIXTURES / "rules"
ACCOUNT = "111122223333"


def _cases() -> list[Any]:
    out = []
    for path in sorted(RULE_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for expect in ("pass", "fail", "unknown"):
            for i, case in enumerate(data.get(expect) or []):
                out.append(pytest.param(path.stem, expect, case, id=f"{path.stem}-{expect}-{i}"))
    return out


def _live_inventory(resources: list[dict[str, Any]]) -> Inventory:
    built = []
    for res in resources:
        attrs = dict(res["values"])
        unknown = mark_unknown(attrs, _mirror(res["unknown"])) if res["unknown"] else frozenset()
        built.append(Resource(address=f"arn:aws:test:::{res['type']}/{res['name']}", type=res["type"],
                              attributes=attrs, source="aws", account=ACCOUNT, region="us-east-1",
                              unknown=unknown, unknown_reason="AccessDenied" if unknown else None))
    return Inventory(source="aws", origin=ACCOUNT, resources=built, complete=True,
                     scopes={(ACCOUNT, "us-east-1")})


@pytest.mark.parametrize("rule_id,expect,case", _cases())
def test_rule_fixture(rule_id: str, expect: str, case: dict[str, Any]) -> None:
    rule = CATALOG.rules[rule_id]
    resources = case_resources(rule, case)
    if case.get("source") == "aws" or (rule.sources is not None and "terraform-plan" not in rule.sources):
        results = run_engine(_live_inventory(resources), [rule_id])
    else:
        plan = build_plan(resources, account_id=case.get("account_id"))
        results = scan_plan_document(plan, [rule_id], account=None)
    if rule.scope == "resource":
        target = next(r for r in resources if r["name"] == "this" and r["type"] in rule.resource_types)
        mine = [r for r in results if r.address.endswith(f"{target['type']}.this") or
                r.address.endswith(f"{target['type']}/this")]
    else:
        mine = [r for r in results if r.region in ("us-east-1", None)]
    assert len(mine) == 1, f"expected one result for the target, got {[(r.address, r.status) for r in results]}"
    assert mine[0].status is Status(expect.upper()), mine[0].reason


def test_every_rule_has_a_passing_and_a_failing_fixture() -> None:
    missing = []
    for rule_id in CATALOG.rules:
        path = RULE_DIR / f"{rule_id}.yaml"
        data = yaml.safe_load(path.read_text()) if path.exists() else {}
        if not data.get("pass") or not data.get("fail"):
            missing.append(rule_id)
    assert not missing, f"rules without both a PASS and a FAIL fixture: {missing}"


def test_conditions_name_no_field_called_null_true_or_false() -> None:
    """A bare `null` in JMESPath is a field named "null" (that happens to be absent): it reads
    right by accident and shows up as evidence.  Literals are written in backticks."""
    from vendorguard.scanner.condition import parse

    def fields(node: dict) -> set[str]:  # every field the expression names, inside filters too
        own = {node["value"]} if node["type"] == "field" else set()
        return own.union(*(fields(c) for c in node.get("children", []) if isinstance(c, dict)))

    for rule in CATALOG.rules.values():
        for text in filter(None, (rule.condition_text, rule.applies_if_text, *rule.evidence_paths)):
            assert not {"null", "true", "false"} & fields(parse(text)), (rule.id, text)
