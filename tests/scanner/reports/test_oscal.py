"""The OSCAL assessment-results renderer, from documents the real pipeline produced.

Every document rendered here is parsed by compliance-trestle's pydantic models of OSCAL
(`AssessmentResults`, generated from NIST's JSON Schema) and checked by trestle's own
duplicate-uuid validator; the references inside it (subjects, observations, risks, the tool, the
plan) are checked to resolve.  The documents: the bundled demo plan, a live scan of the moto server,
a plan with hostile names and a secret, and hand-set statuses for the control status model.
"""
from __future__ import annotations

import argparse
import copy
import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from trestle.oscal.assessment_results import AssessmentResults  # compliance-trestle: the dev extra

from conftest import plan_of, scan_moto, vendorguard
from vendorguard.scanner import demo as demo_package
from vendorguard.scanner.catalog import select
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.pipeline import evaluate, now
from vendorguard.scanner.reports import FORMATS, oscal, render
from vendorguard.scanner.sources.tfplan import read_plan


DEMO_PLAN = Path(demo_package.__file__).parent / "billing-vendor.tfplan.json"
SECRET = "pl4nted-S3CRET-oscal-91c2"
HOSTILE = '"</script><script>alert(1)</script><img src=x onerror=alert(1)> [x](javascript:alert(1)) \u001b[31m'
#: the OSCAL fields that are markup (Markdown in OSCAL JSON)
MARKUP = {"title", "description", "remarks", "statement"}


def scan_plan(plan: dict[str, Any], name: str = "plan.json") -> dict[str, Any]:
    """The results document of a plan, as `vendorguard scan plan` makes it (through JSON and back)."""
    _, selection = select([])
    report = evaluate([read_plan(name, json.loads(json.dumps(plan)), None)], selection, now())
    return json.loads(json.dumps(report.to_document()))


@pytest.fixture(scope="module")
def demo_doc() -> dict[str, Any]:
    return scan_plan(json.loads(DEMO_PLAN.read_text()), "billing-vendor.tfplan.json")


@pytest.fixture(scope="module")
def hostile_doc() -> dict[str, Any]:
    return scan_plan(plan_of(
        {"type": "aws_security_group", "name": HOSTILE, "values": {
            "name": "web", "description": HOSTILE, "egress": [], "tags": {"Owner": HOSTILE},
            "ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
                         "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": False,
                         "description": HOSTILE}]}},
        # the secret: a password and a tag marked sensitive, and a sensitive value a rule reads
        {"type": "aws_db_instance", "name": "claims", "sensitive": ["password", "tags.conn", "storage_encrypted"],
         "values": {"storage_encrypted": SECRET, "password": SECRET, "engine": "postgres",
                    "tags": {"conn": f"postgres://u:{SECRET}@db"}}},
        account_id="111122223333"))


def validated(text: str) -> dict[str, Any]:
    """The rendered document, after trestle parsed it, found no duplicate uuid, and every reference
    inside it resolved."""
    from trestle.common import const
    from trestle.core import validator_factory

    document = json.loads(text)
    model = AssessmentResults.model_validate(document["assessment-results"])
    duplicates = validator_factory.validator_factory.get(argparse.Namespace(mode=const.VAL_MODE_DUPLICATES))
    assert duplicates.model_is_valid(model, True), "a uuid is defined twice"
    top = document["assessment-results"]
    assert top["import-ap"]["href"] == "#" + top["back-matter"]["resources"][0]["uuid"]
    for result in top["results"]:
        items = {i["uuid"] for i in result["local-definitions"].get("inventory-items", [])}
        tools = {c["uuid"] for c in result["local-definitions"]["assessment-assets"]["components"]}
        observations = {o["uuid"] for o in result.get("observations", [])}
        risks = {r["uuid"] for r in result.get("risks", [])}
        selected = {c["control-id"] for s in result["reviewed-controls"]["control-selections"]
                    for c in s.get("include-controls", [])}
        for observation in result.get("observations", []):
            assert [s["type"] for s in observation["subjects"]] == ["inventory-item"]
            assert {s["subject-uuid"] for s in observation["subjects"]} <= items
        for finding in result.get("findings", []):
            assert finding["target"]["target-id"] in selected
            assert {r["observation-uuid"] for r in finding["related-observations"]} <= observations
            assert {r["risk-uuid"] for r in finding.get("related-risks", [])} <= risks
        for risk in result.get("risks", []):
            assert {r["observation-uuid"] for r in risk["related-observations"]} <= observations
        for thing in (*result.get("observations", []), *result.get("findings", []), *result.get("risks", [])):
            assert {a["actor-uuid"] for o in thing["origins"] for a in o["actors"]} <= tools
    return document


def strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every (field name, string) in a JSON value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v, key)
    elif isinstance(value, str):
        yield key, value


def findings_by_control(document: dict[str, Any], result: int = 0) -> dict[str, dict[str, Any]]:
    return {f["target"]["target-id"]: f for f in document["assessment-results"]["results"][result]["findings"]}


# -- validity -------------------------------------------------------------------------------------
def test_the_format_is_registered() -> None:
    assert FORMATS["oscal"] == ("oscal", "oscal.json")


def test_the_oscal_version_is_one_trestle_supports() -> None:
    import trestle.oscal

    assert re.match(trestle.oscal.OSCAL_VERSION_REGEX, oscal.OSCAL_VERSION)


def test_the_demo_plan_renders_valid_assessment_results(demo_doc: dict[str, Any]) -> None:
    document = validated(render(demo_doc, "oscal"))
    top = document["assessment-results"]
    assert top["metadata"]["oscal-version"] == oscal.OSCAL_VERSION
    assert top["metadata"]["last-modified"] == demo_doc["scan"]["finished"].replace("+00:00", "Z")
    (result,) = top["results"]
    assert result["start"] == demo_doc["scan"]["started"].replace("+00:00", "Z")
    assert len(result["observations"]) == len(demo_doc["results"])
    assert {o["methods"][0] for o in result["observations"]} == {"TEST"}
    addresses = {p["value"] for i in result["local-definitions"]["inventory-items"] for p in i["props"]
                 if p["name"] == "address"}
    assert addresses == {r["address"] for r in demo_doc["results"]}
    # Every resource a result names is one subject, judged (the demo plan has none not evaluated).
    subjects = len(result["local-definitions"]["inventory-items"])
    assert subjects == len(addresses) and not demo_doc["not_evaluated"]
    assert result["description"].endswith(f"on {subjects} subjects; 0 more not evaluated.")
    # HIPAA citations: token control ids, the citation kept verbatim
    finding = findings_by_control(document)["hipaa_164.312_a_2_iv"]
    assert finding["props"] == [{"name": "control", "ns": oscal.NS, "value": "164.312(a)(2)(iv)",
                                 "class": "hipaa_164.312_a_2_iv"}]
    assert "vendor-article_data-encryption" in findings_by_control(document)
    # one risk per FAIL, open
    assert len(result["risks"]) == demo_doc["summary"]["by_status"]["FAIL"]
    assert {r["status"] for r in result["risks"]} == {"open"}


def test_findings_on_the_demo_follow_their_observations(demo_doc: dict[str, Any]) -> None:
    document = validated(oscal.render(demo_doc))
    result = document["assessment-results"]["results"][0]
    status = {o["uuid"]: next(p["value"] for p in o["props"] if p["name"] == "result") for o in result["observations"]}
    seen = {"satisfied": 0, "not-satisfied": 0}
    for finding in result["findings"]:
        verdicts = {status[r["observation-uuid"]] for r in finding["related-observations"]}
        state = finding["target"]["status"]["state"]
        seen[state] += 1
        assert state == ("satisfied" if verdicts == {"PASS"} else "not-satisfied"), finding["title"]
        assert finding["target"]["status"]["reason"] == (
            "fail" if "FAIL" in verdicts else "pass" if verdicts == {"PASS"} else "other")
    assert seen["satisfied"] and seen["not-satisfied"]


def test_a_live_scan_renders_valid_assessment_results(aws: Any) -> None:
    aws("s3").create_bucket(Bucket="claims-archive")
    document = json.loads(json.dumps(scan_moto(aws).to_document()))
    assert document["results"]
    rendered = validated(oscal.render(document))
    items = rendered["assessment-results"]["results"][0]["local-definitions"]["inventory-items"]
    bucket = next(i for i in items if {"name": "address", "ns": oscal.NS, "value": "arn:aws:s3:::claims-archive"}
                  in i["props"])
    props = {p["name"]: p["value"] for p in bucket["props"]}
    assert props["source"] == "aws" and props["resource-type"] == "aws_s3_bucket"
    assert re.fullmatch(r"\d{12}", props["account"]) and props["region"] == "us-east-1"


