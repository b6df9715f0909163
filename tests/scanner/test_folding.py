"""Folding (`scanner/folding.py`): linear in the resources whatever resolves, and orphan children
judged on their own.

Nothing here times anything: the cost of folding is counted (calls to the marking function, and
every Python and C function call of a whole read-and-fold) for n and 4n resources, and must grow
by about 4, not 16.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from typing import Any, Callable

import pytest

from conftest import ROOT
from vendorguard.scanner import folding
from vendorguard.scanner.catalog import load_catalog
from vendorguard.scanner.condition import field_paths
from vendorguard.scanner.folding import UNRESOLVED, fold, fold_inventory, fold_table
from vendorguard.scanner.model import UNKNOWN, Resource
from vendorguard.scanner.sources.tfplan import TerraformPlan

_spec = importlib.util.spec_from_file_location("generate_plan", ROOT / "bench" / "generate_plan.py")
generate_plan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate_plan)  # type: ignore[union-attr]


def _resource(rtype: str, address: str, **attributes: Any) -> Resource:
    return Resource(address=address, type=rtype, attributes=attributes, source="terraform-plan")


def _undetermined_world(n: int) -> list[Resource]:
    """n buckets and n security groups, each with children whose parent cannot be determined."""
    out = []
    for i in range(n):
        out.append(_resource("aws_s3_bucket", f"aws_s3_bucket.b[{i}]", bucket=f"b{i}"))
        out.append(_resource("aws_security_group", f"aws_security_group.g[{i}]", name=f"g{i}", ingress=[]))
        out.append(_resource("aws_s3_bucket_versioning", f"aws_s3_bucket_versioning.v[{i}]", bucket=UNKNOWN,
                             versioning_configuration=[{"status": "Enabled"}]))
        out.append(_resource("aws_security_group_rule", f"aws_security_group_rule.r[{i}]", security_group_id=UNKNOWN,
                             type="ingress", from_port=22, to_port=22, protocol="tcp", cidr_blocks=["0.0.0.0/0"]))
    return out


def _marks(monkeypatch: pytest.MonkeyPatch, n: int) -> int:
    calls = 0
    real = folding._mark_unknown

    def counted(parent: Resource, rule: Any) -> None:
        nonlocal calls
        calls += 1
        real(parent, rule)

    monkeypatch.setattr(folding, "_mark_unknown", counted)
    kept = fold(_undetermined_world(n), lambda child, rule: UNRESOLVED)
    assert all(r.attributes["versioning"] is UNKNOWN for r in kept if r.type == "aws_s3_bucket")
    assert all(r.attributes["ingress"] is UNKNOWN and r.attributes["egress"] is UNKNOWN
               for r in kept if r.type == "aws_security_group")
    return calls


def test_children_of_undetermined_parent_mark_each_candidate_once_per_fold_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = _marks(monkeypatch, 50), _marks(monkeypatch, 200)
    assert small == 2 * 50  # each bucket once (versioning), each group once (security-group rules)
    assert large == 4 * small


def _calls(work: Callable[[], Any]) -> int:
    """Every Python and C function call made by `work` (a measure of work that no machine's speed
    changes)."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


def _fold_stage(document: dict[str, Any]) -> Callable[[], Any]:
    """The fold stage of a read plan (the source's resolver runs inside it)."""
    inventory = TerraformPlan.instance().inventory("plan.json", json.loads(json.dumps(document)), None)
    return lambda: fold_inventory(inventory)


@pytest.mark.parametrize("shape", sorted(generate_plan.SHAPES))
def test_folding_every_bench_shape_grows_linearly(shape: str) -> None:
    make = generate_plan.SHAPES[shape]
    small = _calls(_fold_stage(make(200)))
    large = _calls(_fold_stage(make(800)))
    assert large < 4.6 * small, (shape, small, large)  # quadratic would be about 16×


def test_the_bench_shapes_are_the_shapes_they_claim() -> None:
    def folded(document: dict[str, Any]) -> tuple[int, int]:
        inventory = fold_inventory(TerraformPlan.instance().inventory("plan.json", document, None))
        unknown = sum(1 for r in inventory.resources if r.type == "aws_security_group"
                      and r.attributes.get("ingress") is UNKNOWN)
        return len(inventory.folded), unknown

    assert folded(generate_plan.plan(200)) == (80, 0)
    assert folded(generate_plan.no_config(200)) == (0, 10)
    links, unknown = folded(generate_plan.repeated_names(200))
    assert unknown == 10 and links == 50  # the S3 children fold inside each instance; SG rules cannot
    assert folded(generate_plan.unresolved(200)) == (0, 10)


