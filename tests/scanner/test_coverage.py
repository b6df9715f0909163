"""Never silent: every managed resource that no selected rule evaluated is listed, with why.

`coverage.not_evaluated` runs once, in `pipeline.judge`; the results document carries the list
(``not_evaluated``) and its count (``summary.not_evaluated``), and every human format shows it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import PUBLIC, plan_of, show_figures, vendorguard, write
from vendorguard.scanner import coverage
from vendorguard.scanner.catalog import select
from vendorguard.scanner.inputs import results_schema
from vendorguard.scanner.model import Inventory, Resource, Result, Status
from vendorguard.scanner.pipeline import evaluate, judge, now
from vendorguard.scanner.reports import render
from vendorguard.scanner.source import Reading
from vendorguard.scanner.sources import document_sources
from vendorguard.scanner.sources.tfplan import read_plan

OPEN_RULE = {"type": "aws_security_group_rule", "name": "open", "values": {
    "type": "ingress", "from_port": 0, "to_port": 65535, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
    "security_group_id": "sg-0123456789abcdef0"}}
RECORD = {"type": "aws_route53_record", "name": "www", "values": {"name": "www.example.com", "type": "A",
                                                                    "records": ["10.0.0.1"], "ttl": 300}}
BUCKET = {"type": "aws_s3_bucket", "name": "b", "values": {"bucket": "phi-data"}}
VERSIONING = {"type": "aws_s3_bucket_versioning", "name": "b", "values": {
    "bucket": "${aws_s3_bucket.b.id}", "versioning_configuration": [{"status": "Enabled"}]}}
KEY = {"type": "aws_kms_key", "name": "k", "values": {"enable_key_rotation": True}}


def document(plan: dict[str, Any], packs: list[str] | None = None) -> dict[str, Any]:
    inventory = read_plan("plan.json", json.loads(json.dumps(plan)), "111122223333")
    _, selection = select(packs or [])
    return json.loads(json.dumps(evaluate([inventory], selection, now()).to_document()))


def listed(doc: dict[str, Any]) -> dict[str, str]:
    return {m["address"]: m["reason"] for m in doc["not_evaluated"]}


def one_rule_pack(folder: Path, rule: str = "VG-S3-001") -> str:
    path = folder / "one.yaml"
    path.write_text(json.dumps({"pack": {"id": "one", "title": "One rule", "version": "1",
                                         "controls": [{"id": "c", "title": "one", "rules": [rule]}]}}))
    return str(path)


def assert_valid(doc: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator(results_schema()).validate(doc)


def test_a_type_no_rule_names_is_listed_as_such() -> None:
    doc = document(plan_of(OPEN_RULE, RECORD))
    assert listed(doc)["aws_route53_record.www"] == coverage.NO_RULE
    assert doc["summary"]["not_evaluated"] == len(doc["not_evaluated"])
    # the ingress rule is never silent: judged (on its own or through its group), or listed
    judged = {r["address"] for r in doc["results"]}
    assert "aws_security_group_rule.open" in judged or "aws_security_group_rule.open" in listed(doc)
    assert_valid(doc)


def test_a_one_rule_pack_lists_the_other_types_as_not_selected(tmp_path: Path) -> None:
    doc = document(plan_of(BUCKET, KEY, RECORD), [one_rule_pack(tmp_path)])
    assert listed(doc) == {"aws_kms_key.k": coverage.NOT_SELECTED, "aws_route53_record.www": coverage.NO_RULE}
    assert {r["rule_id"] for r in doc["results"]} == {"VG-S3-001"}
    assert_valid(doc)


def test_rules_limited_to_other_sources_are_named(tmp_path: Path) -> None:
    snapshot = {"type": "aws_ebs_snapshot", "name": "s", "values": {"volume_id": "vol-1"}}
    doc = document(plan_of(snapshot), [one_rule_pack(tmp_path, "VG-EC2-014")])  # sources: [aws]
    assert listed(doc) == {"aws_ebs_snapshot.s": coverage.NOT_THIS_SOURCE}


def test_a_folded_child_is_evaluated_through_its_parent(tmp_path: Path) -> None:
    doc = document(plan_of(BUCKET, VERSIONING))
    assert "aws_s3_bucket_versioning.b" not in listed(doc)
    assert "aws_s3_bucket.b" not in listed(doc)
    # ...and when no selected rule reads the parent, neither the parent nor its child was looked at
    doc = document(plan_of(BUCKET, VERSIONING, KEY), [one_rule_pack(tmp_path, "VG-KMS-001")])
    assert listed(doc)["aws_s3_bucket.b"] == coverage.NOT_SELECTED
    assert listed(doc)["aws_s3_bucket_versioning.b"].endswith(coverage.NOT_SELECTED)


def test_every_resource_read_is_judged_folded_or_listed() -> None:
    orphan = {"type": "aws_s3_bucket_versioning", "name": "orphan", "values": {
        "bucket": "a-bucket-of-another-stack", "versioning_configuration": [{"status": "Enabled"}]}}
    plan = plan_of(BUCKET, VERSIONING, KEY, RECORD, OPEN_RULE, orphan)
    inventory = read_plan("plan.json", json.loads(json.dumps(plan)), None)
    addresses = [r.address for r in inventory.resources]
    _, selection = select([])
    report = judge(Reading([inventory]), selection, now())
    judged = {r.address for r in report.results}
    missing = {m["address"] for m in report.not_evaluated}
    for address in addresses:
        parent = inventory.folded.get(address)
        assert address in judged or address in missing or (parent in judged), address


def test_hcl_resources_checkov_saw_without_a_result_of_a_selected_rule_are_listed() -> None:
    _, selection = select([])
    seen = [Resource("aws_s3_bucket.b", "aws_s3_bucket", {}, "terraform-hcl"),
            Resource("aws_kms_key.k", "aws_kms_key", {}, "terraform-hcl"),
            Resource("aws_route53_record.www", "aws_route53_record", {}, "terraform-hcl")]
    inventory = Inventory("terraform-hcl", "infra", seen, evaluate=False)
    rule = next(r for r in selection.rules if "aws_s3_bucket" in r.resource_types and r.scope == "resource")
    theirs = [Result(rule.id, rule.title, rule.domain, rule.severity, Status.PASS, "aws_s3_bucket.b",
                     "aws_s3_bucket", "checkov: passed", "terraform-hcl"),
              Result("CKV_AWS_7", "rotation", "unmapped", "low", Status.PASS, "aws_kms_key.k", "aws_kms_key",
                     "checkov: passed (no selected rule cites this check)", "terraform-hcl")]
    assert {m["address"]: m["reason"] for m in coverage.not_evaluated([inventory], theirs, selection)} == {
        "aws_kms_key.k": coverage.CHECKOV_SILENT, "aws_route53_record.www": coverage.NO_RULE}


def test_a_pulumi_type_with_no_mapping_is_listed() -> None:
    stack = "urn:pulumi:prod::app::pulumi:pulumi:Stack::app-prod"
    record = "urn:pulumi:prod::app::aws:route53/record:Record::www"
    state = {"version": 3, "deployment": {"resources": [
        {"urn": stack, "custom": False, "type": "pulumi:pulumi:Stack"},
        {"urn": record, "custom": True, "id": "Z1_www_A", "type": "aws:route53/record:Record", "parent": stack,
         "inputs": {}, "outputs": {"name": "www", "type": "A"}}]}}
    source = next(s for s in document_sources() if s.name == "pulumi")
    report = judge(Reading([source.load("stack.json", json.dumps(state).encode())]), select([])[1], now())
    assert report.not_evaluated == [{"address": record, "resource_type": "aws:route53/record:Record",
                                     "reason": coverage.UNMODELLED}]


def test_the_count_is_in_every_human_format() -> None:
    doc = document(plan_of(BUCKET, RECORD))
    n = doc["summary"]["not_evaluated"]
    assert n == 1
    assert f"not evaluated: {n} resources" in render(doc, "table")
    markdown = render(doc, "markdown")
    assert f"{n} resources not evaluated by any selected rule" in markdown and r"aws\_route53\_record.www" in markdown
    html = render(doc, "html")
    assert f'id="not-evaluated-count" data-count="{n}"' in html and "aws_route53_record.www" in html
    assert '"not_evaluated": [' in render(doc, "json")
    assert json.loads(render(doc, "json")) == doc


def test_an_old_document_without_the_list_still_renders_and_loads(tmp_path: Path) -> None:
    doc = document(plan_of(BUCKET, RECORD))
    del doc["not_evaluated"]
    del doc["summary"]["not_evaluated"]
    assert_valid(doc)
    for fmt in ("table", "markdown", "html", "json", "sarif", "junit", "asff"):
        render(doc, fmt)
    assert "predates the list" in render(doc, "html")
    saved = write(tmp_path / "old.json", doc)
    shown = vendorguard("report", str(saved), "--format", "markdown")
    assert shown.returncode == 1 and "vendorguard-report" in shown.stdout, shown.stderr  # 1: it has failures


@pytest.mark.skipif(not PUBLIC.exists(), reason="../shared/fixtures/public is not beside this checkout")
def test_not_evaluated_counts_of_the_public_fixtures(request: pytest.FixtureRequest) -> None:
    _, selection = select([])
    lines = ["not_evaluated in the public fixtures (shipped packs):"]
    for path in sorted(PUBLIC.glob("*.json")):
        data = path.read_bytes()
        doc = json.loads(data)
        source = next((s for s in document_sources() if s.recognises(doc)), None)
        if source is None:
            lines.append(f"  {path.name}: recognised by no source")
            continue
        inventory = source.load(path.name, data)
        read = len(inventory.resources)
        report = judge(Reading([inventory]), selection, now())
        assert_valid(json.loads(json.dumps(report.to_document())))
        reasons: dict[str, dict[str, int]] = {}
        for entry in report.not_evaluated:
            types = reasons.setdefault(entry["reason"].split(": ")[-1], {})
            types[entry["resource_type"]] = types.get(entry["resource_type"], 0) + 1
        shown = "; ".join(f"{sum(t.values())} {why} ({', '.join(f'{k} ×{n}' for k, n in sorted(t.items()))})"
                          for why, t in sorted(reasons.items(), key=lambda r: -sum(r[1].values())))
        lines.append(f"  {path.name} ({source.name}, {read} resources): {len(report.not_evaluated)} not evaluated"
                     + (f" — {shown}" if shown else ""))
    show_figures(request, lines)