# -- the status model ---------------------------------------------------------------------------
def test_control_status_fail_pass_unknown_waived_and_not_applicable(demo_doc: dict[str, Any]) -> None:
    """FAIL → not-satisfied/fail; all PASS → satisfied/pass; UNKNOWN or WAIVED without a FAIL →
    not-satisfied/other (never satisfied); NOT_APPLICABLE only → no finding, named in the remarks."""
    document = copy.deepcopy(demo_doc)
    base = next(r for r in document["results"] if r["status"] == "PASS")

    def result(address: str, status: str, *controls: str) -> dict[str, Any]:
        waiver = {"justification": "compensating control", "approved_by": "ciso", "expires": "2099-01-01"}
        return dict(base, address=address, status=status, controls=[f"hipaa:{c}" for c in controls],
                    waiver=waiver if status == "WAIVED" else None)

    document["results"] = [
        result("a.one", "PASS", "164.312(a)(1)", "164.312(b)", "164.312(c)(1)", "164.312(d)"),
        result("a.two", "FAIL", "164.312(a)(1)"),
        result("a.three", "NOT_APPLICABLE", "164.312(b)", "164.312(e)(1)"),
        result("a.four", "UNKNOWN", "164.312(c)(1)"),
        result("a.five", "WAIVED", "164.312(d)"),
    ]
    rendered = validated(oscal.render(document))
    findings = findings_by_control(rendered)
    status = {k: (f["target"]["status"]["state"], f["target"]["status"]["reason"]) for k, f in findings.items()}
    assert status == {"hipaa_164.312_a_1": ("not-satisfied", "fail"), "hipaa_164.312_b": ("satisfied", "pass"),
                      "hipaa_164.312_c_1": ("not-satisfied", "other"), "hipaa_164.312_d": ("not-satisfied", "other")}
    assert len(findings["hipaa_164.312_b"]["related-observations"]) == 1, "NOT_APPLICABLE decides nothing"
    result0 = rendered["assessment-results"]["results"][0]
    assert "164.312\\(e\\)\\(1\\)" in result0["remarks"]
    assert {r["status"] for r in result0["risks"]} == {"open", "deviation-approved"}
    waived = next(o for o in result0["observations"] if {"name": "result", "ns": oscal.NS, "value": "WAIVED"}
                  in o["props"])
    assert "compensating control" in waived["remarks"]


def test_a_scan_with_no_pack_and_no_result_is_still_valid(demo_doc: dict[str, Any]) -> None:
    """OSCAL requires a control selection and a result: "all controls", described as none."""
    document = dict(copy.deepcopy(demo_doc), results=[])
    document["scan"]["packs"] = []
    result = validated(oscal.render(document))["assessment-results"]["results"][0]
    assert result["reviewed-controls"]["control-selections"][0]["include-all"] == {}
    assert "findings" not in result and "observations" not in result
    assert "inventory-items" not in result["local-definitions"]
    with pytest.raises(InputError):
        oscal.render_many([])


def test_resources_no_rule_evaluated_are_in_the_inventory_marked(demo_doc: dict[str, Any]) -> None:
    document = copy.deepcopy(demo_doc)
    document["not_evaluated"] = [{"address": "aws_glue_job.etl", "resource_type": "aws_glue_job",
                                  "reason": "no selected rule covers aws_glue_job"}]
    result = validated(oscal.render(document))["assessment-results"]["results"][0]
    item = result["local-definitions"]["inventory-items"][-1]
    assert {"name": "not-evaluated", "ns": oscal.NS, "value": "no selected rule covers aws_glue_job"} in item["props"]
    assert item["uuid"] not in {s["subject-uuid"] for o in result["observations"] for s in o["subjects"]}
    assert result["description"].endswith("; 1 more not evaluated.")


