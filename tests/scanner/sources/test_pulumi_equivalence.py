"""The same resources written as a Terraform plan and as a Pulumi stack give the same verdicts.

Every case of every rule fixture (``tests/fixtures/rules/*.yaml``) that a Terraform plan can show
is built twice: as a plan (`planbuilder`, what ``terraform show -json`` writes) and as a Pulumi
stack export and preview (`pulumibuilder`, with names and shapes taken from the installed
pulumi_aws classes, not from the reader's table).  The rule must reach the same verdict on both.
The S3 cases run a second time with the pulumi-aws v6 tokens (``BucketV2`` and the ``…V2``
split resources), whose blocks are lists rather than single objects.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from conftest import FIXTURES
from planbuilder import build_plan, case_resources
from pulumibuilder import V6_S3_TOKENS, build_export, build_preview
from vendorguard.scanner.catalog import Selection, select
from vendorguard.scanner.engine import Engine
from vendorguard.scanner.model import Inventory, Result, Status
from vendorguard.scanner.sources.pulumi import read_pulumi
from vendorguard.scanner.sources.tfplan import read_plan

CATALOG, SELECTION = select([])


def run_rule(inventory: Inventory, rule_id: str) -> list[Result]:
    """The shipped rule alone over an inventory (the catalog is loaded once for all cases)."""
    only = Selection(SELECTION.packs, [CATALOG.rules[rule_id]], SELECTION.controls)
    return Engine(only).run(inventory)


def _cases() -> list[Any]:
    out = []
    for path in sorted((FIXTURES / "rules").glob("*.yaml")):
        rule = CATALOG.rules[path.stem]
        if rule.sources is not None and "pulumi" not in rule.sources:
            continue
        data = yaml.safe_load(path.read_text())
        for expect in ("pass", "fail", "unknown"):
            for i, case in enumerate(data.get(expect) or []):
                if case.get("source") == "aws":
                    continue
                out.append(pytest.param(path.stem, expect, case, "v7", id=f"{path.stem}-{expect}-{i}"))
                types = {r.get("type", rule.resource_types[0]) for r in case.get("resources") or [case]}
                if types & set(V6_S3_TOKENS):
                    out.append(pytest.param(path.stem, expect, case, "v6-s3", id=f"{path.stem}-{expect}-{i}-v6"))
    return out


CASES = _cases()


def _verdict(rule_id: str, results: list[Result], resources: list[dict[str, Any]], pulumi: bool) -> Status:
    rule = CATALOG.rules[rule_id]
    if rule.scope == "resource":
        target = next(r for r in resources if r["name"] == "this" and r["type"] in rule.resource_types)
        suffix = "::this" if pulumi else f"{target['type']}.this"
        mine = [r for r in results if r.resource_type == target["type"] and r.address.endswith(suffix)]
    else:
        mine = [r for r in results if r.region in ("us-east-1", None)]
    assert len(mine) == 1, f"expected one result for the target, got {[(r.address, r.status) for r in results]}"
    return mine[0].status


@pytest.mark.parametrize("rule_id,expect,case,flavour", CASES)
@pytest.mark.parametrize("form", ["export", "preview"])
def test_pulumi_verdict_equals_terraform_verdict(rule_id: str, expect: str, case: dict[str, Any],
                                                 flavour: str, form: str) -> None:
    resources = case_resources(CATALOG.rules[rule_id], case)
    plan = json.loads(json.dumps(build_plan(resources, account_id=case.get("account_id"))))
    terraform = _verdict(rule_id, run_rule(read_plan("plan.json", plan), rule_id), resources, pulumi=False)
    assert terraform is Status(expect.upper()), "the Terraform side no longer matches its fixture"

    build = build_export if form == "export" else build_preview
    document = json.loads(json.dumps(build(resources, flavour, account_id=case.get("account_id"))))
    inventory = read_pulumi(f"stack.{form}.json", document)
    pulumi = _verdict(rule_id, run_rule(inventory, rule_id), resources, pulumi=True)
    assert pulumi is terraform, (
        f"{rule_id} {expect}: Terraform says {terraform.value}, Pulumi ({flavour} {form}) says {pulumi.value}: "
        + "; ".join(f"{r.address}: {r.reason}" for r in run_rule(inventory, rule_id)))


def test_the_equivalence_covers_every_rule_a_pulumi_stack_can_show() -> None:
    covered = {c.values[0] for c in CASES}
    wanted = {r.id for r in CATALOG.rules.values() if r.sources is None or "pulumi" in r.sources}
    assert covered == wanted
    assert len(CASES) > 200