# -- orphans ------------------------------------------------------------------------------------------
def test_an_orphan_child_stays_with_its_parents_inline_view() -> None:
    rule = _resource("aws_security_group_rule", "aws_security_group_rule.ssh", security_group_id="sg-elsewhere",
                     type="ingress", from_port=22, to_port=22, protocol="tcp", cidr_blocks=["0.0.0.0/0"])
    egress = _resource("aws_security_group_rule", "aws_security_group_rule.out", security_group_id="sg-elsewhere",
                       type="egress", from_port=0, to_port=0, protocol="-1", cidr_blocks=["0.0.0.0/0"])
    which = _resource("aws_security_group_rule", "aws_security_group_rule.which", security_group_id="sg-elsewhere",
                      type=UNKNOWN, from_port=22, to_port=22, protocol="tcp", cidr_blocks=["0.0.0.0/0"])
    policy = _resource("aws_s3_bucket_policy", "aws_s3_bucket_policy.p", bucket="elsewhere", policy="{}")
    kept = fold([rule, egress, which, policy], lambda child, fold_rule: None)
    assert kept == [rule, egress, which, policy]
    assert rule.attributes["ingress"] == [{"from_port": 22, "to_port": 22, "protocol": "tcp",
                                           "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": None,
                                           "prefix_list_ids": None, "security_groups": [None], "self": None,
                                           "description": None}]
    assert rule.attributes["egress"] == [] and rule.attributes["type"] == "ingress"
    assert egress.attributes["ingress"] == [] and len(egress.attributes["egress"]) == 1
    assert which.attributes["ingress"] is UNKNOWN and which.attributes["egress"] is UNKNOWN
    assert policy.attributes == {"bucket": "elsewhere", "policy": "{}"}


def test_many_children_of_one_parent_accumulate_without_copying_the_list_each_time() -> None:
    group = _resource("aws_security_group", "aws_security_group.g", id="sg-1", ingress=[{"from_port": 1}])
    original = group.attributes["ingress"]
    children = [_resource("aws_vpc_security_group_ingress_rule", f"aws_vpc_security_group_ingress_rule.r[{i}]",
                          security_group_id="sg-1", ip_protocol="tcp", from_port=i, to_port=i, cidr_ipv4="10.0.0.0/8")
                for i in range(5)]
    fold([group, *children], lambda child, rule: group)
    assert [r["from_port"] for r in group.attributes["ingress"]] == [1, 0, 1, 2, 3, 4]
    assert original == [{"from_port": 1}]  # the input's own list is not changed


def test_rules_that_judge_a_split_child_alone_read_only_what_that_child_fills() -> None:
    """A rule listing a split child's type beside its parent's is decided by the child alone: every
    attribute it reads must be one the child fills (else an absent attribute would read as null)."""
    catalog, _ = load_catalog()
    fills = {child: set(folding._unknown_keys(child)) for child in fold_table()}
    judged = []
    for rule in catalog.rules.values():
        for rtype in set(rule.resource_types) & set(fills):
            texts = [rule.condition_text] + ([rule.applies_if_text] if rule.applies_if_text else [])
            reads = {path.split(".")[0] for text in texts for path in field_paths(text)}
            assert reads and reads <= fills[rtype], (rule.id, rtype, reads, fills[rtype])
            assert not any("@" in text for text in texts), rule.id
            assert set(rule.resource_types) & set(fold_table()[rtype].parents), (rule.id, rtype)
            judged.append((rule.id, rtype))
    assert ("VG-EC2-004", "aws_security_group_rule") in judged


def _component_stack(n: int) -> dict[str, Any]:
    """A Pulumi stack export: n buckets inside one component and n bucket policies depending on
    the component (as `opts=depends_on=[component]` writes it): every policy's parent is undetermined."""
    stack = "urn:pulumi:prod::billing"
    component = f"{stack}::acme:storage:Buckets::data"
    resources: list[dict[str, Any]] = [
        {"urn": f"{stack}::pulumi:pulumi:Stack::billing-prod", "type": "pulumi:pulumi:Stack", "custom": False},
        {"urn": component, "type": "acme:storage:Buckets", "custom": False}]
    for i in range(n):
        resources.append({"urn": f"{component}$aws:s3/bucket:Bucket::b{i}", "type": "aws:s3/bucket:Bucket",
                          "custom": True, "id": f"b{i}", "parent": component,
                          "inputs": {"bucket": f"b{i}"}, "outputs": {"bucket": f"b{i}", "id": f"b{i}"}})
        resources.append({"urn": f"{stack}::aws:s3/bucketPolicy:BucketPolicy::p{i}", "type": "aws:s3/bucketPolicy:BucketPolicy",
                          "custom": True, "id": f"p{i}", "inputs": {"bucket": "1b2c3d4e-unknown", "policy": "{}"},
                          "outputs": {}, "dependencies": [component], "propertyDependencies": {"bucket": [component]}})
    return {"version": 3, "deployment": {"manifest": {"version": "v3.140.0"}, "resources": resources}}


def test_folding_a_pulumi_stack_whose_children_depend_on_a_component_grows_linearly() -> None:
    from vendorguard.scanner.sources.pulumi import PulumiStack

    def stage(n: int) -> Callable[[], Any]:
        inventory = PulumiStack.instance().inventory("stack.json", _component_stack(n), None)
        return lambda: fold_inventory(inventory)

    small, large = _calls(stage(100)), _calls(stage(400))
    assert large < 4.6 * small, (small, large)
    inventory = fold_inventory(PulumiStack.instance().inventory("stack.json", _component_stack(3), None))
    assert not inventory.folded and {r.attributes.get("policy") for r in inventory.resources
                                     if r.type == "aws_s3_bucket"} == {UNKNOWN}