def test_control_ids_are_tokens_and_distinct() -> None:
    controls = oscal._controls([{"id": "hipaa", "controls": [
        {"id": "164.312(a)(2)(iv)", "title": "Encryption"}, {"id": "164.312_a_2_iv", "title": "Clash"}]}],
        {"my pack:1.2 (x)": []})
    tokens = [c["token"] for c in controls.values()]
    assert tokens[0] == "hipaa_164.312_a_2_iv" and tokens[1].startswith("hipaa_164.312_a_2_iv-")
    assert tokens[2] == "my_pack_1.2_x"
    assert oscal._token("1x") == "_1x"


# -- identity -------------------------------------------------------------------------------------
def test_rendering_is_deterministic_and_ids_survive_the_stores_annotations(demo_doc: dict[str, Any]) -> None:
    first = oscal.render(demo_doc)
    assert first == oscal.render(copy.deepcopy(demo_doc))
    stored = copy.deepcopy(demo_doc)
    stored["scan"].update(id=7, vendor="Acme Billing")
    for r in stored["results"]:
        r.update(first_seen=stored["scan"]["started"], new=True)
    again = json.loads(oscal.render(stored))["assessment-results"]["results"][0]
    before = json.loads(first)["assessment-results"]["results"][0]
    assert again["uuid"] == before["uuid"]
    assert [o["uuid"] for o in again["observations"]] == [o["uuid"] for o in before["observations"]]
    assert {"name": "vendor", "ns": oscal.NS, "value": "Acme Billing"} in again["props"]


def test_render_many_gives_one_result_per_scan(demo_doc: dict[str, Any], hostile_doc: dict[str, Any]) -> None:
    later = copy.deepcopy(demo_doc)
    later["scan"]["finished"] = "2099-01-02T03:04:05+00:00"
    document = validated(oscal.render_many([hostile_doc, later, demo_doc], title="Vendors, latest scans"))
    top = document["assessment-results"]
    assert len(top["results"]) == 3
    assert len({r["uuid"] for r in top["results"]}) == 3
    assert top["metadata"]["title"] == "Vendors, latest scans"
    assert top["metadata"]["last-modified"] == "2099-01-02T03:04:05Z"
    assert oscal.render(demo_doc) != oscal.render_many([demo_doc, demo_doc])
    # the same scan twice is still two results with their own ids
    twice = validated(oscal.render_many([demo_doc, demo_doc]))
    assert len({r["uuid"] for r in twice["assessment-results"]["results"]}) == 2


# -- untrusted text and secrets ------------------------------------------------------------------------
def test_hostile_names_survive_as_data_and_markup_stays_inert(hostile_doc: dict[str, Any]) -> None:
    text = oscal.render(hostile_doc)
    document = validated(text)
    result = document["assessment-results"]["results"][0]
    addresses = [p["value"] for i in result["local-definitions"]["inventory-items"] for p in i["props"]
                 if p["name"] == "address"]
    hostile = next(a for a in addresses if "</script>" in a)
    assert hostile == next(r["address"] for r in hostile_doc["results"] if "</script>" in r["address"]).replace(
        "\x1b", "\\x1b"), "kept as it is, the escape character shown"
    assert any('"</script>' in value for _, value in strings(result["observations"])), "evidence keeps it too"
    for key, value in strings(document):
        assert "\x1b" not in value, "no escape character reaches a reader, even decoded"
        if key in MARKUP:
            assert "<" not in value and "](" not in value, (key, value)
    text.encode("ascii")


def test_the_sensitive_value_never_appears(hostile_doc: dict[str, Any]) -> None:
    text = oscal.render(hostile_doc)
    assert SECRET not in text and SECRET not in json.dumps(json.loads(text), ensure_ascii=False)
    assert 'storage_encrypted = \\"(sensitive)\\"' in text, "the rule that read it shows it withheld"


# -- the CLI ----------------------------------------------------------------------------------------------
def test_scan_and_report_write_oscal(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    run = vendorguard("scan", "plan", str(DEMO_PLAN), "--format", "json", "-o", str(results))
    assert run.returncode == 1, run.stderr
    run = vendorguard("report", str(results), "--format", "oscal", "-o", str(tmp_path / "ar.oscal.json"))
    assert run.returncode == 1, run.stderr
    validated((tmp_path / "ar.oscal.json").read_text())
